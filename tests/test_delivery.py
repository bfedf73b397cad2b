"""`make plan` / `make deploy` / `make bootstrap` driver (scripts/delivery.py) without Azure.

Order comes from the session's synthesized manifest. Prerequisite messages are
tested with a PATH that lacks `az` and/or `terraform`. The plan/deploy flow runs
against the session's reference synth (--no-synth) with stand-in `terraform` and
`az` executables that log their calls, so the dependency order, stack selection
(STACKS) and the failure behaviour (running stacks finish, nothing that needs a failed
one starts, every failure reported with its cause) are asserted without a cloud.
Real Terraform running independent stacks at the same time: tests/test_delivery_parallel.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DELIVERY = ROOT / "scripts" / "delivery.py"
EMPTY_PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": []}

FAKE_TERRAFORM = """#!{python}
# Stand-in terraform: logs "<stack> <subcommand> [args]" (and "<stack> <subcommand> <TF_PLUGIN_CACHE_DIR>" to
# FAKE_TF_ENV_LOG); FAKE_TF_FAIL="<subcommand>:<stack>[,...]" fails those calls.
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": os.environ.get("FAKE_TF_VERSION", "1.11.4")}}))
    sys.exit(0)
stack = os.path.basename(args[0].split("=", 1)[1]) if args and args[0].startswith("-chdir=") else "-"
rest = args[1:] if stack != "-" else args
with open(os.environ["FAKE_TF_LOG"], "a") as log:
    log.write(" ".join([stack, *rest]) + "\\n")
if os.environ.get("FAKE_TF_ENV_LOG"):
    with open(os.environ["FAKE_TF_ENV_LOG"], "a") as log:
        log.write(f"{{stack}} {{rest[0]}} {{os.environ.get('TF_PLUGIN_CACHE_DIR', '<unset>')}}\\n")
if f"{{rest[0]}}:{{stack}}" in os.environ.get("FAKE_TF_FAIL", "").split(","):
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


FAKE_KUBELOGIN = "#!/bin/sh\nexit 0\n"  # the preflight looks for it whenever `app` runs


def _bin(tmp_path: Path, **tools: str) -> Path:
    """A directory holding only the given executables (with terraform, also a kubelogin)."""
    if "terraform" in tools:
        tools.setdefault("kubelogin", FAKE_KUBELOGIN)
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    for name, text in tools.items():
        path = directory / name
        path.write_text(text)
        path.chmod(0o755)
    return directory


def _fake_terraform() -> str:
    return FAKE_TERRAFORM.format(python=sys.executable, empty=repr(EMPTY_PLAN))


def ready_config(directory: Path) -> Path:
    """The reference config with its documentation placeholders replaced, as an operator would before a
    first deploy: the preflight (which plan, deploy and bootstrap run first) then lets them through."""
    data = yaml.safe_load((ROOT / "config" / "reference.yaml").read_text())
    data["network"]["ingress_allowed_sources"] = ["20.30.40.0/24"]
    data["cluster"]["api_server"]["authorized_ip_ranges"] = ["20.30.41.0/24"]
    data["app"]["hostname"] = "packages.contoso.net"
    data["delivery"]["deployer_principal_ids"] = ["11111111-1111-4111-8111-111111111111"]
    data["alerts"]["email_receivers"] = ["platform-oncall@contoso.net"]
    path = directory / "ready.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


_READY = ready_config(Path(tempfile.mkdtemp(prefix="ready-config-")))


