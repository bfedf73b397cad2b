"""checkov on every stack of both shipped configs: zero failed checks, with the project's .checkov.yaml
and each stack's own skips (the records of policy/checkov_skips.py that name it).

checkov runs once per (config, stack) in a session fixture, through
tests/support/checkov_all.py (checkov imported once, one forked process per stack, two at
a time); each test then asserts on the parsed JSON. A run that crashed, printed
nothing, printed something that is not checkov's JSON, checked nothing where it has
checks, or hit a parsing error is a failure, never a pass.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from policy.checkov_skips import MAX_SKIPS, MIN_REASON_WORDS, SKIPS, skips_for
from policy.checkov_skips import STACKS as SKIPPABLE_STACKS
from tests.conftest import CONFIGS, ROOT, STACKS
from tests.support.checkov_all import CHECKOV_UNPARSABLE, checkov_readable_copy, report_summary, skip_args

CHECKOV_CONFIG = ROOT / ".checkov.yaml"
#: The only keys .checkov.yaml may hold: global settings (skips are per stack, in policy/checkov_skips.py).
GLOBAL_SETTINGS = {"framework", "compact", "quiet", "skip-download"}
#: Stacks scanned at a time (forked children of tests/support/checkov_all.py; the machine has 2 vCPU).
WORKERS = int(os.environ.get("PPM_CHECKOV_WORKERS", "2"))
#: The checkov console script installed next to this interpreter (requirements.txt pins checkov 3.x).
CHECKOV = [str(Path(sys.executable).parent / "checkov")]
CHECKOV_ALL = ROOT / "tests" / "support" / "checkov_all.py"


class CheckovRunError(AssertionError):
    """checkov did not produce a usable result (crash, no output, not JSON, nothing scanned)."""


@dataclass
class CheckovRun:
    """One checkov run: the command's outcome and, if it parsed, its summary and failures."""

    target: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    failed: list[dict[str, Any]] = field(default_factory=list)


def run_checkov(directory: Path, target: str, stack: str | None = None) -> CheckovRun:
    """Run the checkov CLI on one synthesized stack directory with the project's config file and ``stack``'s skips."""
    cmd = [*CHECKOV, "-d", str(directory), "--framework", "terraform_json",
           "--config-file", str(CHECKOV_CONFIG), *skip_args(stack), "-o", "json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return parse_run(CheckovRun(target, proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start))


def run_checkov_many(jobs: dict[str, Path], out: Path, stacks: dict[str, str] | None = None,
                     config_file: Path = CHECKOV_CONFIG, cwd: Path = ROOT) -> dict[str, CheckovRun | CheckovRunError]:
    """The same run per directory through tests/support/checkov_all.py: checkov imported once, one fork per stack.

    ``stacks`` maps a job to the stack whose skips it gets; a job not in it runs with no skip at all.
    """
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(CHECKOV_ALL), "--out", str(out), "--jobs", str(WORKERS),
           "--config-file", str(config_file), *(f"--stack={name}={stack}" for name, stack in (stacks or {}).items()),
           *(f"{name}={path}" for name, path in jobs.items())]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    results: dict[str, CheckovRun | CheckovRunError] = {}
    for name in jobs:
        files = {suffix: out / f"{name}.{suffix}" for suffix in ("json", "err", "rc")}
        if not files["rc"].exists():
            results[name] = CheckovRunError(f"checkov on {name} never finished (tests/support/checkov_all.py exited "
                                            f"{proc.returncode}):\n{proc.stderr[-1500:]}")
            continue
        run = CheckovRun(name, int(files["rc"].read_text()), files["json"].read_text(), files["err"].read_text(), 0.0)
        try:
            results[name] = parse_run(run)
        except CheckovRunError as err:
            results[name] = err
    return results


def parse_run(run: CheckovRun) -> CheckovRun:
    """Fill ``summary`` and ``failed`` from checkov's JSON; raise CheckovRunError if there is none."""
    tail = (run.stderr or "")[-1500:]
    if run.returncode not in (0, 1):  # 0: clean, 1: failed checks; anything else is a crash
        raise CheckovRunError(f"checkov on {run.target} exited {run.returncode}:\n{tail}")
    if not run.stdout.strip():
        raise CheckovRunError(f"checkov on {run.target} printed nothing (exit {run.returncode}):\n{tail}")
    try:
        data = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise CheckovRunError(f"checkov on {run.target} did not print JSON ({exc}):\n{run.stdout[:500]}") from None
    try:
        for key, value in report_summary(data).items():
            run.summary[key] = run.summary.get(key, 0) + value
    except ValueError as err:
        raise CheckovRunError(f"checkov on {run.target}: {err}") from None
    for report in data if isinstance(data, list) else [data]:
        run.failed += report.get("results", {}).get("failed_checks", [])
    if run.returncode == 1 and not run.failed:
        raise CheckovRunError(f"checkov on {run.target} exited 1 but reported no failed check:\n{tail}")
    return run


