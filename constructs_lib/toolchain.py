"""Which CDK toolchain this process runs on: cdktf (the default) or CDK Terrain [CDKTN].

Both toolchains generate the same Python API from the same jsii sources under different
package names (``cdktf``/``cdktf_cdktf_provider_<name>`` and ``cdktn``/``cdktn_provider_<name>``):
:data:`TOOLCHAINS` records them; docs/toolchains.md has the versions and the migration.

Every construct imports cdktf-or-CDK-Terrain names only through :mod:`constructs_lib.cdk`
(core names) and ``constructs_lib.cdk.<provider>`` (resource classes), which resolve them in
the package of the toolchain chosen here. Nothing else in the library or the app names either
toolchain's packages.

The choice: ``PPM_TOOLCHAIN`` (``cdktf`` or ``cdktn``) when set, else the first of the two that
is installed. This module is pure (no cdktf, jsii or provider import) so the config and the
CLI can report a bad choice before anything heavy loads.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from constructs_lib.facts import MIN_TERRAFORM_VERSION

#: Environment variable that picks the toolchain explicitly (the Makefile sets it from ``TOOLCHAIN``).
ENV = "PPM_TOOLCHAIN"


@dataclass(frozen=True)
class Toolchain:
    """One CDK toolchain: where its Python modules and jsii assemblies are, and its CLI."""

    #: ``cdktf`` or ``cdktn``: the value of ``PPM_TOOLCHAIN`` / ``TOOLCHAIN``.
    name: str
    #: The core Python module (``App``, ``TerraformStack``, ...).
    core: str
    #: Provider short name -> Python package of its prebuilt bindings.
    providers: Mapping[str, str]
    #: Provider short name -> jsii assembly (npm) name of those bindings.
    assemblies: Mapping[str, str]
    #: The CLI users run through npx.
    cli: str
    #: The exact pins that install it (make TOOLCHAIN=<name> ...).
    requirements: str
    #: The repository's virtual environment for it (the Makefile's VENV for TOOLCHAIN=<name>).
    venv: str

    def package(self, provider: str) -> str:
        """The Python package of ``provider``'s bindings (``azurerm``, ``helm``, ``random``, ``time``)."""
        return self.providers[provider]

    def lazy_packages(self) -> dict[str, str]:
        """Python package -> jsii assembly, for :func:`constructs_lib.lazy_providers.enable`."""
        return {self.providers[p]: self.assemblies[p] for p in self.providers}


PROVIDERS = ("azurerm", "helm", "random", "time")

TOOLCHAINS: dict[str, Toolchain] = {
    "cdktf": Toolchain(
        name="cdktf", core="cdktf",
        providers={p: f"cdktf_cdktf_provider_{p}" for p in PROVIDERS},
        assemblies={p: f"@cdktf/provider-{p}" for p in PROVIDERS},
        cli="cdktf", requirements="requirements.txt", venv=".venv"),
    "cdktn": Toolchain(
        name="cdktn", core="cdktn",
        providers={p: f"cdktn_provider_{p}" for p in PROVIDERS},
        assemblies={p: f"@cdktn/provider-{p}" for p in PROVIDERS},
        cli="cdktn", requirements="requirements-cdktn.txt", venv=".venv-cdktn"),
}
#: The default comes first: cdktf 0.21 + azurerm 4.55 is what the project's users asked for.
DEFAULT = "cdktf"


class ToolchainError(Exception):
    """The chosen toolchain is unknown or not installed (one line; the CLI exits 2)."""


def _installed(toolchain: Toolchain) -> bool:
    return all(importlib.util.find_spec(module) is not None
               for module in (toolchain.core, *toolchain.providers.values()))