def delivery(*args: str, path: str, env_extra: dict[str, str] | None = None, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ARM_", "AUTO_APPROVE", "ALLOW_DESTROY", "PARALLELISM", "TF_PLUGIN_CACHE_DIR"))}
    # The preflight's Azure group needs `az` answers these fakes do not give (tests/test_preflight.py has them).
    env.update({"PATH": path, "PPM_CONFIG": str(_READY), "PREFLIGHT_OFFLINE": "1", **(env_extra or {})})
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
    assert f"preflight: " in result.stderr and f"before `make {command}`, each with its fix:" in result.stderr
    assert "`terraform` is not on PATH: install Terraform" in result.stderr
    assert "the Azure CLI `az` is not on PATH" in result.stderr and "az login" in result.stderr


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

ALL = ("network", "cluster", "data", "app")


@pytest.fixture
def fake_cloud(tmp_path, reference):
    """PATH with stand-in terraform and az, the session's reference synth, a plans dir and a call log."""
    log = tmp_path / "terraform.log"
    path = _bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_OK)
    env = {"FAKE_TF_LOG": str(log), "CDKTF_OUTDIR": str(reference.outdir), "PLANS_DIR": str(tmp_path / "plans"),
           "TF_PLUGIN_CACHE_DIR": str(tmp_path / "plugin-cache"), "FAKE_TF_ENV_LOG": str(tmp_path / "env.log")}
    return str(path), env, log, tmp_path / "plans"


def _calls(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()]


def _steps(calls: list[list[str]], stack: str) -> list[str]:
    return [c[1] for c in calls if c[0] == stack]


def _assert_dependencies_first(calls: list[list[str]], manifest: dict) -> None:
    """Every stack's first call comes after the last call of each stack it depends on."""
    index = {stack: [i for i, c in enumerate(calls) if c[0] == stack] for stack in {c[0] for c in calls}}
    for stack, positions in index.items():
        for dep in manifest["stacks"][stack]["dependencies"]:
            if dep in index:
                assert max(index[dep]) < min(positions), f"{stack} started before {dep} was done"


def test_plan_runs_init_plan_show_per_stack_in_order_one_at_a_time(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "PARALLELISM": "1"})
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert [c[:2] for c in calls] == [[s, step] for s in ALL for step in ("init", "plan", "show")]
    for stack in ALL:
        assert (plans / f"{stack}.tfplan").exists() and json.loads((plans / f"{stack}.json").read_text())
        plan_call = next(c for c in calls if c[:2] == [stack, "plan"])
        assert f"-out={(plans / f'{stack}.tfplan').resolve()}" in plan_call
        assert next(c for c in calls if c[:2] == [stack, "init"])[2:] == ["-input=false", "-reconfigure"]
    summary = (plans / "summary.md").read_text()
    assert [line for line in summary.splitlines() if line.startswith("## ")] == [
        "## Security-relevant changes", "## network", "## cluster", "## data", "## app", "## Guard: passed"]
    assert "up to 1 stack at once (PARALLELISM)" in result.stdout


def test_init_upgrades_only_the_stack_whose_provider_pins_left_its_lock_file(fake_cloud, reference, tmp_path):
    """Switching toolchains moves the pins (azurerm 4.55.0 -> 5.10.0); Terraform refuses the old lock file
    without -upgrade. A lock file that matches the pins keeps plain init (no silent provider upgrades)."""
    import shutil

    path, env, log, _ = fake_cloud
    outdir = tmp_path / "out"
    shutil.copytree(reference.outdir, outdir)
    pinned = reference.stacks["network"]["terraform"]["required_providers"]["azurerm"]["version"]
    lock = 'provider "registry.terraform.io/hashicorp/azurerm" {{\n  version     = "{}"\n  hashes = []\n}}\n'
    (outdir / "stacks" / "network" / ".terraform.lock.hcl").write_text(lock.format("3.117.0"))
    (outdir / "stacks" / "data" / ".terraform.lock.hcl").write_text(lock.format(pinned))
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "CDKTF_OUTDIR": str(outdir)})
    assert result.returncode == 0, result.stderr
    inits = {c[0]: c[2:] for c in _calls(log) if c[1] == "init"}
    assert inits["network"] == ["-input=false", "-reconfigure", "-upgrade"]
    assert inits["data"] == inits["cluster"] == inits["app"] == ["-input=false", "-reconfigure"]
    assert f"[network] provider pins changed (azurerm 3.117.0 -> {pinned})" in result.stdout


