"""The remote-state bootstrap: `python bootstrap.py` synthesizes the `state` stack on its own.

The reference config is synthesized once per session through the real CLI (so the
entry point itself is under test); the small config in-process through the same
``synthesize(..., build=...)``. Construct validation cases use no synth at all.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from config import load_config, parse_config
from tests.conftest import CONFIGS, ROOT, StateSynth, run_bootstrap

@pytest.fixture(params=sorted(CONFIGS), scope="session")
def state(request, state_synths) -> StateSynth:
    return state_synths[request.param]


def test_bootstrap_synthesizes_only_the_state_stack(state):
    assert list(state.manifest["stacks"]) == ["state"]
    assert state.manifest["stacks"]["state"]["dependencies"] == []


def test_main_app_keeps_exactly_four_stacks_and_no_state_stack(reference):
    assert set(reference.manifest["stacks"]) == {"network", "data", "cluster", "app"}


def test_cli_reports_where_it_wrote(state_synths):
    ref = state_synths["reference"]
    assert f"to {ref.outdir}" in ref.stdout and str(ref.local_state) in ref.stdout


def test_local_backend_keeps_its_state_outside_the_synth_dir(state):
    # Synth replaces the output directory wholesale; the bootstrap state must survive that.
    path = state.doc["terraform"]["backend"]["local"]["path"]
    stack_dir = state.outdir / state.manifest["stacks"]["state"]["workingDirectory"]
    resolved = (stack_dir / path).resolve()
    assert resolved == state.local_state.resolve()
    assert state.outdir.resolve() not in resolved.parents


@pytest.mark.parametrize("stack", ["network", "data", "cluster", "app"])
def test_names_match_what_the_four_backends_expect(state, synths, stack):
    backend = synths[state.name].stacks[stack]["terraform"]["backend"]["azurerm"]  # same config, main app
    assert state.one("azurerm_resource_group")["name"] == backend["resource_group_name"]
    assert state.one("azurerm_storage_account")["name"] == backend["storage_account_name"]
    assert state.one("azurerm_storage_container")["name"] == backend["container_name"]


def test_storage_account_is_hardened_for_state(state):
    account = state.one("azurerm_storage_account")
    assert account["blob_properties"] == {
        "versioning_enabled": True,
        "delete_retention_policy": {"days": 30},
        "container_delete_retention_policy": {"days": 30},
    }
    assert account["min_tls_version"] == "TLS1_2"
    assert account["https_traffic_only_enabled"] is True
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["default_to_oauth_authentication"] is True
    assert account["local_user_enabled"] is False
    assert account["account_replication_type"] == "GZRS"  # eastus2 has zones: zone- and geo-redundant


def test_firewall_admits_only_the_configured_ranges(state):
    cfg = load_config(CONFIGS[state.name])
    rules = state.one("azurerm_storage_account")["network_rules"]
    assert rules["default_action"] == "Deny"
    assert rules["ip_rules"] == list(cfg.cluster.api_server.authorized_ip_ranges)  # state.allowed_ip_ranges unset
    assert rules["bypass"] == ["AzureServices"]


def test_everything_has_prevent_destroy(state):
    for rtype in ("azurerm_resource_group", "azurerm_storage_account", "azurerm_storage_container"):
        assert state.one(rtype)["lifecycle"] == {"prevent_destroy": True}, rtype


def test_container_is_private_and_created_through_arm(state):
    container = state.one("azurerm_storage_container")
    assert container["container_access_type"] == "private"
    assert container["storage_account_id"].startswith("${azurerm_storage_account.")
    assert "storage_account_name" not in container  # the data-plane (keyed) path


def test_provider_uses_entra_id_and_no_data_plane(state):
    provider = state.doc["provider"]["azurerm"][0]
    assert provider["storage_use_azuread"] is True
    assert provider["features"][0]["storage"] == [{"data_plane_available": False}]


def test_configured_deployers_write_state_and_planners_only_read_it(tmp_path):
    """Grants follow delivery's principals, never the identity that happens to run the bootstrap."""
    import functools

    from cli.builders import build_state_app
    from cli.synth import synthesize
    from tests.conftest import DEPLOYERS, PLANNERS, delivered_config

    out = synthesize(delivered_config(), tmp_path / "out",
                     build=functools.partial(build_state_app, local_state=tmp_path / "state.tfstate"))
    doc = json.loads((out / "stacks" / "state" / "cdk.tf.json").read_text())
    grants = {g["principal_id"]: g for g in doc["resource"]["azurerm_role_assignment"].values()}
    assert set(grants) == {*DEPLOYERS, *PLANNERS}
    for principal in DEPLOYERS:
        assert grants[principal]["role_definition_name"] == "Storage Blob Data Contributor"
    assert grants[PLANNERS[0]]["role_definition_name"] == "Storage Blob Data Reader"  # plans with -lock=false
    for grant in grants.values():
        assert grant["scope"].startswith("${azurerm_storage_account.") and grant["scope"].endswith(".id}")
    assert "azurerm_client_config" not in doc.get("data", {})


def test_shipped_configs_grant_nobody_until_principals_are_configured(state):
    assert "azurerm_role_assignment" not in state.doc.get("resource", {})