def choose(requested: str | None = None) -> Toolchain:
    """The toolchain for ``requested`` (default: ``$PPM_TOOLCHAIN``; empty: the first installed).

    Raises :class:`ToolchainError` naming the variable and the values allowed when the value is
    unknown, when that toolchain is not installed, or when neither is.
    """
    value = (os.environ.get(ENV, "") if requested is None else requested).strip()
    allowed = f"allowed: {', '.join(TOOLCHAINS)} (or unset: the first installed)"
    if value:
        toolchain = TOOLCHAINS.get(value)
        if toolchain is None:
            raise ToolchainError(f"{ENV}={value!r} is not a toolchain; {allowed}")
        if not _installed(toolchain):
            raise ToolchainError(f"{ENV}={value}: its packages ({toolchain.core}, "
                                 f"{', '.join(toolchain.providers.values())}) are not installed in this Python; "
                                 f"run `make TOOLCHAIN={value} setup` ({toolchain.requirements}); {allowed}")
        return toolchain
    for toolchain in TOOLCHAINS.values():
        if _installed(toolchain):
            return toolchain
    raise ToolchainError(f"no toolchain installed: in this repository `make setup` (cdktf) or "
                         f"`make TOOLCHAIN=cdktn setup`; as a library, `pip install ppm-azure-constructs[cdktf]` "
                         f"or `[cdktn]` ({ENV}: cdktf, cdktn)")


@functools.cache
def selected() -> Toolchain:
    """The toolchain of this process, chosen once (:func:`choose`) and then fixed."""
    return choose()


def app_context() -> dict[str, Any]:
    """Context for every ``App`` (pass ``context=app_context()``): the Terraform versions targeted.

    CDK Terrain checks features against the declared targets ("targetVersions"; default
    Terraform >= 1.5.7 and OpenTofu >= 1.6) and refuses write-only arguments below 1.11
    (facts.MIN_TERRAFORM_VERSION). cdktf reads no such key; its output is the same either way.
    """
    return {"targetVersions": {"terraform": f">={MIN_TERRAFORM_VERSION}"}}


#: The first line of a prebuilt provider package's ``__init__`` docstring names the provider version.
_PROVIDER_VERSION = re.compile(r"prebuilt bindings for \S+ provider version (\d+)\.(\d+)\.(\d+)")


@functools.cache
def provider_version(provider: str) -> tuple[int, int, int]:
    """The Terraform provider version the installed bindings of ``provider`` were generated for."""
    package = selected().package(provider)
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ToolchainError(f"{package} is not installed")
    with open(spec.origin, encoding="utf-8") as source:
        head = source.read(400)
    match = _PROVIDER_VERSION.search(head)
    if not match:
        raise ToolchainError(f"{package}: cannot tell which {provider} provider version it binds")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def azurerm_major() -> int:
    """The major version of the azurerm provider in use: 4 (cdktf) or 5 (CDK Terrain)."""
    return provider_version("azurerm")[0]


def core_module() -> ModuleType:
    """The selected toolchain's core module (``cdktf`` or ``cdktn``)."""
    return importlib.import_module(selected().core)


def provider_class(provider: str, submodule: str, name: str) -> Any:
    """``name`` from ``submodule`` of the selected toolchain's ``provider`` bindings, untyped.

    For the few classes only one provider major has (:mod:`constructs_lib.azurerm_versions`);
    everything else comes through ``constructs_lib.cdk.<provider>``.
    """
    return getattr(importlib.import_module(f"{selected().package(provider)}.{submodule}"), name)


def _type_checking_imports(path: Path) -> dict[str, str]:
    """Class name -> submodule, read from the ``if TYPE_CHECKING:`` imports of a seam module."""
    table: dict[str, str] = {}
    for block in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING":
            for node in block.body:
                if isinstance(node, ast.ImportFrom) and node.module and "." in node.module:
                    submodule = node.module.split(".", 1)[1]
                    table.update({alias.asname or alias.name: submodule for alias in node.names})
    return table


def provider_namespace(provider: str, seam_file: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for a seam module ``constructs_lib/cdk/<provider>.py``.

    The seam module lists the classes it offers once, as ``TYPE_CHECKING`` imports from the
    default toolchain's package (what type checkers see); at run time each name resolves to the
    same class in the same submodule of the selected toolchain's package, imported on first use.
    """
    table: dict[str, str] | None = None

    def __getattr__(name: str) -> Any:
        nonlocal table
        if table is None:
            table = _type_checking_imports(Path(seam_file))
        submodule = table.get(name)
        if submodule is None:
            raise AttributeError(f"constructs_lib.cdk.{provider} offers no {name!r}; add it to {seam_file}")
        module = importlib.import_module(f"{selected().package(provider)}.{submodule}")
        return getattr(module, name)

    return __getattr__
