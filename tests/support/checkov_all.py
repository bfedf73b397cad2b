"""Run checkov on several stack directories, importing checkov once (tests/test_checkov.py uses it).

    .venv/bin/python tests/support/checkov_all.py --out /tmp/ck [--jobs 2] [--config-file .checkov.yaml] \\
        [--stack reference-data=data ...] reference-data=cdktf.out/stacks/data small-data=/tmp/small/stacks/data ...

For each ``name=directory`` it writes ``<out>/<name>.json`` (checkov's stdout: ``-o json``),
``<name>.err`` (stderr) and ``<name>.rc`` (exit code), exactly what
``checkov -d <directory> --framework terraform_json --config-file <file> [--skip-check IDS] -o json``
would give.

Skips are per stack: ``--stack name=STACK`` gives target ``name`` ``--skip-check`` with the ids of
the records in policy/checkov_skips.py that name STACK (none when no record does). A target
without ``--stack`` runs with no skip at all (tests/test_checkov_skip_scope.py relies on that).

Why: most of a checkov run is importing checkov (~2.4 s CPU); scanning one stack takes a
fraction of that. This process imports it once, then forks one child per directory (a
pristine copy of the imported interpreter, nothing run yet), ``--jobs`` at a time.
A child that raises writes its traceback to ``<name>.err`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parents[2]


def skip_args(stack: str | None) -> list[str]:
    """``["--skip-check", "ID,ID"]`` for the records naming ``stack``; ``[]`` for no stack or no record."""
    if stack is None:
        return []
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from policy.checkov_skips import skips_for

    ids = skips_for(stack)
    return ["--skip-check", ",".join(ids)] if ids else []


def _child(name: str, directory: str, config_file: str, skips: list[str], out: Path) -> None:
    """In the forked child: point fds 1 and 2 at files, run checkov's CLI, exit with its code."""
    code = 2
    try:
        for fd, suffix in ((1, "json"), (2, "err")):
            target = os.open(out / f"{name}.{suffix}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        from checkov.main import Checkov

        argv = ["-d", directory, "--framework", "terraform_json", "--config-file", config_file, *skips, "-o", "json"]
        sys.argv = ["checkov", *argv]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=SyntaxWarning)
            code = Checkov(argv=argv).run() or 0  # its default argv was bound at import time
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - report anything, the parent decides
        traceback.print_exc()
        code = 2
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


#: checkov 3.3's terraform_json parser crashes ("this method receives only dicts") on a plain-string
#: ``terraform.required_version``, which every stack sets (Terraform >= 1.11): bridgecrewio/checkov#7454,
#: fix pending in bridgecrewio/checkov#7467. checkov reads a copy without that one key; nothing it checks lives there.
#: tests/test_checkov.py asserts the crash still happens on the raw file, so the copy goes once checkov is fixed.
CHECKOV_UNPARSABLE = ("terraform", "required_version")


