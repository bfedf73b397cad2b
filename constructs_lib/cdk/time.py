"""The time provider classes of the selected toolchain; how the names resolve: :mod:`constructs_lib.cdk`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.toolchain import provider_namespace

if TYPE_CHECKING:
    from cdktf_cdktf_provider_time.provider import TimeProvider as TimeProvider
    from cdktf_cdktf_provider_time.sleep import Sleep as Sleep

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any
    __getattr__ = provider_namespace("time", __file__)
