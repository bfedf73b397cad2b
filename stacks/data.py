"""The `data` stack: PostgreSQL Flexible Server, the Azure Files NFS share, and the Key Vault that
holds the database administrator password.

Depends on `network` only (subnets, private DNS zones, Log Analytics), so it deploys in parallel
with `cluster`. Later stacks reference its constructs (``postgres``, ``files``, ``key_vault``,
``postgres_password_secret``); grants that let the cluster read the vault are made in `app`.
Nothing secret crosses: the password stays in Key Vault, read in-cluster by the Secrets Store CSI driver.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk.azurerm import DataAzurermClientConfig, KeyVaultSecret, ResourceGroup
from constructs_lib.cdk.random import RandomProvider
from constructs_lib.cdk.time import TimeProvider
from config import azure_rules as az
from config.schema import EnvironmentConfig
from constructs_lib.alert_rules import file_share_alerts, postgres_alerts
from constructs_lib.alerts import MetricAlert
from constructs_lib.ephemeral import EphemeralPassword
from constructs_lib.key_vault import KeyVaultProps, PrivateKeyVault
from constructs_lib.nfs_share import NfsFileShare, NfsFileShareProps
from constructs_lib.postgres import PostgresFlexibleServer, PostgresFlexibleServerProps
from stacks.base import PpmStack, add_alerts, alert_thresholds, with_runner_egress
from stacks.network import POSTGRES_SUBNET, NetworkStack

#: Name of the Key Vault secret holding the PostgreSQL administrator password.
POSTGRES_PASSWORD_SECRET = "postgres-admin-password"
#: Name of the Key Vault secret holding the password of Package Manager's own login (postgres.app_login).
POSTGRES_APP_PASSWORD_SECRET = "postgres-app-password"
#: Name of the Key Vault secret holding Package Manager's encryption key (512 random bytes, hex).
ENCRYPTION_KEY_SECRET = "ppm-encryption-key"
#: [PPM] admin guide appendix/encryption and rstudio/rskey crypt/key.go: a key is 512 bytes; hex is one
#: of its two accepted encodings (``rspm encrypt generate`` prints hex), so 1024 hex characters.
ENCRYPTION_KEY_HEX_LENGTH = 1024
#: The role the deploying principal gets on the vault, to write that secret.
DEPLOYER_ROLE = "Key Vault Secrets Officer"
_HA_MODES = {"zone_redundant": "ZoneRedundant", "same_zone": "SameZone", "disabled": None}


def vault_ip_ranges(cfg: EnvironmentConfig) -> list[str]:
    """Who passes the vault's firewall: ``key_vault.deployer_ip_ranges`` plus external runners' egress.
    Runners inside the VNet use the vault's private endpoint (the NSG admits the runner subnet)."""
    return with_runner_egress(cfg, list(cfg.key_vault.deployer_ip_ranges))