def test_resource_group_and_account_carry_the_config_tags(state):
    tags = load_config(CONFIGS[state.name]).tags
    for rtype in ("azurerm_resource_group", "azurerm_storage_account"):
        assert state.one(rtype)["tags"] == tags, rtype


def test_state_allowed_ip_ranges_override_the_api_server_ranges():
    import yaml

    from stacks.state import state_allowed_ip_ranges

    data = yaml.safe_load(CONFIGS["reference"].read_text())
    assert state_allowed_ip_ranges(parse_config(data)) == data["cluster"]["api_server"]["authorized_ip_ranges"]
    data["state"]["allowed_ip_ranges"] = ["198.51.100.0/24", "192.0.2.7/32"]
    assert state_allowed_ip_ranges(parse_config(data)) == ["198.51.100.0/24", "192.0.2.7/32"]


def test_bad_ranges_fail_synth_and_keep_the_previous_output(state_synths, tmp_path):
    import yaml

    data = yaml.safe_load(CONFIGS["reference"].read_text())
    data["state"]["allowed_ip_ranges"] = ["10.0.0.0/8"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    outdir = tmp_path / "out"
    (outdir / "stacks").mkdir(parents=True)
    (outdir / "marker").write_text("previous synth")
    result = run_bootstrap({"PPM_CONFIG": str(bad), "BOOTSTRAP_OUTDIR": str(outdir),
                            "BOOTSTRAP_STATE": str(tmp_path / "s.tfstate")})
    assert result.returncode == 2  # refused by the config schema, before cdktf loads
    assert "state.allowed_ip_ranges[0]: got '10.0.0.0/8'; a public IPv4 address or CIDR" in result.stderr
    assert "Traceback" not in result.stderr
    assert (outdir / "marker").read_text() == "previous synth"
    assert not list(tmp_path.glob(".out.staging-*"))


def test_invalid_config_exits_2_before_cdktf(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: X\n")
    result = run_bootstrap({"PPM_CONFIG": str(bad), "BOOTSTRAP_OUTDIR": str(tmp_path / "out")})
    assert result.returncode == 2
    assert "environment: got 'X'; allowed: 2-10 lowercase letters and digits" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- construct validation (no synth)


def _props(**overrides):
    from constructs_lib.state_backend import StateBackendProps

    values = dict(resource_group_name="rg-x-tfstate", location="eastus2", storage_account_name="stxtfstate",
                  container_name="tfstate", allowed_ip_ranges=["203.0.113.0/24"])
    values.update(overrides)
    return StateBackendProps(**values)


def test_every_props_problem_is_reported_at_once():
    from constructs_lib.cdk import App, TerraformStack
    from constructs_lib.toolchain import app_context

    from constructs_lib.state_backend import StateBackend
    from constructs_lib.validation import PropsError

    stack = TerraformStack(App(context=app_context(), outdir="/nonexistent-never-synthesized"), "s")
    with pytest.raises(PropsError) as err:
        StateBackend(stack, "state", _props(storage_account_name="St-Bad", container_name="a--b", replication_type="LRS",
                                            blob_soft_delete_days=0, container_soft_delete_days=366,
                                            allowed_ip_ranges=["192.168.1.0/24", "203.0.113.1/24"]))
    problems = err.value.problems
    assert problems == [
        "storage_account_name: got 'St-Bad'; 3-24 lowercase letters and digits",
        "container_name: got 'a--b'; 3-63 lowercase letters, digits and single hyphens",
        "replication_type: got 'LRS'; one of GRS, RAGRS, GZRS, RAGZRS (state must survive a regional outage)",
        "blob_soft_delete_days: got 0; 1 to 365 days",
        "container_soft_delete_days: got 366; 1 to 365 days",
        "allowed_ip_ranges[0]: got '192.168.1.0/24'; an IPv4 CIDR with host bits zero outside RFC 1918 "
        "(storage firewalls take no private ranges)",
        "allowed_ip_ranges[1]: got '203.0.113.1/24'; an IPv4 CIDR with host bits zero outside RFC 1918 "
        "(storage firewalls take no private ranges)",
    ]
    assert stack.node.try_find_child("state") is None  # nothing created


def test_an_open_firewall_is_refused():
    from constructs_lib.cdk import App, TerraformStack
    from constructs_lib.toolchain import app_context

    from constructs_lib.state_backend import StateBackend
    from constructs_lib.validation import PropsError

    with pytest.raises(PropsError, match=r"allowed_ip_ranges: got \[\]; at least one public CIDR"):
        StateBackend(TerraformStack(App(context=app_context(), outdir="/nonexistent-never-synthesized"), "s"), "state",
                     _props(allowed_ip_ranges=[]))


def test_single_addresses_become_plain_ip_rules():
    # Azure storage firewalls reject /31 and /32 prefixes.
    from constructs_lib.state_backend import _firewall_rule

    assert _firewall_rule("203.0.113.7/32") == ["203.0.113.7"]
    assert _firewall_rule("203.0.113.6/31") == ["203.0.113.6", "203.0.113.7"]
    assert _firewall_rule("203.0.113.0/30") == ["203.0.113.0/30"]
