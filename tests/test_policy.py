"""Synth-time policy Aspects (constructs_lib/policy.py): each rule has a breaking and a compliant case.

Each case builds a throwaway App in a tmp dir with RequiredTags then PolicyChecks
attached (as stacks/base.py does) and runs ``app.synth()``, which is where cdktf
raises on error annotations.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from constructs_lib.cdk import App, Aspects, TerraformResourceLifecycle, TerraformStack
from constructs_lib.toolchain import app_context

from constructs_lib.policy import POLICY_RULES, STATEFUL_TYPES, PolicyChecks
from constructs_lib.tagging import RequiredTags
from tests.conftest import CONFIGS, ROOT

TAGS = {"project": "ppm", "environment": "test", "managed-by": "cdktf"}
KEEP = TerraformResourceLifecycle(prevent_destroy=True)
RG = "rg-policy-test"


def _stack(tmp_path: Path, *, policy_first: bool = False) -> tuple[App, TerraformStack]:
    from constructs_lib.cdk.azurerm import AzurermProvider

    app = App(context=app_context(), outdir=str(tmp_path / "out"))
    stack = TerraformStack(app, "s")
    AzurermProvider(stack, "azurerm", features=[{}])
    aspects = [RequiredTags(TAGS), PolicyChecks(required_tags=TAGS)]
    for aspect in reversed(aspects) if policy_first else aspects:
        Aspects.of(stack).add(aspect)
    return app, stack


def _synth_errors(app: App) -> str:
    """The error text of a failing ``app.synth()``; fails the test if synth succeeds."""
    with pytest.raises(Exception) as err:
        app.synth()
    return str(err.value)


def _synth_json(app: App, tmp_path: Path) -> dict[str, Any]:
    app.synth()
    return json.loads((tmp_path / "out" / "stacks" / "s" / "cdk.tf.json").read_text())


# One factory per stateful type: (stack, lifecycle) -> resource, with the fewest valid arguments.
def _pg_server(stack, lifecycle):
    from constructs_lib.cdk.azurerm import PostgresqlFlexibleServer

    return PostgresqlFlexibleServer(stack, "pg", name="psql-x", resource_group_name=RG, location="eastus2",
                                    sku_name="GP_Standard_D4ds_v4", lifecycle=lifecycle)


def _pg_database(stack, lifecycle):
    from constructs_lib.cdk.azurerm import PostgresqlFlexibleServerDatabase

    return PostgresqlFlexibleServerDatabase(stack, "db", name="packagemanager", server_id="/subscriptions/x/psql",
                                            lifecycle=lifecycle)


def _storage_account(stack, lifecycle):
    from constructs_lib.cdk.azurerm import StorageAccount

    return StorageAccount(stack, "sa", name="stx", resource_group_name=RG, location="eastus2",
                          account_tier="Premium", account_replication_type="ZRS", account_kind="FileStorage",
                          allow_nested_items_to_be_public=False, lifecycle=lifecycle)


def _storage_share(stack, lifecycle):
    from constructs_lib.cdk.azurerm import StorageShare

    return StorageShare(stack, "share", name="ppm-data", storage_account_id="/subscriptions/x/st", quota=100,
                        enabled_protocol="NFS", lifecycle=lifecycle)


def _key_vault(stack, lifecycle):
    from constructs_lib.cdk.azurerm import KeyVault

    return KeyVault(stack, "kv", name="kv-x", resource_group_name=RG, location="eastus2", sku_name="standard",
                    tenant_id="00000000-0000-0000-0000-000000000000", purge_protection_enabled=True,
                    rbac_authorization_enabled=True, lifecycle=lifecycle)


STATEFUL: dict[str, Callable] = {
    "azurerm_postgresql_flexible_server": _pg_server,
    "azurerm_postgresql_flexible_server_database": _pg_database,
    "azurerm_storage_account": _storage_account,
    "azurerm_storage_share": _storage_share,
    "azurerm_key_vault": _key_vault,
}


def test_every_stateful_type_has_a_case():
    assert set(STATEFUL) == STATEFUL_TYPES


def test_rule_ids_are_unique_and_documented():
    ids = [r.id for r in POLICY_RULES]
    assert len(ids) == len(set(ids)) == 3
    assert all(r.cause and r.explanation and r.source for r in POLICY_RULES)


# --- POL-001 prevent_destroy ------------------------------------------------------------------

@pytest.mark.parametrize("rtype", sorted(STATEFUL))
def test_stateful_resource_without_prevent_destroy_fails_synth(rtype, tmp_path):
    app, stack = _stack(tmp_path)
    resource = STATEFUL[rtype](stack, None)
    errors = _synth_errors(app)
    assert f"[{resource.node.path}] POL-001 {rtype}." in errors
    assert "stateful resource without lifecycle.prevent_destroy (got None)" in errors
    assert "prevent_destroy=True" in errors  # says what to change
    assert not (tmp_path / "out" / "stacks" / "s" / "cdk.tf.json").exists()


def test_prevent_destroy_false_or_removed_by_override_fails(tmp_path):
    app, stack = _stack(tmp_path)
    _key_vault(stack, TerraformResourceLifecycle(prevent_destroy=False))
    share = _storage_share(stack, KEEP)
    share.add_override("lifecycle.prevent_destroy", False)  # a later override wins in cdk.tf.json
    errors = _synth_errors(app)
    assert "POL-001 azurerm_key_vault.kv: stateful resource without lifecycle.prevent_destroy (got False)" in errors
    assert "POL-001 azurerm_storage_share.share: stateful resource without lifecycle.prevent_destroy (got False)" in errors


def test_stateful_resources_with_prevent_destroy_pass(tmp_path):
    app, stack = _stack(tmp_path)
    for make in STATEFUL.values():
        make(stack, KEEP)
    out = _synth_json(app, tmp_path)
    for rtype in STATEFUL:
        (body,) = out["resource"][rtype].values()
        assert body["lifecycle"]["prevent_destroy"] is True


def test_prevent_destroy_is_not_required_of_stateless_resources(tmp_path):
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path)
    ResourceGroup(stack, "rg", name=RG, location="eastus2")
    assert "azurerm_resource_group" in _synth_json(app, tmp_path)["resource"]


# --- POL-002 required tags --------------------------------------------------------------------

def test_override_that_unsets_tags_after_required_tags_is_caught(tmp_path):
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path)
    rg = ResourceGroup(stack, "rg", name=RG, location="eastus2", tags={"owner": "team"})
    for name in TAGS:  # overrides are merged into cdk.tf.json after RequiredTags set the tags
        rg.add_override(f"tags.{name}", None)
    errors = _synth_errors(app)
    assert (f"[{rg.node.path}] POL-002 azurerm_resource_group.rg: missing required tag(s) "
            "'environment', 'managed-by', 'project'") in errors
    assert "add_override" in errors  # says what to change


def test_override_that_blanks_one_tag_is_caught(tmp_path):
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path)
    rg = ResourceGroup(stack, "rg", name=RG, location="eastus2")
    rg.add_override("tags.environment", "")
    errors = _synth_errors(app)
    assert "POL-002 azurerm_resource_group.rg: missing required tag(s) 'environment';" in errors


def test_tags_that_are_a_token_cannot_be_verified_and_fail(tmp_path):
    from constructs_lib.cdk import TerraformVariable
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path)
    tags = TerraformVariable(stack, "tags", type="map(string)")
    ResourceGroup(stack, "rg", name=RG, location="eastus2").add_override("tags", tags.value)
    errors = _synth_errors(app)
    assert "POL-002 azurerm_resource_group.rg: tags is not a literal map" in errors
    assert "cannot be verified" in errors


def test_policy_added_before_required_tags_sees_untagged_resources(tmp_path):
    """Why the order in stacks/base.py matters: cdktf runs a node's aspects in the order they were added."""
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path, policy_first=True)
    ResourceGroup(stack, "rg", name=RG, location="eastus2")
    assert "POL-002 azurerm_resource_group.rg: tags is not a literal map (got None)" in _synth_errors(app)