def describe(check: dict[str, Any], stack_json: dict[str, Any] | None = None) -> str:
    """``<id> <type>.<logical id> (<construct path>): <check name>`` for an assertion message.

    checkov names terraform_json resources ``resource.<logical id>`` for most checks; the
    stack's JSON gives back the type and the construct path (``//.metadata.path``).
    """
    resource = str(check.get("resource"))
    where = ""
    logical_id = resource.split(".", 1)[-1]
    for rtype, by_id in (stack_json or {}).get("resource", {}).items():
        if logical_id in by_id and resource in (f"resource.{logical_id}", f"{rtype}.{logical_id}"):
            resource = f"{rtype}.{logical_id}"
            where = f" ({by_id[logical_id].get('//', {}).get('metadata', {}).get('path', '?')})"
    return f"{check.get('check_id')} {resource}{where}: {check.get('check_name')}"


@pytest.fixture(scope="session")
def checkov_runs(synths, state_synths, other_synths, tmp_path_factory) -> dict[tuple[str, str], CheckovRun | CheckovRunError]:
    """checkov on every (config, stack) with that stack's skips, on both toolchains (``<config>@other``: the
    toolchain this session does not run on), plus planted stacks that prove failures are seen."""
    jobs = {f"{config}-{stack}": synths[config].outdir / "stacks" / stack for config in CONFIGS for stack in STACKS}
    jobs.update({f"{config}-state": state.outdir / "stacks" / "state" for config, state in state_synths.items()})
    jobs.update({f"{config}@other-{stack}": other_synths.apps[config].outdir / "stacks" / stack
                 for config in CONFIGS for stack in STACKS})
    jobs.update({f"{config}@other-state": state.outdir / "stacks" / "state"
                 for config, state in other_synths.states.items()})
    stacks = {name: name.split("-", 1)[1] for name in jobs}
    planted = tmp_path_factory.mktemp("checkov-planted")
    (planted / "cdk.tf.json").write_text(json.dumps(PLANTED_STACK))
    jobs["planted-insecure"] = planted  # no skips
    for stack in ("state", "data", "network"):  # the same storage account with one stack's skips
        jobs[f"planted-as{stack}"] = planted
        stacks[f"planted-as{stack}"] = stack
    jobs["planted-absent"] = planted / "absent"  # checkov logs an error, prints nothing and exits 0
    start = time.perf_counter()
    results = run_checkov_many(jobs, tmp_path_factory.mktemp("checkov-out"), stacks)
    print(f"\ncheckov: {len(jobs)} stacks in {time.perf_counter() - start:.1f}s wall ({WORKERS} at a time)")
    return {tuple(name.split("-", 1)): result for name, result in results.items()}


def _run(checkov_runs, config: str, stack: str) -> CheckovRun:
    result = checkov_runs[(config, stack)]
    if isinstance(result, CheckovRunError):
        raise result
    return result


@pytest.fixture(scope="session")
def checkable_types() -> frozenset[str]:
    """Terraform resource types that at least one checkov check (resource or graph) inspects."""
    from tests.support.checkov_all import checkable_types as types

    return types()


def assert_checkov_verdict(run: CheckovRun, body: dict[str, Any], checkable_types: frozenset[str]) -> None:
    """Zero failed checks, no parsing error, and something passed wherever checkov has checks."""
    failures = "\n  ".join(sorted({describe(c, body) for c in run.failed}))
    assert not run.failed and run.summary["failed"] == 0, (
        f"checkov: {len(run.failed)} failed check(s) in {run.target} - fix the construct, or (only if the "
        f"design cannot pass by nature) add a record for this stack to policy/checkov_skips.py:\n  {failures}")
    assert run.summary["parsing_errors"] == 0, f"checkov could not parse {run.target}: {run.summary}"
    types = set(body.get("resource", {}))
    if types & checkable_types:
        assert run.summary["passed"] > 0, (f"checkov checked nothing in {run.target} although it has checks "
                                           f"for {sorted(types & checkable_types)}: {run.summary}")
    else:  # e.g. an app stack of only helm_release and role assignments: checkov has no check for them
        assert run.summary["passed"] == 0, run.summary


