"""Session fixtures: each shipped config is synthesized once per pytest session.

Synthesis runs in-process with lazy provider loading (as main.py does) through
``cli.synth.synthesize`` (``app.synth()``: cross-stack references resolved,
error annotations raised).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.process import use_supported_node  # noqa: E402

use_supported_node()
from constructs_lib import lazy_providers  # noqa: E402

lazy_providers.enable()

from config import load_config  # noqa: E402

CONFIGS = {"reference": ROOT / "config" / "reference.yaml", "small": ROOT / "config" / "small.yaml"}
STACKS = ("network", "data", "cluster", "app")


@dataclass
class Synth:
    """One synthesized app: parsed JSON of each stack and the manifest."""

    name: str
    outdir: Path
    manifest: dict[str, Any]
    stacks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resources(self, stack: str, rtype: str) -> dict[str, dict[str, Any]]:
        return self.stacks[stack].get("resource", {}).get(rtype, {})

    def one(self, stack: str, rtype: str) -> dict[str, Any]:
        found = self.resources(stack, rtype)
        assert len(found) == 1, f"expected one {rtype} in {stack}, found {sorted(found)}"
        return next(iter(found.values()))

    def data_sources(self, stack: str, dtype: str) -> dict[str, dict[str, Any]]:
        return self.stacks[stack].get("data", {}).get(dtype, {})


#: Entra object ids for the "delivered" variant: the shipped configs leave delivery's principals empty
#: (a placeholder the preflight refuses), so grants to them are tested on the reference config plus these.
DEPLOYERS = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
PLANNERS = ("33333333-3333-4333-8333-333333333333",)


def delivered_config():
    """The reference config with two deploying and one planning principal."""
    cfg = load_config(CONFIGS["reference"])
    delivery = cfg.delivery.model_copy(update={"deployer_principal_ids": list(DEPLOYERS),
                                               "plan_principal_ids": list(PLANNERS)})
    return cfg.model_copy(update={"delivery": delivery})


def synth_config(name: str, outdir: Path, cfg: Any = None) -> Synth:
    from cli.synth import synthesize

    cfg = cfg or load_config(CONFIGS[name])
    synthesize(cfg, outdir)
    return read_synth(name, outdir)


def read_synth(name: str, outdir: Path) -> Synth:
    """The manifest and every stack's JSON of a synthesized app in ``outdir``."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return Synth(name=name, outdir=outdir, manifest=manifest,
                 stacks={stack: json.loads((outdir / meta["synthesizedStackPath"]).read_text())
                         for stack, meta in manifest["stacks"].items()})


@pytest.fixture(scope="session")
def synths(tmp_path_factory) -> dict[str, Synth]:
    """Both shipped configs, synthesized once per session."""
    base = tmp_path_factory.mktemp("synth")
    return {name: synth_config(name, base / name) for name in CONFIGS}


@pytest.fixture(scope="session")
def reference(synths) -> Synth:
    return synths["reference"]


@pytest.fixture(scope="session")
def delivered(tmp_path_factory) -> Synth:
    """The reference config with deploying and planning principals (:func:`delivered_config`)."""
    return synth_config("delivered", tmp_path_factory.mktemp("synth") / "delivered", delivered_config())


@pytest.fixture(scope="session")
def small(synths) -> Synth:
    return synths["small"]


@pytest.fixture(params=sorted(CONFIGS), scope="session")
def any_synth(request, synths) -> Synth:
    """Parametrized over both shipped configs."""
    return synths[request.param]


def json_differences(old: Any, new: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(key path, ``added``/``removed``/``changed``) for every difference from ``old`` to ``new`` (parsed JSON)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[tuple[str, ...], str]] = []
        for key in sorted(set(old) | set(new)):
            if key not in old:
                out.append(((*path, key), "added"))
            elif key not in new:
                out.append(((*path, key), "removed"))
            else:
                out += json_differences(old[key], new[key], (*path, key))
        return out
    return [] if old == new else [(path, "changed")]


def tree_digest(root: Path) -> str:
    """One hash of every path and file content under ``root`` (to prove nothing was written or lost)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_main(env_extra: dict[str, str], cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py`` as a user would, with extra environment variables."""
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# --- the bootstrap (state) stack, synthesized once per session per config -------------------------



@dataclass
class StateSynth:
    name: str
    outdir: Path
    local_state: Path
    manifest: dict[str, Any]
    doc: dict[str, Any]
    stdout: str = ""

    def one(self, rtype: str) -> dict[str, Any]:
        found = self.doc.get("resource", {}).get(rtype, {})
        assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
        return next(iter(found.values()))


def run_bootstrap(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bootstrap.py")], cwd=ROOT, env={**os.environ, **env_extra},
                          capture_output=True, text=True, timeout=300)


