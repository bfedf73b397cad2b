"""The `app` stack: Posit Package Manager through the rstudio-pm Helm chart.

The only stack that depends on both `data` and `cluster`, so it also holds the
cross-stack grants: two user-assigned identities (resource group ``rg-<env>-app``), each
federated to one service account of the release through the cluster's OIDC issuer (workload
identity), each granted "Key Vault Secrets User" on exactly the data stack's secrets it reads
(made by PackageManagerRelease): the pods' identity on the app login's password, the license
and the encryption key; the bootstrap Job's identity on the administrator password and the app
login's password.
The static NFS PersistentVolume needs no Azure role: an NFS mount uses no account
key or token ([MS] aks/create-volume-azure-files; [CSI] workload-identity-static-pv-mount).

Nothing secret crosses remote state: the cluster is reached with kubelogin (Entra ID),
the database password is read in-cluster from Key Vault by the CSI driver. Everything
this stack needs from the others comes as references (``target()``, ``ref()``).

Role propagation: the release waits (time_sleep, 180 s) after the Key Vault grant made here.
The deployer's cluster-admin grant is waited for in the cluster stack, which cdktf finishes
before this stack's plan starts, so nothing here needs to reference that wait.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk.azurerm import ResourceGroup
from constructs_lib.cdk.time import TimeProvider
from config.schema import EnvironmentConfig
from constructs_lib.aks.helm import AksHelmProvider, AksHelmProviderProps
from constructs_lib.package_manager.props import PackageManagerReleaseProps, PodResources
from constructs_lib.package_manager.bootstrap import service_account_names
from constructs_lib.package_manager.release import PackageManagerRelease
from constructs_lib.package_manager.values import chart_fullname
from constructs_lib.rbac import grant_role
from constructs_lib.workload_identity import WorkloadIdentity, WorkloadIdentityProps
from stacks.base import PpmStack
from stacks.cluster import ClusterStack
from stacks.data import DataStack


class AppStack(PpmStack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, cluster: ClusterStack, data: DataStack) -> None:
        super().__init__(scope, "app", cfg)
        app, pg = cfg.app, cfg.postgres
        self.helm = AksHelmProvider(self, "helm", AksHelmProviderProps(
            cluster=cluster.aks.ref(), login_mode=app.kubelogin_mode))
        TimeProvider(self, "time")  # the wait after the Key Vault grants (PackageManagerRelease)
        self.resource_group = ResourceGroup(self, "resource-group", name=self.names.resource_group("app"),
                                            location=cfg.location)
        # Release name: the construct's default; its fullname names the two service accounts.
        app_sa, bootstrap_sa = service_account_names(chart_fullname("rstudio-pm"))
        self.identities = {
            purpose: WorkloadIdentity(self, f"identity-{purpose}", WorkloadIdentityProps(
                name=self.names.resource("id", purpose),
                resource_group_name=self.resource_group.name,
                location=cfg.location,
                oidc_issuer_url=cluster.aks.oidc_issuer_url,  # cross-stack reference
                namespace=app.namespace,
                service_account_name=service_account,
            ))
            for purpose, service_account in (("ppm", app_sa), ("ppm-db-bootstrap", bootstrap_sa))
        }
        res = app.resources
        self.certificate_uri = self._tls_certificate(cfg, cluster, data)
        self.package_manager = PackageManagerRelease(self, "package-manager", PackageManagerReleaseProps(
            chart_version=app.chart_version,
            hostname=app.hostname,
            namespace=app.namespace,
            replicas=app.replicas,
            spread_across_zones=app.spread_across_zones,
            tls_certificate_uri=self.certificate_uri,
            max_upload_size=app.max_upload_size,
            sandboxing=app.sandboxing,
            # The NetworkPolicy's egress: PostgreSQL, and the NFS share and Key Vault endpoints.
            postgres_cidr=cfg.network.postgres_subnet,
            private_endpoints_cidr=cfg.network.private_endpoints_subnet,
            resources=PodResources(
                cpu_request=res.cpu_request, cpu_limit=res.cpu_limit,
                memory_request=res.memory_request, memory_limit=res.memory_limit,
            ),
            # The pods read the app login's password from env vars: a new version rolls them (and the
            # pre-upgrade hook sets the new password on the login first).
            secret_version=pg.app_password_version,
            postgres=data.postgres.target(metadata_database=pg.metadata_database, usage_database=pg.usage_database,
                                          login=pg.app_login),
            max_open_connections=pg.max_open_connections,
            share=data.files.ref(),
            key_vault=data.key_vault.ref(),
            app_identity=self.identities["ppm"].ref(),
            bootstrap_identity=self.identities["ppm-db-bootstrap"].ref(),
            postgres_password_secret_name=data.postgres_app_password_secret.name,
            postgres_admin_login=data.postgres.administrator_login,
            postgres_admin_password_secret_name=data.postgres_password_secret.name,
            encryption_key_secret_name=data.encryption_key_secret.name,
            license_secret_name=app.license_secret_name,
        ), provider=self.helm.resource)

    def _tls_certificate(self, cfg: EnvironmentConfig, cluster: ClusterStack, data: DataStack) -> str | None:
        """The certificate the application-routing add-on serves: a URI from config, or app.tls.certificate_name
        in the data stack's vault, which the add-on's identity may then read, that certificate only."""
        tls = cfg.app.tls
        if not tls.enabled:
            return None
        if tls.key_vault_certificate_uri:
            return tls.key_vault_certificate_uri
        vault, reader = data.key_vault.ref(), cluster.aks.app_routing_identity()
        # The add-on's SecretProviderClass reads the certificate and its key as the certificate's backing
        # secret (objectType secret: Azure/aks-app-routing-operator pkg/controller/keyvault/spc/reconcile.go),
        # so Key Vault Secrets User on that one secret is all it needs ([MS] key-vault/general/rbac-guide).
        grant_role(self, "app-routing-secrets", target_scope=f"{vault.id}/secrets/{tls.certificate_name}",
                   role="Key Vault Secrets User", principal_id=reader.object_id, principal_type="ServicePrincipal",
                   description="The application-routing add-on serves Package Manager's TLS certificate")
        return f"{data.key_vault.vault_uri}certificates/{tls.certificate_name}"
