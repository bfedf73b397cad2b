"""The public API of ``constructs_lib`` as a library user sees it: its types, and its shape.

1. **Exports and their types.** ``constructs_lib/__init__.py`` exports names lazily (PEP 562
   ``__getattr__`` over ``_EXPORTS``) and imports the same names under ``if TYPE_CHECKING:`` so
   that type checkers see the real classes. An AST check keeps the two lists equal (names and
   modules) in every package of the library. mypy (``--strict``, pinned in requirements.txt)
   then checks ``tests/typing/consumer.py``, which must produce exactly the errors its
   ``# E: <code>`` markers name and the types its ``# R:`` markers name, and the example app
   ``examples/library_app/main.py``, which must produce none. Exports that regress to ``Any``
   lose the expected errors; names that disappear from the type checker's view gain new ones.
   ``--strict`` because a library user may run it: it also refuses names that are imported but
   not explicitly re-exported (hence ``import X as X`` under ``TYPE_CHECKING``).

   mypy runs once for both files (one process, ~5 s with an empty cache), with a cache under
   pytest's temporary directory and this configuration: ``follow_imports = silent`` (errors
   inside the library's own modules are not the consumer's, as for an installed package), and
   ``follow_imports = skip`` for the *root* module of ``cdktf_cdktf_provider_azurerm`` only: its
   ``__init__`` imports all 1,527 resource submodules, which would cost mypy ~50 s, while the
   submodules an app imports (``...azurerm.resource_group``) are still checked with their full
   types. cdktf, constructs, jsii and the provider bindings all ship ``py.typed``, so no
   ``--ignore-missing-imports`` is needed.

2. **Snapshot of the API's shape.** ``tests/fixtures/public_api.json`` records every name that
   ``constructs_lib`` and its subpackages export, plus the documented module
   ``constructs_lib.lazy_providers``: kind, defining module, bases and decorators; for
   dataclasses the fields with type and default; for classes the ``__init__`` signature; for
   both the public methods, properties and attributes (with their annotations). It is built with
   griffe, *statically* from the source: griffe cannot evaluate the lazy ``__getattr__`` (nor
   ``__all__ = sorted(_EXPORTS)``), so the names come from ``_EXPORTS`` (read with ``ast``) and
   each is looked up in the module that defines it. Static loading imports neither cdktf nor
   jsii, and annotations stay as written in the source.

   The test rebuilds the snapshot and fails when it differs, unless ``CHANGELOG.md`` has an
   entry for the ``pyproject.toml`` version and that version is newer than the one the snapshot
   records (a release that documents its API change). After a deliberate change, add the
   CHANGELOG entry and refresh the snapshot::

       .venv/bin/python tests/test_public_api.py --update
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import subprocess
import sys
import time
import tokenize
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as a script (--update)
    sys.path.insert(0, str(ROOT))

import griffe  # noqa: E402
from packaging.version import Version  # noqa: E402

LIBRARY = "constructs_lib"
SNAPSHOT = ROOT / "tests" / "fixtures" / "public_api.json"
CHANGELOG = ROOT / "CHANGELOG.md"
CONSUMER = "tests/typing/consumer.py"
EXAMPLE = "examples/library_app/main.py"
UPDATE_COMMAND = ".venv/bin/python tests/test_public_api.py --update"
#: Public modules documented for direct use (docs/library.md), besides the exports.
DOCUMENTED_MODULES = ("constructs_lib.lazy_providers", "constructs_lib.toolchain")
#: Attribute values longer than this are left out of the snapshot (e.g. POLICY_RULES' rule table).
MAX_VALUE_CHARS = 100


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# --- the packages, their exports and their TYPE_CHECKING imports (ast) ------------------------

def packages() -> list[str]:
    """``constructs_lib`` and every subpackage (a directory with ``__init__.py``)."""
    return sorted(".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / LIBRARY).rglob("__init__.py"))


def _init_tree(package: str) -> ast.Module:
    return ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def lazy_exports(package: str) -> dict[str, str]:
    """The package's ``_EXPORTS`` (name -> defining module); empty when it has none."""
    for node in _init_tree(package).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                assert node.value is not None
                return dict(ast.literal_eval(node.value))
    return {}


