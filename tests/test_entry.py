"""The entry points' shared path (cli/entry.py): Ctrl-C, output permissions."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, tree_digest


def _interrupt_during_synth(tmp_path: Path, *, whole_group: bool) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "cdktf.out"
    out.mkdir()
    (out / "previous.txt").write_text("kept")
    before = tree_digest(out)
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=tmp_path,
                            env={**os.environ, "CDKTF_OUTDIR": str(out)}, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".cdktf.out.staging-*")):  # synth has started writing
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "synth never started"
        time.sleep(0.02)
    # A terminal's Ctrl-C reaches the whole foreground group (python and jsii's node); kill -INT only python.
    if whole_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert tree_digest(out) == before, "the previous output changed"
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), out


@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal-ctrl-c", "kill-int"])
def test_ctrl_c_exits_130_with_one_line_and_leaves_nothing(tmp_path, whole_group):
    result, _ = _interrupt_during_synth(tmp_path, whole_group=whole_group)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines() == ["interrupted: nothing written (any previous output is unchanged)"]
    assert "Traceback" not in result.stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".cdktf.out.")]


def test_output_directory_has_the_usual_permissions(tmp_path):
    """Through bootstrap.py (one small stack): the same cli.entry.run and atomic synth as main.py."""
    out = tmp_path / "cdktf.out.bootstrap"
    old = os.umask(0o022)
    try:
        result = subprocess.run([sys.executable, str(ROOT / "bootstrap.py")], cwd=tmp_path, capture_output=True,
                                text=True, env={**os.environ, "BOOTSTRAP_OUTDIR": str(out),
                                                "BOOTSTRAP_STATE": str(tmp_path / "state.tfstate"),
                                                "PPM_CONFIG": str(ROOT / "config" / "small.yaml")}, timeout=300)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
