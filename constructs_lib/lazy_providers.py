"""Load the prebuilt cdktf provider packages lazily.

Why: the prebuilt bindings' root ``__init__`` imports every resource submodule
(1,527 for azurerm), which costs ~5 s of a ~7 s synth on a 2-core machine
(../shared/reference/FACTS.md, "Measured here"). A cdktf app only needs the
submodules it uses.

How: for each package we create the package module object from its import
spec *without executing its ``__init__``* (``__path__`` is set, so
``from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup``
resolves normally), then import ``<pkg>._jsii``, which loads the jsii assembly
into the Node process exactly as the eager ``__init__`` would.

jsii (>= 1.142) imports a type's submodule on demand when JavaScript hands back
an object of a type Python has not seen (``jsii._reference_map._try_import_type_module``).
It resolves the FQN through ``_submodule_fqn_map``, which these prebuilt packages
do not ship, so :func:`enable` fills it in from the package's directory listing.

Opt-in only: importing :mod:`constructs_lib` never calls :func:`enable`. An app
calls it once, before its first provider import (``main.py`` does). Setting
``PPM_EAGER_IMPORTS=1`` makes :func:`enable` a no-op, i.e. stock eager imports;
the test suite synthesizes both ways and asserts byte-identical output.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

#: Packages handled by default: python module name -> jsii assembly name.
DEFAULT_PACKAGES: dict[str, str] = {
    "cdktf_cdktf_provider_azurerm": "@cdktf/provider-azurerm",
    "cdktf_cdktf_provider_helm": "@cdktf/provider-helm",
    "cdktf_cdktf_provider_random": "@cdktf/provider-random",
}

#: Environment switch: any of these values falls back to stock eager imports.
EAGER_ENV = "PPM_EAGER_IMPORTS"
_TRUTHY = {"1", "true", "yes", "on"}


def eager_requested() -> bool:
    """True when ``PPM_EAGER_IMPORTS`` asks for the stock eager imports."""
    return os.environ.get(EAGER_ENV, "").strip().lower() in _TRUTHY


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _register_submodules(module_name: str, assembly: str, package_dir: Path) -> None:
    # jsii's on-demand import walks FQN prefixes like "@cdktf/provider-azurerm.resourceGroup";
    # pacmak names the python submodule by snake-casing that camelCase name.
    from jsii import _reference_map  # imported here: jsii is heavy-ish and only needed when enabling

    fqn_map = {
        f"{assembly}.{_camel(entry.name)}": f"{module_name}.{entry.name}"
        for entry in os.scandir(package_dir)
        if entry.is_dir() and not entry.name.startswith("_")
    }
    _reference_map._submodule_fqn_map.update(fqn_map)


def enable(packages: dict[str, str] | None = None) -> list[str]:
    """Register the provider packages without running their root ``__init__``.

    Call before the first import of any provider module. Packages already
    imported (eagerly) and packages not installed are left alone. Returns the
    module names that were set up lazily (empty when ``PPM_EAGER_IMPORTS`` is set).
    """
    if eager_requested():
        return []
    enabled = []
    for module_name, assembly in (packages or DEFAULT_PACKAGES).items():
        if module_name in sys.modules:
            continue
        spec = importlib.util.find_spec(module_name)
        if spec is None or not spec.submodule_search_locations:
            continue
        package = importlib.util.module_from_spec(spec)  # sets __path__, runs nothing
        sys.modules[module_name] = package
        try:
            importlib.import_module(f"{module_name}._jsii")  # loads the jsii assembly
        except BaseException:
            del sys.modules[module_name]
            raise
        _register_submodules(module_name, assembly, Path(spec.submodule_search_locations[0]))
        enabled.append(module_name)
    return enabled
