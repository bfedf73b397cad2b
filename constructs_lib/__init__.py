"""Reusable cdktf constructs for Posit Package Manager on Azure.

Importing this package has no side effects and loads no provider bindings: constructs are
imported on first attribute access (PEP 562), while type checkers see every name's real type
through the ``TYPE_CHECKING`` imports below (``tests/test_public_api.py`` keeps the two lists equal).
To load provider bindings lazily in your own app, call :func:`constructs_lib.lazy_providers.enable`
before your first provider import (opt-in).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `import X as X`: an explicit re-export, also under mypy --strict (no implicit re-export)
    from constructs_lib.aks.cluster import AksCluster as AksCluster
    from constructs_lib.aks.container_insights import (
        ContainerInsights as ContainerInsights,
        ContainerInsightsProps as ContainerInsightsProps,
    )
    from constructs_lib.aks.helm import (
        AksHelmProvider as AksHelmProvider,
        AksHelmProviderProps as AksHelmProviderProps,
    )
    from constructs_lib.aks.props import (
        AksClusterProps as AksClusterProps,
        MaintenanceWindow as MaintenanceWindow,
        NodePoolSpec as NodePoolSpec,
    )
    from constructs_lib.alert_rules import (
        AlertThresholds as AlertThresholds,
        MetricAlertSpec as MetricAlertSpec,
    )
    from constructs_lib.alerts import (
        ActionGroup as ActionGroup,
        ActionGroupProps as ActionGroupProps,
        MetricAlert as MetricAlert,
        MetricAlertProps as MetricAlertProps,
    )
    from constructs_lib.diagnostics import Diagnostics as Diagnostics, DiagnosticsProps as DiagnosticsProps
    from constructs_lib.ephemeral import EphemeralPassword as EphemeralPassword
    from constructs_lib.key_vault import KeyVaultProps as KeyVaultProps, PrivateKeyVault as PrivateKeyVault
    from constructs_lib.log_analytics import (
        LogAnalyticsProps as LogAnalyticsProps,
        LogAnalyticsWorkspace as LogAnalyticsWorkspace,
    )
    from constructs_lib.naming import Names as Names
    from constructs_lib.network import (
        InboundRule as InboundRule,
        NatGateway as NatGateway,
        NatGatewayProps as NatGatewayProps,
        SpokeNetwork as SpokeNetwork,
        SubnetSpec as SubnetSpec,
        VirtualNetworkProps as VirtualNetworkProps,
    )
    from constructs_lib.nfs_share import NfsFileShare as NfsFileShare, NfsFileShareProps as NfsFileShareProps
    from constructs_lib.package_manager.props import (
        PackageManagerReleaseProps as PackageManagerReleaseProps,
        PodResources as PodResources,
    )
    from constructs_lib.package_manager.release import PackageManagerRelease as PackageManagerRelease
    from constructs_lib.policy import POLICY_RULES as POLICY_RULES, PolicyChecks as PolicyChecks
    from constructs_lib.postgres import (
        PostgresFlexibleServer as PostgresFlexibleServer,
        PostgresFlexibleServerProps as PostgresFlexibleServerProps,
    )
    from constructs_lib.private_dns import (
        PrivateDnsZone as PrivateDnsZone,
        PrivateDnsZoneProps as PrivateDnsZoneProps,
    )
    from constructs_lib.private_endpoint import (
        PrivateEndpoint as PrivateEndpoint,
        PrivateEndpointProps as PrivateEndpointProps,
        PrivateEndpointSpec as PrivateEndpointSpec,
    )
    from constructs_lib.refs import (
        AksClusterRef as AksClusterRef,
        KeyVaultRef as KeyVaultRef,
        ManagedIdentityRef as ManagedIdentityRef,
        NfsShareRef as NfsShareRef,
        PostgresTargetRef as PostgresTargetRef,
    )
    from constructs_lib.state_backend import (
        StateBackend as StateBackend,
        StateBackendProps as StateBackendProps,
    )
    from constructs_lib.tagging import RequiredTags as RequiredTags
    from constructs_lib.validation import PropsError as PropsError
    from constructs_lib.workload_identity import (
        WorkloadIdentity as WorkloadIdentity,
        WorkloadIdentityProps as WorkloadIdentityProps,
    )

_EXPORTS = {
    "ActionGroup": "constructs_lib.alerts",
    "ActionGroupProps": "constructs_lib.alerts",
    "AksCluster": "constructs_lib.aks.cluster",
    "AksClusterProps": "constructs_lib.aks.props",
    "AksClusterRef": "constructs_lib.refs",
    "AksHelmProvider": "constructs_lib.aks.helm",
    "AksHelmProviderProps": "constructs_lib.aks.helm",
    "AlertThresholds": "constructs_lib.alert_rules",
    "ContainerInsights": "constructs_lib.aks.container_insights",
    "ContainerInsightsProps": "constructs_lib.aks.container_insights",
    "Diagnostics": "constructs_lib.diagnostics",
    "DiagnosticsProps": "constructs_lib.diagnostics",
    "EphemeralPassword": "constructs_lib.ephemeral",
    "InboundRule": "constructs_lib.network",
    "KeyVaultProps": "constructs_lib.key_vault",
    "KeyVaultRef": "constructs_lib.refs",
    "LogAnalyticsProps": "constructs_lib.log_analytics",
    "LogAnalyticsWorkspace": "constructs_lib.log_analytics",
    "MaintenanceWindow": "constructs_lib.aks.props",
    "MetricAlertSpec": "constructs_lib.alert_rules",
    "MetricAlert": "constructs_lib.alerts",
    "MetricAlertProps": "constructs_lib.alerts",
    "ManagedIdentityRef": "constructs_lib.refs",
    "Names": "constructs_lib.naming",
    "NatGateway": "constructs_lib.network",
    "NatGatewayProps": "constructs_lib.network",
    "NfsFileShare": "constructs_lib.nfs_share",
    "NfsFileShareProps": "constructs_lib.nfs_share",
    "NfsShareRef": "constructs_lib.refs",
    "NodePoolSpec": "constructs_lib.aks.props",
    "PackageManagerRelease": "constructs_lib.package_manager.release",
    "PackageManagerReleaseProps": "constructs_lib.package_manager.props",
    "POLICY_RULES": "constructs_lib.policy",
    "PodResources": "constructs_lib.package_manager.props",
    "PolicyChecks": "constructs_lib.policy",
    "PostgresFlexibleServer": "constructs_lib.postgres",
    "PostgresFlexibleServerProps": "constructs_lib.postgres",
    "PostgresTargetRef": "constructs_lib.refs",
    "PrivateDnsZone": "constructs_lib.private_dns",
    "PrivateDnsZoneProps": "constructs_lib.private_dns",
    "PrivateEndpoint": "constructs_lib.private_endpoint",
    "PrivateEndpointProps": "constructs_lib.private_endpoint",
    "PrivateEndpointSpec": "constructs_lib.private_endpoint",
    "PrivateKeyVault": "constructs_lib.key_vault",
    "PropsError": "constructs_lib.validation",
    "RequiredTags": "constructs_lib.tagging",
    "SpokeNetwork": "constructs_lib.network",
    "StateBackend": "constructs_lib.state_backend",
    "StateBackendProps": "constructs_lib.state_backend",
    "SubnetSpec": "constructs_lib.network",
    "VirtualNetworkProps": "constructs_lib.network",
    "WorkloadIdentity": "constructs_lib.workload_identity",
    "WorkloadIdentityProps": "constructs_lib.workload_identity",
}

__all__ = sorted(_EXPORTS)


if not TYPE_CHECKING:  # hidden from type checkers: a module __getattr__ would type every unknown name as Any
    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'constructs_lib' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
