"""Entry point: validate the environment config, then synthesize the four stacks.

    python main.py                 # config/reference.yaml -> ./cdktf.out (or $CDKTF_OUTDIR)
    PPM_CONFIG=config/small.yaml python main.py

The config is validated before cdktf or any provider package loads, so a bad
config is refused in well under a second, with one line per problem, exit 2,
and nothing written.
"""

from __future__ import annotations

import sys

from config import ConfigError, load_config
from stacks.runtime import outdir, use_supported_node


def main() -> int:
    try:
        cfg = load_config()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    use_supported_node()
    from constructs_lib import lazy_providers

    lazy_providers.enable()  # before the first provider import; PPM_EAGER_IMPORTS=1 turns it off

    from stacks.synth import SynthError, synthesize

    try:
        target = synthesize(cfg, outdir())
    except SynthError as err:
        print(f"error: synth failed:\n{err}", file=sys.stderr)
        return 1
    print(f"synthesized {cfg.environment} (network, data, cluster, app) to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
