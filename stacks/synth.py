"""Synthesize all-or-nothing: a failed synth leaves a previous cdktf.out exactly as it was.

The app is written to a fresh sibling directory and swapped in by rename only
after ``app.synth()`` succeeded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from config.schema import EnvironmentConfig


class SynthError(Exception):
    """Synth failed for a reason the user can fix (construct props, policy annotations)."""


def synthesize(cfg: EnvironmentConfig, target: Path) -> Path:
    """Build and synthesize the app into ``target`` atomically; return ``target``."""
    from constructs_lib.validation import PropsError
    from stacks.app_builder import build_app

    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        app = build_app(cfg, str(staging))
        app.synth()
    except PropsError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise SynthError(str(err)) from None
    except Exception as err:  # jsii surfaces error annotations (policy Aspects) as JSIIError
        shutil.rmtree(staging, ignore_errors=True)
        if type(err).__module__.startswith("jsii"):
            raise SynthError(str(err).strip()) from None
        raise
    previous = None
    if target.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
        os.rename(target, previous / "out")
    os.rename(staging, target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    return target