def test_required_tags_added_by_the_aspect_and_merged_overrides_pass(tmp_path):
    from constructs_lib.cdk.azurerm import ResourceGroup

    app, stack = _stack(tmp_path)
    rg = ResourceGroup(stack, "rg", name=RG, location="eastus2", tags={"owner": "team"})
    other = ResourceGroup(stack, "rg2", name=RG + "2", location="eastus2")
    other.add_override("tags.link", rg.id)  # deep-merged into the tags map, as stacks/data.py does
    out = _synth_json(app, tmp_path)["resource"]["azurerm_resource_group"]
    assert out["rg"]["tags"] == {**TAGS, "owner": "team"}
    assert set(out["rg2"]["tags"]) == {*TAGS, "link"}


def test_resources_without_tags_argument_are_not_judged(tmp_path):
    from constructs_lib.cdk.azurerm import StorageShare

    app, stack = _stack(tmp_path)
    StorageShare(stack, "share", name="s", storage_account_id="/x", quota=100, lifecycle=KEEP)
    assert "tags" not in _synth_json(app, tmp_path)["resource"]["azurerm_storage_share"]["share"]


# --- POL-003 public blob access ---------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(None, "unset: the provider default is true"), (True, "True")])
def test_storage_account_that_allows_public_blobs_fails(value, shown, tmp_path):
    from constructs_lib.cdk.azurerm import StorageAccount

    app, stack = _stack(tmp_path)
    StorageAccount(stack, "sa", name="stx", resource_group_name=RG, location="eastus2", account_tier="Standard",
                   account_replication_type="ZRS", allow_nested_items_to_be_public=value, lifecycle=KEEP)
    errors = _synth_errors(app)
    assert f"POL-003 azurerm_storage_account.sa: allow_nested_items_to_be_public is {shown}" in errors
    assert "set allow_nested_items_to_be_public=False" in errors


