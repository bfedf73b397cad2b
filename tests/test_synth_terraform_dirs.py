"""A re-synth keeps each stack's `.terraform/` and `.terraform.lock.hcl` (cli/synth.py), all-or-nothing.

`terraform init` writes both into the stack directory of the synth output, which every synth
replaces. They are moved (renamed) from the previous output into the new one, in the same
uninterruptible step as the swap, so the next init reuses the providers and plan and apply use
the same lock. A failed synth, or a failed swap, leaves the previous output exactly as it was.
A small cdktf app (real cdktf, real synth) stands in for the four stacks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import tree_digest

LOCK = """# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/hashicorp/azurerm" {
  version = "4.30.0"
  hashes  = ["h1:planted"]
}
"""


def _builder(stacks: tuple[str, ...], marker: str, fail: bool = False):
    def build(cfg, outdir):
        from constructs_lib.cdk import App, TerraformOutput, TerraformStack
        from constructs_lib.toolchain import app_context

        if fail:
            raise RuntimeError("synth failed on purpose")
        app = App(context=app_context(), outdir=outdir)
        for name in stacks:
            TerraformOutput(TerraformStack(app, name), "marker", value=marker)
        return app

    return build


def _synth(target: Path, stacks: tuple[str, ...] = ("network", "app"), marker: str = "one", fail: bool = False) -> Path:
    from cli.synth import synthesize

    return synthesize(None, target, build=_builder(stacks, marker, fail))  # type: ignore[arg-type]


def _init(stack_dir: Path) -> dict[str, str]:
    """What `terraform init` leaves in a stack directory; returns path -> content."""
    planted = {".terraform/terraform.tfstate": '{"backend": {"type": "azurerm"}}',
               ".terraform/providers/registry.terraform.io/hashicorp/azurerm/4.30.0/linux_amd64/provider": "binary",
               ".terraform.lock.hcl": LOCK}
    for rel, text in planted.items():
        (stack_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (stack_dir / rel).write_text(text)
    return planted


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".cdktf.out."))


def test_a_resynth_keeps_terraform_dirs_and_lock_files(tmp_path):
    out = _synth(tmp_path / "cdktf.out", stacks=("network", "app", "gone"))
    planted = {stack: _init(out / "stacks" / stack) for stack in ("network", "gone")}
    inode = (out / "stacks" / "network" / ".terraform").stat().st_ino

    _synth(out, stacks=("network", "app", "new"), marker="two")

    network = out / "stacks" / "network"
    assert '"two"' in (network / "cdk.tf.json").read_text()  # the new synth is in place
    for rel, text in planted["network"].items():
        assert (network / rel).read_text() == text, rel  # unchanged
    assert (network / ".terraform").stat().st_ino == inode  # moved, not copied
    assert not (out / "stacks" / "gone").exists()  # a stack no longer synthesized: gone with the old output
    for stack in ("app", "new"):  # nothing was planted there: nothing appears
        assert sorted(p.name for p in (out / "stacks" / stack).iterdir()) == ["cdk.tf.json"]
    assert _leftovers(tmp_path) == []


def test_a_failed_synth_leaves_them_where_they_were(tmp_path):
    from cli.synth import SynthError

    out = _synth(tmp_path / "cdktf.out")
    _init(out / "stacks" / "network")
    before = tree_digest(out)
    with pytest.raises((RuntimeError, SynthError)):
        _synth(out, marker="two", fail=True)
    assert tree_digest(out) == before
    assert _leftovers(tmp_path) == []


def test_a_failed_swap_puts_the_previous_output_back_as_it_was(tmp_path, monkeypatch):
    import cli.synth

    out = _synth(tmp_path / "cdktf.out")
    _init(out / "stacks" / "network")
    _init(out / "stacks" / "app")
    before = tree_digest(out)
    real_rename = os.rename

    def rename(src, dst):  # the last rename, staging -> output, fails (e.g. the disk went read-only)
        if Path(src).name.startswith(".cdktf.out.staging-") and Path(dst) == out:
            raise OSError(30, "Read-only file system")
        real_rename(src, dst)

    monkeypatch.setattr(cli.synth.os, "rename", rename)
    with pytest.raises(OSError, match="Read-only"):
        _synth(out, marker="two")
    monkeypatch.undo()
    assert tree_digest(out) == before  # the carried .terraform/ and lock files are back too
    assert _leftovers(tmp_path) == []


def test_ctrl_c_during_the_swap_undoes_it(tmp_path, monkeypatch):
    """A Ctrl-C that lands between the renames: the swap is undone and reported as an interrupt, so
    "nothing written (any previous output is unchanged)" is true, carried `.terraform` included."""
    import signal

    import cli.synth

    target = tmp_path / "cdktf.out"
    _synth(target, marker="one")
    _init(target / "stacks" / "network")
    before = tree_digest(target)
    handler_before = signal.getsignal(signal.SIGINT)
    real_rename = os.rename

    def rename_then_ctrl_c(src, dst):
        real_rename(src, dst)
        if Path(dst) == target.resolve():
            os.kill(os.getpid(), signal.SIGINT)  # held by the swap's handler until it is done

    monkeypatch.setattr(cli.synth.os, "rename", rename_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        _synth(target, marker="two")
    monkeypatch.undo()
    assert tree_digest(target) == before
    assert _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) == handler_before  # the swap's handler is gone again


def test_a_broken_jsii_reply_after_ctrl_c_is_reported_as_the_interrupt(tmp_path, monkeypatch):
    """A terminal's Ctrl-C can reach jsii's Node side before Python's handler runs; the error its broken
    reply raises is then the interrupt (exit 130 in cli/entry.py), not a traceback."""
    import signal

    target = tmp_path / "cdktf.out"
    _synth(target, marker="one")
    before = tree_digest(target)

    def build(cfg, outdir):
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            pass  # Python's handler ran; what the caller sees next is jsii's broken reply
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    import cli.synth

    stopped = []
    monkeypatch.setattr(cli.synth, "_stop_jsii_runtime", lambda: stopped.append(True))  # keep this process's runtime
    with pytest.raises(KeyboardInterrupt):
        cli.synth.synthesize(None, target, build=build)  # type: ignore[arg-type]
    assert stopped == [True]  # the real one lets Node finish its call and exit
    assert tree_digest(target) == before
    assert _leftovers(tmp_path) == []
