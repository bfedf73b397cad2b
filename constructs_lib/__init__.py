"""Reusable cdktf constructs for Posit Package Manager on Azure.

Importing this package has no side effects and loads no provider bindings:
constructs are imported on first attribute access (PEP 562). To load provider
bindings lazily in your own app, call :func:`constructs_lib.lazy_providers.enable`
before your first provider import (opt-in).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RequiredTags": "constructs_lib.tagging",
    "SpokeNetwork": "constructs_lib.network",
    "VirtualNetworkProps": "constructs_lib.network",
    "SubnetSpec": "constructs_lib.network",
    "InboundRule": "constructs_lib.network",
    "PrivateDnsZone": "constructs_lib.private_dns",
    "PrivateDnsZoneProps": "constructs_lib.private_dns",
    "LogAnalyticsWorkspace": "constructs_lib.log_analytics",
    "LogAnalyticsProps": "constructs_lib.log_analytics",
    "PropsError": "constructs_lib.validation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'constructs_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
