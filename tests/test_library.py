"""The construct library as a product: the wheel, its public API, its docs, and an
example app that uses it from outside the repository.

Once per session (fixture ``library``): copy the packaging sources to a temporary directory,
build the wheel there (so concurrent runs never write build/ into the repository), install it
with ``pip --target`` into a temporary site directory, copy examples/library_app next to it and
run it with this interpreter, the site directory as the only PYTHONPATH entry and the
repository nowhere on ``sys.path``. The tests then read the wheel, its METADATA, and the two
synthesized stacks.
"""

from __future__ import annotations

import ast
import dataclasses
import email.parser
import importlib.metadata
import inspect
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import constructs_lib

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples" / "library_app"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
DIST_INFO = f"ppm_azure_constructs-{VERSION}.dist-info"
#: What ``import constructs_lib`` must not load: the jsii runtime, cdktf or CDK Terrain, or any provider binding.
HEAVY = re.compile(r"^(jsii|cdktf|cdktn|constructs|cdktf_cdktf_provider_\w+|cdktn_provider_\w+)(\.|$)")

# Runs in the installed copy, before the example: where constructs_lib comes from, and what
# importing it loads.
_PROBE = """
import json, sys
before = set(sys.modules)
import constructs_lib
names = list(constructs_lib.__all__)
print(json.dumps({"file": constructs_lib.__file__, "path": sys.path, "names": names,
                  "new_modules": sorted(set(sys.modules) - before)}))
"""


