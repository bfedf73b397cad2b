#!/usr/bin/env python3
"""Ordered delivery: bootstrap the remote state, plan and deploy the stacks along their dependencies.

    python scripts/delivery.py bootstrap          # make bootstrap: state stack, local backend, terraform apply
    python scripts/delivery.py plan               # make plan: synth, init + plan -out + show -json per stack, guard
    python scripts/delivery.py deploy             # make deploy: per stack: plan, guard, apply, after its dependencies
    python scripts/delivery.py order              # print the stack order read from cdktf.out/manifest.json
    python scripts/delivery.py check              # only check the prerequisites

The graph is the ``dependencies`` in ``<outdir>/manifest.json`` (never a hard-coded list). A
stack starts once every selected stack it depends on is done, so independent stacks (data and
cluster) run at the same time, up to PARALLELISM (default 4; 1: one at a time); their output
lines are prefixed ``[stack]``. When a stack fails, running stacks finish, nothing that needs it
starts, and every failure is reported with its stack. ``--stacks`` (make: STACKS="network
data") runs only those; the others are assumed applied. Deploy runs in parallel only with
AUTO_APPROVE=1; while it asks before each apply it runs one stack at a time.

Environment: PPM_CONFIG (config file), CDKTF_OUTDIR (default cdktf.out), PLANS_DIR (default
plans), AUTO_APPROVE=1 (no prompts), ALLOW_DESTROY=1 (let the plan guard pass protected
deletions), PARALLELISM, TF_PLUGIN_CACHE_DIR (default <repo>/.terraform.d/plugin-cache: each
provider is downloaded once, not once per stack).

Prerequisites: ``terraform`` on PATH, and an Azure identity: ``az`` logged in
(``az account show`` succeeds), or service-principal / OIDC / managed-identity
ARM_* variables (CI). ARM_SUBSCRIPTION_ID is taken from ``az account show`` when unset
(azurerm 4.x requires a subscription id).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import plan_guard  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PREREQUISITES, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

#: Stacks planned or deployed at once when PARALLELISM is unset.
DEFAULT_PARALLELISM = 4

#: The data stack passes the DB password through write-only arguments (administrator_password_wo,
#: value_wo), which Terraform understands from 1.11 on ([TF] v1.11 changelog: write-only attributes).
MIN_TERRAFORM = (1, 11)
TERRAFORM_FIX = ("install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install) "
                 "and make sure `terraform version` works in this shell")
AZ_FIX = ("install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli) and run `az login`; "
          "in CI set ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID and ARM_USE_OIDC=true "
          "(or ARM_CLIENT_SECRET / ARM_USE_MSI=true) instead")
LOGIN_FIX = "run `az login` (then `az account set --subscription <id>` to pick the subscription)"


class DeliveryError(Exception):
    """A step cannot run or failed; the message says what to do."""


class MissingPrerequisites(DeliveryError):
    """Terraform or the Azure identity is not there (exit status 3)."""


# --------------------------------------------------------------------------- order


def stack_order(manifest: Mapping[str, Any]) -> list[str]:
    """Stacks of a cdktf manifest, each after all of its ``dependencies`` (Kahn's algorithm).

    Ties are broken by name, so the order is stable. A dependency on an unknown stack or
    a cycle is an error naming the stacks involved.
    """
    stacks = manifest.get("stacks") or {}
    deps = {name: set(meta.get("dependencies") or ()) for name, meta in stacks.items()}
    for name, needs in deps.items():
        unknown = needs - deps.keys()
        if unknown:
            raise DeliveryError(f"manifest: stack {name!r} depends on unknown stack(s) {sorted(unknown)}")
    order: list[str] = []
    ready = sorted(name for name, needs in deps.items() if not needs)
    remaining = {name: set(needs) for name, needs in deps.items() if needs}
    while ready:
        name = ready.pop(0)
        order.append(name)
        for other in sorted(remaining):
            remaining[other].discard(name)
            if not remaining[other]:
                del remaining[other]
                ready.append(other)
        ready.sort()
    if remaining:
        raise DeliveryError(f"manifest: dependency cycle among {sorted(remaining)}")
    return order


def read_manifest(outdir: Path) -> dict[str, Any]:
    path = outdir / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise DeliveryError(f"{path} not found: synthesize first (`make synth`)") from None


# --------------------------------------------------------------------------- prerequisites


@dataclass(frozen=True)
class Missing:
    what: str
    fix: str

    def __str__(self) -> str:
        return f"  - {self.what}: {self.fix}"


def _ci_identity(env: Mapping[str, str]) -> bool:
    """Service principal, OIDC or managed identity configured through ARM_* variables."""
    if not (env.get("ARM_CLIENT_ID") or env.get("ARM_USE_MSI")) or not env.get("ARM_SUBSCRIPTION_ID"):
        return False
    return any(env.get(k) for k in ("ARM_USE_OIDC", "ARM_CLIENT_SECRET", "ARM_USE_MSI", "ARM_CLIENT_CERTIFICATE_PATH"))


def _terraform_version(terraform: str, env: Mapping[str, str]) -> tuple[int, ...] | None:
    try:
        result = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, timeout=60, env=dict(env))
        text = json.loads(result.stdout or "{}").get("terraform_version", "")
        return tuple(int(part) for part in text.split("-")[0].split(".")[:2])
    except (OSError, subprocess.TimeoutExpired, ValueError, AttributeError):
        return None


def check_prerequisites(env: Mapping[str, str] | None = None, need_azure: bool = True) -> tuple[list[Missing], dict[str, str]]:
    """What is missing, and extra environment for Terraform (ARM_SUBSCRIPTION_ID from the az login)."""
    env = dict(os.environ if env is None else env)
    path = env.get("PATH", "")
    missing: list[Missing] = []
    extra: dict[str, str] = {}
    terraform = shutil.which("terraform", path=path)
    if not terraform:
        missing.append(Missing("`terraform` is not on PATH", TERRAFORM_FIX))
    else:
        version = _terraform_version(terraform, env)
        if version is None or version < MIN_TERRAFORM:
            shown = ".".join(map(str, version)) if version else "unknown (`terraform version -json` failed)"
            missing.append(Missing(f"Terraform {shown} is too old for write-only arguments", TERRAFORM_FIX))
    if need_azure and not _ci_identity(env):
        az = shutil.which("az", path=path)
        if not az:
            missing.append(Missing("the Azure CLI `az` is not on PATH (needed for the Azure login)", AZ_FIX))
        else:
            try:
                result = subprocess.run([az, "account", "show", "--output", "json"], capture_output=True,
                                        text=True, timeout=60, env=env)
            except (OSError, subprocess.TimeoutExpired) as err:
                result = subprocess.CompletedProcess([az], 1, "", str(err))
            account: dict[str, Any] = {}
            if result.returncode == 0:
                try:
                    account = json.loads(result.stdout or "{}")
                except json.JSONDecodeError:
                    account = {}
            if result.returncode != 0 or not account.get("id"):
                detail = (result.stderr or result.stdout or "").strip().splitlines()
                missing.append(Missing("no Azure login: `az account show` failed"
                                       + (f" ({detail[0]})" if detail else ""), LOGIN_FIX))
            elif not env.get("ARM_SUBSCRIPTION_ID"):
                extra["ARM_SUBSCRIPTION_ID"] = account["id"]
    return missing, extra


def require(command: str, need_azure: bool = True) -> dict[str, str]:
    """``command`` is what the user ran, e.g. ``make plan``."""
    # Environment for Terraform, or MissingPrerequisites listing every missing item and its fix.
    missing, extra = check_prerequisites(need_azure=need_azure)
    if missing:
        lines = "\n".join(str(m) for m in missing)
        raise MissingPrerequisites(f"`{command}` cannot start; missing:\n{lines}")
    return {**os.environ, "TF_IN_AUTOMATION": os.environ.get("TF_IN_AUTOMATION", "1"), **extra}


# --------------------------------------------------------------------------- stacks and environment


class UsageError(DeliveryError):
    """A setting names something that does not exist (exit status 2); one line."""


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def select_stacks(manifest: Mapping[str, Any], wanted: str | None) -> list[str]:
    """The stacks to run, in dependency order: all of them when ``wanted`` is empty.

    ``wanted`` is STACKS as given (names separated by spaces or commas). An unknown name is a
    UsageError naming STACKS, the value and the allowed names.
    """
    order = stack_order(manifest)
    names = check_stack_names(wanted, order)
    return [n for n in order if n in names] if names else order


def check_stack_names(wanted: str | None, allowed: Sequence[str]) -> list[str]:
    """The names in STACKS (spaces or commas); a UsageError naming STACKS, the value and ``allowed`` for any other."""
    names = [n for n in re.split(r"[\s,]+", wanted or "") if n]
    unknown = [n for n in dict.fromkeys(names) if n not in allowed]
    if unknown:
        raise UsageError(f"STACKS={(wanted or '').strip()!r}: unknown stack{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
    return names


def _dependencies(manifest: Mapping[str, Any], name: str) -> list[str]:
    return sorted(manifest["stacks"][name].get("dependencies") or ())


def parallelism() -> int:
    """PARALLELISM (default 4): how many stacks run at once; 1 runs them one at a time."""
    value = os.environ.get("PARALLELISM", "").strip() or str(DEFAULT_PARALLELISM)
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise UsageError(f"PARALLELISM={value!r}: must be a whole number >= 1 (1 runs the stacks one at a time)")
    return count


def plugin_cache(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with TF_PLUGIN_CACHE_DIR set (an existing value is kept) and that directory created.

    The default, <repo>/.terraform.d/plugin-cache, gets a ``.gitignore`` of ``*`` so it is never committed.
    """
    given = env.get("TF_PLUGIN_CACHE_DIR", "").strip()
    cache = Path(given).absolute() if given else ROOT / ".terraform.d" / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    if not given:
        ignore = cache.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# provider plugin cache of scripts/delivery.py (TF_PLUGIN_CACHE_DIR): never commit\n*\n")
    return {**env, "TF_PLUGIN_CACHE_DIR": str(cache)}


# --------------------------------------------------------------------------- running terraform


class Console:
    """Line-oriented output shared by concurrent stacks: each line whole, a stack's lines prefixed ``[stack]``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def say(self, text: str = "", stack: str | None = None) -> None:
        prefix = f"[{stack}] " if stack else ""
        with self._lock:
            for line in text.splitlines() or [""]:
                print(f"{prefix}{line}", flush=True)


class StepFailed(DeliveryError):
    """One Terraform step of one stack failed; ``step`` is init, plan, show, apply, guard or confirm."""

    def __init__(self, stack: str, step: str, message: str):
        super().__init__(message)
        self.stack, self.step = stack, step


def run(cmd: Sequence[str], env: Mapping[str, str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """Echo and run one command; DeliveryError naming the step when it fails."""
    print(f"+ {' '.join(str(c) for c in cmd)}", flush=True)
    result = subprocess.run(list(cmd), env=dict(env), **kwargs)
    if result.returncode != 0:
        raise DeliveryError(f"{what} failed (exit {result.returncode})")
    return result


def run_prefixed(cmd: Sequence[str], env: Mapping[str, str], stack: str, console: Console,
                 stdout: IO[str] | None = None) -> int:
    """Run one command with its output (stderr only, when ``stdout`` is a file) prefixed ``[stack]``; its exit status."""
    console.say(f"+ {' '.join(str(c) for c in cmd)}", stack)
    with subprocess.Popen(list(cmd), env=dict(env), stdin=subprocess.DEVNULL,
                          stdout=stdout if stdout is not None else subprocess.PIPE,
                          stderr=subprocess.PIPE if stdout is not None else subprocess.STDOUT,
                          text=True, errors="replace") as proc:
        stream = proc.stderr if stdout is not None else proc.stdout
        assert stream is not None
        for line in stream:
            console.say(line.rstrip("\n"), stack)
    return proc.returncode


def _outdir() -> Path:
    return Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out")


def _plans_dir() -> Path:
    return Path(os.environ.get("PLANS_DIR") or ROOT / "plans")


def _terraform(directory: Path, *args: str) -> list[str]:
    return ["terraform", f"-chdir={directory}", *args]


#: Terraform's provider plugin cache is not safe for concurrent `terraform init` (two inits installing
#: the same provider race on the cache directory), so inits take turns; plans and applies do not.
_INIT_LOCK = threading.Lock()


#: PLAN_READ_ONLY=1 (pull-request plans with the plan identity, docs/delivery.md "Plan identities"): that
#: identity reads state but cannot take its lease (-lock=false), and no secret value: refreshing the data
#: stack's azurerm_key_vault_secret calls GetSecret, which returns the value ([P] key_vault_secret_resource.go
#: read), and refreshing the app stack's helm_release reads Helm's release Secrets next to the synced
#: database password; those two stacks plan without a refresh (data sources are still read).
READ_ONLY_ENV = "PLAN_READ_ONLY"
NO_REFRESH_STACKS = ("data", "app")


def read_only_plan_args(name: str) -> list[str]:
    if not _flag(READ_ONLY_ENV):
        return []
    return ["-lock=false", *(["-refresh=false"] if name in NO_REFRESH_STACKS else [])]


_LOCKED_PROVIDER = re.compile(r'provider\s+"[^"]*/([\w-]+)"\s*\{[^}]*?version\s*=\s*"([^"]+)"', re.S)


def changed_provider_pins(directory: Path) -> dict[str, tuple[str, str]]:
    """Providers whose exact pin in the synthesized stack differs from its ``.terraform.lock.hcl``.

    provider -> (locked, pinned). Switching toolchains (docs/toolchains.md) moves every pin (azurerm
    4.55.0 -> 5.10.0); ``terraform init`` then refuses the old lock file unless run with ``-upgrade``.
    """
    lock = directory / ".terraform.lock.hcl"
    if not lock.is_file():
        return {}
    locked = dict(_LOCKED_PROVIDER.findall(lock.read_text(encoding="utf-8")))
    stack = json.loads((directory / "cdk.tf.json").read_text(encoding="utf-8"))
    pinned = {name: spec.get("version", "") for name, spec in
              stack.get("terraform", {}).get("required_providers", {}).items()}
    return {name: (locked[name], version) for name, version in pinned.items()
            if name in locked and version and locked[name] != version}


def init_args(name: str, directory: Path, console: Console) -> list[str]:
    """``init`` arguments: ``-upgrade`` only when a provider pin moved away from the lock file."""
    changed = changed_provider_pins(directory)
    if not changed:
        return ["-input=false", "-reconfigure"]
    moves = ", ".join(f"{provider} {old} -> {new}" for provider, (old, new) in sorted(changed.items()))
    console.say(f"provider pins changed ({moves}): terraform init -upgrade rewrites the lock file", name)
    return ["-input=false", "-reconfigure", "-upgrade"]


def plan_stack(name: str, directory: Path, plans: Path, env: Mapping[str, str],
               console: Console | None = None) -> tuple[Path, int]:
    """init, plan -out, show -json for one stack; returns (plan JSON, plan exit: 0 no changes, 2 changes).

    ``init -reconfigure``: a ``.terraform/`` carried over from the previous synth may point at another
    backend (PPM_CONFIG switched environments); the synthesized backend wins and no state is migrated.
    ``-upgrade`` too when the stack pins another provider version than its lock file (:func:`init_args`).
    With PLAN_READ_ONLY=1 the plan takes no state lock, and the data and app stacks' are not refreshed
    (:func:`read_only_plan_args`).
    """
    console = console or Console()
    plans.mkdir(parents=True, exist_ok=True)
    plan_file, plan_json = (plans / f"{name}.tfplan").resolve(), (plans / f"{name}.json").resolve()
    with _INIT_LOCK:
        code = run_prefixed(_terraform(directory, "init", *init_args(name, directory, console)), env, name, console)
    if code != 0:
        raise StepFailed(name, "init", f"{name}: terraform init failed (exit {code})")
    code = run_prefixed(_terraform(directory, "plan", "-input=false", "-detailed-exitcode",
                                  *read_only_plan_args(name), f"-out={plan_file}"), env, name, console)
    if code not in (0, 2):
        raise StepFailed(name, "plan", f"{name}: terraform plan failed (exit {code})")
    with plan_json.open("w", encoding="utf-8") as out:
        show = run_prefixed(_terraform(directory, "show", "-json", str(plan_file)), env, name, console, stdout=out)
    if show != 0:
        raise StepFailed(name, "show", f"{name}: terraform show -json failed (exit {show})")
    return plan_json, code


# --------------------------------------------------------------------------- the stack graph


@dataclass
class Outcome:
    """What a run over the stack graph did: results, failures, stacks never started, seconds per stack."""

    order: list[str]
    results: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, DeliveryError] = field(default_factory=dict)
    blocked: dict[str, list[str]] = field(default_factory=dict)  # stack -> the failed or blocked stacks it needs
    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def critical_path(self, deps: Mapping[str, Sequence[str]]) -> float:
        """The longest chain of measured stack times through the dependencies (what the wall time can't beat)."""
        finish: dict[str, float] = {}
        for name in self.order:
            if name in self.seconds:
                finish[name] = self.seconds[name] + max((finish.get(d, 0.0) for d in deps[name]), default=0.0)
        return max(finish.values(), default=0.0)


def run_graph(order: Sequence[str], deps: Mapping[str, Sequence[str]], work: Callable[[str], Any],
              workers: int) -> Outcome:
    """Run ``work(stack)`` for every stack once its dependencies (within ``order``) succeeded.

    Up to ``workers`` at once, started in ``order``. A DeliveryError fails that stack: running stacks
    finish, nothing that depends on it (directly or not) starts, independent stacks go on.
    ``workers == 1`` runs each stack in this thread (a prompt reads the terminal, Ctrl-C lands here).
    """
    outcome = Outcome(order=list(order))
    pending = list(order)
    started = time.monotonic()

    def timed(name: str) -> Any:
        begin = time.monotonic()
        try:
            return work(name)
        finally:
            outcome.seconds[name] = time.monotonic() - begin

    def settle(name: str, future: Future[Any]) -> None:
        error = future.exception()
        if error is None:
            outcome.results[name] = future.result()
        elif isinstance(error, DeliveryError):
            outcome.failed[name] = error
        else:
            raise error

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack") if workers > 1 else None
    running: dict[Future[Any], str] = {}
    try:
        while pending or running:
            for name in list(pending):
                stopped = [d for d in deps[name] if d in outcome.failed or d in outcome.blocked]
                if stopped:
                    pending.remove(name)
                    outcome.blocked[name] = stopped
            ready = [n for n in pending if all(d in outcome.results for d in deps[n])]
            for name in ready[:max(workers - len(running), 0)]:
                pending.remove(name)
                if pool is None:
                    future: Future[Any] = Future()
                    try:
                        future.set_result(timed(name))
                    except Exception as err:  # noqa: BLE001 - settle() re-raises what is not a DeliveryError
                        future.set_exception(err)
                    settle(name, future)
                else:
                    running[pool.submit(timed, name)] = name
            if not running:
                if pending and not ready:  # cannot happen with a sorted graph; never spin
                    raise DeliveryError(f"stacks {pending} wait for dependencies that never ran")
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                settle(running.pop(future), future)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)  # a failure or Ctrl-C: let running Terraform processes finish
    outcome.wall = time.monotonic() - started
    for name in outcome.blocked:  # name every failed or skipped dependency, not only the first one seen
        outcome.blocked[name] = [d for d in deps[name] if d in outcome.failed or d in outcome.blocked]
    return outcome


def _stages(order: Sequence[str], deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Stacks grouped by depth: each group can run at once when the one before it is done."""
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = 1 + max((depth[d] for d in deps[name]), default=-1)
    return [[n for n in order if depth[n] == level] for level in range(max(depth.values(), default=-1) + 1)]


@dataclass
class Run:
    """One plan or deploy: the selected stacks, their directories and dependencies within the run."""

    manifest: dict[str, Any]
    outdir: Path
    stacks: list[str]
    env: dict[str, str]
    console: Console = field(default_factory=Console)

    @property
    def deps(self) -> dict[str, list[str]]:
        """Per selected stack, the nearest selected stacks it depends on, directly or through unselected ones.

        STACKS="network app" still runs app after network, though app reaches it only through cluster and data.
        """
        def nearest(name: str, seen: set[str]) -> set[str]:
            found: set[str] = set()
            for dep in _dependencies(self.manifest, name):
                if dep in seen:
                    continue
                seen.add(dep)
                found |= {dep} if dep in self.stacks else nearest(dep, seen)
            return found

        return {n: sorted(nearest(n, set()), key=self.stacks.index) for n in self.stacks}

    def directory(self, name: str) -> Path:
        return self.outdir / str(self.manifest["stacks"][name]["workingDirectory"])

    def unselected(self, name: str) -> list[str]:
        return [d for d in _dependencies(self.manifest, name) if d not in self.stacks]

    def announce(self, workers: int) -> None:
        everything = stack_order(self.manifest)
        stages = " -> ".join(" + ".join(stage) for stage in _stages(self.stacks, self.deps))
        picked = "" if self.stacks == everything else f" (STACKS; not selected: {', '.join(n for n in everything if n not in self.stacks)})"
        print(f"stacks (from manifest.json): {stages}{picked}")
        for name in self.stacks:
            if self.unselected(name):
                print(f"  {name}: dependencies not selected, assumed applied: {', '.join(self.unselected(name))}")
        print(f"up to {workers} stack{'s' if workers > 1 else ''} at once (PARALLELISM)"
              + (": independent stacks run concurrently, output lines prefixed [stack]" if workers > 1 else ""))

    def timing(self, outcome: Outcome, verb: str) -> str:
        per = ", ".join(f"{n} {outcome.seconds[n]:.1f} s" for n in self.stacks if n in outcome.seconds)
        total = sum(outcome.seconds.values())
        return (f"{verb}: {per or 'nothing'}; wall {outcome.wall:.1f} s (sum of stacks {total:.1f} s, "
                f"critical path {outcome.critical_path(self.deps):.1f} s)")


def _hint(ctx: Run, err: DeliveryError, pending_producers: Sequence[str]) -> str:
    """What to do about one failed stack: the cause that applies to this stack in this run."""
    name, step = (err.stack, err.step) if isinstance(err, StepFailed) else ("", "")
    if step == "init":
        return ("`terraform init` sets up the azurerm backend and the providers: the remote state must exist "
                "(`make bootstrap`), this identity needs Storage Blob Data Contributor on the state account and "
                f"its address must pass the account's firewall; Terraform's error is in the [{name}] lines above")
    if step == "plan" and pending_producers:
        return (f"{name} plans against the remote state of {', '.join(pending_producers)}, whose planned changes "
                "are not applied yet: before they are, its plan fails or shows unknowns. Apply its producers first "
                "(`make deploy`, which plans each stack after the ones it depends on are applied; for the first "
                "rollout that is the way)")
    if step in ("plan", "show", "apply"):
        assumed = ctx.unselected(name)
        return (f"Terraform's error is in the [{name}] lines above"
                + (f"; its dependencies {', '.join(assumed)} were not selected (STACKS), so this run assumed "
                   "they are applied" if assumed else "")
                + ("; resources applied before the error stay applied, `make deploy` again resumes"
                   if step == "apply" else ""))
    return ""


def _report(ctx: Run, outcome: Outcome, pending: Callable[[str], list[str]], not_done: str) -> DeliveryError:
    """One error listing every failed stack with its cause, and what was not started because of them."""
    lines = [f"{len(outcome.failed)} of {len(ctx.stacks)} stack{'s' if len(ctx.stacks) > 1 else ''} failed:"]
    for name in ctx.stacks:
        if name in outcome.failed:
            err = outcome.failed[name]
            hint = _hint(ctx, err, pending(name))
            lines.append(f"  - {err}" + (f"\n    {hint}." if hint else ""))
    if outcome.blocked:
        lines.append(f"{not_done}: " + "; ".join(f"{n} (needs {', '.join(d)})" for n, d in outcome.blocked.items()))
    return DeliveryError("\n".join(lines))


# --------------------------------------------------------------------------- commands


def _synth(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    if args.no_synth:
        print(f"using the existing synth in {_outdir()} (--no-synth)")
        return
    run([sys.executable, str(ROOT / "main.py")], env, "synth", cwd=ROOT)


def preflight_first(stacks: str | None, command: str) -> None:
    """scripts/preflight.py before anything else: documentation placeholders first (exit 3 before any tool
    is looked for), then the tools, then what an Azure login can check."""
    import preflight

    from config import ConfigError

    # A typo stops here, before the preflight and the synth (select_stacks checks again against the manifest).
    # `state` is the bootstrap's stack, not one for STACKS.
    names = check_stack_names(stacks, [s for s in preflight.STACKS if s != "state"])
    try:
        # PREFLIGHT_OFFLINE=1 skips only the checks that ask Azure (placeholders and tools always run).
        preflight.run(names, command, offline=_flag("PREFLIGHT_OFFLINE"))
    except preflight.PreflightFailed as err:
        raise MissingPrerequisites(str(err)) from None
    except ConfigError as err:
        raise UsageError(f"config: {err}") from None


def _prepare(args: argparse.Namespace, command: str) -> Run:
    """Preflight, prerequisites, PARALLELISM, synth, then the stacks STACKS selects (all by default)."""
    preflight_first(args.stacks, command)
    env = plugin_cache(require(command))
    parallelism()  # an invalid PARALLELISM stops here, before the synth
    _synth(args, env)
    outdir = _outdir()
    manifest = read_manifest(outdir)
    return Run(manifest=manifest, outdir=outdir, stacks=select_stacks(manifest, args.stacks), env=env)


def cmd_order(_: argparse.Namespace) -> int:
    print(" ".join(stack_order(read_manifest(_outdir()))))
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    require("delivery.py check")
    print("prerequisites OK: terraform on PATH, Azure identity available")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    plan = _prepare(args, "make plan")
    plans = _plans_dir()
    workers = parallelism()
    plan.announce(workers)
    outcome = run_graph(plan.stacks, plan.deps,
                        lambda name: plan_stack(name, plan.directory(name), plans, plan.env, plan.console), workers)
    print(plan.timing(outcome, "planned"))
    written = [outcome.results[n][0] for n in plan.stacks if n in outcome.results]
    # In a plan nothing is applied: a producer (a direct dependency: the state it reads) with planned
    # changes is not applied yet for its consumers.
    pending = lambda name: [d for d in _dependencies(plan.manifest, name)  # noqa: E731
                            if outcome.results.get(d, (None, 0))[1] == 2]
    notes = [f"Not planned (STACKS): {', '.join(n for n in stack_order(plan.manifest) if n not in plan.stacks)}."] \
        if len(plan.stacks) < len(plan.manifest["stacks"]) else []
    notes += [f"**{err}**: Terraform's error is in the log (lines prefixed [{name}])." for name, err in outcome.failed.items()]
    notes += [f"**{name}: not planned**: it needs {', '.join(d)}." for name, d in outcome.blocked.items()]
    code = EXIT_OK
    if written:
        guard_args = [*map(str, written), "--output", str(plans / "summary.md"), *(f"--note={n}" for n in notes)]
        if args.allow_destroy or _flag("ALLOW_DESTROY"):
            guard_args.append("--allow-destroy")
        code = plan_guard.main(guard_args)
        print(f"\nplans and their JSON in {plans}/; Markdown summary in {plans / 'summary.md'}")
    else:  # nothing to summarize, but a summary from an earlier run must not pass for this one
        plans.mkdir(parents=True, exist_ok=True)
        (plans / "summary.md").write_text("\n".join(["# Terraform plan summary", "", *(f"> - {n}" for n in notes),
                                                     "", "No stack was planned.", ""]), encoding="utf-8")
    if outcome.failed:
        raise _report(plan, outcome, pending, "Not planned")
    return code


def _confirm(name: str, auto: bool) -> None:
    if auto:
        return
    if not sys.stdin.isatty():
        raise StepFailed(name, "confirm", f"{name}: not applying without confirmation and stdin is not a terminal; "
                                          "set AUTO_APPROVE=1 to apply non-interactively")
    answer = input(f"Apply the plan above to stack {name!r}? Only 'yes' is accepted: ")
    if answer.strip() != "yes":
        raise StepFailed(name, "confirm", f"{name}: apply cancelled")


def deploy_stack(ctx: Run, name: str, plans: Path, auto: bool, allow: bool) -> str:
    """plan -> plan guard -> confirm (unless auto) -> apply for one stack; ``no changes`` or ``applied``."""
    console, directory = ctx.console, ctx.directory(name)
    # Planned only now, after its producers were applied: their outputs are known.
    plan_json, changes = plan_stack(name, directory, plans, ctx.env, console)
    if changes == 0:
        console.say("no changes", name)
        return "no changes"
    try:
        summary = plan_guard.load_plan(plan_json, name)
    except plan_guard.PlanError as err:
        raise StepFailed(name, "guard", f"{name}: the plan guard cannot read the plan: {err}") from None
    console.say(plan_guard.render([summary], plan_guard.PROTECTED_TYPES, allow), name)
    split = plan_guard.split_ephemeral_writes(json.loads(plan_json.read_text(encoding="utf-8")))
    if split:  # never bypassable: applying would leave the server and the vault with different passwords
        raise StepFailed(name, "guard", f"{name}: " + "; ".join(split))
    found = plan_guard.violations([summary], plan_guard.PROTECTED_TYPES)
    if found and not allow:
        raise StepFailed(name, "guard", f"{name}: the plan guard refused the plan (see above); "
                                        "set ALLOW_DESTROY=1 only after reviewing it")
    _confirm(name, auto)
    code = run_prefixed(_terraform(directory, "apply", "-input=false", str((plans / f"{name}.tfplan").resolve())),
                        ctx.env, name, console)
    if code != 0:
        raise StepFailed(name, "apply", f"{name}: terraform apply failed (exit {code})")
    return "applied"


def cmd_deploy(args: argparse.Namespace) -> int:
    if _flag(READ_ONLY_ENV):
        raise UsageError(f"{READ_ONLY_ENV}=1 is for plans only (no state lock); unset it to deploy")
    deploy = _prepare(args, "make deploy")
    plans = _plans_dir()
    auto = args.auto_approve or _flag("AUTO_APPROVE")
    allow = args.allow_destroy or _flag("ALLOW_DESTROY")
    workers = parallelism()
    if not auto and workers > 1:
        # Each apply waits for a 'yes' typed after reading that stack's plan: one stack at a time, so no
        # other stack's output scrolls past the plan and no two prompts share the terminal.
        print("deploy asks before each apply, so stacks run one at a time (AUTO_APPROVE=1 runs independent "
              "stacks in parallel)")
        workers = 1
    deploy.announce(workers)
    outcome = run_graph(deploy.stacks, deploy.deps, lambda name: deploy_stack(deploy, name, plans, auto, allow), workers)
    print(deploy.timing(outcome, "deploy"))
    done = [n for n in deploy.stacks if n in outcome.results]
    if outcome.failed:
        if done:
            print(f"deployed: {', '.join(f'{n} ({outcome.results[n]})' for n in done)}")
        # Deploy starts a stack only after everything it needs was applied: no producer is ever pending.
        raise _report(deploy, outcome, lambda name: [], "Not deployed")
    print(f"deployed: {', '.join(f'{n} ({outcome.results[n]})' for n in done)}")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    preflight_first("network", "make bootstrap")  # what the network stack, the first after it, needs
    env = plugin_cache(require("make bootstrap"))
    outdir = Path(os.environ.get("BOOTSTRAP_OUTDIR") or ROOT / "cdktf.out.bootstrap")
    run([sys.executable, str(ROOT / "bootstrap.py")], {**env, "BOOTSTRAP_OUTDIR": str(outdir)}, "bootstrap synth", cwd=ROOT)
    directory = outdir / json.loads((outdir / "manifest.json").read_text())["stacks"]["state"]["workingDirectory"]
    run(_terraform(directory, "init", *init_args("state", directory, Console())), env, "state: terraform init")
    auto = args.auto_approve or _flag("AUTO_APPROVE")
    run(_terraform(directory, "apply", "-input=false", *(["-auto-approve"] if auto else [])), env, "state: terraform apply")
    print("\nremote state is ready: delivery.deployer_principal_ids may write it, delivery.plan_principal_ids read it "
          f"(scope: `terraform -chdir={directory} output -raw storage_account_id`). Next: `make deploy STACKS=network` "
          "(docs/delivery.md \"First rollout, step by step\").")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="delivery.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, helptext in (
        ("order", cmd_order, "print the stack order from the manifest"),
        ("check", cmd_check, "check terraform and the Azure login"),
        ("plan", cmd_plan, "synth; init, plan, show -json per stack; plan guard"),
        ("deploy", cmd_deploy, "synth; per stack in order: plan, guard, apply"),
        ("bootstrap", cmd_bootstrap, "synth and apply the remote-state stack"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.set_defaults(func=func)
        if name in ("plan", "deploy"):
            p.add_argument("--allow-destroy", action="store_true", help="let protected deletions through (ALLOW_DESTROY=1)")
            p.add_argument("--no-synth", action="store_true", help="use the existing synth output (e.g. a CI artifact)")
            p.add_argument("--stacks", metavar="NAMES",
                           help="only these stacks (space- or comma-separated; make: STACKS=...); default all")
        if name in ("deploy", "bootstrap"):
            p.add_argument("--auto-approve", action="store_true", help="apply without asking (AUTO_APPROVE=1)")
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except DeliveryError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_PREREQUISITES if isinstance(err, MissingPrerequisites) else EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: stacks that were running got the interrupt too; check their [stack] lines",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
