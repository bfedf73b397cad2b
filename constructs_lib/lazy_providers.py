"""Load the prebuilt cdktf provider packages lazily.

Why: the prebuilt bindings' root ``__init__`` imports every resource submodule
(1,527 for azurerm), which costs ~5 s per synth on a 2-core machine (measured in
docs/performance.md, "Where the time went": this repository's four-stack synth takes
about 10 s with stock imports and 1.5 s lazily). A cdktf app only needs the submodules
it uses.

How: for each package we create the package module object from its import
spec *without executing its ``__init__``* (``__path__`` is set, so
``from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup``
resolves normally), then import ``<pkg>._jsii``, which loads the jsii assembly
into the Node process exactly as the eager ``__init__`` would.

jsii (>= 1.142) imports a type's submodule on demand when JavaScript hands back
an object of a type Python has not seen (``jsii._reference_map._try_import_type_module``).
It resolves the FQN through ``_submodule_fqn_map``, which these prebuilt packages
do not ship, so :func:`enable` fills it in from the package's directory listing.

The JavaScript side has the same problem: the jsii kernel loads an assembly with
``require("@cdktf/provider-azurerm")``, whose ``lib/index.js`` requires all 1,527
resource modules (~1.8 s of Node time). The packages also ship ``lib/lazy-index.js``
(same exports, each a getter that requires its module on first use), so while the
kernel process starts :func:`enable` preloads ``_jsii_lazy_index.cjs`` (via
``NODE_OPTIONS=--require``) which resolves those package names to ``lazy-index.js``.
The variables are set only around the kernel start and restored right after, so no
other child process sees them. If jsii's kernel was already running before
:func:`enable`, this part silently does not apply (correct, just slower).

Fallback: the Python side relies on two private names of ``jsii._reference_map``
(:data:`JSII_INTERNALS`). If the installed jsii lacks either, :func:`enable` changes nothing
(the stock eager imports on both sides, the same output, only slower) and says so with a
``RuntimeWarning`` naming what is missing, instead of breaking the app's synth.

Opt-in only: importing :mod:`constructs_lib` never calls :func:`enable`. An app
calls it once, before its first cdktf or provider import (``main.py`` does). Setting
``PPM_EAGER_IMPORTS=1`` makes :func:`enable` a no-op, i.e. stock eager imports on
both sides; the test suite synthesizes both ways and asserts byte-identical output.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager, nullcontext
from pathlib import Path

from constructs_lib.toolchain import DEFAULT, TOOLCHAINS, selected

#: Packages handled by default: python module name -> jsii assembly name, for the default
#: toolchain (cdktf). :func:`enable` without arguments uses the selected toolchain's packages
#: (:meth:`constructs_lib.toolchain.Toolchain.lazy_packages`), the CDK Terrain ones included.
DEFAULT_PACKAGES: dict[str, str] = TOOLCHAINS[DEFAULT].lazy_packages()

#: Environment switch: any of these values falls back to stock eager imports.
EAGER_ENV = "PPM_EAGER_IMPORTS"
_TRUTHY = {"1", "true", "yes", "on"}

#: Node preload script that resolves the provider packages to their ``lib/lazy-index.js``.
NODE_HOOK = Path(__file__).resolve().with_name("_jsii_lazy_index.cjs")
#: Read by :data:`NODE_HOOK`: comma-separated jsii assembly names to load lazily.
LAZY_INDEX_ENV = "PPM_JSII_LAZY_INDEX"


#: The private names of ``jsii._reference_map`` that lazy loading needs (jsii >= 1.142): the
#: FQN -> submodule map :func:`enable` fills in, and the on-demand import that reads it.
JSII_INTERNALS = ("_submodule_fqn_map", "_try_import_type_module")


def missing_jsii_internals() -> list[str]:
    """The :data:`JSII_INTERNALS` that the installed jsii lacks, as dotted names (empty: all there)."""
    try:
        from jsii import _reference_map
    except ImportError as error:
        return [f"jsii._reference_map ({error})"]
    fqn_map, on_demand_import = (getattr(_reference_map, name, None) for name in JSII_INTERNALS)
    present = (isinstance(fqn_map, MutableMapping), callable(on_demand_import))
    return [f"jsii._reference_map.{name}" for name, ok in zip(JSII_INTERNALS, present) if not ok]


def _jsii_version() -> str:
    try:
        return importlib.metadata.version("jsii")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


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


@contextmanager
def _node_lazy_index(assemblies: list[str]) -> Iterator[None]:
    """Environment for the jsii kernel process only: preload :data:`NODE_HOOK`.

    jsii starts Node on its first assembly load and copies ``os.environ`` then; the
    previous values are restored on exit, so later child processes are unaffected.
    """
    saved = {name: os.environ.get(name) for name in ("NODE_OPTIONS", LAZY_INDEX_ENV)}
    options = saved["NODE_OPTIONS"] or ""
    os.environ["NODE_OPTIONS"] = f"{options} --require {json.dumps(str(NODE_HOOK))}".strip()
    os.environ[LAZY_INDEX_ENV] = ",".join(assemblies)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def enable(packages: dict[str, str] | None = None) -> list[str]:
    """Register the provider packages without running their root ``__init__``.

    ``packages`` defaults to the selected toolchain's four provider packages (cdktf or CDK Terrain).

    Call before the first import of cdktf or any provider module. Packages already
    imported (eagerly) and packages not installed are left alone. Returns the
    module names that were set up lazily (empty when ``PPM_EAGER_IMPORTS`` is set, or
    when the installed jsii lacks one of :data:`JSII_INTERNALS`: then a ``RuntimeWarning``
    names it and everything stays eager).
    """
    if eager_requested():
        return []
    missing = missing_jsii_internals()
    if missing:
        warnings.warn(
            f"constructs_lib.lazy_providers.enable(): jsii {_jsii_version()} has no {', '.join(missing)}; "
            "falling back to the provider packages' stock eager imports (same output, slower synth)",
            RuntimeWarning, stacklevel=2)
        return []
    todo = []
    for module_name, assembly in (packages or selected().lazy_packages()).items():
        if module_name in sys.modules:
            continue
        spec = importlib.util.find_spec(module_name)
        if spec is None or not spec.submodule_search_locations:
            continue
        todo.append((module_name, assembly, spec, Path(list(spec.submodule_search_locations)[0])))
    enabled = []
    node_side = _node_lazy_index([a for _, a, _, _ in todo]) if NODE_HOOK.is_file() else nullcontext()
    with node_side:
        for module_name, assembly, spec, package_dir in todo:
            package = importlib.util.module_from_spec(spec)  # sets __path__, runs nothing
            sys.modules[module_name] = package
            try:
                importlib.import_module(f"{module_name}._jsii")  # loads the jsii assembly
            except BaseException:
                del sys.modules[module_name]
                raise
            _register_submodules(module_name, assembly, package_dir)
            enabled.append(module_name)
    return enabled
