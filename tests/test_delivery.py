"""`make plan` / `make deploy` / `make bootstrap` driver (scripts/delivery.py) without Azure.

Order comes from the session's synthesized manifest. Prerequisite messages are
tested with a PATH that lacks `az` and/or `terraform`. The plan/deploy flow runs
against the session's reference synth (--no-synth) with stand-in `terraform` and
`az` executables that log their calls, so the order and the stop-at-first-failure
behaviour are asserted without a cloud.
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

DELIVERY = ROOT / "scripts" / "delivery.py"
EMPTY_PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": []}

FAKE_TERRAFORM = """#!{python}
# Stand-in terraform: logs "<stack> <subcommand> [args]"; FAKE_TF_FAIL="<subcommand>:<stack>" fails that call.
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": os.environ.get("FAKE_TF_VERSION", "1.11.4")}}))
    sys.exit(0)
stack = os.path.basename(args[0].split("=", 1)[1]) if args and args[0].startswith("-chdir=") else "-"
rest = args[1:] if stack != "-" else args
with open(os.environ["FAKE_TF_LOG"], "a") as log:
    log.write(" ".join([stack, *rest]) + "\\n")
if os.environ.get("FAKE_TF_FAIL") == f"{{rest[0]}}:{{stack}}":
    print(f"fake terraform: {{rest[0]}} failed", file=sys.stderr)
    sys.exit(1)
if rest[0] == "plan":
    for a in rest:
        if a.startswith("-out="):
            open(a[5:], "w").write("fake plan")
    sys.exit(int(os.environ.get("FAKE_TF_PLAN_EXIT", "2")))
if rest[0] == "show":
    print(json.dumps({empty}))
"""

FAKE_AZ_OK = """#!/bin/sh
echo '{"id": "00000000-0000-0000-0000-00000000abcd", "user": {"name": "ops@example.com"}}'
"""
FAKE_AZ_LOGGED_OUT = """#!/bin/sh
echo "ERROR: Please run 'az login' to setup account." >&2
exit 1
"""


def _bin(tmp_path: Path, **tools: str) -> Path:
    """A directory holding only the given executables."""
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    for name, text in tools.items():
        path = directory / name
        path.write_text(text)
        path.chmod(0o755)
    return directory


def _fake_terraform() -> str:
    return FAKE_TERRAFORM.format(python=sys.executable, empty=repr(EMPTY_PLAN))


def delivery(*args: str, path: str, env_extra: dict[str, str] | None = None, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "AUTO_APPROVE", "ALLOW_DESTROY"))}
    env.update({"PATH": path, **(env_extra or {})})
    return subprocess.run([sys.executable, str(DELIVERY), *args], env=env, capture_output=True, text=True,
                          timeout=120, input=stdin)


# --------------------------------------------------------------------------- order


def test_order_follows_the_manifest_dependencies(reference):
    from scripts.delivery import stack_order

    order = stack_order(reference.manifest)
    assert sorted(order) == sorted(reference.manifest["stacks"])
    for name, meta in reference.manifest["stacks"].items():
        for dep in meta["dependencies"]:
            assert order.index(dep) < order.index(name), f"{dep} must come before {name}"
    assert order == ["network", "cluster", "data", "app"]  # ties broken by name, deterministic


def test_order_is_computed_not_hard_coded():
    from scripts.delivery import stack_order

    manifest = {"stacks": {"z": {"dependencies": []}, "y": {"dependencies": ["x"]}, "x": {"dependencies": ["z"]}}}
    assert stack_order(manifest) == ["z", "x", "y"]


def test_cycles_and_unknown_dependencies_are_errors():
    from scripts.delivery import DeliveryError, stack_order

    with pytest.raises(DeliveryError, match=r"dependency cycle among \['a', 'b'\]"):
        stack_order({"stacks": {"a": {"dependencies": ["b"]}, "b": {"dependencies": ["a"]}, "c": {"dependencies": []}}})
    with pytest.raises(DeliveryError, match=r"stack 'a' depends on unknown stack\(s\) \['ghost'\]"):
        stack_order({"stacks": {"a": {"dependencies": ["ghost"]}}})


def test_order_command_reads_cdktf_outdir(reference):
    result = delivery("order", path=os.environ["PATH"], env_extra={"CDKTF_OUTDIR": str(reference.outdir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["network", "cluster", "data", "app"]


# --------------------------------------------------------------------------- prerequisites


@pytest.mark.parametrize("command", ["plan", "deploy", "bootstrap"])
def test_nothing_on_path_names_terraform_and_az_with_fixes(tmp_path, command):
    result = delivery(command, path=str(_bin(tmp_path)))
    assert result.returncode == 3
    assert f"`make {command}` cannot start; missing:" in result.stderr
    assert "`terraform` is not on PATH: install Terraform" in result.stderr
    assert "the Azure CLI `az` is not on PATH" in result.stderr and "az login" in result.stderr
    assert "ARM_USE_OIDC" in result.stderr  # the CI alternative is named too


def test_terraform_without_az_names_only_az(tmp_path):
    result = delivery("plan", path=str(_bin(tmp_path, terraform=_fake_terraform())))
    assert result.returncode == 3
    assert "`terraform` is not on PATH" not in result.stderr
    assert "- the Azure CLI `az` is not on PATH" in result.stderr


def test_logged_out_az_says_run_az_login(tmp_path):
    result = delivery("deploy", path=str(_bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_LOGGED_OUT)))
    assert result.returncode == 3
    assert "no Azure login: `az account show` failed (ERROR: Please run 'az login' to setup account.)" in result.stderr
    assert "run `az login`" in result.stderr


def test_logged_in_az_supplies_the_subscription_id(tmp_path):
    from scripts.delivery import check_prerequisites

    path = str(_bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_OK))
    missing, extra = check_prerequisites({"PATH": path})
    assert missing == []
    assert extra == {"ARM_SUBSCRIPTION_ID": "00000000-0000-0000-0000-00000000abcd"}


def test_ci_identity_needs_no_az(tmp_path):
    from scripts.delivery import check_prerequisites

    env = {"PATH": str(_bin(tmp_path, terraform=_fake_terraform())), "ARM_CLIENT_ID": "x", "ARM_TENANT_ID": "t",
           "ARM_SUBSCRIPTION_ID": "s", "ARM_USE_OIDC": "true"}
    assert check_prerequisites(env) == ([], {})


# --------------------------------------------------------------------------- plan and deploy flow


@pytest.fixture
def fake_cloud(tmp_path, reference):
    """PATH with stand-in terraform and az, the session's reference synth, a plans dir and a call log."""
    log = tmp_path / "terraform.log"
    path = _bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_OK)
    env = {"FAKE_TF_LOG": str(log), "CDKTF_OUTDIR": str(reference.outdir), "PLANS_DIR": str(tmp_path / "plans")}
    return str(path), env, log, tmp_path / "plans"


