"""Posit Package Manager on AKS through the official ``rstudio-pm`` Helm chart, highly available.

- :mod:`constructs_lib.package_manager.props`: props, chart facts and validation (pure Python)
- :mod:`constructs_lib.package_manager.values`: the chart values, a pure function of the props
- :mod:`constructs_lib.package_manager.manifests`: the NFS PersistentVolume and SecretProviderClass
- :mod:`constructs_lib.package_manager.release`: :class:`~constructs_lib.package_manager.release.PackageManagerRelease`

The public names are exported by :mod:`constructs_lib` itself (``from constructs_lib import
PackageManagerRelease``); importing this package loads nothing, so the pure modules import without cdktf.
"""
