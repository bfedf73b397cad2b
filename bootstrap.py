"""Entry point for the remote-state bootstrap: synthesize the `state` stack on its own.

    python bootstrap.py                    # config/reference.yaml -> ./cdktf.out.bootstrap (or $BOOTSTRAP_OUTDIR)
    PPM_CONFIG=config/small.yaml python bootstrap.py

The state stack (resource group, storage account, container for the four stacks'
azurerm backends) cannot live in the main app: it must exist before those backends can
even be initialised, and `cdktf deploy '*'` of the main app must never touch it. So it
gets its own App and output directory, with a local backend whose state file is kept
outside that directory ($BOOTSTRAP_STATE, default .bootstrap/<environment>.tfstate),
because every synth replaces the output directory.

Same config validation, atomic synth and exit codes as main.py (cli/entry.py). `make bootstrap`
runs this, then `terraform init` and `terraform apply` in <outdir>/stacks/state.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from cli.entry import Target, run
from config.schema import EnvironmentConfig

ROOT = Path(__file__).resolve().parent
OUTDIR_ENV = "BOOTSTRAP_OUTDIR"
STATE_ENV = "BOOTSTRAP_STATE"
DEFAULT_OUTDIR = "cdktf.out.bootstrap"


def bootstrap_outdir() -> Path:
    """Where the state stack is synthesized: $BOOTSTRAP_OUTDIR or ./cdktf.out.bootstrap."""
    return Path(os.environ.get(OUTDIR_ENV) or DEFAULT_OUTDIR)


def state_stack(cfg: EnvironmentConfig) -> Target:
    from cli.builders import build_state_app, default_local_state

    local_state = Path(os.environ[STATE_ENV]) if os.environ.get(STATE_ENV) else default_local_state(cfg, ROOT)
    local_state.parent.mkdir(parents=True, exist_ok=True)
    return Target(build=functools.partial(build_state_app, local_state=local_state), outdir=bootstrap_outdir(),
                  done=lambda out: f"synthesized {cfg.environment} (state) to {out}; "
                                   f"its own state file: {local_state.resolve()}")


def main() -> int:
    return run(state_stack)


if __name__ == "__main__":
    sys.exit(main())
