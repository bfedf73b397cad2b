#!/usr/bin/env python3
"""Ordered delivery: bootstrap the remote state, plan and deploy the stacks in dependency order.

    python scripts/delivery.py bootstrap          # make bootstrap: state stack, local backend, terraform apply
    python scripts/delivery.py plan               # make plan: synth, init + plan -out + show -json per stack, guard
    python scripts/delivery.py deploy             # make deploy: per stack in order: plan, guard, apply; stop at first failure
    python scripts/delivery.py order              # print the stack order read from cdktf.out/manifest.json
    python scripts/delivery.py check              # only check the prerequisites

The order is a topological sort of ``dependencies`` in ``<outdir>/manifest.json``
(never a hard-coded list). Environment: PPM_CONFIG (config file), CDKTF_OUTDIR
(default cdktf.out), PLANS_DIR (default plans), AUTO_APPROVE=1 (no prompts),
ALLOW_DESTROY=1 (let the plan guard pass protected deletions).

Prerequisites: ``terraform`` on PATH, and an Azure identity: ``az`` logged in
(``az account show`` succeeds), or service-principal / OIDC / managed-identity
ARM_* variables (CI). ARM_SUBSCRIPTION_ID is taken from ``az account show`` when unset
(azurerm 4.x requires a subscription id).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import plan_guard  # noqa: E402

EXIT_FAILED, EXIT_PREREQUISITES = 1, 3

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


# --------------------------------------------------------------------------- steps


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def run(cmd: Sequence[str], env: Mapping[str, str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """Echo and run one command; DeliveryError naming the step when it fails."""
    print(f"+ {' '.join(str(c) for c in cmd)}", flush=True)
    result = subprocess.run(list(cmd), env=dict(env), **kwargs)
    if result.returncode != 0:
        raise DeliveryError(f"{what} failed (exit {result.returncode})")
    return result


def _outdir() -> Path:
    return Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out")


def _plans_dir() -> Path:
    return Path(os.environ.get("PLANS_DIR") or ROOT / "plans")


def _stack_dirs(outdir: Path) -> list[tuple[str, Path]]:
    manifest = read_manifest(outdir)
    return [(name, outdir / manifest["stacks"][name]["workingDirectory"]) for name in stack_order(manifest)]


def _terraform(directory: Path, *args: str) -> list[str]:
    return ["terraform", f"-chdir={directory}", *args]


def plan_stack(name: str, directory: Path, plans: Path, env: Mapping[str, str]) -> tuple[Path, int]:
    """init, plan -out, show -json for one stack; returns (plan JSON, plan exit: 0 no changes, 2 changes)."""
    plans.mkdir(parents=True, exist_ok=True)
    plan_file, plan_json = (plans / f"{name}.tfplan").resolve(), (plans / f"{name}.json").resolve()
    run(_terraform(directory, "init", "-input=false"), env, f"{name}: terraform init")
    result = subprocess.run(_terraform(directory, "plan", "-input=false", "-detailed-exitcode", f"-out={plan_file}"),
                            env=dict(env))
    if result.returncode not in (0, 2):
        raise DeliveryError(f"{name}: terraform plan failed (exit {result.returncode})")
    with plan_json.open("w", encoding="utf-8") as out:
        run(_terraform(directory, "show", "-json", str(plan_file)), env, f"{name}: terraform show -json", stdout=out)
    return plan_json, result.returncode


def _synth(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    if args.no_synth:
        print(f"using the existing synth in {_outdir()} (--no-synth)")
        return
    run([sys.executable, str(ROOT / "main.py")], env, "synth", cwd=ROOT)


def cmd_order(_: argparse.Namespace) -> int:
    print(" ".join(stack_order(read_manifest(_outdir()))))
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    require("delivery.py check")
    print("prerequisites OK: terraform on PATH, Azure identity available")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    env = require("make plan")
    _synth(args, env)
    plans = _plans_dir()
    written: list[Path] = []
    stacks = _stack_dirs(_outdir())
    print(f"stack order (from manifest.json): {' -> '.join(n for n, _ in stacks)}")
    for index, (name, directory) in enumerate(stacks):
        try:
            plan_json, _ = plan_stack(name, directory, plans, env)
        except DeliveryError as err:
            later = [n for n, _ in stacks[index + 1:]]
            raise DeliveryError(
                f"{err}\n  A stack plans against the remote state of the stacks it depends on; before those are "
                f"applied its plan shows unknowns or fails. For the first rollout use `make deploy` (plans and "
                f"applies stack by stack). Not planned: {', '.join(later) or 'none'}.") from None
        written.append(plan_json)
    guard_args = [*map(str, written), "--output", str(plans / "summary.md")]
    if args.allow_destroy or _flag("ALLOW_DESTROY"):
        guard_args.append("--allow-destroy")
    code = plan_guard.main(guard_args)
    print(f"\nplans and their JSON in {plans}/; Markdown summary in {plans / 'summary.md'}")
    return code


def _confirm(name: str, auto: bool) -> None:
    if auto:
        return
    if not sys.stdin.isatty():
        raise DeliveryError(f"{name}: not applying without confirmation and stdin is not a terminal; "
                            "set AUTO_APPROVE=1 to apply non-interactively")
    answer = input(f"Apply the plan above to stack {name!r}? Only 'yes' is accepted: ")
    if answer.strip() != "yes":
        raise DeliveryError(f"{name}: apply cancelled")


def cmd_deploy(args: argparse.Namespace) -> int:
    env = require("make deploy")
    _synth(args, env)
    plans = _plans_dir()
    stacks = _stack_dirs(_outdir())
    auto = args.auto_approve or _flag("AUTO_APPROVE")
    allow = args.allow_destroy or _flag("ALLOW_DESTROY")
    print(f"stack order (from manifest.json): {' -> '.join(n for n, _ in stacks)}")
    for index, (name, directory) in enumerate(stacks):
        not_done = ", ".join(n for n, _ in stacks[index + 1:]) or "none"
        try:
            # Planned only now, after its producers were applied: their outputs are known.
            plan_json, changes = plan_stack(name, directory, plans, env)
            if changes == 0:
                print(f"{name}: no changes")
                continue
            guard = plan_guard.main([str(plan_json), *(["--allow-destroy"] if allow else [])])
            if guard != 0:
                raise DeliveryError(f"{name}: the plan guard refused the plan (see above); "
                                    "set ALLOW_DESTROY=1 only after reviewing it")
            _confirm(name, auto)
            run(_terraform(directory, "apply", "-input=false", str((plans / f"{name}.tfplan").resolve())),
                env, f"{name}: terraform apply")
        except DeliveryError as err:
            raise DeliveryError(f"{err}\nstopped at stack {name!r}; not deployed: {not_done}") from None
    print(f"deployed: {', '.join(n for n, _ in stacks)}")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    env = require("make bootstrap")
    outdir = Path(os.environ.get("BOOTSTRAP_OUTDIR") or ROOT / "cdktf.out.bootstrap")
    run([sys.executable, str(ROOT / "bootstrap.py")], {**env, "BOOTSTRAP_OUTDIR": str(outdir)}, "bootstrap synth", cwd=ROOT)
    directory = outdir / json.loads((outdir / "manifest.json").read_text())["stacks"]["state"]["workingDirectory"]
    run(_terraform(directory, "init", "-input=false"), env, "state: terraform init")
    auto = args.auto_approve or _flag("AUTO_APPROVE")
    run(_terraform(directory, "apply", "-input=false", *(["-auto-approve"] if auto else [])), env, "state: terraform apply")
    print("\nremote state is ready. Next: grant CI identities Storage Blob Data Contributor on the account "
          f"(`terraform -chdir={directory} output -raw storage_account_id` is the scope), then `make deploy`.")
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
        if name in ("deploy", "bootstrap"):
            p.add_argument("--auto-approve", action="store_true", help="apply without asking (AUTO_APPROVE=1)")
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DeliveryError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_PREREQUISITES if isinstance(err, MissingPrerequisites) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