def checkov_readable_copy(directory: Path, into: Path) -> Path:
    """``directory``'s ``*.tf.json`` files copied to ``into`` without :data:`CHECKOV_UNPARSABLE`."""
    into.mkdir(parents=True, exist_ok=True)
    for source in sorted(directory.glob("*.tf.json")):
        doc = json.loads(source.read_text(encoding="utf-8"))
        block, key = CHECKOV_UNPARSABLE
        doc.get(block, {}).pop(key, None)
        (into / source.name).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return into


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--config-file", default=str(ROOT / ".checkov.yaml"))
    parser.add_argument("--stack", action="append", default=[], metavar="name=STACK",
                        help="skip the checks whose records name STACK in target name (repeatable)")
    parser.add_argument("--summary", action="store_true",
                        help="print one line per target and exit 1 if any failed a check, did not parse, or checked "
                             "nothing (what `make checkov` runs)")
    parser.add_argument("targets", nargs="+", metavar="name=directory")
    args = parser.parse_args(argv)
    targets = [t.split("=", 1) for t in args.targets]
    if any(len(t) != 2 or not t[0] for t in targets):
        parser.error("targets are name=directory")
    stacks = dict(s.split("=", 1) for s in args.stack if "=" in s)
    if len(stacks) != len(args.stack) or set(stacks) - {name for name, _ in targets}:
        parser.error("--stack takes name=STACK for a name among the targets")
    try:
        skips = {name: skip_args(stacks.get(name)) for name, _ in targets}
    except ValueError as err:
        parser.error(str(err))
    args.out.mkdir(parents=True, exist_ok=True)

    import checkov.main  # noqa: F401 - the expensive import, done once before forking

    running: dict[int, str] = {}
    status = 0

    def reap() -> None:
        nonlocal status
        pid, wait_status = os.wait()
        name = running.pop(pid)
        code = os.waitstatus_to_exitcode(wait_status)
        (args.out / f"{name}.rc").write_text(str(code))
        if code not in (0, 1):
            status = 2

    readable = {name: str(checkov_readable_copy(Path(directory), args.out / "input" / name))
                if Path(directory).is_dir() else directory for name, directory in targets}
    for name, directory in targets:
        directory = readable[name]
        while len(running) >= max(1, args.jobs):
            reap()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(name, directory, args.config_file, skips[name], args.out)
        running[pid] = name
    while running:
        reap()
    return summarize(args.out, targets) if args.summary and status == 0 else status


def checkable_types() -> frozenset[str]:
    """Terraform resource types that at least one checkov check (resource or graph) inspects."""
    from checkov.common.checks_infra.registry import get_graph_checks_registry
    from checkov.terraform.checks.resource.registry import resource_registry

    graph = get_graph_checks_registry("terraform")
    graph.load_checks()
    return frozenset(resource_registry.checks) | {t for c in graph.checks for t in (c.resource_types or [])}


def _resource_types(directory: str) -> set[str]:
    return {rtype for source in Path(directory).glob("*.tf.json")
            for rtype in json.loads(source.read_text(encoding="utf-8")).get("resource", {})}


SUMMARY_KEYS = ("passed", "failed", "skipped", "parsing_errors")


def report_summary(data: Any) -> dict[str, int]:
    """``SUMMARY_KEYS`` summed over checkov's JSON: one report per framework, or, with nothing to scan, only the bare
    summary (no ``check_type``/``results``). ValueError when a report has no summary."""
    total = dict.fromkeys(SUMMARY_KEYS, 0)
    for report in data if isinstance(data, list) else [data]:
        if not isinstance(report, dict):
            raise ValueError(f"unexpected report {report!r:.200}")
        summary = report.get("summary", report)
        if not isinstance(summary, dict) or "passed" not in summary or "failed" not in summary:
            raise ValueError(f"no summary in {report!r:.300}")
        for key in SUMMARY_KEYS:
            total[key] += int(summary.get(key, 0))
    return total


def summarize(out: Path, targets: list[list[str]]) -> int:
    """One line per target from its JSON report; 1 if any failed, did not parse, or passed nothing although
    checkov has checks for some of its resource types."""
    checkable = checkable_types()
    bad = 0
    for name, directory in targets:
        try:
            summary = report_summary(json.loads((out / f"{name}.json").read_text()))
        except (OSError, ValueError):  # no report, not JSON, or no summary in it
            summary = {}
        passed, failed, parsing = (summary.get(k, 0) for k in ("passed", "failed", "parsing_errors"))
        expected = bool(_resource_types(directory) & checkable)  # else e.g. only helm_release: nothing to check
        verdict = "ok" if summary and not failed and not parsing and (passed or not expected) else "FAILED"
        bad += verdict != "ok"
        print(f"{name}: {verdict} (passed {passed}, failed {failed}, skipped {summary.get('skipped', 0)}, "
              f"parsing errors {parsing}); report: {out / (name + '.json')}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
