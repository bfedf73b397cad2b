"""The helm provider classes of the selected toolchain; how the names resolve: :mod:`constructs_lib.cdk`."""

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
