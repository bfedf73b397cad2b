"""Benchmark the synth: `make bench` (a benchmark, not a test).

Variants, run as separate processes and interleaved within each round (the order
rotates from round to round) so that machine noise hits all of them alike:

  python-lazy   python main.py                       (reference config, 4 stacks, lazy providers)
  python-eager  PPM_EAGER_IMPORTS=1 python main.py   (same, stock eager imports)
  <other>-lazy  the other toolchain's venv (cdktn-lazy: .venv-cdktn when python-* run on cdktf,
                cdktf-lazy: .venv when they run on CDK Terrain), lazy: the toolchains side by side
  ts-root       node main.js       TypeScript cdktf app, 2 small stacks, provider imported
                                   from the package root (cdktf docs / `cdktf convert` style)
  ts-deep       node main-deep.js  the same app importing each resource's own module

The TypeScript baseline lives in bench/ts-baseline (`make bench` installs and compiles
it). Wall time is measured around each child process. Prints median/min/max per
variant, the ratios, the machine, and whether the lazy and eager outputs of the last
round are byte-identical.

    .venv/bin/python bench/bench.py [--rounds 7] [--config config/reference.yaml] [--json out.json]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.process import LOCAL_NODE  # noqa: E402  (no cdktf import: cheap)

TS_DIR = ROOT / "bench" / "ts-baseline"
TS_BUILD = TS_DIR / "build"


def _node() -> str:
    return os.environ.get("JSII_NODE") or (str(LOCAL_NODE) if LOCAL_NODE.exists() else "node")


def _toolchain_of(python: str) -> str:
    """The toolchain ``python`` runs main.py on (PPM_TOOLCHAIN if set, else what that venv has installed)."""
    code = "from constructs_lib.toolchain import selected; print(selected().name)"
    result = subprocess.run([python, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:  # e.g. PPM_TOOLCHAIN unknown or not installed in that venv
        message = result.stderr.strip().splitlines()[-1].split(": ", 1)[-1]
        print(f"error: {python}: {message}", file=sys.stderr)
        raise SystemExit(2)
    return result.stdout.strip()


def _variants(config: Path, out: Path, python: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    from constructs_lib.toolchain import TOOLCHAINS

    main = str(ROOT / "main.py")
    base = {"PPM_CONFIG": str(config)}
    variants = {
        "python-lazy": ([python, main], {**base, "PPM_EAGER_IMPORTS": "", "CDKTF_OUTDIR": str(out / "lazy")}),
        "python-eager": ([python, main], {**base, "PPM_EAGER_IMPORTS": "1", "CDKTF_OUTDIR": str(out / "eager")}),
    }
    this = _toolchain_of(python)
    for other in (t for t in TOOLCHAINS.values() if t.name != this):
        other_python = ROOT / other.venv / "bin" / "python"
        if other_python.exists():
            variants[f"{other.name}-lazy"] = ([str(other_python), main], {
                **base, "PPM_TOOLCHAIN": other.name, "PPM_EAGER_IMPORTS": "", "CDKTF_OUTDIR": str(out / other.name)})
        else:
            print(f"note: no {other.venv} (run `make bench`): {other.name} not timed", file=sys.stderr)
    for name, script in (("ts-root", "main.js"), ("ts-deep", "main-deep.js")):
        if (TS_BUILD / script).exists():
            variants[name] = ([_node(), str(TS_BUILD / script)], {"CDKTF_OUTDIR": str(out / name)})
    return variants


def _run(cmd: list[str], extra_env: dict[str, str], cwd: Path) -> float:
    env = {**os.environ, **extra_env}
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark run failed ({' '.join(cmd)}):\n{result.stderr}")
    return elapsed


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if files_a != files_b:
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "unavailable"


def machine_info(python: str) -> dict[str, str]:
    return {
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "os": platform.platform(),
        "python": _version([python, "-c", "import sys; print(sys.version.split()[0])"]),
        "node": _version([_node(), "--version"]),
        "jsii": _version([python, "-c", "import importlib.metadata as m; print(m.version('jsii'))"]),
        "load average (1 min) before": f"{os.getloadavg()[0]:.2f}",
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (caches, .pyc; default 1)")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "reference.yaml")
    parser.add_argument("--python", default=sys.executable, help="interpreter for main.py (default: this one)")
    parser.add_argument("--only", action="append", help="run only this variant (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")

    info = machine_info(args.python)
    info["python-* toolchain"] = _toolchain_of(args.python)
    with tempfile.TemporaryDirectory(prefix="ppm-bench-") as tmp:
        out = Path(tmp)
        variants = _variants(args.config.resolve(), out, args.python)
        if args.only:
            variants = {k: v for k, v in variants.items() if k in args.only}
        if not any(name.startswith("ts-") for name in variants) and not args.only:
            print(f"note: no TypeScript baseline in {TS_BUILD} (run `make bench`)", file=sys.stderr)
        names = list(variants)
        times: dict[str, list[float]] = {name: [] for name in names}
        total = args.warmup + args.rounds
        for round_no in range(total):
            order = names[round_no % len(names):] + names[:round_no % len(names)]
            timed = round_no >= args.warmup
            for name in order:
                cmd, env = variants[name]
                cwd = TS_DIR if name.startswith("ts-") else ROOT
                elapsed = _run(cmd, env, cwd)
                if timed:
                    times[name].append(elapsed)
            label = f"round {round_no - args.warmup + 1}/{args.rounds}" if timed else "warm-up"
            print(f"{label}: " + "  ".join(f"{n} {times[n][-1]:.2f}s" if timed else n for n in order), flush=True)
        identical = None
        if {"python-lazy", "python-eager"} <= set(variants):
            identical = _same_tree(out / "lazy", out / "eager")
    info["load average (1 min) after"] = f"{os.getloadavg()[0]:.2f}"

    stats = {name: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v} for name, v in times.items()}
    print()
    print(f"Synth wall time, {args.rounds} interleaved rounds ({args.warmup} warm-up), config {args.config.name}:")
    print(f"  {'variant':<14}{'median':>9}{'min':>9}{'max':>9}")
    for name, s in stats.items():
        print(f"  {name:<14}{s['median']:>8.2f}s{s['min']:>8.2f}s{s['max']:>8.2f}s")
    ratios = {}
    lazy = stats.get("python-lazy")
    if lazy:
        for ts in ("ts-root", "ts-deep"):
            if ts in stats:
                ratios[f"python-lazy / {ts}"] = lazy["median"] / stats[ts]["median"]
        if "python-eager" in stats:
            ratios["python-eager / python-lazy"] = stats["python-eager"]["median"] / lazy["median"]
        for other in (n for n in stats if n.endswith("-lazy") and n != "python-lazy"):
            ratios[f"{other} / python-lazy"] = stats[other]["median"] / lazy["median"]
    print("Ratios of medians:")
    for name, value in ratios.items():
        print(f"  {name:<28}{value:6.2f}x")
    if identical is not None:
        print(f"Lazy and eager output byte-identical: {'yes' if identical else 'NO'}")
    print("Machine:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    if args.json:
        args.json.write_text(json.dumps({"stats": stats, "ratios": ratios, "machine": info,
                                         "identical": identical, "config": str(args.config)}, indent=2))
    return 0 if identical in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
