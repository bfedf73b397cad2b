#!/usr/bin/env python3
"""Plan guard: summarize Terraform JSON plans and refuse ones that destroy protected data.

    python scripts/plan_guard.py [--protected-type TYPE]... [--allow-destroy] [--output FILE] [--note TEXT]... PLAN.json...

Reads plans written by ``terraform show -json PLANFILE`` and prints Markdown ready to paste as
a pull-request comment: first every change to a security-relevant type (:data:`SECURITY_TYPES`)
across all plans, then one section per plan (counts; every change by address with its action
and, for updates and replacements, the names of the changed top-level attributes; why each
replacement, destroy and forget happens; drift). Attribute values are never printed, only names.

Exit status:
  0  nothing protected would be deleted or replaced (or --allow-destroy was given)
  1  a protected resource would be deleted or replaced; each one is named with the reason
  2  a file is missing or is not a Terraform plan in JSON

``--protected-type`` replaces the default list (:data:`PROTECTED_TYPES`); repeat it for
several types. Only standard library: runs anywhere Python 3.9+ does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

#: Resource types whose deletion or replacement loses data or takes the service down:
#: the package database and its server, the NFS share and its account (and the state
#: account), the Key Vault holding the DB password, and the cluster itself; and the two
#: whose replacement is an outage: a private DNS zone's VNet link (the database, vault and
#: share stop resolving privately until it is back) and a federated identity credential
#: (the pods' and the Job's sign-in). Both have ForceNew arguments that moving to azurerm 5
#: touches (docs/toolchains.md), so an unrefreshed migration plan is stopped here.
PROTECTED_TYPES: tuple[str, ...] = (
    "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_storage_account",
    "azurerm_storage_share",
    "azurerm_key_vault",
    "azurerm_key_vault_secret",
    "azurerm_kubernetes_cluster",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_federated_identity_credential",
)

EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class SecurityType:
    """A resource type (``*`` at the end: a prefix) whose changes a reviewer must see first."""

    pattern: str
    reason: str
    #: Top-level attributes that carry the exposure; shown in bold when an update changes them.
    watch: tuple[str, ...] = ()

    def matches(self, rtype: str) -> bool:
        if self.pattern.endswith("*"):
            return rtype.startswith(self.pattern[:-1])
        return rtype == self.pattern


#: Every change (create, update, replace, delete, forget, and drift) to one of these types is listed
#: at the top of the summary, whatever else the plan does. One line each: why it matters.
SECURITY_TYPES: tuple[SecurityType, ...] = (
    SecurityType("azurerm_network_security_rule", "allows or denies traffic into and out of the subnets"),
    SecurityType("azurerm_network_security_group", "the rule set that filters a subnet's traffic"),
    SecurityType("azurerm_subnet_network_security_group_association", "decides which NSG, if any, filters a subnet"),
    SecurityType("azurerm_subnet", "private_endpoint_network_policies off silently exempts private endpoints from the NSG"),
    SecurityType("azurerm_private_dns_zone_virtual_network_link", "decides which networks resolve private endpoints privately"),
    SecurityType("azurerm_role_assignment", "grants an identity a role at a scope (who may do what)"),
    SecurityType("azurerm_role_definition", "defines what a role is allowed to do"),
    SecurityType("azurerm_key_vault", "network ACLs and public access decide who can reach the DB password",
                 ("network_acls", "public_network_access_enabled", "enable_rbac_authorization",
                  "rbac_authorization_enabled")),
    SecurityType("azurerm_key_vault_access_policy", "grants an identity access to the vault's keys and secrets"),
    SecurityType("azurerm_storage_account", "network rules and public access decide who can reach the package data",
                 ("network_rules", "public_network_access_enabled", "allow_nested_items_to_be_public",
                  "shared_access_key_enabled")),
    SecurityType("azurerm_storage_account_network_rules", "the storage account's firewall"),
    SecurityType("azurerm_kubernetes_cluster", "the API server access profile decides who can reach the Kubernetes API",
                 ("api_server_access_profile", "private_cluster_enabled", "local_account_disabled",
                  "azure_active_directory_role_based_access_control")),
    SecurityType("azurerm_private_endpoint", "the private path to a service; without it traffic may go public"),
    SecurityType("azurerm_nat_gateway*", "the egress path and the public addresses outbound traffic leaves from"),
    SecurityType("azurerm_public_ip", "an address reachable from the internet"),
)


def security_type(rtype: str) -> SecurityType | None:
    """The :data:`SECURITY_TYPES` entry for a resource type, or None."""
    return next((s for s in SECURITY_TYPES if s.matches(rtype)), None)


#: Terraform's ``action_reason`` values, in words ([TF] internals/json-format, "Change Representation").
ACTION_REASONS = {
    "replace_because_tainted": "the object is tainted",
    "replace_because_cannot_update": "an argument that cannot be updated in place changed",
    "replace_by_request": "replacement was requested (-replace)",
    "replace_by_triggers": "replace_triggered_by fired",
    "delete_because_no_resource_config": "its configuration was removed",
    "delete_because_no_move_target": "a moved block points to no resource",
    "delete_because_count_index": "its count index is out of range",
    "delete_because_each_key": "its for_each key is gone",
    "delete_because_no_module": "its module was removed",
    "read_because_config_unknown": "its configuration depends on values known only after apply",
    "read_because_dependency_pending": "a dependency has pending changes",
}


class PlanError(Exception):
    """A file cannot be read as a Terraform JSON plan."""


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    reason: str | None = None
    replace_paths: tuple[str, ...] = ()
    #: Top-level attribute names whose value differs between before and after, or becomes unknown.
    changed: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """create, update, replace, delete, forget, read or no-op."""
        acts = set(self.actions)
        if {"delete", "create"} <= acts:
            return "replace"
        if acts == {"delete"}:
            return "delete"
        if acts == {"forget"} or {"forget", "create"} <= acts:
            return "forget"
        if acts == {"create"}:
            return "create"
        if acts == {"update"}:
            return "update"
        if acts == {"read"}:
            return "read"
        return "no-op"

    def describe(self) -> str:
        """How and why, e.g. ``delete then create; forced by triggers_replace``."""
        if self.kind == "forget":
            return "leaves Terraform state only; the real object is kept (removed block, destroy = false)"
        parts = []
        if self.kind == "replace":
            # ["delete","create"]: the old object is gone before the new one exists (downtime, data
            # loss); ["create","delete"]: create_before_destroy, the old one is still deleted.
            parts.append("delete, then create" if self.actions[0] == "delete" else "create replacement, then delete (create_before_destroy)")
        if self.reason:
            parts.append(ACTION_REASONS.get(self.reason, self.reason))
        if self.replace_paths:
            parts.append("forced by " + ", ".join(self.replace_paths))
        return "; ".join(parts)


@dataclass
class PlanSummary:
    name: str
    changes: list[Change] = field(default_factory=list)
    drift: list[Change] = field(default_factory=list)
    #: Data sources Terraform reads during apply (``read`` actions); not counted as changes.
    reads: list[Change] = field(default_factory=list)
    errored: bool = False

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def _path_text(path: Sequence[Any]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


#: Every action Terraform's JSON plan format can list ([TF] internals/json-format "Change Representation").
KNOWN_ACTIONS = frozenset({"no-op", "create", "read", "update", "delete", "forget"})


def _has_unknown(marker: Any) -> bool:
    """True when an ``after_unknown`` entry marks anything in it unknown (it mirrors the value's shape)."""
    if marker is True:
        return True
    if isinstance(marker, dict):
        return any(_has_unknown(v) for v in marker.values())
    if isinstance(marker, list):
        return any(_has_unknown(v) for v in marker)
    return False


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def changed_attributes(change: dict[str, Any]) -> tuple[str, ...]:
    """Names of the top-level attributes an update or replacement changes, sorted.

    An attribute counts when its ``before`` and ``after`` values differ or when it becomes
    unknown (``after_unknown``). Only values are compared; nothing but the names is returned.
    """
    before, after, unknown = (_mapping(change.get(k)) for k in ("before", "after", "after_unknown"))
    names = before.keys() | after.keys() | unknown.keys()
    return tuple(sorted(n for n in names if _has_unknown(unknown.get(n)) or before.get(n) != after.get(n)))


def _change(entry: Any, where: str) -> Change:
    """One resource change; anything not shaped like Terraform's plan JSON is a PlanError (never a pass)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("change"), dict):
        raise PlanError(f"{where}: entry {str(entry)[:80]!r} has no 'change' object; not a Terraform plan")
    change = entry["change"]
    actions = change.get("actions")
    if not isinstance(actions, list) or not actions or not set(actions) <= KNOWN_ACTIONS:
        raise PlanError(f"{where}: {entry.get('address', '?')}: actions {actions!r} are not Terraform plan actions "
                        f"({', '.join(sorted(KNOWN_ACTIONS))})")
    result = Change(
        address=entry.get("address", "?"),
        type=entry.get("type", "?"),
        actions=tuple(actions),
        reason=entry.get("action_reason"),
        replace_paths=tuple(_path_text(p) for p in change.get("replace_paths") or ()),
    )
    if result.kind in ("update", "replace"):
        result = dataclasses.replace(result, changed=changed_attributes(change))
    return result


def stack_name(path: Path) -> str:
    """``plans/network.json`` and ``plans/network.tfplan.json`` -> ``network``."""
    name = path.name
    for suffix in (".json", ".tfplan"):
        name = name.removesuffix(suffix)
    return name


def load_plan(path: Path, name: str | None = None) -> PlanSummary:
    """Parse one ``terraform show -json`` plan (managed resources only; data reads are skipped)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PlanError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise PlanError(f"{path}: not UTF-8 text; pass the JSON from `terraform show -json`, not the binary plan") from None
    except json.JSONDecodeError as err:
        raise PlanError(f"{path}: not JSON ({err.msg} at line {err.lineno}); "
                        "write plans with `terraform show -json PLANFILE > PLAN.json`") from None
    if not isinstance(doc, dict) or "format_version" not in doc or ("planned_values" not in doc and "resource_changes" not in doc):
        raise PlanError(f"{path}: not a Terraform plan (no format_version/planned_values); "
                        "`terraform show -json` of a state file is not a plan")
    summary = PlanSummary(name=name or stack_name(path), errored=bool(doc.get("errored")))
    for key, target in (("resource_changes", summary.changes), ("resource_drift", summary.drift)):
        entries = doc.get(key) or []
        if not isinstance(entries, list):
            raise PlanError(f"{path}: '{key}' is {type(entries).__name__}, not a list; not a Terraform plan")
        for entry in entries:
            change = _change(entry, str(path))
            if entry.get("mode", "managed") == "managed":
                target.append(change)
            elif key == "resource_changes" and change.kind == "read":
                summary.reads.append(change)
    return summary


@dataclass(frozen=True)
class Violation:
    plan: str
    change: Change

    def __str__(self) -> str:
        why = self.change.describe()
        verb = "replaced" if self.change.kind == "replace" else "deleted"
        return (f"{self.plan}: {self.change.address} ({self.change.type}, protected) would be {verb}"
                + (f": {why}" if why else ""))


def violations(plans: Iterable[PlanSummary], protected: Iterable[str]) -> list[Violation]:
    """Every protected resource a plan would delete or replace (forget, update and no-op are fine)."""
    protected = set(protected)
    return [Violation(p.name, c) for p in plans for c in p.changes
            if c.type in protected and c.kind in ("delete", "replace")]


def split_ephemeral_writes(plan: Mapping[str, Any]) -> list[str]:
    """Write-only arguments fed by one ephemeral value that this plan would NOT all send together.

    An ephemeral value (e.g. the generated database password) is new on every run, and a write-only
    argument is sent only on create or when its ``<argument>_version`` changes. If some of its sinks send
    and others keep the value of an earlier run (a first apply that created the server but failed before
    the vault secret), applying would leave them holding different values. Read from the plan's
    ``configuration`` (each argument's ``references``) and ``resource_changes`` ([TF] internals/json-format).
    """
    sinks: dict[str, list[tuple[str, str]]] = {}
    for resource in plan.get("configuration", {}).get("root_module", {}).get("resources", []):
        for argument, expression in (resource.get("expressions") or {}).items():
            if not argument.endswith("_wo") or not isinstance(expression, dict):
                continue
            for ref in expression.get("references") or ():
                if ref.startswith("ephemeral."):
                    source = ".".join(ref.split(".")[:3])  # ephemeral.<type>.<name>
                    sinks.setdefault(source, []).append((resource["address"], argument))
    changes = {rc.get("address"): rc.get("change") or {} for rc in plan.get("resource_changes") or ()}
    problems = []
    for source, targets in sorted(sinks.items()):
        sends = {}
        for address, argument in targets:
            change = changes.get(address, {})
            actions = change.get("actions") or ["no-op"]
            before, after = change.get("before") or {}, change.get("after") or {}
            version = f"{argument}_version"
            sends[f"{address}.{argument}"] = "create" in actions or before.get(version) != after.get(version)
        if any(sends.values()) and not all(sends.values()):
            kept = ", ".join(name for name, sent in sends.items() if not sent)
            sent = ", ".join(name for name, sent in sends.items() if sent)
            problems.append(f"{source} would be written to {sent} but not to {kept}: they would hold different "
                            "values. Increase the value's version (e.g. postgres.password_version) so every "
                            "write-only argument it feeds is sent in the same apply")
    return problems


def _bullets(changes: list[Change], protected: set[str]) -> list[str]:
    lines = []
    for c in changes:
        flag = " **(protected type)**" if c.type in protected else ""
        why = c.describe()
        lines.append(f"- `{c.address}`{flag}" + (f": {why}" if why else ""))
    return lines


#: Order of the rows in a plan's change table: what loses data or exposure first.
_ROW_ORDER = ("delete", "replace", "update", "create", "forget", "read")


def _row_key(change: Change) -> int:
    return _ROW_ORDER.index(change.kind) if change.kind in _ROW_ORDER else len(_ROW_ORDER)


def _code(text: str) -> str:
    """``text`` as inline code in a Markdown table cell (a ``|`` would end the cell)."""
    return "`" + text.replace("|", "\\|") + "`"


def _attributes(change: Change, watch: Sequence[str] = ()) -> str:
    """Changed attribute names as code, those a security entry watches in bold; names only, never values."""
    return ", ".join(f"**{_code(n)}**" if n in watch else _code(n) for n in change.changed)


def _security_rows(plans: Sequence[PlanSummary]) -> list[str]:
    rows = []
    for plan in plans:
        entries = [(c, c.kind) for c in sorted(plan.changes, key=_row_key) if c.kind != "no-op"]
        entries += [(d, "deleted outside Terraform" if d.kind == "delete" else "changed outside Terraform")
                    for d in plan.drift if d.kind != "no-op"]
        for change, action in entries:
            sec = security_type(change.type)
            if sec is not None:
                rows.append(f"| {plan.name} | {action} | {_code(change.address)} | "
                            f"{_attributes(change, sec.watch)} | {sec.reason} |")
    return rows


def render(plans: Sequence[PlanSummary], protected: Sequence[str], allow_destroy: bool,
           notes: Sequence[str] = ()) -> str:
    """The Markdown report: security-relevant changes, one section per plan, then the verdict."""
    protected_set = set(protected)
    out = ["# Terraform plan summary", ""]
    if notes:
        out += [*(f"> - {note}" for note in notes), ""]
    security = _security_rows(plans)
    out += ["## Security-relevant changes", ""]
    if security:
        out += ["Changes to resource types that decide who or what can reach the environment "
                "(watched attributes in bold):", "",
                "| Stack | Action | Address | Changed attributes | Why it matters |", "|---|---|---|---|---|",
                *security, ""]
    else:
        out += [f"None: no change to any of the {len(SECURITY_TYPES)} security-relevant types "
                "(`SECURITY_TYPES` in scripts/plan_guard.py).", ""]
    for plan in plans:
        counts = {k: len(plan.of(k)) for k in ("create", "update", "replace", "delete", "forget")}
        out += [f"## {plan.name}", ""]
        if plan.errored:
            out += ["> **Warning:** this plan is marked errored; it is incomplete.", ""]
        out += ["| Adds | Changes | Replacements | Destroys | Forgets |", "|---:|---:|---:|---:|---:|",
                f"| {counts['create']} | {counts['update']} | {counts['replace']} | {counts['delete']} | {counts['forget']} |", ""]
        if not any(counts.values()):
            out += ["No changes.", ""]
        rows = sorted((c for c in [*plan.changes, *plan.reads] if c.kind in _ROW_ORDER), key=_row_key)
        if rows:
            out += ["| Action | Address | Changed attributes |", "|---|---|---|"]
            for c in rows:
                flags = (" **(protected type)**" if c.type in protected_set else "") + \
                        (" **(security)**" if security_type(c.type) and c.kind != "read" else "")
                out.append(f"| {c.kind} | {_code(c.address)}{flags} | {_attributes(c)} |")
            out.append("")
        for title, kind in (("Replacements", "replace"), ("Destroys", "delete"),
                            ("Forgets (removed from state, not destroyed)", "forget")):
            if plan.of(kind):
                out += [f"**{title}:**", "", *_bullets(plan.of(kind), protected_set), ""]
        drift = [d for d in plan.drift if d.kind != "no-op"]
        if drift:
            out += ["**Drift (changed outside Terraform since the last apply):**", ""]
            for d in drift:
                what = "deleted outside Terraform" if d.kind == "delete" else d.kind.replace("update", "changed outside Terraform")
                flag = " **(protected type)**" if d.type in protected_set else ""
                names = f" ({', '.join(d.changed)})" if d.changed else ""
                out.append(f"- `{d.address}`{flag}: {what}{names}")
            out.append("")
    found = violations(plans, protected)
    if not found:
        out += ["## Guard: passed", "", "No protected resource would be deleted or replaced.",
                f"Protected types: {', '.join(f'`{t}`' for t in protected)}.", ""]
    else:
        head = "## Guard: allowed by --allow-destroy" if allow_destroy else "## Guard: BLOCKED"
        out += [head, "", "These protected resources would be deleted or replaced:", ""]
        out += [f"- {v}" for v in found]
        out += ["", "Reviewed and intended? Re-run with `--allow-destroy` (make: `ALLOW_DESTROY=1`)." if not allow_destroy
                else "The override was given explicitly; make sure a backup or restore path exists.", ""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plan_guard.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("plans", nargs="+", type=Path, metavar="PLAN.json", help="output of `terraform show -json PLANFILE`")
    parser.add_argument("--protected-type", action="append", dest="protected", metavar="TYPE",
                        help=f"resource type never to delete or replace; repeatable; replaces the default ({', '.join(PROTECTED_TYPES)})")
    parser.add_argument("--allow-destroy", action="store_true", help="report protected deletions/replacements but exit 0")
    parser.add_argument("--output", type=Path, metavar="FILE", help="also write the Markdown to FILE")
    parser.add_argument("--note", action="append", default=[], metavar="TEXT",
                        help="a line to show under the title (repeatable), e.g. stacks that were not planned")
    args = parser.parse_args(argv)
    protected = tuple(args.protected or PROTECTED_TYPES)
    try:
        plans = [load_plan(p) for p in args.plans]
    except PlanError as err:
        print(f"plan_guard: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = render(plans, protected, args.allow_destroy, args.note)
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n", encoding="utf-8")
    found = violations(plans, protected)
    for v in found:
        print(("plan_guard: allowed: " if args.allow_destroy else "plan_guard: BLOCKED: ") + str(v), file=sys.stderr)
    return EXIT_BLOCKED if found and not args.allow_destroy else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
