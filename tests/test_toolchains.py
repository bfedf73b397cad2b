"""cdktf (azurerm 4.55) and CDK Terrain (azurerm 5.10) synthesize the same deployment.

The session's own synth (``synths``) runs on the toolchain of this venv; ``other_synths`` runs
``main.py`` and ``bootstrap.py`` of both shipped configs with the other toolchain's venv
(``.venv`` or ``.venv-cdktn``, both built by ``make test``). Both must give:

- the same stacks and the same Terraform addresses (a moved address is a destroy and create);
- the same arguments, except exactly the azurerm 4 -> 5 changes that
  ``constructs_lib.azurerm_versions.AZURERM_5_CHANGES`` lists (and docs/toolchains.md explains),
  the provider versions each toolchain pins, and cdktf's own version stamp.

checkov and the secret scan run on the other toolchain's output too (tests/test_checkov.py,
tests/test_secrets.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from constructs_lib.azurerm_versions import AZURERM_5_CHANGES
from constructs_lib.toolchain import TOOLCHAINS, ToolchainError, choose, selected
from tests.conftest import CONFIGS, ROOT, STACKS, json_differences

#: What each toolchain pins: the provider versions its prebuilt bindings were generated for.
PROVIDER_VERSIONS = {
    "cdktf": {"azurerm": "4.55.0", "helm": "3.1.1", "random": "3.7.2", "time": "0.13.1"},
    "cdktn": {"azurerm": "5.10.0", "helm": "3.3.0", "random": "3.9.1", "time": "0.14.2"},
}
SECTIONS = ("resource", "data", "ephemeral", "output", "variable", "locals", "provider")


def _by_toolchain(synths, other_synths) -> dict[str, Any]:
    this = selected().name
    return {this: synths, other_synths.toolchain: other_synths.apps}


def _addresses(stack: dict[str, Any]) -> set[str]:
    found = set()
    for section in SECTIONS:
        for kind, entries in (stack.get(section) or {}).items():
            if section in ("output", "variable", "locals"):
                found.add(f"{section}.{kind}")
            elif section == "provider":
                found.add(f"provider.{kind}")
            else:
                found.update(f"{section}.{kind}.{name}" for name in entries)
    return found


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_both_toolchains_synthesize_every_stack_with_the_same_addresses(synths, other_synths, config):
    by = _by_toolchain(synths, other_synths)
    cdktf, cdktn = by["cdktf"][config], by["cdktn"][config]
    assert set(cdktf.stacks) == set(cdktn.stacks) == set(STACKS)
    for stack in STACKS:
        assert _addresses(cdktf.stacks[stack]) == _addresses(cdktn.stacks[stack]), stack
    this_state = other_synths.states[config].doc
    assert this_state.get("resource"), "the other toolchain's state stack is empty"


def _expected_argument_changes(cdktf_stack: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    expected = set()
    for change in AZURERM_5_CHANGES:
        for name in (cdktf_stack.get("resource", {}).get(change.resource_type) or {}):
            expected.add((("resource", change.resource_type, name, change.argument), change.change))
    return expected


def _toolchain_stamps(stack: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    """The differences that only say which toolchain wrote the file: its version and provider pins."""
    stamps = {(("//", "metadata", "version"), "changed")}
    for provider in stack.get("terraform", {}).get("required_providers", {}):
        stamps.add((("terraform", "required_providers", provider, "version"), "changed"))
    return stamps


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_arguments_differ_exactly_by_the_documented_azurerm_5_changes(synths, other_synths, config, stack):
    by = _by_toolchain(synths, other_synths)
    old, new = by["cdktf"][config].stacks[stack], by["cdktn"][config].stacks[stack]
    found = set(json_differences(old, new))
    expected = _expected_argument_changes(old) | _toolchain_stamps(old)
    assert found - expected == set(), f"undocumented differences (add to AZURERM_5_CHANGES, or fix): {found - expected}"
    # every listed change whose resource type is in this stack really shows
    assert {d for d in expected if d[0][0] == "resource"} <= found
    for provider, version in PROVIDER_VERSIONS["cdktf"].items():
        if provider in old["terraform"]["required_providers"]:
            assert old["terraform"]["required_providers"][provider]["version"] == version
            assert new["terraform"]["required_providers"][provider]["version"] == PROVIDER_VERSIONS["cdktn"][provider]


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_state_stack_is_the_same_on_both_toolchains(state_synths, other_synths, config):
    this, other = state_synths[config].doc, other_synths.states[config].doc
    assert _addresses(this) == _addresses(other)
    found = set(json_differences(this, other))
    assert found <= _toolchain_stamps(this), found


#: What each argument azurerm 5 adds must hold, computed from the same resource on azurerm 4: the same
#: zone (by ID instead of name), the same identity, and no node auto-provisioning.
ADDED_VALUES = {
    ("azurerm_private_dns_zone_virtual_network_link", "private_dns_zone_id"):
        lambda old: old["private_dns_zone_name"].removesuffix(".name}") + ".id}",
    ("azurerm_federated_identity_credential", "user_assigned_identity_id"): lambda old: old["parent_id"],
    ("azurerm_kubernetes_cluster", "node_provisioning_profile"): lambda old: {"mode": "Manual"},
}


def test_every_added_argument_says_the_same_thing_as_on_azurerm_4(synths, other_synths):
    added = {(c.resource_type, c.argument) for c in AZURERM_5_CHANGES if c.change == "added"}
    assert added == set(ADDED_VALUES), "give each added argument its expected value in ADDED_VALUES"
    by = _by_toolchain(synths, other_synths)
    checked = 0
    for config in CONFIGS:
        for stack in STACKS:
            old_stack, new_stack = by["cdktf"][config].stacks[stack], by["cdktn"][config].stacks[stack]
            for (rtype, argument), expected in ADDED_VALUES.items():
                for name, old in (old_stack.get("resource", {}).get(rtype) or {}).items():
                    new = new_stack["resource"][rtype][name]
                    assert new[argument] == expected(old), (config, stack, rtype, name, argument)
                    checked += 1
    # reference: 4 links, 2 credentials, 1 cluster; small: 3 links, 2 credentials, 1 cluster
    assert checked == 13


def test_every_documented_change_shows_in_some_synth(synths, other_synths):
    """No stale entry: each change of AZURERM_5_CHANGES appears in the shipped configs' output."""
    by = _by_toolchain(synths, other_synths)
    seen = set()
    for config in CONFIGS:
        for stack in STACKS:
            for path, what in json_differences(by["cdktf"][config].stacks[stack], by["cdktn"][config].stacks[stack]):
                if path[0] == "resource":
                    seen.add((path[1], path[3], what))
    listed = {(c.resource_type, c.argument, c.change) for c in AZURERM_5_CHANGES}
    assert listed <= seen, listed - seen


