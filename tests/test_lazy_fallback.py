"""Lazy provider loading falls back to eager imports when jsii lacks the internals it relies on.

``constructs_lib.lazy_providers.enable()`` fills ``jsii._reference_map._submodule_fqn_map`` and
relies on ``jsii._reference_map._try_import_type_module`` (jsii >= 1.142) to import a
submodule when JavaScript hands back an object of a type Python has not imported. A library
user may have another jsii: then ``enable()`` must warn, change nothing, and the synth must
still work (stock eager imports).

The end-to-end check runs in a subprocess (import state is per process, and this session
already has lazy loading enabled by conftest.py); the detection itself is checked in-process
for each internal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from jsii import _reference_map

from constructs_lib import lazy_providers

ROOT = Path(__file__).resolve().parent.parent

# An older jsii: no on-demand import of submodules. The stack uses the small hashicorp/time bindings
# (eager imports of azurerm take ~15 s of this suite's budget and prove nothing more): an aspect
# from the library visits it, so JavaScript hands provider objects back to Python.
FALLBACK_PROBE = """
    import json, sys
    from cli.process import use_supported_node
    use_supported_node()
    from jsii import _reference_map
    del _reference_map._try_import_type_module
    from constructs_lib import lazy_providers
    enabled = lazy_providers.enable()

    from constructs_lib.cdk import App, Aspects, TerraformStack
    from constructs_lib.cdk.time import Sleep, TimeProvider
    from constructs_lib import PolicyChecks
    from constructs_lib.toolchain import app_context, selected

    app = App(context=app_context(), outdir=sys.argv[1])
    stack = TerraformStack(app, "fallback")
    TimeProvider(stack, "time")
    Sleep(stack, "wait", create_duration="30s")
    Aspects.of(stack).add(PolicyChecks(required_tags=["owner"]))
    app.synth()
    time = [m for m in sys.modules if m.startswith(selected().package("time") + ".")]
    # CDK Terrain's bindings ship their own FQN map, which jsii registers as it loads them: what enable()
    # would add is anything beyond that.
    shipped = {}
    for name, module in list(sys.modules.items()):
        if name.endswith("._jsii"):
            shipped.update(getattr(getattr(module, "_private", module), "_SUBMODULE_FQN_MAP", None) or {})
    print(json.dumps({"enabled": enabled, "time_submodules": len(time),
                      "fqn_map_added": len(set(_reference_map._submodule_fqn_map) - set(shipped))}))
"""


def test_enable_falls_back_to_eager_imports_with_a_warning_and_the_stack_synthesizes(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in (lazy_providers.EAGER_ENV, lazy_providers.LAZY_INDEX_ENV, "PYTHONWARNINGS")}
    outdir = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(FALLBACK_PROBE), str(outdir)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    # the warning is printed, names what is missing and what happens instead
    warning_lines = [line for line in result.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warning_lines) == 1, result.stderr
    assert "jsii._reference_map._try_import_type_module" in warning_lines[0]
    assert "falling back to the provider packages' stock eager imports" in warning_lines[0]

    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["enabled"] == []
    assert probe["fqn_map_added"] == 0, "enable() touched jsii although it fell back"
    # the package root ran its stock __init__, which imports every resource module (provider, sleep, static, rotating, offset)
    assert probe["time_submodules"] >= 5, "the provider package root did not run its (eager) __init__"

    manifest = json.loads((outdir / "manifest.json").read_text())
    stack = json.loads((outdir / manifest["stacks"]["fallback"]["synthesizedStackPath"]).read_text())
    assert stack["resource"]["time_sleep"]["wait"]["create_duration"] == "30s"


@pytest.mark.parametrize("internal", lazy_providers.JSII_INTERNALS)
def test_each_missing_internal_is_detected_and_named(monkeypatch, internal):
    monkeypatch.delattr(_reference_map, internal)
    monkeypatch.delenv(lazy_providers.EAGER_ENV, raising=False)
    assert lazy_providers.missing_jsii_internals() == [f"jsii._reference_map.{internal}"]
    with pytest.warns(RuntimeWarning, match=rf"jsii [^ ]+ has no jsii\._reference_map\.{internal};"):
        assert lazy_providers.enable() == []


def test_a_renamed_map_of_another_type_is_detected(monkeypatch):
    monkeypatch.setattr(_reference_map, "_submodule_fqn_map", None)
    assert lazy_providers.missing_jsii_internals() == ["jsii._reference_map._submodule_fqn_map"]


def test_this_jsii_has_the_internals_and_enable_does_not_warn(monkeypatch):
    monkeypatch.delenv(lazy_providers.EAGER_ENV, raising=False)
    assert lazy_providers.missing_jsii_internals() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lazy_providers.enable()  # the session's packages are set up already: nothing left to do, no warning
