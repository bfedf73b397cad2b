"""checkov skips are global (one .checkov.yaml for every stack), so each skip declares the stacks it
exists for, and this test runs checkov WITHOUT any skip on every stack of both configs: a skipped
check may fail only in a stack inside its declared scope. A regression elsewhere (say the NFS storage
account losing its private endpoint, which the state account's CKV2_AZURE_33 skip would hide) fails here.
"""

from __future__ import annotations

import pytest
import yaml

from scripts.policy_doc import checkov_skips
from tests.conftest import CONFIGS, STACKS
from tests.test_checkov import CHECKOV_CONFIG, CheckovRunError, describe, run_checkov_many

#: The stacks each skip is for (``state`` is the bootstrap stack, checked in tests/test_state_stack.py).
SKIP_SCOPE: dict[str, set[str]] = {
    "CKV_AZURE_59": {"state"},
    "CKV2_AZURE_33": {"state"},
    "CKV2_AZURE_1": {"state", "data"},
    "CKV_AZURE_33": {"state"},
    "CKV2_AZURE_21": {"state"},
    "CKV_AZURE_226": {"cluster"},
    "CKV_AZURE_117": {"cluster"},
    "CKV_AZURE_232": {"cluster"},
    "CKV_AZURE_115": {"cluster"},
    "CKV_AZURE_206": {"data"},
    "CKV2_AZURE_38": {"data"},
    "CKV2_AZURE_57": {"data"},
    "CKV_AZURE_136": {"data"},
    "CKV_AZURE_41": {"data"},
}


def test_every_skip_declares_its_stacks():
    skips = [s.check_id for s in checkov_skips(CHECKOV_CONFIG.read_text())]
    assert set(SKIP_SCOPE) == set(skips), "declare each .checkov.yaml skip's stacks in SKIP_SCOPE (and only those)"


@pytest.fixture(scope="session")
def unskipped_runs(synths, state_synths, tmp_path_factory):
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    config["skip-check"] = []
    workdir = tmp_path_factory.mktemp("checkov-noskip")  # not the repo root: checkov also reads ./.checkov.yaml
    no_skips = workdir / "no-skips.checkov.yaml"
    no_skips.write_text(yaml.safe_dump(config))
    jobs = {f"{c}-{s}": synths[c].outdir / "stacks" / s for c in CONFIGS for s in STACKS}
    jobs.update({f"{c}-state": state.outdir / "stacks" / "state" for c, state in state_synths.items()})
    return run_checkov_many(jobs, workdir / "out", config_file=no_skips, cwd=workdir)


def _run(unskipped_runs, config, stack):
    run = unskipped_runs[f"{config}-{stack}"]
    if isinstance(run, CheckovRunError):
        raise run
    return run


@pytest.mark.parametrize("stack", [*STACKS, "state"])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_skipped_checks_fail_only_inside_their_declared_stacks(unskipped_runs, synths, state_synths, config, stack):
    run = _run(unskipped_runs, config, stack)
    body = state_synths[config].doc if stack == "state" else synths[config].stacks[stack]
    outside = [describe(check, body) for check in run.failed
               if stack not in SKIP_SCOPE.get(check["check_id"], set())]
    assert not outside, (f"{config}/{stack}: checks fail that no skip scoped to this stack covers "
                         "(fix the construct, or scope the skip in SKIP_SCOPE with a reason):\n" + "\n".join(outside))


def test_every_skip_is_still_needed_somewhere_in_its_scope(unskipped_runs):
    """A skip whose check passes everywhere it is declared for is dead weight: remove it."""
    failing: dict[str, set[str]] = {}
    for config in CONFIGS:
        for stack in [*STACKS, "state"]:
            for check in _run(unskipped_runs, config, stack).failed:
                failing.setdefault(check["check_id"], set()).add(stack)
    unneeded = {check: sorted(scope) for check, scope in SKIP_SCOPE.items() if not failing.get(check, set()) & scope}
    assert not unneeded, f"these skips no longer fail in any stack they are declared for; remove them: {unneeded}"
