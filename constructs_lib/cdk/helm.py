"""The helm provider classes (3.1.1 on cdktf, 3.3.0 on CDK Terrain) of the selected toolchain.

Each name is listed once, below, as the default toolchain spells it (what type checkers see);
at run time it resolves to the same class of the toolchain that :mod:`constructs_lib.toolchain`
chose, its submodule imported on first use. Add a class here before using it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.toolchain import provider_namespace

if TYPE_CHECKING:
    from cdktf_cdktf_provider_helm.provider import (
        HelmProvider as HelmProvider,
        HelmProviderKubernetes as HelmProviderKubernetes,
        HelmProviderKubernetesExec as HelmProviderKubernetesExec,
    )
    from cdktf_cdktf_provider_helm.release import Release as Release

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any
    __getattr__ = provider_namespace("helm", __file__)
