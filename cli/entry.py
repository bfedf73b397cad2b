"""The one path both entry points take: validate the config, set up the process, synthesize.

Exit codes: 0 written; 1 synth failed (construct props or a policy rule, one line each);
2 the config is invalid, or the toolchain (``PPM_TOOLCHAIN``) is unknown or not installed (nothing
built, nothing written); 130 interrupted (Ctrl-C: nothing written, a previous output directory left
as it was, no staging directory behind).
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from config import ConfigError, load_config
from config.schema import EnvironmentConfig

if TYPE_CHECKING:
    from cli.synth import AppBuilder

EXIT_SYNTH_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


@dataclass(frozen=True)
class Target:
    """What one entry point synthesizes: the builder, where to, and the line to print when done."""

    build: "AppBuilder"
    outdir: Path
    done: Callable[[Path], str]


def run(target: Callable[[EnvironmentConfig], Target]) -> int:
    """Load and validate the config, then synthesize what ``target(cfg)`` describes; return the exit code.

    ``target`` is called only after the config is valid and lazy provider loading is on, so it
    may import stacks and cdktf.
    """
    try:
        try:
            cfg = load_config()
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_CONFIG

        from constructs_lib.toolchain import ToolchainError, selected

        try:
            selected()  # PPM_TOOLCHAIN, or the toolchain that is installed
        except ToolchainError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_CONFIG

        from cli.process import use_supported_node

        use_supported_node()
        from constructs_lib import lazy_providers

        lazy_providers.enable()  # before the first provider import; PPM_EAGER_IMPORTS=1 turns it off

        from cli.synth import SynthError, synthesize

        chosen = target(cfg)
        try:
            written = synthesize(cfg, chosen.outdir, build=chosen.build)
        except SynthError as err:
            print(f"error: synth failed:\n{err}", file=sys.stderr)
            return EXIT_SYNTH_FAILED
        except ToolchainError as err:  # e.g. provider bindings of an azurerm major the constructs do not know
            print(f"error: {err}", file=sys.stderr)
            return EXIT_CONFIG
        # Written: a Ctrl-C from here on would only turn success into jsii's shutdown traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print(chosen.done(written))
        return 0
    except KeyboardInterrupt:
        print("interrupted: nothing written (any previous output is unchanged)", file=sys.stderr)
        return EXIT_INTERRUPTED