# --- choosing the toolchain ---------------------------------------------------------------------

def test_an_unknown_toolchain_is_refused_with_the_variable_and_the_values():
    with pytest.raises(ToolchainError) as err:
        choose("terraform-cdk")
    message = str(err.value)
    assert "PPM_TOOLCHAIN='terraform-cdk'" in message and "cdktf, cdktn" in message and "\n" not in message


@pytest.mark.parametrize("major", [3, 6])
def test_an_azurerm_major_without_known_differences_is_refused_not_guessed(monkeypatch, major):
    """azurerm 6 must not silently take the 5 path: its changes have to be read and listed first."""
    from constructs_lib import azurerm_versions

    monkeypatch.setattr(azurerm_versions, "azurerm_major", lambda: major)
    for call in (lambda: azurerm_versions.private_dns_link_zone("id", "name", "rg"),
                 lambda: azurerm_versions.federated_credential_identity("id", "rg"),
                 azurerm_versions.kubernetes_cluster_extras):
        with pytest.raises(ToolchainError, match=rf"azurerm {major}\.x: .* knows the argument differences of "
                                                 r"azurerm 4 and 5 only"):
            call()


def _env(**extra: str) -> dict[str, str]:
    """This environment without the toolchain choice (and make's own variables), plus ``extra``."""
    drop = ("PPM_TOOLCHAIN", "TOOLCHAIN", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


@pytest.mark.parametrize("value, says", [
    ("nope", "PPM_TOOLCHAIN='nope' is not a toolchain; allowed: cdktf, cdktn"),
    # the toolchain this venv does not have
    ("other", "are not installed in this Python; run `make TOOLCHAIN="),
])
def test_main_exits_2_with_one_line_and_writes_nothing(tmp_path, value, says):
    if value == "other":
        value = next(t.name for t in TOOLCHAINS.values() if t.name != selected().name)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, capture_output=True, text=True,
                            env=_env(PPM_TOOLCHAIN=value, CDKTF_OUTDIR=str(out)), timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_bindings_of_an_unknown_azurerm_major_stop_main_with_exit_2_and_one_line(tmp_path):
    """A provider package for azurerm 6 installed by hand: main.py refuses before writing, no traceback."""
    out = tmp_path / "out"
    script = ("import sys\n"
              f"sys.path.insert(0, {str(ROOT)!r})\n"
              "import constructs_lib.azurerm_versions as versions\n"
              "versions.azurerm_major = lambda: 6\n"
              "import main\n"
              "sys.exit(main.main())\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env=_env(CDKTF_OUTDIR=str(out)), timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: azurerm 6.x: "), result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_make_refuses_an_unknown_toolchain_in_one_line():
    result = subprocess.run(["make", "--no-print-directory", "TOOLCHAIN=cdk", "synth"], cwd=ROOT,
                            capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TOOLCHAIN=cdk is not a toolchain: use cdktf (the default) or cdktn" in lines[0]


def test_the_makefile_venvs_and_requirements_are_the_toolchain_table():
    """The Makefile states each toolchain's venv and pins; constructs_lib.toolchain states the same."""
    dry = {}
    for name in TOOLCHAINS:
        result = subprocess.run(["make", "--no-print-directory", "-pn", f"TOOLCHAIN={name}", "help"], cwd=ROOT,
                                capture_output=True, text=True, env=_env(), timeout=60)
        variables = dict(line.split(" := ", 1) for line in result.stdout.splitlines()
                         if line.startswith(("VENV :=", "REQUIREMENTS :=")))
        dry[name] = (variables["VENV"], variables["REQUIREMENTS"])
    assert dry == {name: (t.venv, t.requirements) for name, t in TOOLCHAINS.items()}
    # an exported PPM_TOOLCHAIN (what Python reads) is make's default too
    result = subprocess.run(["make", "--no-print-directory", "-pn", "help"], cwd=ROOT, capture_output=True,
                            text=True, env=_env(PPM_TOOLCHAIN="cdktn"), timeout=60)
    assert "VENV := .venv-cdktn" in result.stdout.splitlines()


def test_requirements_pin_exactly_what_each_toolchain_imports():
    for toolchain in TOOLCHAINS.values():
        pins = {line.split("==")[0].strip().lower().replace("-", "_")
                for line in (ROOT / toolchain.requirements).read_text().splitlines()
                if "==" in line and not line.startswith("#")}
        assert {toolchain.core, *toolchain.providers.values()} <= pins
        for line in (ROOT / toolchain.requirements).read_text().splitlines():
            if line and not line.startswith(("#", "-r ")):
                assert "==" in line, f"{toolchain.requirements}: not an exact pin: {line}"


def test_nothing_outside_the_seam_imports_a_toolchain_package():
    """Library, stacks, CLI, scripts, tools and the example import cdktf or CDK Terrain names only through
    constructs_lib.cdk (whose own imports of the default toolchain are for type checkers only)."""
    import ast

    seam = ROOT / "constructs_lib" / "cdk"
    offenders = []
    for pattern in ("constructs_lib/**/*.py", "stacks/*.py", "cli/*.py", "scripts/*.py", "tools/**/*.py",
                    "examples/**/*.py", "bench/*.py", "main.py", "bootstrap.py"):
        for path in ROOT.glob(pattern):
            if path.parent == seam:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                              if n.split(".")[0] in ("cdktf", "cdktn") or n.startswith(("cdktf_", "cdktn_"))]
    assert offenders == []


def test_every_seam_name_is_used_and_resolves_on_this_toolchain():
    """constructs_lib.cdk.<provider> lists each class once; each is imported somewhere and exists here."""
    import ast
    import importlib

    from constructs_lib import toolchain

    used: set[tuple[str, str]] = set()
    for path in [*ROOT.glob("constructs_lib/**/*.py"), *ROOT.glob("stacks/*.py"), *ROOT.glob("cli/*.py"),
                 *ROOT.glob("examples/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("constructs_lib.cdk"):
                used.update((node.module.rsplit(".", 1)[1] if "." in node.module[18:] else "core", a.name)
                            for a in node.names)
    core = importlib.import_module("constructs_lib.cdk")
    core_listed = {a.asname or a.name for block in ast.parse((ROOT / "constructs_lib/cdk/__init__.py").read_text()).body
                   if isinstance(block, ast.If) for node in block.body if isinstance(node, ast.ImportFrom)
                   for a in node.names}
    assert {("core", n) for n in core_listed} == {u for u in used if u[0] == "core"}
    for name in core_listed:
        assert getattr(core, name).__module__.startswith(selected().core), name
    for provider in toolchain.PROVIDERS:
        seam = ROOT / "constructs_lib" / "cdk" / f"{provider}.py"
        listed = toolchain._type_checking_imports(seam)
        assert {(provider, n) for n in listed} == {u for u in used if u[0] == provider}, provider
        module = importlib.import_module(f"constructs_lib.cdk.{provider}")
        for name in listed:
            assert getattr(module, name).__module__.startswith(selected().package(provider)), name