def _read(name: str, outdir: Path, local_state: Path, stdout: str = "") -> StateSynth:
    manifest = json.loads((outdir / "manifest.json").read_text())
    doc = json.loads((outdir / manifest["stacks"]["state"]["synthesizedStackPath"]).read_text())
    return StateSynth(name, outdir, local_state, manifest, doc, stdout)


@pytest.fixture(scope="session")
def state_synths(tmp_path_factory) -> dict[str, StateSynth]:
    base = tmp_path_factory.mktemp("bootstrap")
    # reference: through the CLI, exactly as `make bootstrap` runs it
    ref_out, ref_state = base / "reference-out", base / "state" / "reference.tfstate"
    result = run_bootstrap({"PPM_CONFIG": str(CONFIGS["reference"]), "BOOTSTRAP_OUTDIR": str(ref_out),
                            "BOOTSTRAP_STATE": str(ref_state)})
    assert result.returncode == 0, result.stderr
    synths = {"reference": _read("reference", ref_out, ref_state, result.stdout)}
    # small: in-process, same synthesize() with the state builder
    from cli.builders import build_state_app
    from cli.synth import synthesize

    small_out, small_state = base / "small-out", base / "state" / "small.tfstate"
    synthesize(load_config(CONFIGS["small"]), small_out, build=functools.partial(build_state_app, local_state=small_state))
    synths["small"] = _read("small", small_out, small_state)
    return synths


# --- the other toolchain (cdktf <-> CDK Terrain): both configs and both state stacks, once --------

@dataclass
class ToolchainSynths:
    """Every synth of the toolchain this session does not run on, made by that toolchain's venv."""

    toolchain: str
    apps: dict[str, Synth]
    states: dict[str, StateSynth]
    seconds: dict[str, float]


def other_toolchain() -> Any:
    from constructs_lib.toolchain import TOOLCHAINS, selected

    (other,) = [t for t in TOOLCHAINS.values() if t.name != selected().name]
    return other


def _synthesize_other(base: Path) -> ToolchainSynths:
    """``main.py`` and ``bootstrap.py`` of both configs, four processes at once, on the other venv."""
    import time

    other = other_toolchain()
    python = ROOT / other.venv / "bin" / "python"
    assert python.exists(), (f"{python} missing: `make test` builds it ({other.requirements}); "
                             f"or run `make TOOLCHAIN={other.name} setup`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PPM_TOOLCHAIN"] = other.name
    jobs: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name, config in CONFIGS.items():
        jobs[f"app-{name}"] = ([str(python), str(ROOT / "main.py")],
                               {"PPM_CONFIG": str(config), "CDKTF_OUTDIR": str(base / name)})
        # the layout of state_synths (<name>-out, state/<name>.tfstate): the backend's relative path is the same
        jobs[f"state-{name}"] = ([str(python), str(ROOT / "bootstrap.py")],
                                 {"PPM_CONFIG": str(config), "BOOTSTRAP_OUTDIR": str(base / f"{name}-out"),
                                  "BOOTSTRAP_STATE": str(base / "state" / f"{name}.tfstate")})
    started = {job: (time.perf_counter(), subprocess.Popen(argv, cwd=ROOT, env={**env, **extra}, text=True,
                                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE))
               for job, (argv, extra) in jobs.items()}
    seconds = {}
    for job, (start, proc) in started.items():
        out, err = proc.communicate(timeout=600)
        seconds[job] = time.perf_counter() - start
        assert proc.returncode == 0, f"{other.name} {job} failed ({proc.returncode}):\n{out}\n{err}"
    apps = {name: read_synth(f"{name}@{other.name}", base / name) for name in CONFIGS}
    states = {name: _read(f"{name}@{other.name}", base / f"{name}-out", base / "state" / f"{name}.tfstate")
              for name in CONFIGS}
    return ToolchainSynths(other.name, apps, states, seconds)


@pytest.fixture(scope="session")
def other_synths(tmp_path_factory) -> ToolchainSynths:
    """The other toolchain's synths, made once per session even with several xdist workers.

    The first worker to get here synthesizes into the session's shared temp directory under a lock;
    the others wait for it and read the same files.
    """
    import fcntl
    import pickle

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the directory all workers of this session share
    base = shared / "other-toolchain"
    with open(shared / "other-toolchain.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "other-toolchain.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        base.mkdir(exist_ok=True)
        result = _synthesize_other(base)
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(params=[f"{c}@{t}" for c in sorted(CONFIGS) for t in ("this", "other")], scope="session")
def every_synth(request, synths, other_synths) -> Synth:
    """Both shipped configs on both toolchains (for checks that must hold whatever synthesized them)."""
    config, toolchain = request.param.split("@")
    return synths[config] if toolchain == "this" else other_synths.apps[config]
