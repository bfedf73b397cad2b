"""Compose the four stacks into one cdktf App (one App: cross-stack references need it)."""

from __future__ import annotations

from cdktf import App

from config.schema import EnvironmentConfig
from stacks.app import AppStack
from stacks.cluster import ClusterStack
from stacks.data import DataStack
from stacks.network import NetworkStack


def build_app(cfg: EnvironmentConfig, outdir: str | None = None) -> App:
    """Build (not synthesize) the app: network -> data, cluster -> app."""
    app = App(outdir=outdir) if outdir else App()
    network = NetworkStack(app, cfg)
    data = DataStack(app, cfg, network)
    cluster = ClusterStack(app, cfg, network)
    AppStack(app, cfg, cluster, data)
    return app
