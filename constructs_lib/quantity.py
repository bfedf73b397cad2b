"""Kubernetes resource quantities: the full grammar, parsed exactly (pure Python).

[K8S] apimachinery pkg/api/resource/quantity.go::

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | +<number> | -<number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

(the exponent is a whole number). So ``2``, ``500m``, ``1.5``, ``8Gi``, ``7.5Gi``, ``8G``,
``8e9`` and ``128974848`` are all quantities. Both the construct props and the app's config
parse with :func:`parse_quantity`, so what one accepts the other does too.
"""

from __future__ import annotations

import re
from decimal import Decimal

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)
_MULTIPLIERS: dict[str | None, Decimal] = {
    None: Decimal(1),
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
}
#: Examples for messages.
CPU_EXAMPLES = "2, 1.5 or 500m"
MEMORY_EXAMPLES = "8Gi, 7.5Gi, 8G or 8589934592"


def parse_quantity(value: object) -> Decimal | None:
    """The quantity's value in base units (cores, bytes), or None when ``value`` is not a quantity."""
    if not isinstance(value, str):
        return None
    match = _QUANTITY.fullmatch(value)
    if match is None:
        return None
    suffix = match.group("suffix")
    number = Decimal(match.group("number"))
    if suffix is not None and suffix[0] in "eE" and suffix not in _MULTIPLIERS:
        return number.scaleb(int(suffix[1:]))
    return number * _MULTIPLIERS[suffix]


def parse_non_negative(value: object) -> Decimal | None:
    """As :func:`parse_quantity`, but None for a negative quantity (requests and limits cannot be)."""
    parsed = parse_quantity(value)
    return parsed if parsed is not None and parsed >= 0 else None


def gib(value: object) -> float | None:
    """A memory quantity in GiB (for messages and capacity arithmetic), or None."""
    parsed = parse_non_negative(value)
    return None if parsed is None else float(parsed / _MULTIPLIERS["Gi"])
