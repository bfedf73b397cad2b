"""Lazy provider loading (constructs_lib/lazy_providers.py).

- Lazy and stock eager imports give byte-identical output for both shipped configs.
- Importing ``constructs_lib`` changes nothing global; lazy loading is opt-in.
- A bad config is refused before cdktf, jsii or any provider package is imported.

Every check runs ``python`` in a subprocess: import state is per process, and the
session's own process already has lazy loading enabled (conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from constructs_lib import lazy_providers
from tests.conftest import CONFIGS, ROOT, run_main

#: Modules that only the synth needs: none may load before the config is validated.
HEAVY_PREFIXES = ("jsii", "cdktf", "cdktn", "constructs", "cdktf_cdktf_provider_", "cdktn_provider_", "typeguard",
                  "publication")


def _is_heavy(module: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") or
               (prefix.endswith("_") and module.startswith(prefix)) for prefix in HEAVY_PREFIXES)


def _python(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (lazy_providers.EAGER_ENV, lazy_providers.LAZY_INDEX_ENV)}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _azurerm_requires(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The jsii kernel's JSII_DEBUG_TIMING log lines (forwarded to stdout) of require(azurerm)."""
    log = (result.stdout + result.stderr).splitlines()
    return [line for line in log if "require(" in line and "provider-azurerm" in line]


# --- byte-identical output ------------------------------------------------------------------

#: main.main() once per config in ONE process: the stock eager import of the azurerm bindings
#: (~10 s on this machine) is paid once for both configs, and each synth takes main.py's own path.
EAGER_MAINS = """
    import os, sys
    import main
    for config, outdir in zip(sys.argv[1::2], sys.argv[2::2]):
        os.environ["PPM_CONFIG"], os.environ["CDKTF_OUTDIR"] = config, outdir
        if main.main() != 0:
            sys.exit(f"eager synth of {config} failed")
"""


@pytest.fixture(scope="module")
def eager_outputs(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], dict[str, Path]]:
    """Both shipped configs synthesized by main.py's path with PPM_EAGER_IMPORTS=1, in one process."""
    base = tmp_path_factory.mktemp("eager")
    outdirs = {config: base / config for config in CONFIGS}
    args = [arg for config in sorted(CONFIGS) for arg in (str(CONFIGS[config]), str(outdirs[config]))]
    env = {k: v for k, v in os.environ.items() if k != lazy_providers.LAZY_INDEX_ENV}
    env.update({lazy_providers.EAGER_ENV: "1", "JSII_DEBUG_TIMING": "1"})
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(EAGER_MAINS), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"eager synth failed:\n{result.stderr}"
    return result, outdirs


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_lazy_and_eager_synth_are_byte_identical(config, tmp_path, eager_outputs):
    """`python main.py` lazily and with PPM_EAGER_IMPORTS=1: every file (all stacks, manifest) equal.

    JSII_DEBUG_TIMING only adds the jsii kernel's log (which index.js it required) to stdout,
    proving each run really took its path on the JavaScript side too.
    """
    eager_result, eager_dirs = eager_outputs
    lazy_result = run_main({"PPM_CONFIG": str(CONFIGS[config]), "CDKTF_OUTDIR": str(tmp_path / "lazy"),
                            lazy_providers.EAGER_ENV: "", "JSII_DEBUG_TIMING": "1"})
    assert lazy_result.returncode == 0, f"lazy synth failed:\n{lazy_result.stderr}"
    outputs = {"lazy": _tree(tmp_path / "lazy"), "eager": _tree(eager_dirs[config])}
    for mode, result, js_index in (("lazy", lazy_result, "lib/lazy-index.js"), ("eager", eager_result, "lib/index.js")):
        required = _azurerm_requires(result)
        assert required and all(js_index in line for line in required), (mode, required)

    lazy, eager = outputs["lazy"], outputs["eager"]
    assert "manifest.json" in lazy
    stacks = json.loads(lazy["manifest.json"])["stacks"]
    assert set(stacks) == {"network", "data", "cluster", "app"}
    for meta in stacks.values():
        assert meta["synthesizedStackPath"] in lazy
    assert sorted(lazy) == sorted(eager), "the two runs wrote different files"
    differing = [name for name in lazy if lazy[name] != eager[name]]
    assert not differing, f"lazy and eager output differ in {differing}"


# --- the switch and the Node side -----------------------------------------------------------