def test_override_that_reopens_public_blobs_is_caught(tmp_path):
    app, stack = _stack(tmp_path)
    _storage_account(stack, KEEP).add_override("allow_nested_items_to_be_public", True)
    assert "POL-003 azurerm_storage_account.sa: allow_nested_items_to_be_public is True" in _synth_errors(app)


def test_storage_account_without_public_blobs_passes(tmp_path):
    app, stack = _stack(tmp_path)
    _storage_account(stack, KEEP)
    assert _synth_json(app, tmp_path)["resource"]["azurerm_storage_account"]["sa"][
        "allow_nested_items_to_be_public"] is False


# --- every finding at once, idempotence, wiring -------------------------------------------------

def test_all_findings_are_reported_at_once_and_not_duplicated_on_resynth(tmp_path):
    from constructs_lib.cdk.azurerm import StorageAccount

    app, stack = _stack(tmp_path)
    sa = StorageAccount(stack, "sa", name="stx", resource_group_name=RG, location="eastus2",
                        account_tier="Standard", account_replication_type="ZRS")
    sa.add_override("tags.project", None)
    first = _synth_errors(app)
    assert all(f"POL-00{n} azurerm_storage_account.sa" in first for n in (1, 2, 3))
    second = _synth_errors(app)
    assert second.count("POL-001") == first.count("POL-001") == 1


def test_ppm_stack_adds_policy_after_required_tags(tmp_path):
    from config import load_config
    from stacks.base import PpmStack

    stack = PpmStack(App(context=app_context(), outdir=str(tmp_path)), "probe", load_config(CONFIGS["small"]))
    kinds = [type(a) for a in Aspects.of(stack).all]
    assert RequiredTags in kinds and kinds[-1] is PolicyChecks
    assert kinds.index(RequiredTags) < kinds.index(PolicyChecks)
    assert Aspects.of(stack).all[-1].required_tags == tuple(sorted(load_config(CONFIGS["small"]).tags))


VIOLATING_MAIN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from cli.process import use_supported_node
    use_supported_node()
    from constructs_lib import lazy_providers
    lazy_providers.enable()  # as main.py does, before the first provider import
    import cli.builders as builder
    real = builder.build_app

    def build_app(cfg, outdir=None):
        app = real(cfg, outdir)
        data = next(c for c in app.node.children if c.node.id == "data")
        from constructs_lib.cdk.azurerm import StorageAccount
        StorageAccount(data, "rogue", name="strogue", resource_group_name="rg", location=cfg.location,
                       account_tier="Standard", account_replication_type="LRS")
        return app

    builder.build_app = build_app
    import main
    sys.exit(main.main())