def test_bootstrap_upgrades_the_state_stacks_lock_file_when_its_pins_moved(fake_cloud, tmp_path):
    """The state stack too: a lock file from the other toolchain (kept by the re-synth) gets init -upgrade."""
    path, env, log, _ = fake_cloud
    outdir = tmp_path / "bootstrap-out"
    env = {**env, "BOOTSTRAP_OUTDIR": str(outdir), "BOOTSTRAP_STATE": str(tmp_path / "state.tfstate"),
           "AUTO_APPROVE": "1"}
    first = delivery("bootstrap", path=path, env_extra=env)
    assert first.returncode == 0, first.stderr
    state_dir = outdir / "stacks" / "state"
    assert [c[2:] for c in _calls(log) if c[:2] == ["state", "init"]] == [["-input=false", "-reconfigure"]]
    (state_dir / ".terraform.lock.hcl").write_text(
        'provider "registry.terraform.io/hashicorp/azurerm" {\n  version = "3.117.0"\n}\n')
    second = delivery("bootstrap", path=path, env_extra=env)
    assert second.returncode == 0, second.stderr
    inits = [c[2:] for c in _calls(log) if c[:2] == ["state", "init"]]
    assert inits[-1] == ["-input=false", "-reconfigure", "-upgrade"], inits
    assert "[state] provider pins changed (azurerm 3.117.0 -> " in second.stdout


def test_plan_runs_independent_stacks_in_parallel_after_their_dependencies(fake_cloud, reference):
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    for stack in ALL:
        assert _steps(calls, stack) == ["init", "plan", "show"]
    _assert_dependencies_first(calls, reference.manifest)
    assert "stacks (from manifest.json): network -> cluster + data -> app" in result.stdout
    assert "up to 4 stacks at once (PARALLELISM)" in result.stdout
    # every line of Terraform's output carries its stack
    assert "[cluster] + terraform -chdir=" in result.stdout and "[data] + terraform -chdir=" in result.stdout
    assert "[app] fake terraform" not in result.stdout
    assert [line for line in (plans / "summary.md").read_text().splitlines() if line.startswith("## ")][1:5] == [
        f"## {s}" for s in ALL]  # summary in dependency order, however the plans finished
    assert "planned: network" in result.stdout and "critical path" in result.stdout


def test_every_terraform_call_gets_the_plugin_cache(fake_cloud):
    path, env, _, _ = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    seen = Path(env["FAKE_TF_ENV_LOG"]).read_text().splitlines()
    assert len(seen) == 12 and {line.split()[2] for line in seen} == {env["TF_PLUGIN_CACHE_DIR"]}
    assert Path(env["TF_PLUGIN_CACHE_DIR"]).is_dir()  # created when missing


def test_plugin_cache_default_is_in_the_repo_and_git_ignored(tmp_path, monkeypatch):
    import scripts.delivery as delivery_module

    monkeypatch.setattr(delivery_module, "ROOT", tmp_path)
    env = delivery_module.plugin_cache({"PATH": "/bin"})
    cache = tmp_path / ".terraform.d" / "plugin-cache"
    assert env == {"PATH": "/bin", "TF_PLUGIN_CACHE_DIR": str(cache)} and cache.is_dir()
    assert (tmp_path / ".terraform.d" / ".gitignore").read_text().splitlines()[-1] == "*"
    mine = tmp_path / "elsewhere"
    assert delivery_module.plugin_cache({"TF_PLUGIN_CACHE_DIR": str(mine)})["TF_PLUGIN_CACHE_DIR"] == str(mine)
    assert mine.is_dir() and not (mine.parent / ".gitignore").exists()  # an existing value is honoured as is


