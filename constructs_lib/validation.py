"""Props validation shared by every construct: gather all problems, then fail once.

Pure Python (no cdktf import), so it is cheap to import and easy to test. Values
that are Terraform tokens (unknown until apply, e.g. "${TfToken[...]}") are not
judged: :func:`is_token` tells them apart.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from constructs_lib.facts import RBAC_PROPAGATION_SECONDS


class PropsError(ValueError):
    """A construct's props cannot be built. One line per problem: field, value, allowed, fix."""

    def __init__(self, construct: str, problems: list[str]):
        self.construct = construct
        self.problems = problems
        super().__init__(f"{construct}: invalid props\n" + "\n".join(f"  - {p}" for p in problems))


def is_token(value: Any) -> bool:
    """True for an unresolved cdktf token (a string or number known only at apply time)."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, (int, float)):
        return value < -1e288  # cdktf encodes number tokens as huge negative numbers (-1.88e289)
    return False


class Problems:
    """Collects problems; :meth:`raise_if_any` raises one :class:`PropsError` for all of them."""

    def __init__(self, construct: str):
        self.construct = construct
        self.items: list[str] = []

    def add(self, field: str, value: Any, allowed: str) -> None:
        self.items.append(f"{field}: got {value!r}; {allowed}")

    def require(self, ok: bool, field: str, value: Any, allowed: str) -> None:
        if not ok and not is_token(value):
            self.add(field, value, allowed)

    def raise_if_any(self) -> None:
        if self.items:
            raise PropsError(self.construct, self.items)


#: Ranges that are not reachable from the Internet: private (RFC 1918), shared address space
#: (RFC 6598, CGNAT), loopback, link-local, "this network". [MS] key-vault/general/network-security:
#: vault IP rules take public IPv4 only (private clients use the private endpoint).
NON_PUBLIC_RANGES = tuple(ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",
))
#: [MS] storage-network-security: storage IP network rules refuse the RFC 1918 private ranges.
RFC1918_RANGES = NON_PUBLIC_RANGES[:3]


def is_public_ipv4(value: str, excluded: tuple[ipaddress.IPv4Network, ...] = NON_PUBLIC_RANGES) -> bool:
    """True for an IPv4 address or CIDR (host bits zero) that overlaps none of ``excluded``."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return False
    return not any(network.overlaps(private) for private in excluded)


def cidr_or_none(value: str) -> ipaddress.IPv4Network | None:
    """The network for a literal IPv4 CIDR, or None for a token or an invalid value."""
    if is_token(value):
        return None
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return None


def check_propagation_seconds(problems: Problems, field: str, value: object) -> None:
    """Add a problem unless ``value`` is a whole number of seconds within
    :data:`constructs_lib.facts.RBAC_PROPAGATION_SECONDS` (a wait for a new role assignment)."""
    lo, hi = RBAC_PROPAGATION_SECONDS
    problems.require(isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi, field, value,
                     f"{lo} to {hi} seconds (0: no wait)")
