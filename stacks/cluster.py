"""The `cluster` stack: AKS across the configured zones with the managed NGINX application-routing add-on.

Depends on `network` only (node subnet, Log Analytics workspace), so it deploys in parallel
with `data`. It ends with a wait for the deployer's cluster-admin grant to propagate (see
ClusterStack), so the app stack's Helm calls never race it. Grants that need the data stack's
resources (Key Vault Secrets User for the Secrets Store CSI identity) are made by the app stack,
which references ``aks`` (``aks.ref()``, ``aks.secrets_provider_identity()``). A static NFS
PersistentVolume needs no Azure role at all (see constructs_lib/aks/cluster.py and docs/cluster.md).
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk import TerraformOutput
from constructs_lib.cdk.azurerm import DataAzurermClientConfig, ResourceGroup
from constructs_lib.cdk.time import TimeProvider
from config.schema import ClusterConfig, EnvironmentConfig
from constructs_lib.aks.cluster import AksCluster
from constructs_lib.aks.props import AksClusterProps, MaintenanceWindow, NodePoolSpec
from constructs_lib.alert_rules import aks_node_alerts
from constructs_lib.alerts import MetricAlert
from constructs_lib.rbac import grant_role
from stacks.base import PpmStack, add_alerts, alert_thresholds, with_runner_egress
from stacks.network import AKS_SUBNET, NetworkStack

#: [MS] aks/control-kubeconfig-access: lets a principal fetch user credentials
#: (listClusterUserCredential), which the Helm provider's cluster data source needs even to plan.
CLUSTER_USER_ROLE = "Azure Kubernetes Service Cluster User Role"
#: [MS] aks/manage-azure-rbac (built-in roles): read most objects in a namespace, but not Secrets.
RBAC_READER_ROLE = "Azure Kubernetes Service RBAC Reader"

WORKER_POOL = "workers"
SYSTEM_POOL = "system"


def worker_pool(cfg: EnvironmentConfig) -> NodePoolSpec:
    """The pool that runs Package Manager: fixed size, or autoscaled when configured."""
    c: ClusterConfig = cfg.cluster
    scale = c.autoscaling
    return NodePoolSpec(
        name=WORKER_POOL,
        vm_size=c.vm_size,
        node_count=c.node_count,
        zones=tuple(cfg.zones),
        max_pods=c.max_pods,
        os_disk_size_gb=c.os_disk_size_gb,
        host_encryption=c.host_encryption,
        min_count=scale.min_count if scale.enabled else None,
        max_count=scale.max_count if scale.enabled else None,
    )


def authorized_ip_ranges(cfg: EnvironmentConfig, network: NetworkStack) -> list[str]:
    """The public API server's authorized ranges: ``cluster.api_server.authorized_ip_ranges`` plus the
    runner's egress (external runners' CIDRs, or the VNet runners' NAT address); none for a private cluster."""
    api = cfg.cluster.api_server
    if api.private_cluster:
        return list(api.authorized_ip_ranges)
    ranges = with_runner_egress(cfg, list(api.authorized_ip_ranges))
    if network.runner_egress is not None:
        ranges.append(f"{network.runner_egress.egress_ip}/32")
    return ranges


def system_pool(cfg: EnvironmentConfig) -> NodePoolSpec | None:
    c = cfg.cluster
    if c.system_pool is None:
        return None
    return NodePoolSpec(
        name=SYSTEM_POOL,
        vm_size=c.system_pool.vm_size,
        node_count=c.system_pool.node_count,
        zones=tuple(cfg.zones),
        max_pods=c.max_pods,
        os_disk_size_gb=c.os_disk_size_gb,
        host_encryption=c.host_encryption,
    )


