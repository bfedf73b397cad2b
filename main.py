"""Entry point: validate the environment config, then synthesize the four stacks.

    python main.py                 # config/reference.yaml -> ./cdktf.out (or $CDKTF_OUTDIR)
    PPM_CONFIG=config/small.yaml python main.py

The config is validated before cdktf or any provider package loads, so a bad
config is refused in well under a second, with one line per problem, exit 2,
and nothing written. Exit codes: cli/entry.py.
"""

from __future__ import annotations

import sys

from cli.entry import Target, run
from cli.process import outdir
from config.schema import EnvironmentConfig


def four_stacks(cfg: EnvironmentConfig) -> Target:
    from cli.builders import build_app

    return Target(build=build_app, outdir=outdir(),
                  done=lambda out: f"synthesized {cfg.environment} (network, data, cluster, app) to {out}")


def main() -> int:
    return run(four_stacks)


if __name__ == "__main__":
    sys.exit(main())
