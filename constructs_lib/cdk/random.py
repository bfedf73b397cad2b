"""The random provider classes of the selected toolchain; how the names resolve: :mod:`constructs_lib.cdk`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.toolchain import provider_namespace

if TYPE_CHECKING:
    from cdktf_cdktf_provider_random.provider import RandomProvider as RandomProvider

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any
    __getattr__ = provider_namespace("random", __file__)
