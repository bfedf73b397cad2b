"""Synthesize all-or-nothing: a failed synth leaves a previous cdktf.out exactly as it was.

The app is written to a fresh sibling directory and swapped in by rename only
after ``app.synth()`` succeeded. Each stack's ``.terraform/`` and ``.terraform.lock.hcl``
move from the previous output into the new one in the same uninterruptible step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from config.schema import EnvironmentConfig

if TYPE_CHECKING:
    from constructs_lib.cdk import App

#: Builds (does not synthesize) an App for a config into an output directory.
AppBuilder = Callable[[EnvironmentConfig, str], "App"]


#: cdktf's message when a policy Aspect (or any construct) added an error annotation.
_ANNOTATION_ERRORS = 'Encountered Annotations with level "ERROR"'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class SynthError(Exception):
    """Synth failed for a reason the user can fix (construct props, policy annotations)."""


def _refuse_error_annotations(outdir: Path) -> None:
    """Fail on error annotations even when CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS let cdktf write.

    cdktf then records them in manifest.json only; policy violations must never reach cdktf.out.
    """
    manifest = json.loads((outdir / "manifest.json").read_text())
    errors = [f"[{a.get('constructPath')}] {a.get('message')}" for stack in manifest.get("stacks", {}).values()
              for a in stack.get("annotations", []) if a.get("level") == "@cdktf/error"]
    if errors:
        raise SynthError(f"{_ANNOTATION_ERRORS}:\n" + "\n".join(errors))


def synthesize(cfg: EnvironmentConfig, target: Path, build: AppBuilder | None = None) -> Path:
    """Build and synthesize the app into ``target`` atomically; return ``target``.

    ``build`` defaults to the four-stack app (:func:`cli.builders.build_app`); it is
    called with a staging directory that is a sibling of ``target`` (same depth).
    """
    from constructs_lib.validation import PropsError

    if build is None:
        from cli.builders import build_app as build

    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    # mkdtemp makes the directory private (0700); the output gets the usual mode for the umask.
    staging.chmod(0o777 & ~_umask())
    with _interrupts(deferred=False) as interrupted:  # Ctrl-C raises as usual, and is noted
        try:
            app = build(cfg, str(staging))
            app.synth()
            _refuse_error_annotations(staging)
        except PropsError as err:
            shutil.rmtree(staging, ignore_errors=True)
            raise SynthError(str(err)) from None
        except Exception as err:  # jsii surfaces error annotations (policy Aspects) as JSIIError
            if interrupted:  # a Ctrl-C can reach jsii's Node side first: its broken reply is the interrupt
                _abandon(staging)
                raise KeyboardInterrupt from None
            shutil.rmtree(staging, ignore_errors=True)
            # jsii's process provider raises a plain RuntimeError caused by a JavaScriptError when the
            # JS side throws; cdktf's error-annotation message is what identifies a policy failure.
            if type(err).__module__.startswith("jsii") or _ANNOTATION_ERRORS in str(err):
                # cdktf's hint to set CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS is dropped: we refuse regardless.
                lines = str(err).strip().removeprefix("Error: ").splitlines()
                raise SynthError("\n".join(line for line in lines if "CDKTF_CONTINUE_SYNTH" not in line).strip()) from None
            raise
        except BaseException:  # Ctrl-C (KeyboardInterrupt is not an Exception): leave nothing behind
            _abandon(staging)
            raise
    with _interrupts(deferred=True) as received:  # a Ctrl-C between the renames would lose the output
        previous = None
        carried: list[tuple[Path, Path]] = []
        try:
            if target.exists():
                carried = _carry_terraform_dirs(target, staging)
                previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
                os.rename(target, previous / "out")
            os.rename(staging, target)
            if received:  # Ctrl-C during the swap: undo it, so "nothing written" stays true
                os.rename(target, staging)
                raise KeyboardInterrupt
            # Committed: a Ctrl-C from here on could no longer un-write the output, so it is not raised.
            received.append(-1)
        except BaseException:
            received.clear()
            _put_back(target, staging, previous, carried)
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    return target


#: Per stack directory: Terraform's working data (providers, backend settings) and the provider lock,
#: moved from the previous output into the new one so a re-synth needs no provider re-install and plan
#: and apply use the same lock. Never written by a synth, so nothing synthesized is replaced.
TERRAFORM_CARRIED = (".terraform", ".terraform.lock.hcl")


def _carry_terraform_dirs(previous: Path, staging: Path) -> list[tuple[Path, Path]]:
    """Rename each stack's :data:`TERRAFORM_CARRIED` entries from ``previous`` into ``staging``.

    Only for stacks in both (``stacks/<name>/``), and only what the new stack directory does not
    have. Returns the (from, to) renames done, for :func:`_put_back`.
    """
    moved: list[tuple[Path, Path]] = []
    old_stacks = previous / "stacks"
    if not old_stacks.is_dir():
        return moved
    try:
        for old in sorted(old_stacks.iterdir()):
            new = staging / "stacks" / old.name
            if old.is_symlink() or not old.is_dir() or new.is_symlink() or not new.is_dir():
                continue
            for entry in TERRAFORM_CARRIED:
                if os.path.lexists(old / entry) and not os.path.lexists(new / entry):
                    os.rename(old / entry, new / entry)
                    moved.append((old / entry, new / entry))
    except BaseException:
        _undo(moved)
        raise
    return moved


def _undo(moved: list[tuple[Path, Path]]) -> None:
    for source, destination in reversed(moved):
        os.rename(destination, source)
    moved.clear()


def _put_back(target: Path, staging: Path, previous: Path | None, carried: list[tuple[Path, Path]]) -> None:
    """After a failed swap: the previous output back where it was, as it was; the staging directory gone."""
    if previous is not None:
        with contextlib.suppress(OSError):  # the error that brought us here is the one to report
            if (previous / "out").exists() and not os.path.lexists(target):
                os.rename(previous / "out", target)
            os.rmdir(previous)  # empty once the output is back; else left for `make clean`
    if carried and os.path.lexists(carried[0][1]):  # the swap did not happen: they are still in staging
        try:
            _undo(carried)
        except OSError:
            return  # keep the staging directory, it holds them (`make clean` removes it)
    shutil.rmtree(staging, ignore_errors=True)


def _abandon(staging: Path) -> None:
    """After a Ctrl-C mid-synth: stop jsii's Node process first (else it goes on writing into the
    staging directory), then remove the staging directory."""
    _stop_jsii_runtime()
    shutil.rmtree(staging, ignore_errors=True)


def _stop_jsii_runtime() -> None:
    """Let jsii's Node process finish the call it is in and exit (at most 5 s, then it is terminated).

    Uses the runtime's own shutdown (what it registers with atexit); if that internal is not
    there in another jsii version, the staging directory may be re-created by the still-running
    synth, so ``make clean`` removes any left.
    """
    try:
        from jsii._runtime import kernel

        kernel.provider._process.stop()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - best effort on the way out
        pass


@contextlib.contextmanager
def _interrupts(deferred: bool) -> Iterator[list[int]]:
    """Note each Ctrl-C (SIGINT) in the yielded list while the block runs.

    ``deferred=False``: it also raises KeyboardInterrupt at once, as Python's own handler does.
    ``deferred=True``: it is held until the block is done, then raised, unless the block appended -1
    to the list (committed: a Ctrl-C that came is then dropped). Off the main thread, where Python
    handles no signals, nothing is installed.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def on_sigint(signum: int, frame: object) -> None:
        received.append(signum)
        if not deferred:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)
    if deferred and received and -1 not in received:
        raise KeyboardInterrupt
