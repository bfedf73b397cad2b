"""Entry point for the remote-state bootstrap: synthesize the `state` stack on its own.

    python bootstrap.py                    # config/reference.yaml -> ./cdktf.out.bootstrap (or $BOOTSTRAP_OUTDIR)
    PPM_CONFIG=config/small.yaml python bootstrap.py

The state stack (resource group, storage account, container for the four stacks'
azurerm backends) cannot live in the main app: it must exist before those backends can
even be initialised, and `cdktf deploy '*'` of the main app must never touch it. So it
gets its own App and output directory, with a local backend whose state file is kept
outside that directory ($BOOTSTRAP_STATE, default .bootstrap/<environment>.tfstate),
because every synth replaces the output directory.

Same config validation and atomic synth as main.py. `make bootstrap` runs this, then
`terraform init` and `terraform apply` in <outdir>/stacks/state.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from config import ConfigError, load_config
from stacks.runtime import use_supported_node

ROOT = Path(__file__).resolve().parent
OUTDIR_ENV = "BOOTSTRAP_OUTDIR"
STATE_ENV = "BOOTSTRAP_STATE"
DEFAULT_OUTDIR = "cdktf.out.bootstrap"


def bootstrap_outdir() -> Path:
    """Where the state stack is synthesized: $BOOTSTRAP_OUTDIR or ./cdktf.out.bootstrap."""
    return Path(os.environ.get(OUTDIR_ENV) or DEFAULT_OUTDIR)


def main() -> int:
    try:
        cfg = load_config()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    use_supported_node()
    from constructs_lib import lazy_providers

    lazy_providers.enable()  # before the first provider import, as in main.py

    from stacks.state import build_state_app, default_local_state
    from stacks.synth import SynthError, synthesize

    local_state = Path(os.environ[STATE_ENV]) if os.environ.get(STATE_ENV) else default_local_state(cfg, ROOT)
    local_state.parent.mkdir(parents=True, exist_ok=True)
    try:
        target = synthesize(cfg, bootstrap_outdir(),
                            build=functools.partial(build_state_app, local_state=local_state))
    except SynthError as err:
        print(f"error: synth failed:\n{err}", file=sys.stderr)
        return 1
    print(f"synthesized {cfg.environment} (state) to {target}; its own state file: {local_state.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