def test_a_failed_plan_lets_siblings_finish_and_starts_nothing_that_needs_it(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "FAKE_TF_FAIL": "plan:cluster"})
    assert result.returncode == 1
    calls = _calls(log)
    assert _steps(calls, "data") == ["init", "plan", "show"]  # the sibling finished
    assert _steps(calls, "app") == []  # needs cluster: never started
    assert "1 of 4 stacks failed:\n  - cluster: terraform plan failed (exit 1)" in result.stderr
    # network has planned changes that are not applied: that, and only that, is the advice
    assert "cluster plans against the remote state of network, whose planned changes are not applied yet" in result.stderr
    assert "Apply its producers first (`make deploy`" in result.stderr
    assert "Not planned: app (needs cluster)" in result.stderr
    assert "[cluster] fake terraform: plan failed" in result.stdout
    # the summary covers what was planned and says what was not
    summary = (plans / "summary.md").read_text()
    assert "## network" in summary and "## data" in summary and "## cluster" not in summary
    assert "**cluster: terraform plan failed (exit 1)**" in summary and "**app: not planned**: it needs cluster." in summary


def test_every_failure_is_reported_with_its_stack(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", path=path,
                      env_extra={**env, "FAKE_TF_FAIL": "plan:cluster,init:data"})
    assert result.returncode == 1
    assert "2 of 4 stacks failed:" in result.stderr
    assert "  - cluster: terraform plan failed (exit 1)" in result.stderr
    assert "  - data: terraform init failed (exit 1)" in result.stderr
    assert "Not planned: app (needs cluster, data)" in result.stderr
    assert _steps(_calls(log), "app") == []


def test_a_stack_without_dependencies_gets_the_cause_that_applies(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "FAKE_TF_FAIL": "init:network"})
    assert result.returncode == 1
    assert "  - network: terraform init failed (exit 1)" in result.stderr
    assert "the remote state must exist (`make bootstrap`)" in result.stderr
    assert "producers" not in result.stderr and "remote state of" not in result.stderr
    assert "Not planned: cluster (needs network); data (needs network); app (needs cluster, data)" in result.stderr
    assert {c[0] for c in _calls(log)} == {"network"}
    summary = (Path(env["PLANS_DIR"]) / "summary.md").read_text()  # written even though nothing was planned
    assert "**network: terraform init failed (exit 1)**" in summary and "No stack was planned." in summary
    # a plan failure where the producers have no pending changes: no "apply its producers first" either
    log.unlink()
    result = delivery("plan", "--no-synth", path=path,
                      env_extra={**env, "FAKE_TF_FAIL": "plan:cluster", "FAKE_TF_PLAN_EXIT": "0"})
    assert result.returncode == 1
    assert "  - cluster: terraform plan failed (exit 1)" in result.stderr
    assert "producers" not in result.stderr and "Terraform's error is in the [cluster] lines above" in result.stderr


# --------------------------------------------------------------------------- STACKS