class ClusterStack(PpmStack):
    """The AKS cluster (``aks``), which the app stack references."""

    def __init__(self, scope: Construct, cfg: EnvironmentConfig, network: NetworkStack) -> None:
        super().__init__(scope, "cluster", cfg)
        c, names = cfg.cluster, self.names
        self.resource_group = ResourceGroup(self, "resource-group", name=names.resource_group("cluster"),
                                            location=cfg.location)
        # The tenant for Entra ID authentication. Grants go to the configured principals only.
        deployer = DataAzurermClientConfig(self, "deployer")
        # time_sleep after that grant (AksCluster waits rbac_propagation_seconds, 300 s): this
        # stack ends only once the grant is in force, and cdktf deploys the app stack (whose
        # Helm provider does not retry a 403) strictly after it, for its plan and its apply.
        TimeProvider(self, "time")
        window = c.maintenance_window
        self.aks = AksCluster(self, "aks", AksClusterProps(
            name=names.resource("aks"),
            resource_group_name=self.resource_group.name,
            location=cfg.location,
            node_resource_group_name=names.resource_group("cluster-nodes"),
            vnet_subnet_id=network.network.subnets[AKS_SUBNET].id,
            log_analytics_workspace_id=network.log_analytics.id,
            workers=worker_pool(cfg),
            system_pool=system_pool(cfg),
            kubernetes_version=c.kubernetes_version,
            sku_tier="Standard",  # uptime SLA: the point of spreading over zones
            network_policy=c.network_policy,
            pod_cidr=c.pod_cidr,
            service_cidr=c.service_cidr,
            dns_service_ip=c.dns_service_ip,
            authorized_ip_ranges=tuple(authorized_ip_ranges(cfg, network)),
            private_cluster=c.api_server.private_cluster,
            allow_public_without_authorized_ranges=c.api_server.allow_public_without_authorized_ranges,
            tenant_id=deployer.tenant_id,
            admin_group_object_ids=tuple(c.admin_group_object_ids),
            # The deploying identities install the Helm release: cluster-admin through Azure RBAC
            # (local accounts are off, so there is no other way in).
            admin_principal_ids=tuple(cfg.delivery.deployer_principal_ids),
            automatic_upgrade_channel=c.automatic_upgrade_channel,
            node_os_upgrade_channel=c.node_os_upgrade_channel,
            maintenance_window=MaintenanceWindow(
                day_of_week=window.day_of_week, start_time=window.start_time,
                duration_hours=window.duration_hours, utc_offset=window.utc_offset),
            app_routing_dns_zone_ids=tuple(c.app_routing_dns_zone_ids),
            disk_encryption_set_id=c.disk_encryption_set_id,
            defender=c.defender,
        ))

        # Plan identities: user credentials (the Helm provider's data source needs them to plan the app
        # stack) and read access in the release namespace, which excludes Secrets: the namespace also
        # holds the synced database password, so pull-request plans of `app` skip the refresh that
        # would read Helm's release Secrets (docs/delivery.md "Plan identities").
        for principal in cfg.delivery.plan_principal_ids:
            grant_role(self, f"plan-user-{principal}", target_scope=self.aks.id, role=CLUSTER_USER_ROLE,
                       principal_id=principal, description="Pull-request plans: cluster user credentials")
            grant_role(self, f"plan-reader-{principal}", target_scope=f"{self.aks.id}/namespaces/{cfg.app.namespace}",
                       role=RBAC_READER_ROLE, principal_id=principal,
                       description="Pull-request plans: read the release namespace (no Secrets)")

        self.alerts: dict[str, MetricAlert] = {}
        if network.action_group is not None:
            self.alerts = add_alerts(self, self.resource_group.name, self.aks.id, network.action_group.id,
                                     aks_node_alerts(alert_thresholds(cfg), cfg.alerts.severity))

        # Outputs for operators (`cdktf output cluster`); no kubeconfig, no certificate.
        aks = self.aks
        for name, value in {
            "cluster_name": aks.name,
            "cluster_resource_group_name": self.resource_group.name,
            "oidc_issuer_url": aks.oidc_issuer_url,
            "secrets_provider_client_id": aks.secrets_provider_client_id,
            "kubelet_identity_client_id": aks.kubelet_identity_client_id,
            "app_routing_identity_client_id": aks.app_routing_identity_client_id,
            "cluster_identity_principal_id": aks.cluster_identity_principal_id,
        }.items():
            TerraformOutput(self, name, value=value)
