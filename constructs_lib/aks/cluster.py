"""An AKS cluster for zone-spread workloads: Azure CNI overlay, Entra ID RBAC, managed add-ons.

Facts and sources ([P] azurerm 4.x docs, [MS] Microsoft Learn, [CSI] azurefile-csi-driver):

- Control plane identity: user-assigned, so "Network Contributor" on the node subnet can be
  granted *before* the cluster exists ([MS] aks/use-managed-identity and
  aks/aks-service-permissions: with your own subnet the cluster identity needs
  subnets/join and load-balancer rights on it; the CLI adds this role, Terraform must).
- Ingress: the managed NGINX application-routing add-on (``web_app_routing``), ingress class
  :data:`constructs_lib.facts.APP_ROUTING_INGRESS_CLASS`.
- Azure Files CSI driver on (``storage_profile.file_driver_enabled``). A *static* NFS
  PersistentVolume needs **no Azure role** for any identity: for ``protocol: nfs`` the driver
  returns before fetching an account key ([CSI] pkg/azurefile/azurefile.go GetAccountInfo:
  "nfs protocol does not need account key") and docs/driver-parameters.md ("mounting Azure NFS
  File share does not require account key"; access is by VNet rules or a private endpoint).
  Roles are only needed for dynamic provisioning (controller identity: Storage Account
  Contributor) or SMB mounts via kubelet identity; neither is used here.
- Container Insights with ``msi_auth_for_monitoring_enabled`` needs a data collection rule and
  its association: :class:`constructs_lib.aks.container_insights.ContainerInsights`.
- Azure RBAC for Kubernetes: a new cluster-admin grant can take up to five minutes to be
  honoured ([MS] aks/manage-azure-rbac); the Helm provider fails on the first 403, so a
  ``time_sleep`` follows the grants and the stack ends only after it.
- Secrets Store CSI add-on: its identity (``secrets_provider_object_id``) needs
  "Key Vault Secrets User" on the vault it reads; that grant lives with the vault's consumer
  (the app stack), so this construct never depends on the vault.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from constructs_lib.cdk import TerraformResourceLifecycle
from constructs_lib.cdk.azurerm import (
    KubernetesCluster,
    KubernetesClusterApiServerAccessProfile,
    KubernetesClusterAzureActiveDirectoryRoleBasedAccessControl,
    KubernetesClusterDefaultNodePool,
    KubernetesClusterDefaultNodePoolUpgradeSettings,
    KubernetesClusterIdentity,
    KubernetesClusterKeyVaultSecretsProvider,
    KubernetesClusterMaintenanceWindowAutoUpgrade,
    KubernetesClusterMaintenanceWindowNodeOs,
    KubernetesClusterMicrosoftDefender,
    KubernetesClusterNetworkProfile,
    KubernetesClusterNodePool,
    KubernetesClusterNodePoolUpgradeSettings,
    KubernetesClusterOmsAgent,
    KubernetesClusterStorageProfile,
    KubernetesClusterWebAppRouting,
    UserAssignedIdentity,
)
from constructs_lib.cdk.time import Sleep
from constructs_lib.aks.container_insights import ContainerInsights, ContainerInsightsProps
from constructs_lib.aks.props import (
    MINOR_UPGRADE_CHANNELS,
    AksClusterProps,
    AksClusterRef,
    MaintenanceWindow,
    ManagedIdentityRef,
    NodePoolSpec,
    validate,
)
from constructs_lib.azurerm_versions import kubernetes_cluster_extras
from constructs_lib.diagnostics import DiagnosticsProps, diagnostic_setting
from constructs_lib.rbac import grant_role, propagation_wait

#: [MS] role-based-access-control/built-in-roles: what each grant of this construct uses.
NETWORK_CONTRIBUTOR = "Network Contributor"
AKS_RBAC_CLUSTER_ADMIN = "Azure Kubernetes Service RBAC Cluster Admin"
DNS_ZONE_CONTRIBUTOR = "DNS Zone Contributor"
PRIVATE_DNS_ZONE_CONTRIBUTOR = "Private DNS Zone Contributor"


def _rotation_name(pool_name: str) -> str:
    """Name of the temporary pool used when a change needs the default pool rotated (<= 12 chars)."""
    return (pool_name[:9] + "tmp")[:12]


class AksCluster(Construct):
    """``azurerm_kubernetes_cluster`` (id ``Resource``) with its control-plane identity, the
    Network Contributor grant on the node subnet, an optional user pool and control-plane
    diagnostics.

    Attributes (typed, read-only): ``name``, ``id``, ``oidc_issuer_url``,
    ``kubelet_identity_object_id`` / ``_client_id``, ``secrets_provider_object_id`` /
    ``_client_id``, ``app_routing_identity_client_id``, ``cluster_identity_principal_id``
    (the user-assigned control-plane identity). ``identity`` is the identity resource,
    ``worker_pool`` the extra pool (None without ``system_pool``), ``admin_grants`` the
    cluster-admin role assignments, ``admin_access_ready`` the ``time_sleep`` after them (None
    without admins or with ``rbac_propagation_seconds=0``), ``container_insights_rule`` /
    ``container_insights_association`` the Container Insights data collection rule and its
    association with the cluster.

    Role assignments it makes: Network Contributor on ``vnet_subnet_id`` (control-plane
    identity), AKS RBAC Cluster Admin on the cluster (``admin_principal_ids``), DNS Zone
    Contributor / Private DNS Zone Contributor on each ``app_routing_dns_zone_ids`` zone
    (app-routing identity).

    Providers: ``azurerm``, plus ``hashicorp/time`` (``TimeProvider``) in the stack when it
    waits for the cluster-admin grants.

    Example::

        aks = AksCluster(self, "aks", AksClusterProps(
            name="aks-dev", resource_group_name=rg.name, location="eastus2",
            vnet_subnet_id=subnet.id, log_analytics_workspace_id=workspace.id,
            workers=NodePoolSpec(name="workers", vm_size="Standard_D8_v5", node_count=3,
                                 zones=["1", "2", "3"]),
            authorized_ip_ranges=["203.0.113.0/24"]))
        aks.oidc_issuer_url
    """

    def __init__(self, scope: Construct, id: str, props: AksClusterProps) -> None:
        validate(props)
        super().__init__(scope, id)
        self.props = props
        tags = dict(props.tags) or None

        self.identity = UserAssignedIdentity(
            self, "Identity",
            name=props.identity_name or f"id-{props.name}",
            resource_group_name=props.resource_group_name,
            location=props.location,
            tags=tags,
        )
        # Granted before the cluster exists, so load balancers and the node NICs can join the
        # subnet from the first minute. skip_..._check: the identity is brand new (replication lag).
        self.subnet_grant = grant_role(
            self, "SubnetNetworkContributor", target_scope=props.vnet_subnet_id, role=NETWORK_CONTRIBUTOR,
            principal_id=self.identity.principal_id, principal_type="ServicePrincipal",
            skip_service_principal_aad_check=True)

        default_pool = props.system_pool or props.workers
        self.resource = KubernetesCluster(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            dns_prefix=props.name,
            node_resource_group=props.node_resource_group_name,
            kubernetes_version=props.kubernetes_version,
            sku_tier=props.sku_tier,
            default_node_pool=self._default_pool(default_pool, only_critical_addons=props.system_pool is not None),
            identity=KubernetesClusterIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            # Entra ID authentication with Azure RBAC authorization; no static local admin credential.
            azure_active_directory_role_based_access_control=KubernetesClusterAzureActiveDirectoryRoleBasedAccessControl(
                azure_rbac_enabled=True,
                tenant_id=props.tenant_id,
                admin_group_object_ids=list(props.admin_group_object_ids) or None,
            ),
            role_based_access_control_enabled=True,
            local_account_disabled=True,
            oidc_issuer_enabled=True,
            workload_identity_enabled=True,
            **kubernetes_cluster_extras(),
            network_profile=KubernetesClusterNetworkProfile(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_policy=props.network_policy,
                network_data_plane="cilium" if props.network_policy == "cilium" else None,
                load_balancer_sku="standard",
                outbound_type="loadBalancer",
                pod_cidr=props.pod_cidr,
                service_cidr=props.service_cidr,
                dns_service_ip=props.dns_service_ip,
            ),
            private_cluster_enabled=props.private_cluster,
            api_server_access_profile=(
                KubernetesClusterApiServerAccessProfile(authorized_ip_ranges=list(props.authorized_ip_ranges))
                if props.authorized_ip_ranges else None
            ),
            automatic_upgrade_channel=props.automatic_upgrade_channel,
            node_os_upgrade_channel=props.node_os_upgrade_channel,
            maintenance_window_auto_upgrade=KubernetesClusterMaintenanceWindowAutoUpgrade(
                **_weekly(props.maintenance_window)),
            maintenance_window_node_os=(
                KubernetesClusterMaintenanceWindowNodeOs(**_weekly(props.maintenance_window))
                if props.node_os_upgrade_channel in ("NodeImage", "SecurityPatch") else None
            ),
            web_app_routing=KubernetesClusterWebAppRouting(dns_zone_ids=list(props.app_routing_dns_zone_ids)),
            key_vault_secrets_provider=KubernetesClusterKeyVaultSecretsProvider(
                secret_rotation_enabled=True, secret_rotation_interval=props.secret_rotation_interval),
            azure_policy_enabled=True,
            oms_agent=KubernetesClusterOmsAgent(
                log_analytics_workspace_id=props.log_analytics_workspace_id,
                msi_auth_for_monitoring_enabled=True,
            ),
            microsoft_defender=(
                KubernetesClusterMicrosoftDefender(log_analytics_workspace_id=props.log_analytics_workspace_id)
                if props.defender else None
            ),
            storage_profile=KubernetesClusterStorageProfile(
                file_driver_enabled=True, disk_driver_enabled=True, blob_driver_enabled=False,
                snapshot_controller_enabled=True),
            disk_encryption_set_id=props.disk_encryption_set_id,
            image_cleaner_enabled=True,
            image_cleaner_interval_hours=48,
            cost_analysis_enabled=props.sku_tier != "Free",  # needs Standard or Premium
            tags=tags,
            depends_on=[self.subnet_grant],
            lifecycle=self._lifecycle(default_pool),
        )

        self.worker_pool: KubernetesClusterNodePool | None = None
        if props.system_pool is not None:
            self.worker_pool = self._user_pool(props.workers)

        self.admin_grants = [
            grant_role(self, f"ClusterAdmin{index}", target_scope=self.resource.id, role=AKS_RBAC_CLUSTER_ADMIN,
                       principal_id=principal)
            for index, principal in enumerate(props.admin_principal_ids)
        ]
        # Azure RBAC for Kubernetes honours a new grant only after it propagates; the Helm
        # provider fails on the first 403. Triggered by the grants' ids, so the wait runs again
        # whenever a grant is replaced (e.g. another principal deploys), and the stack - which
        # the app stack deploys after - ends only once the grants are in force.
        self.admin_access_ready: Sleep | None = None
        if self.admin_grants:
            self.admin_access_ready = propagation_wait(
                self, "ClusterAdminPropagation", seconds=props.rbac_propagation_seconds,
                triggers={f"cluster_admin_{i}": grant.id for i, grant in enumerate(self.admin_grants)})

        self.container_insights = ContainerInsights(self, ContainerInsightsProps(
            cluster_id=self.resource.id, cluster_name=props.name, resource_group_name=props.resource_group_name,
            location=props.location, log_analytics_workspace_id=props.log_analytics_workspace_id, tags=props.tags))
        self.container_insights_rule = self.container_insights.rule
        self.container_insights_association = self.container_insights.association

        # The add-on writes DNS records for ingress hosts into the zones it is given
        # ([MS] aks/app-routing-dns-ssl: `az aks approuting zone add --attach-zones` grants this role).
        for index, zone_id in enumerate(props.app_routing_dns_zone_ids):
            private = "/privatednszones/" in zone_id.lower()
            grant_role(self, f"AppRoutingDnsZone{index}", target_scope=zone_id,
                       role=PRIVATE_DNS_ZONE_CONTRIBUTOR if private else DNS_ZONE_CONTRIBUTOR,
                       principal_id=self.resource.web_app_routing.web_app_routing_identity.get(0).object_id)

        if props.diagnostic_log_categories:
            # Control-plane logs are chosen one by one (audit-admin and guard, not the noisy rest).
            diagnostic_setting(self, "Diagnostics", DiagnosticsProps(
                target_resource_id=self.resource.id, log_analytics_workspace_id=props.log_analytics_workspace_id,
                log_category_groups=(), log_categories=tuple(props.diagnostic_log_categories), metric_categories=(),
                dedicated_tables=True))

    def _lifecycle(self, default_pool: NodePoolSpec) -> TerraformResourceLifecycle | None:
        ignored = []
        if default_pool.autoscaling:
            ignored.append("default_node_pool[0].node_count")  # the autoscaler owns the count
        if self.props.automatic_upgrade_channel in MINOR_UPGRADE_CHANNELS:
            # stable/rapid move the minor version ([MS] aks/auto-upgrade-cluster): without this
            # the next apply would try to set the configured (older) version again, which AKS
            # refuses as a downgrade. patch with a minor alias such as 1.33 stays consistent.
            ignored += ["kubernetes_version", "default_node_pool[0].orchestrator_version"]
        return TerraformResourceLifecycle(ignore_changes=ignored) if ignored else None

    def _pool_arguments(self, pool: NodePoolSpec) -> dict[str, Any]:
        """The arguments a default and an extra node pool share (their binding classes differ)."""
        return {
            "name": pool.name,
            "temporary_name_for_rotation": _rotation_name(pool.name),
            "vm_size": pool.vm_size,
            "zones": list(pool.zones) or None,
            "vnet_subnet_id": self.props.vnet_subnet_id,
            "max_pods": pool.max_pods,
            "os_disk_size_gb": pool.os_disk_size_gb,
            # Managed, not ephemeral: the reference Standard_D8_v5 has no local disk to hold one
            # (sizes with a "d" do; the checkov skip CKV_AZURE_226 records this choice).
            "os_disk_type": "Managed",
            "host_encryption_enabled": pool.host_encryption,
            "node_public_ip_enabled": False,
            "orchestrator_version": self.props.kubernetes_version,
            "node_labels": dict(pool.labels) or None,
            **_scale(pool),
        }

    def _default_pool(self, pool: NodePoolSpec, *, only_critical_addons: bool) -> KubernetesClusterDefaultNodePool:
        return KubernetesClusterDefaultNodePool(
            **self._pool_arguments(pool),
            only_critical_addons_enabled=only_critical_addons or None,
            type="VirtualMachineScaleSets",
            upgrade_settings=KubernetesClusterDefaultNodePoolUpgradeSettings(max_surge=pool.max_surge),
        )

    def _user_pool(self, pool: NodePoolSpec) -> KubernetesClusterNodePool:
        return KubernetesClusterNodePool(
            self, "WorkerPool",
            **self._pool_arguments(pool),
            kubernetes_cluster_id=self.resource.id,
            mode="User",
            upgrade_settings=KubernetesClusterNodePoolUpgradeSettings(max_surge=pool.max_surge),
            tags=dict(self.props.tags) or None,
            lifecycle=self._user_pool_lifecycle(pool),
        )

    def _user_pool_lifecycle(self, pool: NodePoolSpec) -> TerraformResourceLifecycle | None:
        ignored = ["node_count"] if pool.autoscaling else []
        if self.props.automatic_upgrade_channel in MINOR_UPGRADE_CHANNELS:
            ignored.append("orchestrator_version")
        return TerraformResourceLifecycle(ignore_changes=ignored) if ignored else None

    # --- typed attributes ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def oidc_issuer_url(self) -> str:
        return self.resource.oidc_issuer_url

    @property
    def kubelet_identity_object_id(self) -> str:
        return self.resource.kubelet_identity.object_id

    @property
    def kubelet_identity_client_id(self) -> str:
        return self.resource.kubelet_identity.client_id

    @property
    def secrets_provider_client_id(self) -> str:
        return self.resource.key_vault_secrets_provider.secret_identity.get(0).client_id

    @property
    def secrets_provider_object_id(self) -> str:
        return self.resource.key_vault_secrets_provider.secret_identity.get(0).object_id

    @property
    def app_routing_identity_client_id(self) -> str:
        return self.resource.web_app_routing.web_app_routing_identity.get(0).client_id

    @property
    def cluster_identity_principal_id(self) -> str:
        """The user-assigned control-plane identity's principal (object) id."""
        return self.identity.principal_id

    def ref(self) -> AksClusterRef:
        """A reference for consumers in other stacks (e.g. :class:`constructs_lib.aks.helm.AksHelmProvider`)."""
        return AksClusterRef(name=self.resource.name, resource_group_name=self.props.resource_group_name)

    def app_routing_identity(self) -> ManagedIdentityRef:
        """The application-routing add-on's identity (it reads the ingress certificates from Key Vault)."""
        identity = self.resource.web_app_routing.web_app_routing_identity.get(0)
        return ManagedIdentityRef(client_id=identity.client_id, object_id=identity.object_id)

    def secrets_provider_identity(self) -> ManagedIdentityRef:
        """The Key Vault secrets provider (Secrets Store CSI add-on) identity."""
        return ManagedIdentityRef(client_id=self.secrets_provider_client_id, object_id=self.secrets_provider_object_id)


def _scale(pool: NodePoolSpec) -> dict[str, Any]:
    if pool.autoscaling:
        return {"auto_scaling_enabled": True, "node_count": pool.node_count,
                "min_count": pool.min_count, "max_count": pool.max_count}
    return {"node_count": pool.node_count}


def _weekly(window: MaintenanceWindow) -> dict:
    return {
        "frequency": "Weekly",
        "interval": 1,
        "day_of_week": window.day_of_week,
        "start_time": window.start_time,
        "duration": window.duration_hours,
        "utc_offset": window.utc_offset,
    }