@pytest.mark.parametrize("stack", [*STACKS, "state"])
@pytest.mark.parametrize("config", [*sorted(CONFIGS), *(f"{c}@other" for c in sorted(CONFIGS))])
def test_checkov_passes_every_stack(checkov_runs, synths, state_synths, other_synths, checkable_types, config, stack):
    """The four stacks and the bootstrap's state stack (whose storage checks must really run), as both
    toolchains synthesize them."""
    name, _, other = config.partition("@")
    apps, states = (other_synths.apps, other_synths.states) if other else (synths, state_synths)
    body = states[name].doc if stack == "state" else apps[name].stacks[stack]
    run = _run(checkov_runs, config, stack)
    assert_checkov_verdict(run, body, checkable_types)
    if stack == "state":
        assert run.summary["passed"] >= 10, run.summary


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_checkov_checked_something_in_every_config(checkov_runs, config):
    assert sum(_run(checkov_runs, config, s).summary["passed"] for s in STACKS) > 0


# A stack checkov must fail: a storage account with TLS 1.0 and public network access.
PLANTED_STACK = {
    "resource": {
        "azurerm_storage_account": {
            "insecure": {
                "name": "stinsecure", "resource_group_name": "rg", "location": "eastus2",
                "account_tier": "Standard", "account_replication_type": "LRS",
                "min_tls_version": "TLS1_0", "public_network_access_enabled": True,
            }
        }
    }
}


def test_make_checkov_summary_passes_the_stacks_and_fails_a_planted_one(reference, tmp_path):
    """The operators' `make checkov` (--summary): one line per stack, exit 1 when one fails; a stack with
    nothing checkov checks (app) passes with 0 checks, and the required_version bug does not hide anything."""
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "cdk.tf.json").write_text(json.dumps(PLANTED_STACK))
    app, network = reference.outdir / "stacks" / "app", reference.outdir / "stacks" / "network"
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "checkov_all.py"), "--summary",
                          "--out", str(tmp_path / "out"), "--stack", "network=network", "--stack", "app=app",
                          f"network={network}", f"app={app}", f"planted={planted}"],
                         capture_output=True, text=True, timeout=600)
    lines = dict(line.split(": ", 1) for line in run.stdout.splitlines())
    assert run.returncode == 1, run.stdout + run.stderr
    assert lines["network"].startswith("ok (passed ") and "parsing errors 0" in lines["network"]
    assert not lines["network"].startswith("ok (passed 0,")
    assert lines["app"].startswith("ok (passed 0, failed 0")
    assert lines["planted"].startswith("FAILED (passed ") and "failed 0" not in lines["planted"]


def test_checkov_harness_reports_a_planted_failure(checkov_runs):
    run = _run(checkov_runs, "planted", "insecure")
    failures = {describe(c, PLANTED_STACK) for c in run.failed}
    # CKV_AZURE_44: storage account TLS 1.2; CKV_AZURE_190: public blob access (provider default)
    assert run.returncode == 1 and run.summary["failed"] == len(run.failed) >= 2, failures
    assert {"CKV_AZURE_44", "CKV_AZURE_190"} <= {c["check_id"] for c in run.failed}, failures
    assert ("CKV_AZURE_44 azurerm_storage_account.insecure (?): Ensure Storage Account is using the latest "
            "version of TLS encryption") in failures


def test_a_real_run_that_printed_nothing_is_a_failure(checkov_runs):
    with pytest.raises(CheckovRunError, match="printed nothing"):
        _run(checkov_runs, "planted", "absent")


def test_forked_run_gives_what_the_checkov_cli_gives(checkov_runs, reference, tmp_path):
    """tests/support/checkov_all.py is only a faster way to run the CLI: same JSON for the same stack and skips."""
    readable = checkov_readable_copy(reference.outdir / "stacks" / "data", tmp_path / "data")
    cli = run_checkov(readable, "reference/data (CLI)", stack="data")
    forked = _run(checkov_runs, "reference", "data")
    assert (cli.returncode, json.loads(cli.stdout)) == (forked.returncode, json.loads(forked.stdout))


def test_checkov_still_cannot_parse_required_version(reference, tmp_path):
    """The copy without terraform.required_version works around bridgecrewio/checkov#7454. When a pinned
    checkov parses the raw stack, this fails: drop CHECKOV_UNPARSABLE and scan cdktf.out directly."""
    raw = CheckovRun("raw", *_cli_raw(reference.outdir / "stacks" / "network"))
    assert json.loads(raw.stdout)["summary"]["parsing_errors"] == 1, raw.stdout
    readable = checkov_readable_copy(reference.outdir / "stacks" / "network", tmp_path / "network")
    raw_doc = json.loads((reference.outdir / "stacks" / "network" / "cdk.tf.json").read_text())
    copy_doc = json.loads((readable / "cdk.tf.json").read_text())
    block, key = CHECKOV_UNPARSABLE
    assert raw_doc[block].pop(key) == ">= 1.11.0"
    assert copy_doc == raw_doc, "the copy differs in more than the one key"