@dataclass
class Library:
    wheel: Path
    site: Path
    app: Path
    probe: dict[str, Any]
    run: subprocess.CompletedProcess
    manifest: dict[str, Any]
    stacks: dict[str, dict[str, Any]]

    def resources(self, stack: str, rtype: str) -> dict[str, dict[str, Any]]:
        return self.stacks[stack].get("resource", {}).get(rtype, {})

    def one(self, stack: str, rtype: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(stack, rtype)
        assert len(found) == 1, f"expected one {rtype} in {stack}, found {sorted(found)}"
        return next(iter(found.items()))


def _pip(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-index", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _clean_env(site: Path) -> dict[str, str]:
    """The caller's environment minus anything that could point back into the repository."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "CDKTF_OUTDIR", "NODE_OPTIONS", "PPM_EAGER_IMPORTS")
           and not k.startswith("PPM_")}
    env["PYTHONPATH"] = str(site)
    env["PYTHONNOUSERSITE"] = "1"
    node = ROOT / "node_modules" / "node" / "bin" / "node"  # Node 22: no end-of-life box from jsii
    if node.exists():
        env["JSII_NODE"] = str(node)
        env["NODE_OPTIONS"] = "--disable-warning=DEP0044"  # cdktf 0.21's util.isArray under Node 22
    return env


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> Library:
    base = tmp_path_factory.mktemp("library")
    assert not base.resolve().is_relative_to(ROOT), "the example must run outside the repository"

    # 1. build the wheel from a copy of exactly what packaging needs
    src = base / "src"
    (src / "docs").mkdir(parents=True)
    for name in ("pyproject.toml", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copy2(ROOT / "docs" / "library.md", src / "docs" / "library.md")
    shutil.copytree(ROOT / "constructs_lib", src / "constructs_lib", ignore=shutil.ignore_patterns("__pycache__"))
    dist = base / "dist"
    _pip("wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(dist))
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels

    # 2. install it into a private site directory
    site = base / "site"
    _pip("install", "--no-deps", "--target", str(site), str(wheels[0]))

    # 3. the example app, copied outside the repository, run with only that site on PYTHONPATH
    app = base / "app"
    shutil.copytree(EXAMPLE_DIR, app, ignore=shutil.ignore_patterns("__pycache__", "cdktf.out", "*.tfstate"))
    env = _clean_env(site)
    probe_run = subprocess.run([sys.executable, "-c", _PROBE], cwd=app, env=env,
                               capture_output=True, text=True, timeout=120)
    assert probe_run.returncode == 0, probe_run.stderr
    run = subprocess.run([sys.executable, "main.py"], cwd=app, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr

    out = app / "cdktf.out"
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {name: json.loads((out / meta["synthesizedStackPath"]).read_text())
              for name, meta in manifest["stacks"].items()}
    return Library(wheels[0], site, app, json.loads(probe_run.stdout), run, manifest, stacks)


# --- the wheel ---------------------------------------------------------------------------------

def test_wheel_contains_the_library_and_nothing_else(library):
    names = zipfile.ZipFile(library.wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"constructs_lib", DIST_INFO}, top
    repo_modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "constructs_lib").rglob("*.py")}
    wheel_modules = {n for n in names if n.endswith(".py")}
    assert wheel_modules == repo_modules
    assert "constructs_lib/py.typed" in names
    assert "constructs_lib/_jsii_lazy_index.cjs" in names  # the Node preload lazy_providers.enable() uses
    for forbidden in ("stacks/", "config/", "tests/", "examples/", "scripts/", "main.py"):
        assert not [n for n in names if n.startswith(forbidden) or n.endswith("/" + forbidden)], forbidden


def _metadata(library: Library) -> email.message.Message:
    with zipfile.ZipFile(library.wheel) as wheel:
        text = wheel.read(f"{DIST_INFO}/METADATA").decode()
    return email.parser.Parser().parsestr(text)


def _requirements(name: str) -> dict[str, Requirement]:
    """The pins of one requirements file, with the files it includes (``-r``)."""
    reqs = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            reqs.update(_requirements(line[3:].strip()))
        elif line:
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return reqs


def test_metadata_names_version_licence_and_python(library):
    meta = _metadata(library)
    assert meta["Name"] == "ppm-azure-constructs"
    assert meta["Version"] == VERSION
    assert Version(VERSION).release >= (0, 1, 0)
    assert meta["License"] == "MIT" or meta["License-Expression"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    python = SpecifierSet(meta["Requires-Python"])
    assert "3.11" in python and "3.10" not in python
    assert Version(".".join(map(str, sys.version_info[:3]))) in python
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().startswith("# ppm-azure-constructs")  # docs/library.md is the long description


def test_dependency_ranges_admit_the_pinned_versions(library):
    """Each toolchain is an extra whose ranges admit that toolchain's exact pins; the rest admits both."""
    declared: dict[str, list[Requirement]] = {}
    for text in _metadata(library).get_all("Requires-Dist"):
        req = Requirement(text)
        declared.setdefault(str(req.marker or ""), []).append(req)
    extras = {'extra == "cdktf"': "requirements.txt", 'extra == "cdktn"': "requirements-cdktn.txt"}
    assert set(declared) == {"", *extras}, sorted(declared)
    assert {r.name.lower() for r in declared[""]} == {"constructs", "jsii", "pyyaml"}
    for marker, requirements in [*extras.items(), ("", "requirements.txt"), ("", "requirements-cdktn.txt")]:
        pinned = _requirements(requirements)
        for req in declared[marker]:
            name = req.name.lower()
            assert req.specifier, f"{name}: a range, not an unconstrained dependency"
            assert not any(s.operator == "==" for s in req.specifier), f"{name}: a range, not an exact pin"
            exact = [s.version for s in pinned[name].specifier if s.operator == "=="]
            assert exact, f"{requirements}: {name} is not pinned exactly"
            assert exact[0] in req.specifier, f"{name} {exact[0]} ({requirements}) outside {req.specifier}"
    toolchain_packages = {r.name.lower() for m in extras for r in declared[m]}
    assert {"cdktf", "cdktn", "cdktn-provider-azurerm", "cdktf-cdktf-provider-azurerm"} <= toolchain_packages


def test_installed_wheel_imports_without_side_effects(library):
    probe = library.probe
    assert Path(probe["file"]).resolve() == (library.site / "constructs_lib" / "__init__.py").resolve()
    # The repository is not importable: neither its root nor any entry other than the site dir
    # holds a constructs_lib (the venv's site-packages provide cdktf and the provider bindings).
    for entry in probe["path"]:
        resolved = Path(entry or library.app).resolve()
        assert resolved != ROOT, probe["path"]
        if (resolved / "constructs_lib").exists():
            assert resolved == library.site.resolve(), entry
    assert sorted(probe["names"]) == sorted(constructs_lib.__all__)
    heavy = [m for m in probe["new_modules"] if HEAVY.match(m)]
    assert heavy == [], heavy
    assert [m for m in probe["new_modules"] if m.startswith("constructs_lib")] == ["constructs_lib"]


# --- the example app, run from the installed wheel --------------------------------------------

def test_example_ran_from_the_installed_wheel_with_no_inputs(library):
    installed = library.site / "constructs_lib" / "__init__.py"
    assert f"constructs_lib from {installed}" in library.run.stdout
    assert set(library.manifest["stacks"]) == {"example-network", "example-data"}
    assert (library.app / "cdktf.out" / "manifest.json").is_file()  # zero inputs: ./cdktf.out


def test_example_imports_only_the_library_and_constructs():
    """No toolchain package by name: cdktf and CDK Terrain names come through constructs_lib.cdk, so the
    example runs on either toolchain."""
    tree = ast.parse((EXAMPLE_DIR / "main.py").read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    third_party = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    # and no stacks/ or config/ (they are not stdlib, so caught here)
    assert third_party == {"constructs_lib", "constructs"}


def _network_output_value(library: Library, reference: str) -> str:
    """The network stack output behind a cross-stack reference in the data stack."""
    match = re.fullmatch(r"\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)\}", reference)
    assert match, reference
    return library.stacks["example-network"]["output"][match.group(1)]["value"]


def _subnet_key(library: Library, reference: str) -> str:
    value = _network_output_value(library, reference)
    match = re.fullmatch(r"\$\{azurerm_subnet\.([\w-]+)\.id\}", value)
    assert match, value
    return match.group(1)


def test_postgres_is_zone_redundant_vnet_injected_private_and_protected(library):
    _, server = library.one("example-data", "azurerm_postgresql_flexible_server")
    assert server["high_availability"] == {"mode": "ZoneRedundant", "standby_availability_zone": "2"}
    assert server["zone"] == "1"
    assert server["public_network_access_enabled"] is False
    assert server["lifecycle"]["prevent_destroy"] is True
    # VNet injection: the delegated subnet of the network stack, through a cross-stack reference.
    subnet = library.resources("example-network", "azurerm_subnet")[_subnet_key(library, server["delegated_subnet_id"])]
    assert [d["service_delegation"]["name"] for d in subnet["delegation"]] == ["Microsoft.DBforPostgreSQL/flexibleServers"]
    zone_ref = _network_output_value(library, server["private_dns_zone_id"])
    zone_key = re.fullmatch(r"\$\{azurerm_private_dns_zone\.([\w-]+)\.id\}", zone_ref).group(1)
    assert library.resources("example-network", "azurerm_private_dns_zone")[zone_key]["name"].endswith(
        ".postgres.database.azure.com")
    (_, database), = library.resources("example-data", "azurerm_postgresql_flexible_server_database").items()
    assert database["name"] == "app" and database["lifecycle"]["prevent_destroy"] is True
    params = {p["name"]: p["value"] for p in library.resources(
        "example-data", "azurerm_postgresql_flexible_server_configuration").values()}
    assert params == {"require_secure_transport": "on"}
    assert server["tags"]["project"] == "library-example"  # RequiredTags, from the installed wheel


def test_nfs_share_is_premium_filestorage_behind_a_private_endpoint(library):
    account_key, account = library.one("example-data", "azurerm_storage_account")
    assert (account["account_kind"], account["account_tier"], account["account_replication_type"]) == (
        "FileStorage", "Premium", "ZRS")
    assert account["https_traffic_only_enabled"] is False  # kernel NFS has no TLS
    assert account["public_network_access_enabled"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["lifecycle"]["prevent_destroy"] is True
    _, share = library.one("example-data", "azurerm_storage_share")
    assert share["enabled_protocol"] == "NFS"
    assert share["quota"] == 256
    assert share["storage_account_id"] == f"${{azurerm_storage_account.{account_key}.id}}"
    assert share["lifecycle"]["prevent_destroy"] is True
    _, endpoint = library.one("example-data", "azurerm_private_endpoint")
    connection = endpoint["private_service_connection"]
    assert connection["private_connection_resource_id"] == f"${{azurerm_storage_account.{account_key}.id}}"
    assert connection["subresource_names"] == ["file"]
    subnet = library.resources("example-network", "azurerm_subnet")[_subnet_key(library, endpoint["subnet_id"])]
    assert subnet["private_endpoint_network_policies"] == "Enabled"
    zones = [_network_output_value(library, z) for z in endpoint["private_dns_zone_group"]["private_dns_zone_ids"]]
    names = [library.resources("example-network", "azurerm_private_dns_zone")[
        re.fullmatch(r"\$\{azurerm_private_dns_zone\.([\w-]+)\.id\}", z).group(1)]["name"] for z in zones]
    assert names == ["privatelink.file.core.windows.net"]


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


def test_no_password_literal_in_the_synthesized_json(library):
    (password_key,) = library.stacks["example-data"]["ephemeral"]["random_password"]  # never in state or plans
    assert "random_password" not in library.stacks["example-data"].get("resource", {})
    reference = f"${{ephemeral.random_password.{password_key}.result}}"
    _, server = library.one("example-data", "azurerm_postgresql_flexible_server")
    assert server["administrator_password_wo"] == reference
    assert "administrator_password" not in server  # the write-only argument only: never in state
    for stack, body in library.stacks.items():
        for path, value in _walk({k: v for k, v in body.items() if k != "//"}):
            leaf = path.rsplit(".", 1)[-1]
            if "password" not in leaf.lower() or path.startswith(".ephemeral.random_password."):
                continue
            if leaf.endswith("_version"):
                assert isinstance(value, int), (stack, path, value)
            else:
                assert value == reference, (stack, path, value)
        outputs = json.dumps(body.get("output", {}))
        assert "random_password" not in outputs, (stack, outputs)


# --- the public API -------------------------------------------------------------------------------

def _exports() -> dict[str, Any]:
    return {name: getattr(constructs_lib, name) for name in constructs_lib.__all__}


def _construct_like(value: Any) -> bool:
    from constructs import Construct

    return isinstance(value, type) and (issubclass(value, Construct) or callable(getattr(value, "visit", None)))


def _library_doc():
    from tools.docs import library_doc

    return library_doc


def test_all_is_sorted_unique_and_every_name_resolves():
    assert constructs_lib.__all__ == sorted(set(constructs_lib.__all__))
    exports = _exports()
    assert all(value is not None for value in exports.values())
    for name, value in exports.items():
        if isinstance(value, type):
            assert value.__name__ == name


def test_every_public_construct_and_its_props_types_are_exported():
    from constructs import Construct

    exports = _exports()
    missing = []
    for info in pkgutil.iter_modules(constructs_lib.__path__):
        module = importlib.import_module(f"constructs_lib.{info.name}")
        for name, value in vars(module).items():
            if (inspect.isclass(value) and value.__module__ == module.__name__ and not name.startswith("_")
                    and issubclass(value, Construct) and name not in exports):
                missing.append(f"{module.__name__}.{name}")
    doc = _library_doc()
    for value in exports.values():
        root = doc.props_type(value) if _construct_like(value) else None  # aspects take no props
        for props in doc.props_family(root) if root else ():
            if props.__name__ not in exports:
                missing.append(f"{props.__module__}.{props.__name__}")
    assert missing == []


def test_every_exported_construct_has_a_usage_example():
    without = [name for name, value in _exports().items()
               if _construct_like(value) and "Example::" not in (value.__doc__ or "")]
    assert without == []


def _documents_default(doc: str, f: dataclasses.Field) -> bool:
    """A field doc states its default: the word, the ``- <default>`` convention, or the value itself."""
    if "default" in doc.lower() or re.search(r"(^|\s)- ", doc):
        return True
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    return str(value) in doc


def test_every_props_type_is_frozen_kw_only_and_documents_every_field():
    doc = _library_doc()
    props_types = {name: value for name, value in _exports().items() if dataclasses.is_dataclass(value)}
    assert {"PostgresFlexibleServerProps", "NfsFileShareProps"} <= set(props_types)
    problems = []
    for name, cls in props_types.items():
        if not cls.__dataclass_params__.frozen:
            problems.append(f"{name}: not frozen")
        params = doc.param_docs(cls)
        for f in dataclasses.fields(cls):
            if not f.kw_only:
                problems.append(f"{name}.{f.name}: not keyword-only")
            if f":param {f.name}:" not in (cls.__doc__ or ""):
                problems.append(f"{name}.{f.name}: no ':param {f.name}:' in the docstring")
            elif (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING) \
                    and not _documents_default(params.get(f.name, ""), f):
                problems.append(f"{name}.{f.name}: its default is not documented")
    assert problems == []


# --- the documentation ------------------------------------------------------------------------------

def test_library_doc_covers_install_lazy_loading_the_example_and_every_export():
    text = (ROOT / "docs" / "library.md").read_text()
    # both toolchain extras, from Git and from the wheel
    assert 'pip install "ppm-azure-constructs[cdktf] @ git+' in text and 'pip install "ppm-azure-constructs[cdktn] @ git+' in text
    assert f'pip install "dist/ppm_azure_constructs-{VERSION}-py3-none-any.whl[cdktf]"' in text
    assert "lazy_providers.enable()" in text
    assert (EXAMPLE_DIR / "main.py").read_text() in text
    for name, value in _exports().items():
        if _construct_like(value):
            assert f"### `{name}`" in text, name
        elif dataclasses.is_dataclass(value):
            assert f"#### `{name}`" in text, name


def test_every_exported_construct_exposes_its_main_resource_as_resource(tmp_path):
    """The escape hatch: ``construct.resource`` is the underlying Terraform element, construct id ``Resource``.

    Walks the real four-stack app and the bootstrap app (built, not synthesized), so every exported
    construct is checked as the stacks use it.
    """
    import functools

    import constructs_lib
    from constructs_lib.cdk import TerraformElement
    from constructs import Construct

    from config import load_config
    from cli.builders import build_app
    from cli.builders import build_state_app

    from tests.conftest import CONFIGS

    cfg = load_config(CONFIGS["reference"])
    apps = [build_app(cfg, str(tmp_path / "app")),
            build_state_app(cfg, str(tmp_path / "state"), local_state=tmp_path / "s.tfstate")]
    exported = {name: getattr(constructs_lib, name) for name in constructs_lib.__all__}
    construct_types = {name: cls for name, cls in exported.items() if isinstance(cls, type) and issubclass(cls, Construct)}
    found: dict[str, object] = {}
    for app in apps:
        for node in app.node.find_all():
            if type(node) in construct_types.values():
                found.setdefault(type(node).__name__, node)
    assert set(found) == set(construct_types), f"not used by any stack, so not checked: {set(construct_types) - set(found)}"
    for name, node in found.items():
        resource = getattr(node, "resource", None)
        assert isinstance(resource, TerraformElement), f"{name}.resource is {resource!r}"
        assert resource.node.id == "Resource" and resource.node.scope is node, name
