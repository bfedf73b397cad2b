"""The App builders: compose stacks into a cdktf App (built, not synthesized).

- :func:`build_app`: the four stacks in one App (cross-stack references need one App).
- :func:`build_state_app`: the remote-state stack alone, in its own App (see ``stacks/state.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from constructs_lib.cdk import App
from constructs_lib.toolchain import app_context

from config.schema import EnvironmentConfig
from stacks.app import AppStack
from stacks.cluster import ClusterStack
from stacks.data import DataStack
from stacks.network import NetworkStack
from stacks.state import STACK_ID as STATE_STACK_ID
from stacks.state import StateStack


def build_app(cfg: EnvironmentConfig, outdir: str | None = None) -> App:
    """Build (not synthesize) the app: network -> data, cluster -> app."""
    app = App(outdir=outdir, context=app_context()) if outdir else App(context=app_context())
    network = NetworkStack(app, cfg)
    data = DataStack(app, cfg, network)
    cluster = ClusterStack(app, cfg, network)
    AppStack(app, cfg, cluster, data)
    return app


def default_local_state(cfg: EnvironmentConfig, root: Path) -> Path:
    """Where the state stack's own state file lives by default: ``<root>/.bootstrap/<environment>.tfstate``."""
    return root / ".bootstrap" / f"{cfg.environment}.tfstate"


def build_state_app(cfg: EnvironmentConfig, outdir: str, local_state: Path) -> App:
    """The bootstrap App with only the state stack.

    ``local_state`` is absolute; the backend gets it relative to the stack directory
    (``<outdir>/stacks/state``) so the synthesized JSON holds no machine-specific path
    when the state sits inside the repository. ``outdir`` is synthesize()'s staging directory,
    a sibling of the final target, so the relative path still holds after the rename.
    """
    app = App(outdir=outdir, context=app_context())
    stack_dir = Path(outdir).resolve() / "stacks" / STATE_STACK_ID
    StateStack(app, cfg, os.path.relpath(local_state.resolve(), stack_dir))
    return app