def test_stacks_selects_and_keeps_dependency_order(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", "--stacks", "data network", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert {c[0] for c in calls} == {"network", "data"}
    assert _steps(calls, "network") == ["init", "plan", "show"] and calls[0][0] == "network"
    assert "stacks (from manifest.json): network -> data (STACKS; not selected: cluster, app)" in result.stdout
    summary = (plans / "summary.md").read_text()
    assert [line for line in summary.splitlines() if line.startswith("## ")] == [
        "## Security-relevant changes", "## network", "## data", "## Guard: passed"]
    assert "> - Not planned (STACKS): cluster, app." in summary


def test_selected_stacks_keep_their_order_through_unselected_ones(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", "--stacks", "app,network", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    assert [c[0] for c in _calls(log)] == ["network"] * 3 + ["app"] * 3  # app needs network through cluster and data
    assert "stacks (from manifest.json): network -> app (STACKS; not selected: cluster, data)" in result.stdout


def test_a_consumer_alone_is_allowed_and_names_the_dependencies_it_assumes(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", "--stacks", "app", path=path, env_extra=env)
    assert result.returncode == 0, result.stderr
    assert {c[0] for c in _calls(log)} == {"app"}
    assert "  app: dependencies not selected, assumed applied: cluster, data" in result.stdout
    failed = delivery("plan", "--no-synth", "--stacks", "app", path=path, env_extra={**env, "FAKE_TF_FAIL": "plan:app"})
    assert failed.returncode == 1
    assert "its dependencies cluster, data were not selected (STACKS), so this run assumed they are applied" in failed.stderr
    assert "producers first" not in failed.stderr


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_an_unknown_stack_is_one_line_naming_stacks_and_exit_2(fake_cloud, command):
    path, env, log, _ = fake_cloud
    result = delivery(command, "--no-synth", "--stacks", "network dta", path=path, env_extra=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: STACKS='network dta': unknown stack 'dta'; allowed: network, data, cluster, app"]
    assert not log.exists()  # nothing ran


def test_an_unknown_stack_stops_before_the_preflight_and_the_synth(tmp_path):
    """With the shipped config (placeholders: the preflight would exit 3) and no tools on PATH, a typo in
    STACKS is still what is reported: exit 2, one line, no synth."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "PPM_CONFIG", "PREFLIGHT"))}
    env.update({"PATH": str(_bin(tmp_path)), "CDKTF_OUTDIR": str(tmp_path / "out")})
    result = subprocess.run([sys.executable, str(DELIVERY), "plan", "--stacks", "dta"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["error: STACKS='dta': unknown stack 'dta'; allowed: network, data, cluster, app"]
    assert not (tmp_path / "out").exists()


def test_an_invalid_parallelism_is_exit_2(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "PARALLELISM": "0"})
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "PARALLELISM='0'" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize("stacks, expected", [
    ("network data", '{venv}/bin/python scripts/delivery.py {target} --stacks "network data"'),
    ("", "{venv}/bin/python scripts/delivery.py {target}"),
])
@pytest.mark.parametrize("target", ["plan", "deploy"])
def test_make_passes_stacks_to_delivery(target, stacks, expected):
    """With the venv of the toolchain make runs on (TOOLCHAIN, as this session's)."""
    from constructs_lib.toolchain import selected

    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "STACKS")}
    result = subprocess.run(["make", "-n", "--no-print-directory", target, f"STACKS={stacks}"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].rstrip() == expected.format(venv=selected().venv, target=target)


# --------------------------------------------------------------------------- deploy


def test_deploy_plans_and_applies_each_stack_after_its_dependencies(fake_cloud, reference):
    path, env, log, plans = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "AUTO_APPROVE": "1"})
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    for stack in ALL:
        assert _steps(calls, stack) == ["init", "plan", "show", "apply"]
    _assert_dependencies_first(calls, reference.manifest)
    apply_call = next(c for c in calls if c[:2] == ["data", "apply"])
    assert apply_call[-1] == str((plans / "data.tfplan").resolve())  # the plan the guard saw
    assert "up to 4 stacks at once" in result.stdout
    assert "deployed: network (applied), cluster (applied), data (applied), app (applied)" in result.stdout


def test_deploy_one_at_a_time_is_in_manifest_order(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "AUTO_APPROVE": "1", "PARALLELISM": "1"})
    assert result.returncode == 0, result.stderr
    assert [c[:2] for c in _calls(log)] == [[s, step] for s in ALL for step in ("init", "plan", "show", "apply")]


def test_a_failed_apply_lets_siblings_finish_and_deploys_nothing_that_needs_it(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path,
                      env_extra={**env, "AUTO_APPROVE": "1", "FAKE_TF_FAIL": "apply:cluster"})
    assert result.returncode == 1
    assert "1 of 4 stacks failed:\n  - cluster: terraform apply failed (exit 1)" in result.stderr
    assert "Terraform's error is in the [cluster] lines above" in result.stderr and "producers" not in result.stderr
    assert "Not deployed: app (needs cluster)" in result.stderr
    calls = _calls(log)
    assert _steps(calls, "data") == ["init", "plan", "show", "apply"] and _steps(calls, "app") == []
    assert "deployed: network (applied), data (applied)" in result.stdout


def test_deploy_without_a_terminal_asks_for_auto_approve_and_runs_one_at_a_time(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra=env, stdin="")
    assert result.returncode == 1
    assert "stdin is not a terminal; set AUTO_APPROVE=1" in result.stderr
    assert "stacks run one at a time (AUTO_APPROVE=1 runs independent stacks in parallel)" in result.stdout
    assert not any(c[1] == "apply" for c in _calls(log))
    assert {c[0] for c in _calls(log)} == {"network"}


def test_deploy_skips_apply_when_a_stack_has_no_changes(fake_cloud):
    path, env, log, _ = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "FAKE_TF_PLAN_EXIT": "0"})
    assert result.returncode == 0, result.stderr
    assert not any(c[1] == "apply" for c in _calls(log))
    assert result.stdout.count("] no changes") == 4