LOAD_PROBE = """
    import json, os, sys
    from cli.process import use_supported_node
    use_supported_node()
    before = dict(os.environ)
    from constructs_lib import lazy_providers
    from constructs_lib.toolchain import selected
    enabled = lazy_providers.enable()
    from constructs_lib.cdk.azurerm import ResourceGroup
    ResourceGroup  # resolved: its submodule is imported now
    azurerm = selected().package("azurerm")
    submodules = [m for m in sys.modules if m.startswith(azurerm + ".")]
    # Its own file, not stdout: the jsii kernel's timing log writes to stdout concurrently.
    with open(sys.argv[1], "w") as out:
        json.dump({"enabled": enabled, "submodules": len(submodules), "azurerm": azurerm,
                   "env_restored": dict(os.environ) == before}, out)
"""


def _load_probe(python: str, tmp_path: Path, toolchain: str | None = None) -> tuple[dict, list[str]]:
    probe_file = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k not in (lazy_providers.EAGER_ENV, lazy_providers.LAZY_INDEX_ENV)}
    env.update({"JSII_DEBUG_TIMING": "1", **({"PPM_TOOLCHAIN": toolchain} if toolchain else {})})
    result = subprocess.run([python, "-c", textwrap.dedent(LOAD_PROBE), str(probe_file)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(probe_file.read_text()), _azurerm_requires(result)


def _assert_lazy(probe: dict, required: list[str]) -> None:
    assert probe["azurerm"] in probe["enabled"]
    assert probe["submodules"] < 20  # _jsii + resource_group, not 1,500
    assert probe["env_restored"], "NODE_OPTIONS / PPM_JSII_LAZY_INDEX leaked out of enable()"
    # JSII_DEBUG_TIMING makes the jsii kernel log each require(): it must be the lazy index.
    assert required and all("lib/lazy-index.js" in line for line in required), required


def test_lazy_mode_loads_only_used_modules_on_both_sides(tmp_path):
    probe, required = _load_probe(sys.executable, tmp_path)
    _assert_lazy(probe, required)


def test_lazy_mode_works_for_the_other_toolchains_packages_too(tmp_path):
    """cdktf_cdktf_provider_* and cdktn_provider_* (npm @cdktf/... and @cdktn/...): whichever this session
    does not run on, run by its own venv (``make test`` builds it)."""
    from tests.conftest import other_toolchain

    other = other_toolchain()
    python = ROOT / other.venv / "bin" / "python"
    assert python.exists(), f"{python} missing: `make test` builds it"
    probe, required = _load_probe(str(python), tmp_path, other.name)
    assert probe["azurerm"] == other.package("azurerm")
    assert sorted(probe["enabled"]) == sorted(other.providers.values())
    _assert_lazy(probe, required)


@pytest.mark.parametrize("value, eager", [("1", True), ("true", True), ("0", False), ("", False)])
def test_eager_switch_makes_enable_a_no_op(monkeypatch, value, eager):
    # The end-to-end eager path (stock imports on both sides) runs in the byte-identical test.
    monkeypatch.setenv(lazy_providers.EAGER_ENV, value)
    assert lazy_providers.eager_requested() is eager
    if eager:
        assert lazy_providers.enable() == []


# --- importing constructs_lib is side-effect free -------------------------------------------

def test_import_constructs_lib_changes_no_global_import_behaviour():
    result = _python("""
        import json, os, sys
        before = set(sys.modules)
        hooks = (list(sys.meta_path), list(sys.path_hooks), list(sys.path))
        env = dict(os.environ)
        import constructs_lib
        names = constructs_lib.__all__  # listing the exports imports nothing
        print(json.dumps({
            "new_modules": sorted(set(sys.modules) - before),
            "hooks_unchanged": hooks == (list(sys.meta_path), list(sys.path_hooks), list(sys.path)),
            "env_unchanged": env == dict(os.environ),
            "exports": len(names),
        }))
    """)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["exports"] > 0
    assert probe["hooks_unchanged"] and probe["env_unchanged"]
    assert [m for m in probe["new_modules"] if _is_heavy(m)] == []
    assert not [m for m in probe["new_modules"] if m.startswith("constructs_lib.")], probe["new_modules"]


# --- a bad config is refused before anything heavy loads ------------------------------------

def test_bad_config_is_refused_before_cdktf_or_providers_import(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIGS["small"].read_text() + "\nnot_a_section: true\n")
    outdir = tmp_path / "out"
    env = {**os.environ, "PPM_CONFIG": str(bad), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "main.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "not_a_section" in result.stderr
    imported = [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert "config.loader" in imported  # the -X importtime log is really there
    assert [m for m in imported if _is_heavy(m)] == []
    assert not outdir.exists()
