"""Byte-for-byte comparison of the synthesized output of two revisions: the check for a refactor.

    .venv/bin/python tools/synth_diff.py            # HEAD vs the working tree
    .venv/bin/python tools/synth_diff.py --base v1  # any git revision vs the working tree

For each shipped config it synthesizes the four-stack app (``main.py``) and the state stack
(``bootstrap.py``) twice - once from a clean checkout of ``--base`` (a temporary git worktree),
once from this working tree - and compares every file (each ``cdk.tf.json`` and
``manifest.json``). Exit 0 when all are identical, 1 with the differing files listed otherwise.
A restructure must exit 0; a Terraform address that moved shows up as a difference.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ("reference", "small")


def _synth(tree: Path, out: Path, python: str, node: str | None) -> None:
    for config in CONFIGS:
        env = {**os.environ, "PPM_CONFIG": str(tree / "config" / f"{config}.yaml"),
               "CDKTF_OUTDIR": str(out / config), "BOOTSTRAP_OUTDIR": str(out / f"bootstrap-{config}"),
               # the same absolute state path on both sides: the backend block records it relative
               "BOOTSTRAP_STATE": str(out.parent / f"state-{config}.tfstate")}
        if node:
            env["JSII_NODE"] = node
        for entry in ("main.py", "bootstrap.py"):
            subprocess.run([python, entry], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)


def _files(base: Path) -> set[Path]:
    return {p.relative_to(base) for p in base.rglob("*") if p.is_file()}


def compare(a: Path, b: Path) -> list[str]:
    """Relative paths that differ, or exist on one side only."""
    left, right = _files(a), _files(b)
    diffs = [f"only in base: {p}" for p in sorted(left - right)] + [f"only in tree: {p}" for p in sorted(right - left)]
    diffs += [f"differs: {p}" for p in sorted(left & right) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="git revision to compare against (default HEAD)")
    args = parser.parse_args(argv)
    python = str(ROOT / ".venv" / "bin" / "python")
    local_node = ROOT / "node_modules" / "node" / "bin" / "node"
    node = os.environ.get("JSII_NODE") or (str(local_node) if local_node.exists() else None)
    with tempfile.TemporaryDirectory(prefix="synth-diff-") as tmp:
        work = Path(tmp)
        worktree = work / "base-tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.base], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _synth(worktree, work / "sides" / "base", python, node)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
        _synth(ROOT, work / "sides" / "tree", python, node)
        diffs = compare(work / "sides" / "base", work / "sides" / "tree")
        count = len(_files(work / "sides" / "tree"))
    if diffs:
        print(f"synth output differs from {args.base}:", *diffs, sep="\n  ")
        return 1
    print(f"identical: {count} files ({', '.join(CONFIGS)}; four-stack app and state stack) match {args.base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