def _cli_raw(directory: Path) -> tuple[int, str, str, float]:
    proc = subprocess.run([*CHECKOV, "-d", str(directory), "--framework", "terraform_json",
                           "--config-file", str(CHECKOV_CONFIG), "-o", "json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr, 0.0


@pytest.mark.parametrize("stack", ["state", "data", "network"])
def test_harness_skips_exactly_the_stacks_own_checks(checkov_runs, stack):
    """The planted storage account fails several skipped checks; scanned as ``stack`` only that stack's disappear."""
    unskipped = {c["check_id"] for c in _run(checkov_runs, "planted", "insecure").failed}
    scoped = {c["check_id"] for c in _run(checkov_runs, "planted", f"as{stack}").failed}
    own = set(skips_for(stack))
    assert unskipped - scoped == own & unskipped, f"scanned as {stack}: suppressed {sorted(unskipped - scoped)}"
    skipped_elsewhere = {s.check_id for s in SKIPS if stack not in s.stacks} & unskipped
    assert skipped_elsewhere and skipped_elsewhere <= scoped, "other stacks' skips must still fail here"
    if stack != "network":
        assert own & unskipped, f"the planted account should fail some of {stack}'s skipped checks"


@pytest.mark.parametrize("stdout, returncode, message", [
    ("", 0, "printed nothing"),
    ("Traceback (most recent call last):\n  boom", 0, "did not print JSON"),
    ('{"check_type": "terraform_json", "results": {"failed_checks": []}, "summary": {}}', 0, "no summary"),
    ('{"passed": 0, "failed": 0}', 2, "exited 2"),
    ('{"passed": 3, "failed": 0}', 1, "exited 1 but reported no failed check"),
])
def test_a_run_that_crashed_or_printed_nothing_is_a_failure(stdout, returncode, message):
    with pytest.raises(CheckovRunError, match=message):
        parse_run(CheckovRun("x/y", returncode, stdout, "stderr", 0.0))


def test_a_run_with_nothing_to_check_is_not_a_pass(checkable_types):
    """A stack with checkable resource types where checkov passed nothing is a failure (the verdict below)."""
    run = parse_run(CheckovRun("x/y", 0, '{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}', "", 0.0))
    stack = {"resource": {"azurerm_storage_account": {"a": {}}}}
    with pytest.raises(AssertionError, match="checked nothing"):
        assert_checkov_verdict(run, stack, checkable_types)


# --- .checkov.yaml and the skip records --------------------------------------------------------

def test_checkov_config_holds_only_global_settings():
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    assert set(config) <= GLOBAL_SETTINGS, (f".checkov.yaml may hold only {sorted(GLOBAL_SETTINGS)}; a skip is a "
                                            f"record in policy/checkov_skips.py: {sorted(set(config) - GLOBAL_SETTINGS)}")
    assert config.get("framework") == ["terraform_json"], config.get("framework")
    assert not config.get("soft-fail") and not config.get("soft-fail-on"), "soft-fail would hide failures"


def test_skip_records_are_few_unique_scoped_and_explained():
    ids = [s.check_id for s in SKIPS]
    assert len(ids) <= MAX_SKIPS, f"{len(ids)} skips; at most {MAX_SKIPS}: fix the constructs instead"
    assert len(set(ids)) == len(ids), f"one record per check: {sorted(i for i in ids if ids.count(i) > 1)}"
    problems = []
    for skip in SKIPS:
        if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", skip.check_id):
            problems.append(f"{skip.check_id}: not a checkov id")
        if not skip.stacks or len(set(skip.stacks)) != len(skip.stacks) or set(skip.stacks) - set(SKIPPABLE_STACKS):
            problems.append(f"{skip.check_id}: stacks {skip.stacks} (each once, among {SKIPPABLE_STACKS})")
        if len(skip.reason.split()) < MIN_REASON_WORDS:
            problems.append(f"{skip.check_id}: a reason of at least {MIN_REASON_WORDS} words, got {skip.reason!r}")
        if not skip.control.strip():
            problems.append(f"{skip.check_id}: no compensating control (README's table shows it)")
    assert not problems, "\n".join(problems)
    assert set(SKIPPABLE_STACKS) == {*STACKS, "state"}


def test_harness_gives_each_stack_only_its_own_skips():
    assert skip_args(None) == []
    for stack in SKIPPABLE_STACKS:
        named = [s.check_id for s in SKIPS if stack in s.stacks]
        assert skip_args(stack) == (["--skip-check", ",".join(named)] if named else []), stack
    with pytest.raises(ValueError, match="unknown stack"):
        skip_args("nonexistent")
