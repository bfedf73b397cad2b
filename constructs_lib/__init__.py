"""Reusable cdktf constructs for Posit Package Manager on Azure.

Importing this package has no side effects and loads no provider bindings:
constructs are imported on first attribute access (PEP 562). To load provider
bindings lazily in your own app, call :func:`constructs_lib.lazy_providers.enable`
before your first provider import (opt-in).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RequiredTags": "constructs_lib.tagging",
    "PolicyChecks": "constructs_lib.policy",
    "POLICY_RULES": "constructs_lib.policy",
    "SpokeNetwork": "constructs_lib.network",
    "VirtualNetworkProps": "constructs_lib.network",
    "SubnetSpec": "constructs_lib.network",
    "InboundRule": "constructs_lib.network",
    "PrivateDnsZone": "constructs_lib.private_dns",
    "PrivateDnsZoneProps": "constructs_lib.private_dns",
    "LogAnalyticsWorkspace": "constructs_lib.log_analytics",
    "LogAnalyticsProps": "constructs_lib.log_analytics",
    "PropsError": "constructs_lib.validation",
    "StateBackend": "constructs_lib.state_backend",
    "StateBackendProps": "constructs_lib.state_backend",
    "PostgresFlexibleServer": "constructs_lib.postgres",
    "PostgresFlexibleServerProps": "constructs_lib.postgres",
    "NfsFileShare": "constructs_lib.nfs_share",
    "NfsFileShareProps": "constructs_lib.nfs_share",
    "PrivateKeyVault": "constructs_lib.key_vault",
    "KeyVaultProps": "constructs_lib.key_vault",
    "PrivateEndpoint": "constructs_lib.private_endpoint",
    "PrivateEndpointProps": "constructs_lib.private_endpoint",
    "Diagnostics": "constructs_lib.diagnostics",
    "DiagnosticsProps": "constructs_lib.diagnostics",
    "AksCluster": "constructs_lib.aks",
    "AksClusterProps": "constructs_lib.aks_props",
    "NodePoolSpec": "constructs_lib.aks_props",
    "MaintenanceWindow": "constructs_lib.aks_props",
    "PackageManagerRelease": "constructs_lib.package_manager",
    "PackageManagerReleaseProps": "constructs_lib.package_manager",
    "PostgresTarget": "constructs_lib.package_manager",
    "NfsShare": "constructs_lib.package_manager",
    "KeyVaultSecrets": "constructs_lib.package_manager",
    "PodResources": "constructs_lib.package_manager",
    "AksHelmProvider": "constructs_lib.aks_helm",
    "AksHelmProviderProps": "constructs_lib.aks_helm",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'constructs_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
