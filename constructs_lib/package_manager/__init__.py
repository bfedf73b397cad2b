"""Posit Package Manager on AKS through the official ``rstudio-pm`` Helm chart, highly available.

- :mod:`constructs_lib.package_manager.props`: props, chart facts and validation (pure Python)
- :mod:`constructs_lib.package_manager.values`: the chart values, a pure function of the props
- :mod:`constructs_lib.package_manager.manifests`: the NFS PersistentVolume and SecretProviderClass
- :mod:`constructs_lib.package_manager.release`: :class:`PackageManagerRelease`

Names load on first use, so the pure modules import without cdktf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib import _lazy_exports

if TYPE_CHECKING:
    from constructs_lib.package_manager.props import PackageManagerReleaseProps, PodResources
    from constructs_lib.package_manager.release import PackageManagerRelease
    from constructs_lib.package_manager.values import chart_values

_EXPORTS = {
    "PackageManagerRelease": "constructs_lib.package_manager.release",
    "PackageManagerReleaseProps": "constructs_lib.package_manager.props",
    "PodResources": "constructs_lib.package_manager.props",
    "chart_values": "constructs_lib.package_manager.values",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