def type_checking_imports(package: str) -> dict[str, tuple[str, str | None]]:
    """Names imported under ``if TYPE_CHECKING:``: name -> (module, ``as`` name or None)."""
    found: dict[str, tuple[str, str | None]] = {}
    for node in _init_tree(package).body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in ast.walk(node):
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    for alias in statement.names:
                        found[alias.asname or alias.name] = (statement.module, alias.asname)
    return found


#: The toolchain seam: its names come from the selected toolchain's core module, not from _EXPORTS
#: (tests/test_toolchains.py checks that each of its TYPE_CHECKING names is used and resolves).
TOOLCHAIN_SEAM = "constructs_lib.cdk"


@pytest.mark.parametrize("package", [p for p in packages() if p != TOOLCHAIN_SEAM])
def test_lazy_exports_and_type_checking_imports_are_the_same_names(package):
    exports = lazy_exports(package)
    imports = type_checking_imports(package)
    assert sorted(imports) == sorted(exports), (
        f"{package}: only in _EXPORTS: {sorted(set(exports) - set(imports))}; "
        f"only under TYPE_CHECKING: {sorted(set(imports) - set(exports))}")
    wrong_module = {name: (module, exports[name]) for name, (module, _) in imports.items() if module != exports[name]}
    assert not wrong_module, f"{package}: TYPE_CHECKING import and _EXPORTS name different modules: {wrong_module}"
    # `from m import X as X` is an explicit re-export: without it `mypy --strict` (no implicit
    # re-export) reports every `from constructs_lib import X` as an error.
    implicit = sorted(name for name, (_, asname) in imports.items() if asname != name)
    assert not implicit, f"{package}: import these as `X as X` under TYPE_CHECKING: {implicit}"


def test_the_package_list_covers_the_subpackages():
    assert {"constructs_lib", "constructs_lib.aks", "constructs_lib.package_manager", TOOLCHAIN_SEAM} <= set(packages())
    assert lazy_exports(LIBRARY), "constructs_lib exports nothing? (_EXPORTS not found)"


# --- mypy on a consumer and on the example app -------------------------------------------------

MYPY_CONFIG = """\
[mypy]
follow_imports = silent

[mypy-cdktf_cdktf_provider_azurerm]
follow_imports = skip
"""
_MYPY_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*?)"
                        r"(?:  \[(?P<code>[a-z0-9-]+)\])?$")
_ERROR_MARKER = re.compile(r"#\s*E:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")  # E: code[, code...]
_REVEAL_MARKER = re.compile(r"#\s*R:\s*(.+?)\s*$")


class MypyRun:
    def __init__(self, result: subprocess.CompletedProcess[str], seconds: float) -> None:
        self.result = result
        self.seconds = seconds
        self.messages = [m.groupdict() for m in map(_MYPY_LINE.match, result.stdout.splitlines()) if m]

    def errors(self, path: str) -> Counter[tuple[int, str]]:
        return Counter((int(m["line"]), m["code"] or "") for m in self.messages
                       if m["path"] == path and m["severity"] == "error")

    def revealed(self, path: str) -> dict[int, str]:
        prefix = 'Revealed type is "'
        return {int(m["line"]): m["message"][len(prefix):-1] for m in self.messages
                if m["path"] == path and m["severity"] == "note" and m["message"].startswith(prefix)}


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory) -> MypyRun:
    base = tmp_path_factory.mktemp("mypy")
    config = base / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    # The library's types are the default toolchain's (constructs_lib.cdk): check against its venv, whichever
    # toolchain this session runs on (`make test` builds both venvs).
    from constructs_lib.toolchain import DEFAULT, TOOLCHAINS

    typed_python = ROOT / TOOLCHAINS[DEFAULT].venv / "bin" / "python"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config), "--cache-dir", str(base / "cache"),
         "--python-executable", str(typed_python), "--no-color-output", "--no-pretty", "--show-error-codes",
         "--hide-error-context", CONSUMER, EXAMPLE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    run = MypyRun(result, time.perf_counter() - started)
    print(f"\nmypy: {run.seconds:.1f} s for {CONSUMER} and {EXAMPLE}")
    assert result.returncode in (0, 1), f"mypy did not run:\n{result.stdout}\n{result.stderr}"
    assert "checked 2 source files" in result.stdout, result.stdout + result.stderr
    return run


