"""The `data` stack: PostgreSQL Flexible Server, the Azure Files NFS share, and the Key Vault that
holds the database administrator password.

Depends on `network` only (subnets, private DNS zones, Log Analytics), so it deploys in parallel
with `cluster`. Grants that let the cluster read the vault or mount the share are made in `app`,
from the attributes below.
"""

from __future__ import annotations

import hashlib

from cdktf_cdktf_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from cdktf_cdktf_provider_random.password import Password
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from config.schema import EnvironmentConfig
from constructs_lib.key_vault import KeyVaultProps, PrivateKeyVault
from constructs_lib.nfs_share import NfsFileShare, NfsFileShareProps
from constructs_lib.postgres import PostgresFlexibleServer, PostgresFlexibleServerProps
from stacks.base import PpmStack
from stacks.network import NetworkStack

#: Name of the Key Vault secret holding the PostgreSQL administrator password.
POSTGRES_PASSWORD_SECRET = "postgres-admin-password"
#: The role the deploying principal gets on the vault, to write that secret.
DEPLOYER_ROLE = "Key Vault Secrets Officer"
_HA_MODES = {"zone_redundant": "ZoneRedundant", "same_zone": "SameZone", "disabled": None}


def global_suffix(cfg: EnvironmentConfig) -> str:
    """8 hex characters, stable for an environment, for names that must be globally unique.

    Salted with the state storage account's name, itself globally unique, so two deployments
    with the same ``environment`` name get different names.
    """
    return hashlib.sha256(f"{cfg.state.storage_account}/{cfg.environment}".encode()).hexdigest()[:8]


def storage_account_name(cfg: EnvironmentConfig) -> str:
    """``st<env>nfs<suffix>``: at most 23 lowercase letters and digits ([MS] 3-24)."""
    return f"st{cfg.environment}nfs{global_suffix(cfg)}"


def key_vault_name(cfg: EnvironmentConfig) -> str:
    """``kv-<env>-<suffix>``: at most 22 characters ([MS] 3-24, letters, digits, hyphens)."""
    return f"kv-{cfg.environment}-{global_suffix(cfg)}"


def postgres_server_name(cfg: EnvironmentConfig) -> str:
    """``psql-<env>-<suffix>``: the server name is a public DNS label, so globally unique too."""
    return f"psql-{cfg.environment}-{global_suffix(cfg)}"


class DataStack(PpmStack):
    """Everything Package Manager keeps. Typed attributes below are what later stacks reference."""

    def __init__(self, scope: Construct, cfg: EnvironmentConfig, network: NetworkStack) -> None:
        super().__init__(scope, "data", cfg)
        self.network = network
        RandomProvider(self, "random")
        TimeProvider(self, "time")  # the vault's time_sleep before writing the password secret
        pg, files = cfg.postgres, cfg.files
        self.resource_group = ResourceGroup(self, "resource-group", name=self.name("rg", "data"), location=cfg.location)
        rg = self.resource_group.name
        workspace_id = network.log_analytics_workspace_id
        self.client = DataAzurermClientConfig(self, "client-config")

        self.key_vault = PrivateKeyVault(self, "key-vault", KeyVaultProps(
            name=key_vault_name(cfg),
            resource_group_name=rg,
            location=cfg.location,
            tenant_id=self.client.tenant_id,
            private_endpoint_subnet_id=network.private_endpoints_subnet_id,
            private_dns_zone_id=network.key_vault_dns.id,
            soft_delete_retention_days=cfg.key_vault.soft_delete_retention_days,
            allowed_ip_ranges=cfg.key_vault.deployer_ip_ranges,
            log_analytics_workspace_id=workspace_id,
        ))
        # Whoever runs `cdktf deploy data` writes the password secret (data plane, RBAC mode). The
        # secret waits ~120 s after this grant and the vault's private endpoint (a time_sleep in
        # PrivateKeyVault.add_secret): RBAC propagation (hashicorp/terraform-provider-azurerm#23927)
        # and the endpoint's private DNS record (#18659) lag behind their resources.
        self.key_vault.grant("deployer", principal_id=self.client.object_id, role=DEPLOYER_ROLE)

        # Generated, never typed: it lives in this stack's state (random_password) and is passed
        # write-only to the server and the secret, so neither of their states holds it. Bumping
        # postgres.password_version replaces it and re-sends it to both in the same apply.
        self.postgres_password = Password(
            self, "postgres-admin-password",
            length=32,
            special=True,
            override_special="-_.",  # URL- and shell-safe
            min_lower=2, min_upper=2, min_numeric=2, min_special=2,  # [MS] 3 of 4 character classes
            keepers={"version": str(pg.password_version)},
        )
        self.postgres_password_secret = self.key_vault.add_secret(
            "postgres-admin-password",
            name=POSTGRES_PASSWORD_SECRET,
            value_wo=self.postgres_password.result,
            value_wo_version=pg.password_version,
        )

        self.postgres = PostgresFlexibleServer(self, "postgres", PostgresFlexibleServerProps(
            name=postgres_server_name(cfg),
            resource_group_name=rg,
            location=cfg.location,
            sku_name=pg.sku,
            version=pg.version,
            storage_mb=pg.storage_gib * 1024,
            zone=pg.zone,
            high_availability=_HA_MODES[pg.high_availability],
            standby_zone=pg.standby_zone if pg.high_availability == "zone_redundant" else None,
            delegated_subnet_id=network.postgres_subnet_id,
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
            account_name=storage_account_name(cfg),
            resource_group_name=rg,
            location=cfg.location,
            share_name=files.share_name,
            quota_gib=files.quota_gib,
            replication=files.redundancy,
            private_endpoint_subnet_id=network.private_endpoints_subnet_id,
            private_dns_zone_id=network.files_dns.id,
            log_analytics_workspace_id=workspace_id,
        ))

    # --- Typed attributes for the app stack (each becomes a cross-stack output when referenced).
    # Nothing secret: the password stays in Key Vault, read in-cluster by the Secrets Store CSI driver.

    @property
    def resource_group_name(self) -> str:
        return self.resource_group.name

    @property
    def postgres_fqdn(self) -> str:
        return self.postgres.fqdn

    @property
    def postgres_admin_login(self) -> str:
        return self.postgres.administrator_login

    @property
    def metadata_database_name(self) -> str:
        return self.postgres.databases[self.cfg.postgres.metadata_database].name

    @property
    def usage_database_name(self) -> str:
        return self.postgres.databases[self.cfg.postgres.usage_database].name

    @property
    def key_vault_id(self) -> str:
        return self.key_vault.id

    @property
    def key_vault_name(self) -> str:
        return self.key_vault.name

    @property
    def key_vault_tenant_id(self) -> str:
        return self.key_vault.resource.tenant_id

    @property
    def postgres_password_secret_name(self) -> str:
        return self.postgres_password_secret.name

    @property
    def storage_account_id(self) -> str:
        return self.files.id

    @property
    def storage_account_name(self) -> str:
        return self.files.account_name

    @property
    def storage_resource_group_name(self) -> str:
        return self.files.resource.resource_group_name

    @property
    def share_name(self) -> str:
        return self.files.share_name

    @property
    def share_quota_gib(self) -> int:
        """A plain number (from config), usable in arithmetic and Helm values."""
        return self.cfg.files.quota_gib
