"""The data stack on both shipped configs: PostgreSQL, Azure Files NFS, Key Vault, diagnostics,
the generated password (never a literal), the typed attributes, and the config checks that guard it."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from config import ConfigError, load_config, parse_config
from tests.conftest import DEPLOYERS, CONFIGS, STACKS, run_main, tree_digest

REFERENCE = yaml.safe_load(CONFIGS["reference"].read_text())
NETWORK_REF = "${data.terraform_remote_state.cross-stack-reference-input-network.outputs."


def _cfg(synth):
    return load_config(CONFIGS[synth.name])


def _ref(rtype: str, resources: dict, attr: str = "id") -> str:
    (key,) = resources
    return f"${{{rtype}.{key}.{attr}}}"


def _network_output(synth, rtype: str, path_part: str) -> str:
    """The cross-stack output name the network stack exports for one of its resources."""
    outputs = synth.stacks["network"]["output"]
    names = [n for n in outputs if n.startswith(f"cross-stack-output-{rtype}") and path_part in n]
    assert len(names) == 1, (rtype, path_part, names)
    return NETWORK_REF + names[0] + "}"


# --- PostgreSQL ---------------------------------------------------------------------------

def test_postgres_server_matches_config(any_synth):
    cfg = _cfg(any_synth)
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    assert server["sku_name"] == cfg.postgres.sku
    assert server["version"] == cfg.postgres.version
    assert server["storage_mb"] == cfg.postgres.storage_gib * 1024
    assert server["zone"] == cfg.postgres.zone
    assert server["backup_retention_days"] == cfg.postgres.backup_retention_days
    assert server["geo_redundant_backup_enabled"] is cfg.postgres.geo_redundant_backup
    assert server["administrator_login"] == cfg.postgres.admin_login
    assert server["location"] == cfg.location
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", server["name"])


def test_reference_postgres_is_zone_redundant_across_two_zones(reference):
    server = reference.one("data", "azurerm_postgresql_flexible_server")
    assert server["sku_name"] == "GP_Standard_D4ds_v4" and server["storage_mb"] == 131072
    assert server["high_availability"]["mode"] == "ZoneRedundant"
    assert server["high_availability"]["standby_availability_zone"] != server["zone"] == "1"


def test_small_postgres_is_burstable_without_ha(small):
    server = small.one("data", "azurerm_postgresql_flexible_server")
    assert server["sku_name"].startswith("B_")
    assert "high_availability" not in server


def test_postgres_is_private_only_in_the_delegated_subnet(any_synth):
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    assert server["public_network_access_enabled"] is False
    assert server["delegated_subnet_id"] == _network_output(any_synth, "azurerm_subnet", "subnet-postgres")
    assert server["private_dns_zone_id"] == _network_output(any_synth, "azurerm_private_dns_zone", "dns-postgres")


def test_postgres_requires_tls(any_synth):
    params = any_synth.resources("data", "azurerm_postgresql_flexible_server_configuration")
    server_ref = _ref("azurerm_postgresql_flexible_server", any_synth.resources("data", "azurerm_postgresql_flexible_server"))
    assert {(p["name"], p["value"], p["server_id"]) for p in params.values()} == {
        ("require_secure_transport", "on", server_ref)}


def test_postgres_server_survives_failover_autogrow_and_destroy(any_synth):
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    assert server["lifecycle"]["prevent_destroy"] is True
    # Auto-grow on: Azure doubles the disk, so a configured size below it would plan a replacement
    # that prevent_destroy refuses on every plan; storage size and tier are Azure's once created.
    assert server["auto_grow_enabled"] is True
    assert server["lifecycle"]["ignore_changes"] == [
        "zone", "high_availability[0].standby_availability_zone", "storage_mb", "storage_tier"]


def test_two_utf8_databases_for_metadata_and_usage(any_synth):
    cfg = _cfg(any_synth)
    dbs = any_synth.resources("data", "azurerm_postgresql_flexible_server_database")
    server_ref = _ref("azurerm_postgresql_flexible_server", any_synth.resources("data", "azurerm_postgresql_flexible_server"))
    assert sorted(d["name"] for d in dbs.values()) == sorted([cfg.postgres.metadata_database, cfg.postgres.usage_database])
    for db in dbs.values():
        assert db["charset"] == "UTF8" and db["collation"] == "en_US.utf8"
        assert db["server_id"] == server_ref
        assert db["lifecycle"] == {"prevent_destroy": True}


# --- the generated password ------------------------------------------------------------------

def test_password_is_generated_ephemeral_and_passed_write_only(any_synth):
    """An ephemeral random_password (never in state or a plan file) feeds the two write-only arguments."""
    cfg = _cfg(any_synth)
    data = any_synth.stacks["data"]
    assert "random_password" not in data.get("resource", {}), "a managed random_password keeps its result in state"
    passwords = data["ephemeral"]["random_password"]
    assert len(passwords) == 3  # administrator, Package Manager's login, Package Manager's encryption key
    (pw_id, pw), = [(k, v) for k, v in passwords.items() if "admin" in k]
    assert pw["length"] >= 32 and pw["special"] is True and "keepers" not in pw
    result = f"${{ephemeral.random_password.{pw_id}.result}}"
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    (secret,) = [s for s in any_synth.resources("data", "azurerm_key_vault_secret").values()
                 if s["name"] == "postgres-admin-password"]
    assert server["administrator_password_wo"] == result
    assert server["administrator_password_wo_version"] == cfg.postgres.password_version
    assert secret["value_wo"] == result and secret["value_wo_version"] == cfg.postgres.password_version
    assert "administrator_password" not in server and "value" not in secret
    assert data["provider"]["random"] == [{}]
    # [TF] ephemeral resources need Terraform >= 1.10 and the random provider >= 3.7.0
    assert tuple(int(x) for x in data["terraform"]["required_providers"]["random"]["version"].split(".")) >= (3, 7, 0)


def _strings(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _password_like(value: str, length: int) -> bool:
    """What the generated password looks like: exactly ``length`` characters from its alphabet, with
    upper, lower, digit and one of its specials (-_.); not an expression or a resource address."""
    return (len(value) == length and "${" not in value and re.fullmatch(r"[A-Za-z0-9_.-]+", value) is not None
            and re.fullmatch(r"[a-z0-9_]+\.[A-Za-z0-9_-]+", value) is None
            and all(re.search(c, value) for c in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[-_.]")))


def test_no_password_literal_anywhere_in_synthesized_output(any_synth):
    documents = {"manifest.json": any_synth.manifest, **{f"{s}/cdk.tf.json": any_synth.stacks[s] for s in STACKS}}
    lengths = {p["length"] for p in any_synth.stacks["data"]["ephemeral"]["random_password"].values()}
    hits = []
    for name, doc in documents.items():
        for path, value in _strings(doc):
            leaf = path.rsplit(".", 1)[-1]
            if "password" in leaf and "${" not in value and not leaf.endswith("_version"):
                hits.append((name, path, "literal in a password field"))
            if any(_password_like(value, n) for n in lengths) and "//" not in path:  # construct-path metadata is not a value
                hits.append((name, path, value))
            if "random_password." in value and not path.endswith((".administrator_password_wo", ".value_wo")):
                hits.append((name, path, "password reference outside the write-only arguments"))
    assert hits == []
    # every random_password reference lives in the data stack, in write-only arguments only: the
    # server's and one secret's per generated value (admin password, app password, encryption key)
    refs = [(s, p) for s in STACKS for p, v in _strings(any_synth.stacks[s]) if "random_password." in v]
    assert sorted(p.rsplit(".", 1)[-1] for _, p in refs) == ["administrator_password_wo", "value_wo", "value_wo", "value_wo"]
    assert {s for s, _ in refs} == {"data"}


def test_password_never_reaches_an_output(any_synth):
    for stack in STACKS:
        for name, output in any_synth.stacks[stack].get("output", {}).items():
            text = json.dumps(output["value"])
            assert "random_password" not in text, (stack, name)
            # a secret may be named in an output, never read
            assert not re.search(r"azurerm_key_vault_secret\.[^.}]+\.(value|value_wo)\b", text), (stack, name)


# --- Key Vault -----------------------------------------------------------------------------

def test_key_vault_is_rbac_purge_protected_and_private(any_synth):
    cfg = _cfg(any_synth)
    vault = any_synth.one("data", "azurerm_key_vault")
    assert vault["rbac_authorization_enabled"] is True
    assert vault["purge_protection_enabled"] is True
    assert vault["soft_delete_retention_days"] == cfg.key_vault.soft_delete_retention_days
    assert vault["lifecycle"] == {"prevent_destroy": True}
    assert vault["network_acls"]["default_action"] == "Deny" and vault["network_acls"]["bypass"] == "None"
    assert vault["tenant_id"] == "${data.azurerm_client_config.client-config.tenant_id}"
    assert re.fullmatch(r"(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]", vault["name"])
    if cfg.key_vault.deployer_ip_ranges:
        assert vault["public_network_access_enabled"] is True
        assert vault["network_acls"]["ip_rules"] == cfg.key_vault.deployer_ip_ranges
    else:
        assert vault["public_network_access_enabled"] is False
        assert "ip_rules" not in vault["network_acls"]


def test_shipped_configs_cover_both_vault_network_modes(reference, small):
    assert reference.one("data", "azurerm_key_vault")["public_network_access_enabled"] is False
    assert small.one("data", "azurerm_key_vault")["public_network_access_enabled"] is True


def test_the_configured_deployers_may_write_secrets_and_the_secret_waits_for_them(delivered):
    vaults = delivered.resources("data", "azurerm_key_vault")
    grants = delivered.resources("data", "azurerm_role_assignment")
    assert sorted(g["principal_id"] for g in grants.values()) == sorted(DEPLOYERS)  # never azurerm_client_config
    for grant in grants.values():
        assert grant["role_definition_name"] == "Key Vault Secrets Officer"
        assert grant["scope"] == _ref("azurerm_key_vault", vaults)
    secrets = delivered.resources("data", "azurerm_key_vault_secret")
    assert sorted(s["name"] for s in secrets.values()) == ["postgres-admin-password", "postgres-app-password",
                                                           "ppm-encryption-key"]
    (secret_id, secret), = [(k, s) for k, s in secrets.items() if s["name"] == "postgres-admin-password"]
    assert secret["key_vault_id"] == _ref("azurerm_key_vault", vaults)
    # The write waits ~2 minutes after the grants and the vault's private endpoint: RBAC propagation
    # (hashicorp/terraform-provider-azurerm#23927) and the endpoint's private DNS record
    # (hashicorp/terraform-provider-azurerm#18659) lag behind their resources.
    waits = delivered.resources("data", "time_sleep")
    assert len(waits) == len(secrets)  # one wait per secret, each after the same grants
    (wait_id, wait), = [(k, w) for k, w in waits.items() if "postgres-admin-password" in k]
    assert secret["depends_on"] == [f"time_sleep.{wait_id}"]
    assert wait["create_duration"] == "120s"
    (endpoint_id,) = [k for k, e in delivered.resources("data", "azurerm_private_endpoint").items()
                      if e["private_service_connection"]["subresource_names"] == ["vault"]]
    grant_ids = sorted(f"azurerm_role_assignment.{k}" for k in grants)
    assert sorted(wait["depends_on"]) == sorted([*grant_ids, f"azurerm_private_endpoint.{endpoint_id}"])
    assert set(wait["triggers"]) == {*(f"grant-deployer-{p}" for p in DEPLOYERS), "private-endpoint"}


def test_shipped_configs_grant_nothing_on_the_vault_until_deployers_are_configured(any_synth):
    assert any_synth.resources("data", "azurerm_role_assignment") == {}
    assert any_synth.stacks["data"]["provider"]["time"] == [{}]  # the secret's wait still needs it
    from constructs_lib.toolchain import provider_version

    assert any_synth.stacks["data"]["terraform"]["required_providers"]["time"] == {
        "source": "hashicorp/time", "version": ".".join(map(str, provider_version("time")))}


# --- Azure Files NFS -----------------------------------------------------------------------

def test_storage_account_is_premium_filestorage_locked_down(any_synth):
    cfg = _cfg(any_synth)
    account = any_synth.one("data", "azurerm_storage_account")
    assert account["account_kind"] == "FileStorage" and account["account_tier"] == "Premium"
    assert account["account_replication_type"] == cfg.files.redundancy
    assert account["https_traffic_only_enabled"] is False  # kernel NFS mounts have no TLS
    assert account["min_tls_version"] == "TLS1_2"
    assert account["public_network_access_enabled"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["allow_nested_items_to_be_public"] is False
    assert account["network_rules"]["default_action"] == "Deny"
    assert "ip_rules" not in account["network_rules"]  # NFS shares take no IP rules [MS]
    assert account["lifecycle"] == {"prevent_destroy": True}
    assert re.fullmatch(r"[a-z0-9]{3,24}", account["name"])


def test_reference_share_is_zrs(reference):
    assert reference.one("data", "azurerm_storage_account")["account_replication_type"] == "ZRS"


def test_nfs_share_quota_and_protocol(any_synth):
    cfg = _cfg(any_synth)
    share = any_synth.one("data", "azurerm_storage_share")
    assert share["enabled_protocol"] == "NFS"
    assert share["quota"] == cfg.files.quota_gib
    assert share["name"] == cfg.files.share_name
    assert share["storage_account_id"] == _ref("azurerm_storage_account", any_synth.resources("data", "azurerm_storage_account"))
    assert "storage_account_name" not in share
    assert share["lifecycle"] == {"prevent_destroy": True}


def test_private_endpoints_for_file_and_vault_in_the_endpoint_subnet(any_synth):
    endpoints = {e["private_service_connection"]["subresource_names"][0]: e
                 for e in any_synth.resources("data", "azurerm_private_endpoint").values()}
    assert set(endpoints) == {"file", "vault"}
    subnet = _network_output(any_synth, "azurerm_subnet", "subnet-private-endpoints")
    targets = {"file": ("azurerm_storage_account", "dns-files"), "vault": ("azurerm_key_vault", "dns-key-vault")}
    for sub, (rtype, zone) in targets.items():
        endpoint = endpoints[sub]
        assert endpoint["subnet_id"] == subnet
        assert endpoint["private_service_connection"]["is_manual_connection"] is False
        assert endpoint["private_service_connection"]["private_connection_resource_id"] == _ref(
            rtype, any_synth.resources("data", rtype))
        assert endpoint["private_dns_zone_group"]["private_dns_zone_ids"] == [
            _network_output(any_synth, "azurerm_private_dns_zone", zone)]


def test_the_file_zone_is_privatelink_file(any_synth):
    zones = {z["name"] for z in any_synth.resources("network", "azurerm_private_dns_zone").values()}
    assert "privatelink.file.core.windows.net" in zones and "privatelink.vaultcore.azure.net" in zones


# --- diagnostics, dependencies, names ------------------------------------------------------

def test_diagnostics_go_to_the_network_stack_workspace(any_synth):
    settings = any_synth.resources("data", "azurerm_monitor_diagnostic_setting")
    workspace = _network_output(any_synth, "azurerm_log_analytics_workspace", "log-analytics")
    targets = sorted(s["target_resource_id"].split(".")[0] for s in settings.values())
    assert targets == ["${azurerm_key_vault", "${azurerm_postgresql_flexible_server", "${azurerm_storage_account"]
    for setting in settings.values():
        assert setting["log_analytics_workspace_id"] == workspace
        assert setting["enabled_log"] == [{"category_group": "allLogs"}]
    file_service = [s for s in settings.values() if "azurerm_storage_account" in s["target_resource_id"]][0]
    assert file_service["target_resource_id"].endswith("/fileServices/default")


def test_data_depends_on_network_only(any_synth):
    assert any_synth.manifest["stacks"]["data"]["dependencies"] == ["network"]
    remote = any_synth.data_sources("data", "terraform_remote_state")
    assert list(remote) == ["cross-stack-reference-input-network"]


def test_every_stateful_resource_is_protected(any_synth):
    for rtype in ("azurerm_postgresql_flexible_server", "azurerm_postgresql_flexible_server_database",
                  "azurerm_storage_account", "azurerm_storage_share", "azurerm_key_vault"):
        for body in any_synth.resources("data", rtype).values():
            assert body["lifecycle"]["prevent_destroy"] is True, rtype


def test_globally_unique_names_are_deterministic_and_valid():
    from stacks.base import names_for

    cfg = load_config(CONFIGS["reference"])
    names, longest = names_for(cfg), names_for(cfg.model_copy(update={"environment": "abcdefghij"}))
    other = names_for(cfg.model_copy(update={"state": cfg.state.model_copy(update={"storage_account": "stsomeoneelse"})}))
    assert names.global_suffix == hashlib.sha256(b"stppmreftfstate/ppmref").hexdigest()[:8]
    assert names.storage_account("nfs") == names_for(load_config(CONFIGS["reference"])).storage_account("nfs")
    assert names.storage_account("nfs") != other.storage_account("nfs")  # same environment, another deployment
    assert re.fullmatch(r"[a-z0-9]{3,24}", longest.storage_account("nfs"))
    assert re.fullmatch(r"(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]", longest.key_vault())
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", longest.postgres_server())


def test_a_second_region_gets_its_own_names_and_state_keys():
    from constructs_lib.naming import Names

    one, two = Names(environment="prod", salt="stx"), Names(environment="prod", salt="stx", region="westeurope")
    assert (one.resource_group("data"), two.resource_group("data")) == ("rg-prod-data", "rg-prod-westeurope-data")
    assert (one.state_key("app"), two.state_key("app")) == ("prod/app.tfstate", "prod/westeurope/app.tfstate")
    assert one.key_vault() != two.key_vault() and one.storage_account("nfs") != two.storage_account("nfs")
    assert two.postgres_private_dns_zone() == "prod.westeurope.private.postgres.database.azure.com"


# --- references the data stack hands to the app stack (built, not synthesized) ----------------

# reference.field -> (resource type, attribute, which resource of that type in the reference data stack)
REFERENCES = {
    "target.fqdn": ("azurerm_postgresql_flexible_server", "fqdn", None),
    "target.login": ("azurerm_postgresql_flexible_server", "administrator_login", None),
    "target.metadata_database": ("azurerm_postgresql_flexible_server_database", "name", "packagemanager"),
    "target.usage_database": ("azurerm_postgresql_flexible_server_database", "name", "packagemanager_usage"),
    "key_vault.id": ("azurerm_key_vault", "id", None),
    "key_vault.name": ("azurerm_key_vault", "name", None),
    "key_vault.tenant_id": ("azurerm_key_vault", "tenant_id", None),
    "password_secret.name": ("azurerm_key_vault_secret", "name", "postgres-admin-password"),
    "app_password_secret.name": ("azurerm_key_vault_secret", "name", "postgres-app-password"),
    "encryption_key_secret.name": ("azurerm_key_vault_secret", "name", "ppm-encryption-key"),
    "files.storage_account_name": ("azurerm_storage_account", "name", None),
    "files.resource_group_name": ("azurerm_storage_account", "resource_group_name", None),
    "files.share_name": ("azurerm_storage_share", "name", None),
}


def _resolve(stack, value):
    from constructs_lib.cdk import DefaultTokenResolver, StringConcat, Tokenization

    return Tokenization.resolve(value, scope=stack, resolver=DefaultTokenResolver(StringConcat()))


@pytest.fixture(scope="module")
def data_stack():
    from cli.builders import build_app

    app = build_app(load_config(CONFIGS["reference"]))
    return next(s for s in app.node.children if s.node.id == "data")


@pytest.fixture(scope="module")
def data_references(data_stack) -> dict[str, object]:
    pg = data_stack.cfg.postgres
    return {"target": data_stack.postgres.target(metadata_database=pg.metadata_database,
                                                 usage_database=pg.usage_database),
            "key_vault": data_stack.key_vault.ref(), "files": data_stack.files.ref(),
            "password_secret": data_stack.postgres_password_secret,
            "app_password_secret": data_stack.postgres_app_password_secret,
            "encryption_key_secret": data_stack.encryption_key_secret}


@pytest.mark.parametrize("field", sorted(REFERENCES))
def test_reference_resolves_to_its_resource(data_stack, data_references, field, reference):
    owner, attribute = field.split(".")
    value = getattr(data_references[owner], attribute)
    assert isinstance(value, str)
    rtype, attr, resource_name = REFERENCES[field]
    candidates = [key for key, body in reference.resources("data", rtype).items()
                  if resource_name is None or body["name"] == resource_name]
    assert len(candidates) == 1, (rtype, candidates)
    assert _resolve(data_stack, value) == f"${{{rtype}.{candidates[0]}.{attr}}}"


def test_share_quota_is_a_plain_number(data_references):
    quota = data_references["files"].quota_gib
    assert quota == 1000 and isinstance(quota, int)


def test_target_refuses_a_database_the_server_does_not_have(data_stack):
    from constructs_lib.validation import PropsError

    with pytest.raises(PropsError, match="'nope': not one of this server's databases"):
        data_stack.postgres.target(metadata_database="nope", usage_database="packagemanager_usage")


def test_no_reference_carries_a_secret(data_stack, data_references):
    import dataclasses

    for name, ref in data_references.items():
        fields = [f.name for f in dataclasses.fields(ref)] if dataclasses.is_dataclass(ref) else ["name"]
        for field_name in fields:
            assert "random_password" not in str(_resolve(data_stack, getattr(ref, field_name))), (name, field_name)


# --- config checks that guard this stack (docs/policy.md), one line per problem --------------

def _set(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return data


# (id, changes, text one problem line must contain)
BAD_DATA_INPUTS = [
    ("storage-size-not-offered", {"postgres.storage_gib": 100},
     "postgres.storage_gib: got 100; one of 32, 64, 128, 256"),
    ("ha-on-burstable", {"postgres.sku": "B_Standard_B2s"},
     "postgres.high_availability: got 'zone_redundant'; 'disabled' with the Burstable sku B_Standard_B2s"),
    ("standby-equals-primary", {"postgres.standby_zone": "1"},
     "postgres.standby_zone: got '1'; a zone different from postgres.zone ('1')"),
    ("standby-missing", {"postgres.standby_zone": None},
     "postgres.standby_zone: got None; a zone different from postgres.zone for zone_redundant HA"),
    ("standby-outside-zones", {"zones": ["1", "2"], "postgres.standby_zone": "3"},
     "postgres.standby_zone: got '3'; one of the configured zones ['1', '2']"),
    ("primary-outside-zones", {"zones": ["2", "3"], "postgres.standby_zone": "2"},
     "postgres.zone: got '1'; one of the configured zones ['2', '3']"),
    ("same-zone-other-standby", {"postgres.high_availability": "same_zone", "postgres.standby_zone": "2"},
     "postgres.standby_zone: got '2'; unset or equal to postgres.zone"),
    ("retention-too-short", {"postgres.backup_retention_days": 6}, "postgres.backup_retention_days: got 6; 7 to 35 days"),
    ("retention-too-long", {"postgres.backup_retention_days": 36}, "postgres.backup_retention_days: got 36; 7 to 35 days"),
    ("quota-too-small", {"files.quota_gib": 99}, "files.quota_gib: got 99; 100 to 102,400 GiB"),
    ("quota-too-large", {"files.quota_gib": 102_401}, "files.quota_gib: got 102401; 100 to 102,400 GiB"),
    ("password-version-zero", {"postgres.password_version": 0},
     "postgres.password_version: got 0; allowed: greater than or equal to 1"),
    ("deployer-ip-private", {"key_vault.deployer_ip_ranges": ["10.0.0.0/8"]},
     "key_vault.deployer_ip_ranges[0]: got '10.0.0.0/8'; a public IPv4 address or CIDR"),
    ("deployer-ip-malformed", {"key_vault.deployer_ip_ranges": ["203.0.113.5/24"]},
     "key_vault.deployer_ip_ranges[0]: got '203.0.113.5/24'; not an IPv4 CIDR"),
    ("vault-soft-delete", {"key_vault.soft_delete_retention_days": 120},
     "key_vault.soft_delete_retention_days: got 120; allowed: less than or equal to 90"),
    ("vault-unknown-key", {"key_vault.allowed_ips": []}, "key_vault.allowed_ips: unknown key"),
]


def _bad(changes: dict) -> dict:
    data = REFERENCE
    for path, value in changes.items():
        data = _set(data, path, value)
    return data


@pytest.mark.parametrize("case", BAD_DATA_INPUTS, ids=[c[0] for c in BAD_DATA_INPUTS])
def test_bad_data_config_names_key_value_and_allowed(case):
    _, changes, expected = case
    with pytest.raises(ConfigError) as err:
        parse_config(_bad(changes), "bad.yaml")
    assert any(expected in line for line in err.value.problems), err.value.problems


def test_public_deployer_ranges_are_accepted():
    # Extra vault ranges besides an external runner's egress (a VNet runner uses the private endpoint: DEL-004).
    cfg = parse_config(_bad({"key_vault.deployer_ip_ranges": ["203.0.113.7", "198.51.100.0/24"],
                             "delivery.runner": {"location": "external", "egress_cidrs": ["192.0.2.7/32"]}}), "ok.yaml")
    assert cfg.key_vault.deployer_ip_ranges == ["203.0.113.7", "198.51.100.0/24"]


def test_main_refuses_bad_data_config_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_bad({"postgres.sku": "B_Standard_B2s", "files.quota_gib": 50})))
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "data").mkdir(parents=True)
    (outdir / "stacks" / "data" / "cdk.tf.json").write_text('{"kept": 1}')
    before = tree_digest(tmp_path)

    result = run_main({"PPM_CONFIG": str(bad), "CDKTF_OUTDIR": str(outdir)})

    assert result.returncode == 2
    assert "postgres.high_availability: got 'zone_redundant'; 'disabled' with the Burstable sku" in result.stderr
    assert "files.quota_gib: got 50; 100 to 102,400 GiB" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert tree_digest(tmp_path) == before
