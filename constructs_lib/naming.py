"""Resource names for one environment: the one place every name is built (pure Python).

The pattern is the Cloud Adoption Framework's ``<kind>-<environment>[-<purpose>]``
([MS] cloud-adoption-framework/ready/azure-best-practices/resource-naming). Names that Azure
needs globally unique (storage accounts, Key Vaults, PostgreSQL servers: they are DNS names)
end in :attr:`Names.global_suffix`, 8 hex characters derived from a ``salt`` that is itself
globally unique (the app uses its state storage account's name), so two organisations with
an environment called ``prod`` never collide.

A second region later is ``Names(environment=..., salt=..., region="westeurope")``: the region goes
into the CAF names after the environment, the state keys and the PostgreSQL DNS zone, and into the
8-character suffix of the globally unique names (storage account, Key Vault, PostgreSQL server,
which have no room for it in full), so both regions' resources can live side by side. ``region=None`` (the default) gives the single-region names this project
has always used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from constructs_lib.facts import POSTGRES_PRIVATE_DNS_SUFFIX


@dataclass(frozen=True, kw_only=True)
class Names:
    """Names for ``environment`` (2-10 lowercase letters and digits).

    :param environment: short environment name, e.g. ``prod``.
    :param salt: a globally unique string that the suffix is derived from.
    :param region: Azure region, for a second region's names - none.
    """

    environment: str
    salt: str
    region: str | None = None

    @property
    def _scope(self) -> str:
        return f"{self.environment}-{self.region}" if self.region else self.environment

    def resource(self, kind: str, purpose: str = "") -> str:
        """``<kind>-<environment>[-<region>][-<purpose>]``, e.g. ``vnet-prod``, ``rg-prod-data``."""
        return "-".join(part for part in (kind, self._scope, purpose) if part)

    def resource_group(self, purpose: str) -> str:
        """``rg-<environment>-<purpose>``."""
        return self.resource("rg", purpose)

    def nsg(self, subnet: str) -> str:
        """The network security group of one subnet: ``nsg-<environment>-<subnet>``."""
        return self.resource("nsg", subnet)

    @property
    def global_suffix(self) -> str:
        """8 hex characters, stable for (salt, environment[, region])."""
        key = f"{self.salt}/{self.environment}" + (f"/{self.region}" if self.region else "")
        return hashlib.sha256(key.encode()).hexdigest()[:8]

    def storage_account(self, purpose: str) -> str:
        """``st<environment><purpose><suffix>``: lowercase letters and digits only, at most 24
        ([MS] storage-account-overview); keep ``purpose`` to 3 characters with a 10-character environment."""
        return f"st{self.environment}{purpose}{self.global_suffix}"

    def key_vault(self) -> str:
        """``kv-<environment>-<suffix>``: at most 22 characters ([MS] resource-name-rules: 3-24)."""
        return f"kv-{self.environment}-{self.global_suffix}"

    def postgres_server(self) -> str:
        """``psql-<environment>-<suffix>``: the server name is a public DNS label, so globally unique too."""
        return f"psql-{self.environment}-{self.global_suffix}"

    def postgres_private_dns_zone(self) -> str:
        """``<environment>.private.postgres.database.azure.com``: [MS] flexible-server
        concepts-networking-private - it must end in the suffix and must not equal the server's name."""
        return f"{self._scope.replace('-', '.')}.private.{POSTGRES_PRIVATE_DNS_SUFFIX}"

    def state_key(self, stack: str) -> str:
        """Blob name of a stack's Terraform state: ``<environment>[/<region>]/<stack>.tfstate``."""
        return "/".join(part for part in (self.environment, self.region, f"{stack}.tfstate") if part)
