"""Azure Database for PostgreSQL Flexible Server: VNet-injected, TLS required, HA optional."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk import TerraformResourceLifecycle
from constructs_lib.cdk.azurerm import (
    PostgresqlFlexibleServer,
    PostgresqlFlexibleServerConfiguration,
    PostgresqlFlexibleServerDatabase,
    PostgresqlFlexibleServerHighAvailability,
)
from constructs_lib.diagnostics import Diagnostics
from constructs_lib.facts import (
    POSTGRES_BACKUP_RETENTION_DAYS,
    POSTGRES_IDENTIFIER,
    POSTGRES_LOGIN,
    POSTGRES_RESERVED_LOGINS,
    POSTGRES_SERVER_NAME,
    POSTGRES_SKU,
    POSTGRES_STORAGE_MB,
    POSTGRES_VERSIONS,
)
from constructs_lib.refs import PostgresTargetRef
from constructs_lib.validation import Problems, PropsError, is_token

_SERVER_NAME = re.compile(POSTGRES_SERVER_NAME)
_SKU = re.compile(POSTGRES_SKU)
_IDENTIFIER = re.compile(POSTGRES_IDENTIFIER)
_LOGIN = re.compile(POSTGRES_LOGIN)
#: Server parameters this construct always sets (and refuses to have overridden).
ENFORCED_PARAMETERS: Mapping[str, str] = {"require_secure_transport": "on"}
#: ``ignore_changes`` on the server: an automatic failover swaps primary and standby zones
#: ([P] azurerm_postgresql_flexible_server, note on `zone` and `high_availability`).
FAILOVER_IGNORED = ["zone", "high_availability[0].standby_availability_zone"]
#: ``ignore_changes`` added when storage auto-grow is on: Azure grows the disk on its own, doubling it
#: on Premium SSD ([MS] flexible-server how-to-auto-grow-storage), and its performance tier with it;
#: storage can't shrink ([MS] how-to-scale-compute-storage), so the provider's CustomizeDiff plans a
#: configured ``storage_mb`` below the current size as a replacement, which ``prevent_destroy``
#: would then refuse on every plan.
AUTOGROW_IGNORED = ["storage_mb", "storage_tier"]


@dataclass(frozen=True, kw_only=True)
class PostgresFlexibleServerProps:
    """Props of :class:`PostgresFlexibleServer`.

    :param name: server name, 3-63 lowercase letters, digits and hyphens, globally unique.
        Changing it replaces the server.
    :param resource_group_name: its resource group.
    :param location: Azure region.
    :param sku_name: ``<tier>_Standard_<size>``, tier ``B`` (Burstable), ``GP`` or ``MO``,
        e.g. ``GP_Standard_D4ds_v4``.
    :param version: PostgreSQL major version, ``"11"``-``"17"``. Upgrading in place is possible;
        downgrading is not.
    :param storage_mb: one of :data:`constructs_lib.facts.POSTGRES_STORAGE_MB`, the size at creation. Can only grow: a smaller
        value replaces the server. Ignored after creation while ``auto_grow`` is on (see there).
    :param zone: availability zone of the primary, ``"1"``-``"3"``.
    :param delegated_subnet_id: subnet delegated to ``Microsoft.DBforPostgreSQL/flexibleServers``
        (VNet injection; public network access is always off). Changing it replaces the server.
    :param private_dns_zone_id: private DNS zone ending in ``.postgres.database.azure.com``,
        linked to the VNet.
    :param administrator_login: 1-63 lowercase letters, digits, ``_``; not ``pg_*`` nor a reserved
        name. Changing it replaces the server.
    :param administrator_password_wo: the administrator password, passed write-only
        (``administrator_password_wo``, Terraform >= 1.11): never stored in this server's state or
        plan. Pass a reference (e.g. :class:`constructs_lib.ephemeral.EphemeralPassword` ``.result``), never a literal.
    :param administrator_password_wo_version: the password is sent when this changes; increase
        it (>= 1) together with the value to rotate.
    :param high_availability: ``"ZoneRedundant"`` (standby in ``standby_zone``), ``"SameZone"``,
        or None (default: no standby). Not available on the Burstable tier.
    :param standby_zone: standby's zone for ``ZoneRedundant``, different from ``zone`` - none
        (only allowed when ``high_availability`` is not ``ZoneRedundant``). Azure cannot move an
        existing standby to another zone.
    :param backup_retention_days: 7-35; default 7.
    :param geo_redundant_backup: also keep backups in the paired region - False. Changing it
        replaces the server (so it is effectively a creation-time choice).
    :param auto_grow: grow storage automatically before it fills up - True. Azure then raises the
        size (and ``storage_tier``) itself, so both go into ``lifecycle.ignore_changes``: otherwise
        the next plan would see the configured size below the grown one, plan a replacement, and
        ``prevent_destroy`` would refuse every plan. While it is on, ``storage_mb`` changes are
        ignored. To size storage by config, set ``auto_grow`` False together with a ``storage_mb``
        at or above the server's current (possibly grown) size; a smaller one plans a replacement.
    :param databases: databases to create (UTF8) - none.
    :param collation: collation of those databases - ``en_US.utf8``.
    :param server_parameters: extra server parameters, name -> value - none.
        ``require_secure_transport`` is always ``on`` and can't be overridden.
    :param log_analytics_workspace_id: send all logs and metrics there - no diagnostics.
    :param prevent_destroy: ``lifecycle.prevent_destroy`` on the server and databases - True.
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    sku_name: str
    version: str
    storage_mb: int
    zone: str
    delegated_subnet_id: str
    private_dns_zone_id: str
    administrator_login: str
    administrator_password_wo: str
    administrator_password_wo_version: int
    high_availability: Literal["ZoneRedundant", "SameZone"] | None = None
    standby_zone: str | None = None
    backup_retention_days: int = 7
    geo_redundant_backup: bool = False
    auto_grow: bool = True
    databases: Sequence[str] = ()
    collation: str = "en_US.utf8"
    server_parameters: Mapping[str, str] = field(default_factory=dict)
    log_analytics_workspace_id: str | None = None
    prevent_destroy: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class PostgresFlexibleServer(Construct):
    """``azurerm_postgresql_flexible_server`` (id ``Resource``), its databases (``databases``, by
    name), enforced server parameters and optional diagnostics.

    Example::

        pg = PostgresFlexibleServer(self, "postgres", PostgresFlexibleServerProps(
            name="psql-dev-1a2b3c4d", resource_group_name=rg, location="eastus2",
            sku_name="GP_Standard_D4ds_v4", version="16", storage_mb=131072, zone="1",
            high_availability="ZoneRedundant", standby_zone="2",
            delegated_subnet_id=subnet_id, private_dns_zone_id=zone_id,
            administrator_login="ppmadmin", administrator_password_wo=password.result,
            administrator_password_wo_version=1, databases=["packagemanager"]))
        pg.fqdn
    """

    def __init__(self, scope: Construct, id: str, props: PostgresFlexibleServerProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        ha = None
        if props.high_availability:
            ha = PostgresqlFlexibleServerHighAvailability(
                mode=props.high_availability,
                standby_availability_zone=props.standby_zone if props.high_availability == "ZoneRedundant" else None,
            )
        self.resource = PostgresqlFlexibleServer(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            sku_name=props.sku_name,
            version=props.version,
            storage_mb=props.storage_mb,
            auto_grow_enabled=props.auto_grow,
            zone=props.zone,
            high_availability=ha,
            delegated_subnet_id=props.delegated_subnet_id,
            private_dns_zone_id=props.private_dns_zone_id,
            public_network_access_enabled=False,
            administrator_login=props.administrator_login,
            administrator_password_wo=props.administrator_password_wo,
            administrator_password_wo_version=props.administrator_password_wo_version,
            backup_retention_days=props.backup_retention_days,
            geo_redundant_backup_enabled=props.geo_redundant_backup,
            lifecycle=TerraformResourceLifecycle(
                prevent_destroy=props.prevent_destroy,
                ignore_changes=FAILOVER_IGNORED + (AUTOGROW_IGNORED if props.auto_grow else []),
            ),
            tags=dict(props.tags) or None,
        )
        # Azure applies one parameter change at a time per server: chain them.
        self.parameters: dict[str, PostgresqlFlexibleServerConfiguration] = {}
        previous = None
        for name, value in {**props.server_parameters, **ENFORCED_PARAMETERS}.items():
            previous = PostgresqlFlexibleServerConfiguration(
                self, f"parameter-{name}", name=name, value=value, server_id=self.resource.id,
                depends_on=[previous] if previous else None,
            )
            self.parameters[name] = previous
        self.databases: dict[str, PostgresqlFlexibleServerDatabase] = {
            db: PostgresqlFlexibleServerDatabase(
                self, f"database-{db}",
                name=db, server_id=self.resource.id, charset="UTF8", collation=props.collation,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=props.prevent_destroy),
            )
            for db in props.databases
        }
        self.diagnostics = Diagnostics.attach(self, target_resource_id=self.resource.id,
                                              log_analytics_workspace_id=props.log_analytics_workspace_id)

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def fqdn(self) -> str:
        return self.resource.fqdn

    @property
    def administrator_login(self) -> str:
        return self.resource.administrator_login

    def target(self, *, metadata_database: str, usage_database: str, login: str | None = None) -> PostgresTargetRef:
        """A reference to two of this server's databases (by the names given in ``databases``),
        for an application in another stack; it connects as ``login`` - the administrator login
        (give the application's own login; :class:`PackageManagerRelease` refuses the administrator)."""
        missing = [db for db in (metadata_database, usage_database) if db not in self.databases]
        if missing:
            raise PropsError("PostgresFlexibleServer.target", [
                f"{db!r}: not one of this server's databases ({', '.join(self.databases) or 'none'})" for db in missing])
        return PostgresTargetRef(fqdn=self.resource.fqdn, login=login or self.resource.administrator_login,
                                 metadata_database=self.databases[metadata_database].name,
                                 usage_database=self.databases[usage_database].name)


