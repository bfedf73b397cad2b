"""The time provider classes of the selected toolchain.

Each name is listed once, below, as the default toolchain spells it (what type checkers see);
at run time it resolves to the same class of the toolchain that :mod:`constructs_lib.toolchain`
chose, its submodule imported on first use. Add a class here before using it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.toolchain import provider_namespace

if TYPE_CHECKING:
    from cdktf_cdktf_provider_time.provider import TimeProvider as TimeProvider
    from cdktf_cdktf_provider_time.sleep import Sleep as Sleep

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any
    __getattr__ = provider_namespace("time", __file__)