def test_terraform_older_than_1_11_is_refused_with_the_fix(tmp_path):
    path = str(_bin(tmp_path, terraform=_fake_terraform(), az=FAKE_AZ_OK))
    result = delivery("plan", path=path, env_extra={"FAKE_TF_VERSION": "1.9.8", "FAKE_TF_LOG": str(tmp_path / "log")})
    assert result.returncode == 3
    assert "Terraform 1.9 is too old for write-only arguments" in result.stderr
    assert "install Terraform >= 1.11" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- preflight first, read-only plans


@pytest.mark.parametrize("command", ["plan", "deploy", "bootstrap"])
def test_the_shipped_reference_config_stops_at_the_preflight_before_any_tool(tmp_path, command):
    """`make plan` on a fresh clone: exit 3 naming every placeholder, and no tool looked for (PATH is empty)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "PPM_CONFIG", "PREFLIGHT"))}
    env["PATH"] = str(_bin(tmp_path))
    result = subprocess.run([sys.executable, str(DELIVERY), command], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    for key in ("network.ingress_allowed_sources[0]", "cluster.api_server.authorized_ip_ranges[0]", "app.hostname",
                "delivery.deployer_principal_ids", "alerts.email_receivers[0]"):
        assert f"  - {key}: " in result.stderr, key
    for tool in ("terraform", "`az`", "kubelogin"):
        assert tool not in result.stderr, tool
    assert not (ROOT / "cdktf.out.staging").exists()


def test_a_read_only_plan_takes_no_lock_and_does_not_refresh_the_release(fake_cloud):
    """PLAN_READ_ONLY=1 (the plan identity): -lock=false everywhere, -refresh=false for data and app, whose
    refresh would read a secret value (the vault secret, Helm's release Secrets)."""
    path, env, log, plans = fake_cloud
    result = delivery("plan", "--no-synth", path=path, env_extra={**env, "PLAN_READ_ONLY": "1"})
    assert result.returncode == 0, result.stderr
    plans_by_stack = {c[0]: c for c in _calls(log) if c[1] == "plan"}
    assert set(plans_by_stack) == set(ALL)
    for stack, call in plans_by_stack.items():
        assert "-lock=false" in call, stack
        assert ("-refresh=false" in call) == (stack in ("data", "app")), stack


def test_read_only_is_refused_for_a_deploy(fake_cloud):
    path, env, log, plans = fake_cloud
    result = delivery("deploy", "--no-synth", path=path, env_extra={**env, "PLAN_READ_ONLY": "1", "AUTO_APPROVE": "1"})
    assert result.returncode == 2
    assert "PLAN_READ_ONLY=1 is for plans only" in result.stderr