def _validate(p: PostgresFlexibleServerProps) -> None:
    problems = Problems("PostgresFlexibleServer")
    problems.require(is_token(p.name) or bool(_SERVER_NAME.fullmatch(p.name)), "name", p.name,
                     "3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen")
    sku_ok = is_token(p.sku_name) or bool(_SKU.fullmatch(p.sku_name))
    problems.require(sku_ok, "sku_name", p.sku_name, "<tier>_Standard_<size> with tier B, GP or MO, e.g. GP_Standard_D4ds_v4")
    problems.require(p.version in POSTGRES_VERSIONS, "version", p.version, "one of " + ", ".join(repr(v) for v in POSTGRES_VERSIONS))
    problems.require(p.storage_mb in POSTGRES_STORAGE_MB, "storage_mb", p.storage_mb, "one of " + ", ".join(map(str, POSTGRES_STORAGE_MB)))
    problems.require(p.zone in ("1", "2", "3"), "zone", p.zone, "'1', '2' or '3'")
    lo, hi = POSTGRES_BACKUP_RETENTION_DAYS
    problems.require(lo <= p.backup_retention_days <= hi, "backup_retention_days", p.backup_retention_days, f"{lo} to {hi}")
    problems.require(p.high_availability in ("ZoneRedundant", "SameZone", None), "high_availability",
                     p.high_availability, "'ZoneRedundant', 'SameZone' or None")
    if p.high_availability and sku_ok and p.sku_name.startswith("B_"):
        problems.add("high_availability", p.high_availability,
                     f"None with the Burstable sku {p.sku_name} (HA needs GP_ or MO_); or choose a GP_/MO_ sku")
    if p.high_availability == "ZoneRedundant":
        problems.require(p.standby_zone in ("1", "2", "3") and p.standby_zone != p.zone, "standby_zone", p.standby_zone,
                         f"a zone '1'-'3' different from zone ({p.zone!r}) for ZoneRedundant HA")
    elif p.standby_zone is not None:
        problems.add("standby_zone", p.standby_zone, "None unless high_availability is 'ZoneRedundant'")
    login = p.administrator_login
    problems.require(is_token(login) or (bool(_LOGIN.fullmatch(login)) and login not in POSTGRES_RESERVED_LOGINS),
                     "administrator_login", login,
                     "1-63 lowercase letters, digits, '_', not starting with pg_, not one of "
                     + ", ".join(sorted(POSTGRES_RESERVED_LOGINS)))
    problems.require(is_token(p.administrator_password_wo), "administrator_password_wo", "<literal>",
                     "a reference such as random_password.result: a literal password would be written into cdk.tf.json")
    problems.require(isinstance(p.administrator_password_wo_version, int) and p.administrator_password_wo_version >= 1,
                     "administrator_password_wo_version", p.administrator_password_wo_version, "an integer >= 1")
    for db in p.databases:
        problems.require(bool(_IDENTIFIER.fullmatch(db)), "databases", db, "1-63 lowercase letters, digits, '_'")
    problems.require(len(set(p.databases)) == len(p.databases), "databases", list(p.databases), "each name once")
    for name, value in p.server_parameters.items():
        if name in ENFORCED_PARAMETERS and value != ENFORCED_PARAMETERS[name]:
            problems.add(f"server_parameters[{name}]", value, f"{ENFORCED_PARAMETERS[name]!r} (always enforced), or leave it out")
    problems.raise_if_any()
