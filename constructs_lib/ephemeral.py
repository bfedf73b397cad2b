"""Ephemeral values: generated at plan or apply time, never written to state or plan files.

Terraform >= 1.10 has ephemeral resources ([TF] language/resources/ephemeral); fed only into
write-only arguments (``*_wo``, Terraform >= 1.11), their values reach the cloud API and nothing
else. The random provider ships an ephemeral ``random_password`` (hashicorp/random >= 3.7.0).
cdktf 0.21 has no class for ephemeral resources, so :class:`EphemeralPassword` writes the block
through the stack's escape hatch (``add_override``) in the shape Terraform's JSON syntax documents
(a top-level ``"ephemeral": {"<type>": {"<name>": {...}}}``, [TF] language/syntax/json); a toolchain
with native ephemeral classes (CDK Terrain's ``TerraformEphemeralResource``) can replace this one
class without touching its callers.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk import TerraformStack
from constructs_lib.validation import Problems

EPHEMERAL_TYPE = "random_password"
#: Long enough for a Package Manager encryption key (512 bytes, hex: 1024 characters).
MAX_LENGTH = 1024


class EphemeralPassword:
    """An ``ephemeral "random_password"`` named ``name`` in ``scope``'s stack; :attr:`result` is the
    reference to pass to write-only arguments. A new value is generated on every run, so pair it with
    a ``*_wo_version`` that changes only when the password should: the value is sent only then.

    Example::

        password = EphemeralPassword(self, "db-admin", length=32, override_special="-_.")
        PostgresFlexibleServerProps(..., administrator_password_wo=password.result,
                                    administrator_password_wo_version=1)

    The character set is the classes left on (``upper``, ``lower``, ``numeric``: default on; ``special``
    with ``override_special``), each character drawn uniformly from it with ``crypto/rand``
    (hashicorp/terraform-provider-random ``internal/random/string.go``): ``upper=False, lower=False,
    numeric=True, special=True, override_special="abcdef"`` yields lowercase hexadecimal.
    """

    def __init__(self, scope: Construct, name: str, *, length: int = 32, special: bool = True,
                 override_special: str | None = None, min_lower: int = 0, min_upper: int = 0,
                 min_numeric: int = 0, min_special: int = 0, upper: bool = True, lower: bool = True,
                 numeric: bool = True) -> None:
        problems = Problems("EphemeralPassword")
        problems.require(16 <= length <= MAX_LENGTH, "length", length, f"16 to {MAX_LENGTH} characters")
        problems.require(upper or lower or numeric or special, "upper/lower/numeric/special", False,
                         "at least one character class")
        problems.require(min_lower + min_upper + min_numeric + min_special <= length, "min_*",
                         (min_lower, min_upper, min_numeric, min_special), f"together at most length ({length})")
        problems.raise_if_any()
        self.name = name
        block = {"length": length, "special": special, "min_lower": min_lower, "min_upper": min_upper,
                 "min_numeric": min_numeric, "min_special": min_special}
        if override_special is not None:
            block["override_special"] = override_special
        # Written only when off (the provider's defaults are on), so existing blocks stay as they were.
        for key, on in (("upper", upper), ("lower", lower), ("numeric", numeric)):
            if not on:
                block[key] = False
        TerraformStack.of(scope).add_override(f"ephemeral.{EPHEMERAL_TYPE}.{name}", block)

    @property
    def result(self) -> str:
        """``${ephemeral.random_password.<name>.result}``: for write-only arguments only."""
        return f"${{ephemeral.{EPHEMERAL_TYPE}.{self.name}.result}}"