def _calls(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()]


def test_plan_runs_init_plan_show_per_stack_in_order(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert [c[:2] for c in calls] == [[s, step] for s in ("network", "cluster", "data", "app")
                                      for step in ("init", "plan", "show")]
    for stack in ("network", "cluster", "data", "app"):
        assert (plans / f"{stack}.tfplan").exists() and json.loads((plans / f"{stack}.json").read_text())
        plan_call = next(c for c in calls if c[:2] == [stack, "plan"])
        assert f"-out={(plans / f'{stack}.tfplan').resolve()}" in plan_call
    summary = (plans / "summary.md").read_text()
    assert [line for line in summary.splitlines() if line.startswith("## ")] == [
        "## network", "## cluster", "## data", "## app", "## Guard: passed"]


def test_plan_stops_at_the_first_failing_stack_and_explains_remote_state(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "FAKE_TF_FAIL": "plan:cluster"})
    assert result.returncode == 1
    assert "cluster: terraform plan failed (exit 1)" in result.stderr
    assert "remote state of the stacks it depends on" in result.stderr and "`make deploy`" in result.stderr
    assert "Not planned: data, app." in result.stderr
    assert {c[0] for c in _calls(log)} == {"network", "cluster"}


def test_deploy_plans_and_applies_stack_by_stack(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "AUTO_APPROVE": "1"})
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert [c[:2] for c in calls] == [[s, step] for s in ("network", "cluster", "data", "app")
                                      for step in ("init", "plan", "show", "apply")]
    apply_call = next(c for c in calls if c[:2] == ["data", "apply"])
    assert apply_call[-1] == str((plans / "data.tfplan").resolve())  # the plan the guard saw


def test_deploy_stops_at_the_first_failure(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path,
                      env_extra={**env, "AUTO_APPROVE": "1", "FAKE_TF_FAIL": "apply:cluster"})
    assert result.returncode == 1
    assert "cluster: terraform apply failed (exit 1)" in result.stderr
    assert "stopped at stack 'cluster'; not deployed: data, app" in result.stderr
    assert {c[0] for c in _calls(log)} == {"network", "cluster"}


def test_deploy_without_a_terminal_asks_for_auto_approve(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra=env, stdin="")
    assert result.returncode == 1
    assert "stdin is not a terminal; set AUTO_APPROVE=1" in result.stderr
    assert not any(c[1] == "apply" for c in _calls(log))


def test_deploy_skips_apply_when_a_stack_has_no_changes(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "FAKE_TF_PLAN_EXIT": "0"})
    assert result.returncode == 0, result.stderr
    assert not any(c[1] == "apply" for c in _calls(log))
    assert result.stdout.count(": no changes") == 4


def test_terraform_older_than_1_11_is_refused_with_the_fix(tmp_path):
    path = str(_bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_OK))
    result = delivery("plan", path=path, env_extra={"FAKE_TF_VERSION": "1.9.8", "FAKE_TF_LOG": str(tmp_path / "log")})
    assert result.returncode == 3
    assert "Terraform 1.9 is too old for write-only arguments" in result.stderr
    assert "install Terraform >= 1.11" in result.stderr and "Traceback" not in result.stderr
