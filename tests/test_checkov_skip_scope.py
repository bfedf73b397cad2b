"""Each checkov skip is a record naming the stacks it applies to (policy/checkov_skips.py), and
tests/support/checkov_all.py skips it only there. This test runs checkov WITHOUT any skip on every
stack of both configs (once per session) and holds the records to what checkov finds:

- a check that fails in a stack must have a record naming that stack (else the regression would
  only show as "failed" in tests/test_checkov.py; here the message names the scope);
- every stack a record names must have that check failing there in at least one shipped config:
  a skip that suppresses nothing is stale (drop the stack from the record, or the record).
"""

from __future__ import annotations

import pytest

from policy.checkov_skips import SKIPS
from tests.conftest import CONFIGS, STACKS
from tests.test_checkov import CHECKOV_CONFIG, CheckovRunError, describe, run_checkov_many

ALL_STACKS = (*STACKS, "state")


@pytest.fixture(scope="session")
def unskipped_runs(synths, state_synths, tmp_path_factory):
    """checkov on every (config, stack) with .checkov.yaml and no --skip-check (no job is given a stack)."""
    workdir = tmp_path_factory.mktemp("checkov-noskip")
    jobs = {f"{c}-{s}": synths[c].outdir / "stacks" / s for c in CONFIGS for s in STACKS}
    jobs.update({f"{c}-state": state.outdir / "stacks" / "state" for c, state in state_synths.items()})
    return run_checkov_many(jobs, workdir / "out", stacks=None, config_file=CHECKOV_CONFIG, cwd=workdir)


def _run(unskipped_runs, config, stack):
    run = unskipped_runs[f"{config}-{stack}"]
    if isinstance(run, CheckovRunError):
        raise run
    return run


@pytest.fixture(scope="session")
def failing_in(unskipped_runs) -> dict[str, dict[str, set[str]]]:
    """check id -> stack -> the configs in which it fails there (without skips)."""
    found: dict[str, dict[str, set[str]]] = {}
    for config in CONFIGS:
        for stack in ALL_STACKS:
            for check in _run(unskipped_runs, config, stack).failed:
                found.setdefault(check["check_id"], {}).setdefault(stack, set()).add(config)
    return found


@pytest.mark.parametrize("stack", ALL_STACKS)
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_unskipped_failures_are_inside_their_records_stacks(unskipped_runs, synths, state_synths, config, stack):
    run = _run(unskipped_runs, config, stack)
    body = state_synths[config].doc if stack == "state" else synths[config].stacks[stack]
    scoped = {s.check_id for s in SKIPS if stack in s.stacks}
    outside = [describe(check, body) for check in run.failed if check["check_id"] not in scoped]
    assert not outside, (f"{config}/{stack}: checks fail that no skip record scoped to this stack covers "
                         "(fix the construct, or add the stack to a record in policy/checkov_skips.py with a "
                         "reason):\n" + "\n".join(outside))


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: s.check_id)
def test_every_record_suppresses_a_failure_in_each_stack_it_names(failing_in, skip):
    """A record naming a stack where its check passes (in every shipped config) is stale there."""
    where = failing_in.get(skip.check_id, {})
    idle = [stack for stack in skip.stacks if not where.get(stack)]
    assert not idle, (f"{skip.check_id} passes without the skip in {idle} on every shipped config "
                      f"(it fails in {sorted(where) or 'no stack'}): remove those stacks from its record")