def _markers(path: str) -> tuple[Counter[tuple[int, str]], dict[int, str]]:
    """The ``# E: code`` and ``# R: text`` markers in comments (not in strings) of ``path``, by line."""
    errors: Counter[tuple[int, str]] = Counter()
    reveals = {}
    with tokenize.open(ROOT / path) as source:
        comments = [(t.start[0], t.string) for t in tokenize.generate_tokens(source.readline)
                    if t.type == tokenize.COMMENT]
    for number, comment in comments:
        for codes in _ERROR_MARKER.findall(comment):
            errors.update((number, code.strip()) for code in codes.split(","))
        reveal = _REVEAL_MARKER.search(comment)
        if reveal:
            reveals[number] = reveal.group(1)
    return errors, reveals


def test_consumer_gets_exactly_the_expected_errors(mypy_run):
    expected, _ = _markers(CONSUMER)
    assert len(expected) >= 8  # the markers are really read
    actual = mypy_run.errors(CONSUMER)
    missing, unexpected = expected - actual, actual - expected
    assert not missing and not unexpected, (
        f"missing (line, code): {sorted(missing)}; unexpected: {sorted(unexpected)}\n{mypy_run.result.stdout}")


def test_consumer_sees_real_types_not_any(mypy_run):
    _, expected = _markers(CONSUMER)
    assert len(expected) >= 4
    revealed = mypy_run.revealed(CONSUMER)
    for line, text in sorted(expected.items()):
        assert line in revealed, f"{CONSUMER}:{line}: no reveal_type output\n{mypy_run.result.stdout}"
        assert revealed[line] != "Any" and text in revealed[line], f"{CONSUMER}:{line}: {revealed[line]!r}"


def test_example_app_type_checks_clean_under_strict(mypy_run):
    errors = [m for m in mypy_run.messages if m["path"] == EXAMPLE and m["severity"] == "error"]
    assert not errors, mypy_run.result.stdout


# --- the API snapshot (griffe) -----------------------------------------------------------------

def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _signature(function: griffe.Function) -> str:
    """``(a: int, *, b: str = 'x') -> None`` from the source (``self``/``cls`` left out)."""
    parts: list[str] = []
    star_written = slash_pending = False
    parameters = list(function.parameters)
    if parameters and parameters[0].name in ("self", "cls") and "staticmethod" not in function.labels:
        parameters = parameters[1:]
    for parameter in parameters:
        kind = parameter.kind.value
        if slash_pending and kind != "positional-only":
            parts.append("/")
            slash_pending = False
        if kind == "positional-only":
            slash_pending = True
        if kind == "keyword-only" and not star_written:
            parts.append("*")
            star_written = True
        prefix = {"variadic positional": "*", "variadic keyword": "**"}.get(kind, "")
        if kind == "variadic positional":
            star_written = True
        text = prefix + parameter.name
        if parameter.annotation is not None:
            text += f": {parameter.annotation}"
        if parameter.default is not None:
            text += f" = {parameter.default}"
        parts.append(text)
    if slash_pending:
        parts.append("/")
    return f"({', '.join(parts)}) -> {_text(function.returns)}"


def _members(cls: griffe.Class, skip: set[str]) -> dict[str, Any]:
    """Public methods, properties and attributes declared in ``cls`` itself."""
    described: dict[str, Any] = {}
    for name, member in cls.members.items():
        if name.startswith("_") or name in skip or member.is_alias:
            continue
        if isinstance(member, griffe.Function):
            labels = sorted(member.labels & {"classmethod", "staticmethod"})
            described[name] = " ".join([*labels, _signature(member)])
        elif isinstance(member, griffe.Attribute):
            kind = "property" if "property" in member.labels else "attribute"
            described[name] = kind if member.annotation is None else f"{kind}: {member.annotation}"
    return dict(sorted(described.items()))


def describe(obj: griffe.Object) -> dict[str, Any]:
    """One public object as the snapshot records it."""
    entry: dict[str, Any] = {"module": obj.parent.path if obj.parent else None}
    if isinstance(obj, griffe.Class):
        dataclass = "dataclass" in obj.labels
        entry["kind"] = "dataclass" if dataclass else "class"
        entry["bases"] = [str(base) for base in obj.bases]
        entry["decorators"] = [str(d.value) for d in obj.decorators]
        init = obj.members.get("__init__")
        fields: list[str] = []
        if dataclass and isinstance(init, griffe.Function):
            # griffe's dataclasses extension synthesizes __init__ from the fields
            fields = [p.name for p in init.parameters if p.name != "self"]
            entry["fields"] = [
                f"{p.name}: {p.annotation}" + ("" if p.default is None else f" = {p.default}")
                for p in init.parameters if p.name != "self"]
        elif isinstance(init, griffe.Function):
            entry["init"] = _signature(init)
        entry["members"] = _members(obj, skip=set(fields))
    elif isinstance(obj, griffe.Function):
        entry["kind"] = "function"
        entry["signature"] = _signature(obj)
    elif isinstance(obj, griffe.Attribute):
        entry["kind"] = "attribute"
        entry["annotation"] = _text(obj.annotation)
        value = _text(obj.value)
        if value is not None and len(value) <= MAX_VALUE_CHARS:
            entry["value"] = value
    else:
        entry["kind"] = obj.kind.value
    return entry