class DataStack(PpmStack):
    """Everything Package Manager keeps."""

    def __init__(self, scope: Construct, cfg: EnvironmentConfig, network: NetworkStack) -> None:
        super().__init__(scope, "data", cfg)
        RandomProvider(self, "random")
        TimeProvider(self, "time")  # the vault's time_sleep before writing the password secret
        pg, files, names = cfg.postgres, cfg.files, self.names
        self.resource_group = ResourceGroup(self, "resource-group", name=names.resource_group("data"),
                                            location=cfg.location)
        rg = self.resource_group.name
        workspace_id = network.log_analytics.id
        self.client = DataAzurermClientConfig(self, "client-config")

        self.key_vault = PrivateKeyVault(self, "key-vault", KeyVaultProps(
            name=names.key_vault(),
            resource_group_name=rg,
            location=cfg.location,
            tenant_id=self.client.tenant_id,
            private_endpoint=network.private_endpoint(network.key_vault_dns),
            soft_delete_retention_days=cfg.key_vault.soft_delete_retention_days,
            allowed_ip_ranges=vault_ip_ranges(cfg),
            log_analytics_workspace_id=workspace_id,
        ))
        # The deploying identities write the password secret (data plane, RBAC mode): granted to the
        # configured principals, never to "whoever runs this" (that grant would be replaced, and
        # revoked for the previous caller, whenever another identity applies). The secret waits
        # ~120 s after these grants and the vault's private endpoint (a time_sleep in
        # PrivateKeyVault.add_secret): RBAC propagation (hashicorp/terraform-provider-azurerm#23927)
        # and the endpoint's private DNS record (hashicorp/terraform-provider-azurerm#18659) lag behind their resources.
        for principal in cfg.delivery.deployer_principal_ids:
            self.key_vault.grant(f"deployer-{principal}", principal_id=principal, role=DEPLOYER_ROLE)

        # Generated, never typed, never stored: an ephemeral random_password exists only during a run and
        # reaches the server and the secret through write-only arguments, so neither state nor any plan
        # file holds it (the plan identity reads state). Bumping postgres.password_version sends a new one
        # to both in the same apply; otherwise nothing is sent.
        self.postgres_password, self.postgres_password_secret = self._database_password(
            "postgres-admin-password", POSTGRES_PASSWORD_SECRET, pg.password_version)
        # Package Manager's own login: the same kind of ephemeral password, only in Key Vault; the app
        # stack's bootstrap Job (a Helm hook) sets it on the login. postgres.app_password_version rotates it.
        self.postgres_app_password, self.postgres_app_password_secret = self._database_password(
            "postgres-app-password", POSTGRES_APP_PASSWORD_SECRET, pg.app_password_version)
        # One encryption key for every replica, generated here instead of by the first pod to start on an
        # empty share: 1024 characters drawn uniformly (crypto/rand) from 0-9a-f = 512 random bytes, hex,
        # the format `rspm encrypt generate` prints and PACKAGEMANAGER_ENCRYPTION_KEY takes. Never stored
        # in state; app.encryption_key_version writes a new key (only with Posit's rotation procedure).
        self.encryption_key = EphemeralPassword(
            self, "ppm-encryption-key",
            length=ENCRYPTION_KEY_HEX_LENGTH, upper=False, lower=False, numeric=True,
            special=True, override_special="abcdef",
        )
        self.encryption_key_secret = self.key_vault.add_secret(
            "ppm-encryption-key",
            name=ENCRYPTION_KEY_SECRET,
            value_wo=self.encryption_key.result,
            value_wo_version=cfg.app.encryption_key_version,
            content_type="hex key",
        )

        self.postgres = PostgresFlexibleServer(self, "postgres", PostgresFlexibleServerProps(
            name=names.postgres_server(),
            resource_group_name=rg,
            location=cfg.location,
            sku_name=pg.sku,
            version=pg.version,
            storage_mb=pg.storage_gib * 1024,
            zone=pg.zone,
            high_availability=_HA_MODES[pg.high_availability],
            standby_zone=pg.standby_zone if pg.high_availability == "zone_redundant" else None,
            delegated_subnet_id=network.network.subnets[POSTGRES_SUBNET].id,
            private_dns_zone_id=network.postgres_dns.id,
            administrator_login=pg.admin_login,
            administrator_password_wo=self.postgres_password.result,
            administrator_password_wo_version=pg.password_version,
            backup_retention_days=pg.backup_retention_days,
            geo_redundant_backup=pg.geo_redundant_backup,
            databases=[pg.metadata_database, pg.usage_database],
            log_analytics_workspace_id=workspace_id,
        ))

        self.files = NfsFileShare(self, "files", NfsFileShareProps(
            account_name=names.storage_account("nfs"),
            resource_group_name=rg,
            location=cfg.location,
            share_name=files.share_name,
            quota_gib=files.quota_gib,
            replication=files.redundancy,
            private_endpoint=network.private_endpoint(network.files_dns),
            log_analytics_workspace_id=workspace_id,
        ))

        self.alerts: dict[str, MetricAlert] = {}
        if network.action_group is not None:
            severities, thresholds = cfg.alerts.severity, alert_thresholds(cfg)
            self.alerts = {
                **add_alerts(self, rg, self.postgres.id, network.action_group.id,
                             postgres_alerts(az.postgres_max_connections(pg.sku), thresholds, severities)),
                # The file service carries the share's metrics (FileShare is a dimension of it).
                **add_alerts(self, rg, f"{self.files.id}/fileServices/default", network.action_group.id,
                             file_share_alerts(files.share_name, files.quota_gib, thresholds, severities)),
            }

    def _database_password(self, id: str, secret_name: str, version: int) -> tuple[EphemeralPassword, KeyVaultSecret]:
        """An ephemeral database password (construct id ``id``) and the vault secret it is written to, write-only."""
        password = EphemeralPassword(
            self, id,
            length=32,
            special=True,
            override_special="-_.",  # URL- and shell-safe
            min_lower=2, min_upper=2, min_numeric=2, min_special=2,  # [MS] 3 of 4 character classes
        )
        secret = self.key_vault.add_secret(id, name=secret_name, value_wo=password.result, value_wo_version=version)
        return password, secret
