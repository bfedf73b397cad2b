"""The Makefile's own targets that touch nothing outside the checkout: `make help` and `make clean`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAKEFILE = ROOT / "Makefile"
HELP_LINE = re.compile(r"^## ([A-Za-z0-9_-]+):", re.M)

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def make(makefile: Path, target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``make -f makefile target`` as a user runs it: not as a sub-make of `make test` (no MAKEFLAGS, no directory lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES")}
    return subprocess.run(["make", "--no-print-directory", "-s", "-f", str(makefile), target], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_help_lists_every_documented_target_and_nothing_else(tmp_path):
    text = MAKEFILE.read_text()
    documented = HELP_LINE.findall(text)
    rules = set(re.findall(r"^([A-Za-z0-9_-]+):", text, re.M))
    assert documented and set(documented) <= rules, f"## lines for no target: {set(documented) - rules}"
    assert {"help", "synth", "test", "docs", "clean", "bench", "bootstrap", "plan", "deploy"} <= set(documented)
    result = make(MAKEFILE, "help", cwd=tmp_path)  # run elsewhere: help reads its own Makefile, not ./Makefile
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    listed = []
    for index, line in enumerate(lines):
        target = re.match(r"^  ([A-Za-z0-9_-]+): \S", line)
        if target:
            listed.append(target.group(1))
        else:  # anything else continues the line above, indented deeper than a target
            assert index > 0 and re.match(r"^ {4,}\S", line), f"`make help` line is neither a target nor a continuation: {line!r}"
    assert listed == documented, f"`make help` lists {listed}; the Makefile documents {documented}"
    continuations = len(re.findall(r"^## ", text, re.M)) - len(documented)
    assert len(lines) == len(listed) + continuations


def test_clean_removes_outputs_build_leftovers_and_interrupted_synths(tmp_path):
    shutil.copy2(MAKEFILE, tmp_path / "Makefile")
    #: What `make clean` must remove (each created as a directory holding a file).
    leftovers = ["cdktf.out", "cdktf.out.bootstrap", "plans", ".pytest_cache", "build",
                 "ppm_azure_constructs.egg-info", "bench/ts-baseline/build",
                 ".cdktf.out.staging-abc123", ".cdktf.out.previous-def456",
                 ".cdktf.out.bootstrap.staging-ghi789", ".cdktf.out.bootstrap.previous-jkl012"]
    kept = [".venv/bin/python", ".venv-cdktn/bin/python", "node_modules/.installed", "bench/ts-baseline/app.ts", "docs/architecture.md",
            "config/reference.yaml"]
    for rel in leftovers:
        (tmp_path / rel / "sub").mkdir(parents=True)
        (tmp_path / rel / "sub" / "file").write_text("x")
    for rel in kept:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    result = make(tmp_path / "Makefile", "clean", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    remaining = [rel for rel in leftovers if (tmp_path / rel).exists()]
    assert remaining == [], f"`make clean` left {remaining}"
    gone = [rel for rel in kept if not (tmp_path / rel).exists()]
    assert gone == [], f"`make clean` removed {gone}, which it must keep"