def build_snapshot() -> dict[str, Any]:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)], allow_inspection=False)
    loader.load(LIBRARY, try_relative_path=False)  # only ROOT, not a constructs_lib in the working directory
    loader.resolve_aliases(implicit=False, external=False)
    collection = loader.modules_collection

    def defined(module: str, name: str) -> griffe.Object:
        obj = collection[module][name]
        assert not obj.is_alias, f"{module}.{name} is an import there, not its definition"
        return obj

    exports = {package: {name: describe(defined(module, name)) for name, module in sorted(lazy_exports(package).items())}
               for package in packages()}
    modules = {}
    for module_path in DOCUMENTED_MODULES:
        module = collection[module_path]
        modules[module_path] = {name: describe(member) for name, member in sorted(module.members.items())
                                if not name.startswith("_") and not member.is_alias}
    return {
        "version": project_version(),
        "generated_by": f"{UPDATE_COMMAND} (griffe {_griffe_version()})",
        "exports": exports,
        "documented_modules": modules,
    }


def _griffe_version() -> str:
    from importlib.metadata import version
    return version("griffe")


def _api(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: snapshot[key] for key in ("exports", "documented_modules")}


def changelog_versions() -> list[str]:
    """Versions with a ``## [x.y.z]`` heading in CHANGELOG.md (Keep a Changelog), newest first."""
    return re.findall(r"^## \[(\d+\.\d+\.\d+[^\]]*)\]", CHANGELOG.read_text(), flags=re.MULTILINE)


def test_changelog_has_an_entry_for_the_current_version_and_the_snapshot_is_not_newer():
    version = project_version()
    versions = changelog_versions()
    assert version in versions, f"CHANGELOG.md has no '## [{version}]' entry (pyproject.toml's version)"
    assert versions == sorted(versions, key=Version, reverse=True), f"CHANGELOG.md entries out of order: {versions}"
    recorded = json.loads(SNAPSHOT.read_text())["version"]
    assert Version(recorded) <= Version(version), f"the API snapshot records {recorded}, newer than {version}"


def test_public_api_matches_the_snapshot_or_a_new_release_documents_the_change():
    current = build_snapshot()
    recorded = json.loads(SNAPSHOT.read_text())
    assert sum(len(names) for names in current["exports"].values()) > 30  # griffe really found the exports
    if _api(current) == _api(recorded):
        return
    version, snapshot_version = project_version(), recorded["version"]
    if Version(version) > Version(snapshot_version) and version in changelog_versions():
        pytest.skip(f"public API differs from the {snapshot_version} snapshot; CHANGELOG.md documents {version}: "
                    f"refresh the snapshot with {UPDATE_COMMAND}")
    old = json.dumps(_api(recorded), indent=1, sort_keys=True).splitlines()
    new = json.dumps(_api(current), indent=1, sort_keys=True).splitlines()
    diff = "\n".join(list(difflib.unified_diff(old, new, "snapshot", "source", lineterm="", n=2))[:80])
    pytest.fail(
        f"The public API of constructs_lib changed since the snapshot ({SNAPSHOT.relative_to(ROOT)}, version "
        f"{snapshot_version}):\n{diff}\n\nIf the change is deliberate: bump the version in pyproject.toml "
        f"(semver: 0.x minor for breaking changes), add its entry to CHANGELOG.md, and run {UPDATE_COMMAND}",
        pytrace=False)


def write_snapshot() -> dict[str, Any]:
    snapshot = build_snapshot()
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1) + "\n")
    return snapshot


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE_COMMAND}")
    written = write_snapshot()
    count = sum(len(names) for names in written["exports"].values())
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}: {count} exported names, version {written['version']}")
