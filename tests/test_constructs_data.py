"""Data constructs (PostgresFlexibleServer, NfsFileShare, PrivateKeyVault, PrivateEndpoint,
Diagnostics): props validation messages, nothing created on bad props, and what they synthesize
for variants the shipped configs don't cover (SameZone HA, extra server parameters, no diagnostics)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from constructs_lib.cdk import App, TerraformStack, TerraformVariable
from constructs_lib.toolchain import app_context

from constructs_lib.diagnostics import Diagnostics, DiagnosticsProps
from constructs_lib.key_vault import KeyVaultProps, PrivateKeyVault
from constructs_lib.nfs_share import NfsFileShare, NfsFileShareProps
from constructs_lib.postgres import PostgresFlexibleServer, PostgresFlexibleServerProps
from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointProps, PrivateEndpointSpec
from constructs_lib.validation import PropsError

SUBNET = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
ZONE = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z"
WORKSPACE = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w"
PASSWORD_TOKEN = "${TfToken[TOKEN.1]}"  # what a reference such as random_password.result looks like at synth

PG = PostgresFlexibleServerProps(
    name="psql-test-1234abcd", resource_group_name="rg-test", location="eastus2",
    sku_name="GP_Standard_D4ds_v4", version="16", storage_mb=131072, zone="1",
    high_availability="ZoneRedundant", standby_zone="2",
    delegated_subnet_id=SUBNET, private_dns_zone_id=ZONE,
    administrator_login="ppmadmin", administrator_password_wo=PASSWORD_TOKEN, administrator_password_wo_version=1,
    databases=("packagemanager", "packagemanager_usage"),
)
NFS = NfsFileShareProps(
    account_name="sttestnfs1234abcd", resource_group_name="rg-test", location="eastus2",
    share_name="ppm-data", quota_gib=1000, private_endpoint=PrivateEndpointSpec(subnet_id=SUBNET, private_dns_zone_id=ZONE),
)
KV = KeyVaultProps(
    name="kv-test-1234abcd", resource_group_name="rg-test", location="eastus2",
    tenant_id="00000000-0000-0000-0000-000000000000",
    private_endpoint=PrivateEndpointSpec(subnet_id=SUBNET, private_dns_zone_id=ZONE),
)
PE = PrivateEndpointProps(
    name="pe-test", resource_group_name="rg-test", location="eastus2", subnet_id=SUBNET,
    target_resource_id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
    subresource_name="file", private_dns_zone_ids=[ZONE],
)


def _problems(construct, props) -> list[str]:
    """Build ``construct`` with bad props in a throwaway stack; it must raise before creating anything."""
    stack = TerraformStack(App(context=app_context()), "throwaway")
    with pytest.raises(PropsError) as err:
        construct(stack, "subject", props)
    assert err.value.construct == construct.__name__
    assert [c.node.id for c in stack.node.children] == [], "nothing may be created when props are invalid"
    return err.value.problems


# (id, construct, props, text one problem line must contain)
BAD_PROPS = [
    ("pg-storage-size", PostgresFlexibleServer, dataclasses.replace(PG, storage_mb=100000),
     "storage_mb: got 100000; one of 32768, 65536, 131072"),
    ("pg-ha-on-burstable", PostgresFlexibleServer, dataclasses.replace(PG, sku_name="B_Standard_B2s"),
     "high_availability: got 'ZoneRedundant'; None with the Burstable sku B_Standard_B2s"),
    ("pg-standby-equals-primary", PostgresFlexibleServer, dataclasses.replace(PG, standby_zone="1"),
     "standby_zone: got '1'; a zone '1'-'3' different from zone ('1') for ZoneRedundant HA"),
    ("pg-standby-missing", PostgresFlexibleServer, dataclasses.replace(PG, standby_zone=None),
     "standby_zone: got None; a zone '1'-'3' different from zone"),
    ("pg-standby-without-ha", PostgresFlexibleServer, dataclasses.replace(PG, high_availability=None),
     "standby_zone: got '2'; None unless high_availability is 'ZoneRedundant'"),
    ("pg-zone", PostgresFlexibleServer, dataclasses.replace(PG, zone="4"), "zone: got '4'; '1', '2' or '3'"),
    ("pg-retention-low", PostgresFlexibleServer, dataclasses.replace(PG, backup_retention_days=3),
     "backup_retention_days: got 3; 7 to 35"),
    ("pg-retention-high", PostgresFlexibleServer, dataclasses.replace(PG, backup_retention_days=36),
     "backup_retention_days: got 36; 7 to 35"),
    ("pg-sku", PostgresFlexibleServer, dataclasses.replace(PG, sku_name="Standard_D4ds_v4"),
     "sku_name: got 'Standard_D4ds_v4'; <tier>_Standard_<size>"),
    ("pg-version", PostgresFlexibleServer, dataclasses.replace(PG, version="10"), "version: got '10'; one of '11'"),
    ("pg-name", PostgresFlexibleServer, dataclasses.replace(PG, name="PSQL_Test"), "name: got 'PSQL_Test'; 3-63 lowercase"),
    ("pg-reserved-login", PostgresFlexibleServer, dataclasses.replace(PG, administrator_login="admin"),
     "administrator_login: got 'admin'; 1-63 lowercase letters"),
    ("pg-pg-login", PostgresFlexibleServer, dataclasses.replace(PG, administrator_login="pg_owner"),
     "administrator_login: got 'pg_owner'"),
    ("pg-literal-password", PostgresFlexibleServer, dataclasses.replace(PG, administrator_password_wo="hunter2-Hunter2"),
     "administrator_password_wo: got '<literal>'; a reference such as random_password.result"),
    ("pg-password-version", PostgresFlexibleServer, dataclasses.replace(PG, administrator_password_wo_version=0),
     "administrator_password_wo_version: got 0; an integer >= 1"),
    ("pg-duplicate-databases", PostgresFlexibleServer, dataclasses.replace(PG, databases=("ppm", "ppm")),
     "databases: got ['ppm', 'ppm']; each name once"),
    ("pg-bad-database", PostgresFlexibleServer, dataclasses.replace(PG, databases=("Package-Manager",)),
     "databases: got 'Package-Manager'"),
    ("pg-tls-off", PostgresFlexibleServer, dataclasses.replace(PG, server_parameters={"require_secure_transport": "off"}),
     "server_parameters[require_secure_transport]: got 'off'; 'on' (always enforced)"),
    ("nfs-quota-low", NfsFileShare, dataclasses.replace(NFS, quota_gib=99), "quota_gib: got 99; 100 to 102,400 GiB"),
    ("nfs-quota-high", NfsFileShare, dataclasses.replace(NFS, quota_gib=102_401), "quota_gib: got 102401; 100 to 102,400 GiB"),
    ("nfs-account-name", NfsFileShare, dataclasses.replace(NFS, account_name="st-test-nfs"),
     "account_name: got 'st-test-nfs'; 3-24 lowercase letters and digits"),
    ("nfs-account-name-long", NfsFileShare, dataclasses.replace(NFS, account_name="s" * 25), "account_name: got 'sssss"),
    ("nfs-share-name", NfsFileShare, dataclasses.replace(NFS, share_name="PPM--data"), "share_name: got 'PPM--data'"),
    ("nfs-grs", NfsFileShare, dataclasses.replace(NFS, replication="GRS"),
     "replication: got 'GRS'; 'ZRS' or 'LRS' (premium file shares offer no geo-redundancy)"),
    ("nfs-soft-delete", NfsFileShare, dataclasses.replace(NFS, share_soft_delete_days=0), "share_soft_delete_days: got 0; 1 to 365"),
    ("kv-name", PrivateKeyVault, dataclasses.replace(KV, name="kv--test"), "name: got 'kv--test'; 3-24 letters, digits and single hyphens"),
    ("kv-name-long", PrivateKeyVault, dataclasses.replace(KV, name="kv-" + "x" * 22), "name: got 'kv-xxxx"),
    ("kv-soft-delete", PrivateKeyVault, dataclasses.replace(KV, soft_delete_retention_days=120),
     "soft_delete_retention_days: got 120; 7 to 90 days"),
    ("kv-sku", PrivateKeyVault, dataclasses.replace(KV, sku_name="Standard"), "sku_name: got 'Standard'; 'standard' or 'premium'"),
    ("kv-private-ip-rule", PrivateKeyVault, dataclasses.replace(KV, allowed_ip_ranges=("10.1.0.0/16",)),
     "allowed_ip_ranges: got '10.1.0.0/16'; public IPv4 addresses or CIDRs"),
    ("kv-bad-ip-rule", PrivateKeyVault, dataclasses.replace(KV, allowed_ip_ranges=("203.0.113.1/24",)),
     "allowed_ip_ranges: got '203.0.113.1/24'"),
    ("kv-negative-wait", PrivateKeyVault, dataclasses.replace(KV, rbac_propagation_seconds=-1),
     "rbac_propagation_seconds: got -1; 0 to 1800 seconds"),
    ("kv-wait-too-long", PrivateKeyVault, dataclasses.replace(KV, rbac_propagation_seconds=3600),
     "rbac_propagation_seconds: got 3600; 0 to 1800 seconds"),
    ("pe-subresource", PrivateEndpoint, dataclasses.replace(PE, subresource_name="sqlServer"),
     "subresource_name: got 'sqlServer'; one of blob, file, vault"),
    ("pe-no-dns-zone", PrivateEndpoint, dataclasses.replace(PE, private_dns_zone_ids=[]),
     "private_dns_zone_ids: got []; at least one zone id (the privatelink.file.core.windows.net zone)"),
    ("diag-bad-group", Diagnostics, DiagnosticsProps(target_resource_id="x", log_analytics_workspace_id=WORKSPACE,
                                                    log_category_groups=("everything",)),
     "log_category_groups: got 'everything'; one of allLogs, audit"),
]


@pytest.mark.parametrize("case", BAD_PROPS, ids=[c[0] for c in BAD_PROPS])
def test_bad_props_are_refused_with_field_value_and_allowed(case):
    _, construct, props, expected = case
    problems = _problems(construct, props)
    assert any(expected in line for line in problems), problems


def test_every_problem_is_reported_at_once():
    problems = _problems(PostgresFlexibleServer, dataclasses.replace(PG, storage_mb=1, backup_retention_days=1, zone="9"))
    assert [p.split(":")[0] for p in problems] == ["storage_mb", "zone", "backup_retention_days"]


def test_literal_password_is_never_echoed_in_the_error():
    problems = _problems(PostgresFlexibleServer, dataclasses.replace(PG, administrator_password_wo="S3cret-Value-xyz"))
    assert not any("S3cret-Value-xyz" in p for p in problems)


def test_key_vault_grant_refuses_non_key_vault_roles():
    stack = TerraformStack(App(context=app_context()), "throwaway")
    vault = PrivateKeyVault(stack, "kv", KV)
    with pytest.raises(PropsError, match="role: got 'Owner'; a Key Vault data-plane role"):
        vault.grant("ops", principal_id="p", role="Owner")


# --- what the constructs synthesize (one tiny app, synthesized once for this module) ---------

@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict:
    outdir = tmp_path_factory.mktemp("constructs-data")
    app = App(context=app_context(), outdir=str(outdir))
    stack = TerraformStack(app, "subject")
    from constructs_lib.cdk.azurerm import AzurermProvider

    from constructs_lib.cdk.time import TimeProvider

    AzurermProvider(stack, "azurerm", features=[{}])
    TimeProvider(stack, "time")
    password = TerraformVariable(stack, "password", type="string", sensitive=True)
    PostgresFlexibleServer(stack, "pg-zr", dataclasses.replace(
        PG, administrator_password_wo=password.string_value, log_analytics_workspace_id=WORKSPACE))
    PostgresFlexibleServer(stack, "pg-same-zone", dataclasses.replace(
        PG, name="psql-samezone", high_availability="SameZone", standby_zone=None, databases=(),
        administrator_password_wo=password.string_value,
        server_parameters={"log_min_duration_statement": "1000", "require_secure_transport": "on"}))
    PostgresFlexibleServer(stack, "pg-burstable", dataclasses.replace(
        PG, name="psql-burstable", sku_name="B_Standard_B2s", high_availability=None, standby_zone=None,
        administrator_password_wo=password.string_value, storage_mb=32768, databases=("one",), auto_grow=False))
    NfsFileShare(stack, "nfs", dataclasses.replace(NFS, log_analytics_workspace_id=WORKSPACE))
    NfsFileShare(stack, "nfs-lrs", dataclasses.replace(NFS, account_name="sttestlrs", replication="LRS"))
    vault = PrivateKeyVault(stack, "kv", dataclasses.replace(KV, allowed_ip_ranges=("203.0.113.7", "198.51.100.0/24")))
    vault.grant("reader", principal_id="11111111-1111-1111-1111-111111111111", role="Key Vault Secrets User",
                principal_type="ServicePrincipal")
    vault.add_secret("db", name="db-password", value_wo=password.string_value, value_wo_version=3)
    PrivateKeyVault(stack, "kv-private", dataclasses.replace(KV, name="kv-private-1", log_analytics_workspace_id=WORKSPACE))
    no_wait = PrivateKeyVault(stack, "kv-no-wait", dataclasses.replace(KV, name="kv-no-wait-1", rbac_propagation_seconds=0))
    no_wait.grant("writer", principal_id="22222222-2222-2222-2222-222222222222", role="Key Vault Secrets Officer")
    no_wait.add_secret("db", name="db-password", value_wo=password.string_value, value_wo_version=1)
    app.synth()
    return json.loads((Path(outdir) / "stacks" / "subject" / "cdk.tf.json").read_text())


def _by_path(tf: dict, rtype: str) -> dict[str, dict]:
    return {body["//"]["metadata"]["path"].removeprefix("subject/"): body for body in tf["resource"].get(rtype, {}).values()}


def test_zone_redundant_server_has_standby_zone_and_failover_ignores(synthesized):
    server = _by_path(synthesized, "azurerm_postgresql_flexible_server")["pg-zr/Resource"]
    assert server["high_availability"] == {"mode": "ZoneRedundant", "standby_availability_zone": "2"}
    assert server["zone"] == "1"
    assert server["auto_grow_enabled"] is True
    assert server["lifecycle"] == {"prevent_destroy": True,
                                   "ignore_changes": ["zone", "high_availability[0].standby_availability_zone",
                                                      "storage_mb", "storage_tier"]}
    assert server["public_network_access_enabled"] is False
    assert server["administrator_password_wo"] == "${var.password}" and server["administrator_password_wo_version"] == 1
    assert "administrator_password" not in server


def test_same_zone_ha_has_no_standby_zone_and_burstable_has_no_ha(synthesized):
    servers = _by_path(synthesized, "azurerm_postgresql_flexible_server")
    assert servers["pg-same-zone/Resource"]["high_availability"] == {"mode": "SameZone"}
    assert "high_availability" not in servers["pg-burstable/Resource"]
    assert servers["pg-burstable/Resource"]["sku_name"] == "B_Standard_B2s"


def test_storage_is_managed_by_config_only_when_auto_grow_is_off(synthesized):
    servers = _by_path(synthesized, "azurerm_postgresql_flexible_server")
    fixed = servers["pg-burstable/Resource"]
    assert fixed["auto_grow_enabled"] is False and fixed["storage_mb"] == 32768
    assert fixed["lifecycle"]["ignore_changes"] == ["zone", "high_availability[0].standby_availability_zone"]
    for path in ("pg-zr/Resource", "pg-same-zone/Resource"):
        assert servers[path]["auto_grow_enabled"] is True
        assert servers[path]["lifecycle"]["ignore_changes"][-2:] == ["storage_mb", "storage_tier"], path


def test_server_parameters_are_chained_and_tls_is_always_required(synthesized):
    params = _by_path(synthesized, "azurerm_postgresql_flexible_server_configuration")
    same_zone = {p: b for p, b in params.items() if p.startswith("pg-same-zone/")}
    assert {b["name"]: b["value"] for b in same_zone.values()} == {
        "log_min_duration_statement": "1000", "require_secure_transport": "on"}
    tls = same_zone["pg-same-zone/parameter-require_secure_transport"]
    assert len(tls["depends_on"]) == 1 and "log_min_duration_statement" in tls["depends_on"][0]
    assert params["pg-burstable/parameter-require_secure_transport"]["value"] == "on"


def test_databases_are_utf8_and_protected(synthesized):
    dbs = _by_path(synthesized, "azurerm_postgresql_flexible_server_database")
    assert set(dbs) == {"pg-zr/database-packagemanager", "pg-zr/database-packagemanager_usage", "pg-burstable/database-one"}
    for db in dbs.values():
        assert (db["charset"], db["collation"]) == ("UTF8", "en_US.utf8")
        assert db["lifecycle"] == {"prevent_destroy": True}


def test_diagnostics_only_when_a_workspace_is_given(synthesized):
    diags = _by_path(synthesized, "azurerm_monitor_diagnostic_setting")
    assert set(diags) == {"pg-zr/diagnostics/Resource", "nfs/diagnostics/Resource", "kv-private/diagnostics/Resource"}
    nfs = diags["nfs/diagnostics/Resource"]
    assert nfs["target_resource_id"].endswith("/fileServices/default")
    assert nfs["enabled_metric"] == [{"category": "Transaction"}]
    assert diags["pg-zr/diagnostics/Resource"]["enabled_log"] == [{"category_group": "allLogs"}]
    assert all(d["log_analytics_workspace_id"] == WORKSPACE for d in diags.values())


def test_nfs_account_replication_follows_props(synthesized):
    accounts = _by_path(synthesized, "azurerm_storage_account")
    assert accounts["nfs/Resource"]["account_replication_type"] == "ZRS"
    assert accounts["nfs-lrs/Resource"]["account_replication_type"] == "LRS"


def test_key_vault_with_allowed_ips_opens_public_endpoint_default_deny(synthesized):
    vaults = _by_path(synthesized, "azurerm_key_vault")
    open_vault, private = vaults["kv/Resource"], vaults["kv-private/Resource"]
    assert open_vault["public_network_access_enabled"] is True
    assert open_vault["network_acls"] == {"default_action": "Deny", "bypass": "None",
                                          "ip_rules": ["203.0.113.7", "198.51.100.0/24"]}
    assert private["public_network_access_enabled"] is False
    assert "ip_rules" not in private["network_acls"]
    assert set(vaults) == {"kv/Resource", "kv-private/Resource", "kv-no-wait/Resource"}


def _key(tf: dict, rtype: str, path: str) -> str:
    """``<type>.<logical id>`` of the one resource of ``rtype`` at construct path ``subject/<path>``."""
    (key,) = [k for k, b in tf["resource"].get(rtype, {}).items() if b["//"]["metadata"]["path"] == f"subject/{path}"]
    return f"{rtype}.{key}"


def test_key_vault_secret_is_write_only_and_waits_after_grants_and_endpoint(synthesized):
    secret = _by_path(synthesized, "azurerm_key_vault_secret")["kv/secret-db"]
    assert secret["value_wo"] == "${var.password}" and secret["value_wo_version"] == 3
    assert "value" not in secret
    grant = _by_path(synthesized, "azurerm_role_assignment")["kv/grant-reader"]
    assert grant["role_definition_name"] == "Key Vault Secrets User" and grant["principal_type"] == "ServicePrincipal"
    grant_key = _key(synthesized, "azurerm_role_assignment", "kv/grant-reader")
    endpoint_key = _key(synthesized, "azurerm_private_endpoint", "kv/private-endpoint/Resource")
    # RBAC propagation and the endpoint's private DNS record lag behind their resources: the secret
    # waits on a time_sleep that itself starts only once the grant and the endpoint exist.
    wait = _by_path(synthesized, "time_sleep")["kv/secret-db-wait"]
    assert secret["depends_on"] == [_key(synthesized, "time_sleep", "kv/secret-db-wait")]
    assert wait["depends_on"] == [grant_key, endpoint_key]
    assert wait["create_duration"] == "120s"
    assert wait["triggers"] == {"grant-reader": f"${{{grant_key}.id}}", "private-endpoint": f"${{{endpoint_key}.id}}"}
    assert synthesized["terraform"]["required_providers"]["time"]["source"] == "hashicorp/time"


def test_key_vault_without_wait_writes_right_after_grants_and_endpoint(synthesized):
    secret = _by_path(synthesized, "azurerm_key_vault_secret")["kv-no-wait/secret-db"]
    assert secret["depends_on"] == [_key(synthesized, "azurerm_role_assignment", "kv-no-wait/grant-writer"),
                                    _key(synthesized, "azurerm_private_endpoint", "kv-no-wait/private-endpoint/Resource")]
    assert set(_by_path(synthesized, "time_sleep")) == {"kv/secret-db-wait"}