""")


def test_main_exits_1_naming_resource_and_rule_and_keeps_previous_output(tmp_path):
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    (outdir / "manifest.json").write_text('{"previous": true}')
    env = {"PPM_CONFIG": str(CONFIGS["small"]), "CDKTF_OUTDIR": str(outdir)}
    import os

    result = subprocess.run([sys.executable, "-c", VIOLATING_MAIN.format(root=str(ROOT))], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error: synth failed:" in result.stderr
    assert "[data/rogue] POL-001 azurerm_storage_account.rogue: stateful resource without lifecycle.prevent_destroy" in result.stderr
    assert "[data/rogue] POL-003 azurerm_storage_account.rogue: allow_nested_items_to_be_public is unset" in result.stderr
    assert "Traceback" not in result.stderr and "CDKTF_CONTINUE_SYNTH" not in result.stderr  # no bypass hint
    assert (outdir / "manifest.json").read_text() == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.out"]  # no staging dir left behind


TINY_SYNTH_WITH_VIOLATION = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from cli.process import use_supported_node
    use_supported_node()
    from constructs_lib import lazy_providers
    lazy_providers.enable()
    from constructs_lib.cdk import App, Aspects, TerraformStack
    from constructs_lib.toolchain import app_context
    from config import load_config
    from constructs_lib.policy import PolicyChecks
    from cli.synth import SynthError, synthesize

    def build(cfg, outdir):
        from constructs_lib.cdk.azurerm import AzurermProvider
        from constructs_lib.cdk.azurerm import ResourceGroup
        app = App(context=app_context(), outdir=outdir)
        stack = TerraformStack(app, "s")
        AzurermProvider(stack, "azurerm", features=[{{}}])
        ResourceGroup(stack, "rg", name="rg", location="eastus2")  # no tags at all
        Aspects.of(stack).add(PolicyChecks(required_tags=["project"]))
        return app

    try:
        synthesize(load_config({config!r}), Path({target!r}), build=build)
    except SynthError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
""")


def test_continue_on_error_annotations_env_cannot_bypass_the_policy(tmp_path):
    """CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS makes cdktf write anyway; cli/synth.py still refuses."""
    import os

    target = tmp_path / "cdktf.out"
    script = TINY_SYNTH_WITH_VIOLATION.format(root=str(ROOT), config=str(CONFIGS["small"]), target=str(target))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS": "1"})
    assert result.returncode == 1, result.stderr[-2000:]
    assert "[s/rg] POL-002 azurerm_resource_group.rg: tags is not a literal map (got None)" in result.stderr
    assert not target.exists() and list(tmp_path.iterdir()) == []  # nothing written, no staging left


def test_synthesized_stacks_keep_stateful_resources_and_carry_required_tags(any_synth):
    """The shipped configs' final JSON, as the Aspect judged it (and proof it is attached to every stack)."""
    from config import load_config

    required = set(load_config(CONFIGS[any_synth.name]).tags)
    stateful = tagged = 0
    for stack, body in any_synth.stacks.items():
        for rtype, by_id in body.get("resource", {}).items():
            for name, resource in by_id.items():
                if rtype in STATEFUL_TYPES:
                    stateful += 1
                    assert resource.get("lifecycle", {}).get("prevent_destroy") is True, f"{stack}: {rtype}.{name}"
                if "tags" in resource:
                    tagged += 1
                    assert required <= set(resource["tags"]), f"{stack}: {rtype}.{name} tags {resource['tags']}"
                if rtype == "azurerm_storage_account":
                    assert resource["allow_nested_items_to_be_public"] is False, f"{stack}: {rtype}.{name}"
    assert tagged > 0
    assert stateful >= len(STATEFUL_TYPES)  # server, databases, account, share, vault


def test_no_aspect_in_the_app_runs_after_the_policy_checks(tmp_path):
    """cdktf runs inherited aspects first, then a node's own: any aspect added after PolicyChecks on a stack,
    or on a construct inside it, could change a resource after it was judged."""
    from config import load_config
    from cli.builders import build_app

    app = build_app(load_config(CONFIGS["reference"]), str(tmp_path))
    late = []
    for stack in app.node.children:
        own = Aspects.of(stack).all
        if not own or not isinstance(own[-1], PolicyChecks):
            late.append(f"{stack.node.path}: {[type(a).__name__ for a in own]} (PolicyChecks must be last)")
        for child in stack.node.find_all()[1:]:
            below = Aspects.of(child).all
            if below:
                late.append(f"{child.node.path}: {[type(a).__name__ for a in below]} run after PolicyChecks")
    assert len(app.node.children) == 4 and not late, "\n".join(late)
