"""The `app` stack: Posit Package Manager through the rstudio-pm Helm chart.

The only stack that depends on both `data` and `cluster`, so it also holds the
cross-stack grant: "Key Vault Secrets User" on the data stack's vault for the
cluster's Secrets Store CSI (add-on) identity (created by PackageManagerRelease).
The static NFS PersistentVolume needs no Azure role: an NFS mount uses no account
key or token ([MS] aks/create-volume-azure-files; [CSI] workload-identity-static-pv-mount).

Nothing secret crosses remote state: the cluster is reached with kubelogin (Entra ID),
the database password is read in-cluster from Key Vault by the CSI driver.

Role propagation: the release waits (time_sleep, 180 s) after the Key Vault grant made here.
The deployer's cluster-admin grant is waited for in the cluster stack, which cdktf finishes
before this stack's plan starts, so nothing here needs to reference that wait.
"""

from __future__ import annotations

from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from config.schema import EnvironmentConfig
from constructs_lib.aks_helm import AksHelmProvider, AksHelmProviderProps
from constructs_lib.package_manager import (
    KeyVaultSecrets,
    NfsShare,
    PackageManagerRelease,
    PackageManagerReleaseProps,
    PodResources,
    PostgresTarget,
)
from stacks.base import PpmStack
from stacks.cluster import ClusterStack
from stacks.data import DataStack


class AppStack(PpmStack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, cluster: ClusterStack, data: DataStack) -> None:
        super().__init__(scope, "app", cfg)
        app = cfg.app
        self.helm = AksHelmProvider(self, "helm", AksHelmProviderProps(
            cluster_name=cluster.cluster_name,
            resource_group_name=cluster.cluster_resource_group_name,
            login_mode=app.kubelogin_mode,
        ))
        TimeProvider(self, "time")  # the wait after the Key Vault grant (PackageManagerRelease)
        res = app.resources
        self.package_manager = PackageManagerRelease(self, "package-manager", PackageManagerReleaseProps(
            chart_version=app.chart_version,
            hostname=app.hostname,
            namespace=app.namespace,
            replicas=app.replicas,
            spread_across_zones=app.spread_across_zones,
            tls_certificate_uri=app.tls.key_vault_certificate_uri if app.tls.enabled else None,
            resources=PodResources(
                cpu_request=res.cpu_request, cpu_limit=res.cpu_limit,
                memory_request=res.memory_request, memory_limit=res.memory_limit,
            ),
            # The pods read the password from env vars: a new password version rolls them.
            secret_version=cfg.postgres.password_version,
            postgres=PostgresTarget(
                fqdn=data.postgres_fqdn,
                login=data.postgres_admin_login,
                metadata_database=data.metadata_database_name,
                usage_database=data.usage_database_name,
                max_open_connections=cfg.postgres.max_open_connections,
            ),
            share=NfsShare(
                resource_group_name=data.storage_resource_group_name,
                storage_account_name=data.storage_account_name,
                share_name=data.share_name,
                quota_gib=data.share_quota_gib,
            ),
            key_vault=KeyVaultSecrets(
                key_vault_id=data.key_vault_id,
                key_vault_name=data.key_vault_name,
                tenant_id=data.key_vault_tenant_id,
                identity_client_id=cluster.secrets_provider_client_id,
                identity_object_id=cluster.secrets_provider_object_id,
                postgres_password_secret_name=data.postgres_password_secret_name,
                license_secret_name=app.license_secret_name,
            ),
            provider=self.helm.resource,
        ))
