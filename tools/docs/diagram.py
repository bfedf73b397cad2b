#!/usr/bin/env python3
"""Draw the deployed architecture from the synthesized stacks, as Mermaid in Markdown.

    python tools/docs/diagram.py [--outdir cdktf.out] [--output docs/architecture.md] [--check]

Reads ``<outdir>/manifest.json`` and every stack's ``cdk.tf.json`` (never the Python
code) and writes:

- an architecture flowchart: one subgraph per stack (titled with its resource group and
  region), the VNet as a nested subgraph holding its subnets, the main resources as nodes
  with their key settings (SKU, sizes, node count, zones, chart), edges for every
  Terraform reference between drawn resources (cross-stack references are followed
  through ``terraform_remote_state`` outputs back to the resource in the origin stack),
  and thick edges for the stack dependencies recorded in the manifest (deploy order);
- an availability-zone flowchart: which resource (or part of it) sits in which zone,
  and what is zone-redundant;
- a table of every resource type per stack, drawn or not.

Resources are recognized by Terraform type only, so stacks that gain resources are
drawn without changing this script; unknown types still appear in the table. The
output is deterministic: everything is sorted, nothing depends on dict order or time;
the stack order is scripts/delivery.py's ``stack_order`` (the deploy order).
``--check`` exits 1 (and writes nothing) when the file on disk differs (tools/docs/markers.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.delivery import stack_order  # noqa: E402
from tools.docs.markers import Output, write_or_check  # noqa: E402

# ---------------------------------------------------------------------------- model


@dataclass(frozen=True, order=True)
class Ref:
    """One resource: (stack, Terraform type, logical name)."""

    stack: str
    rtype: str
    name: str

    @property
    def node_id(self) -> str:
        return _ident(f"{self.stack}__{self.rtype}__{self.name}")


@dataclass
class Stack:
    name: str
    body: dict[str, Any]
    dependencies: list[str]

    def resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for rtype in sorted(self.body.get("resource", {})):
            for name in sorted(self.body["resource"][rtype]):
                yield rtype, name, self.body["resource"][rtype][name]

    @property
    def backend_key(self) -> str | None:
        backend = self.body.get("terraform", {}).get("backend", {})
        for conf in backend.values():
            if isinstance(conf, dict) and "key" in conf:
                return str(conf["key"])
        return None


@dataclass
class App:
    stacks: dict[str, Stack]
    order: list[str]  # dependency order (deploy order), ties broken by name

    def body(self, ref: Ref) -> dict[str, Any]:
        return self.stacks[ref.stack].body["resource"][ref.rtype][ref.name]


def load(outdir: Path) -> App:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks: dict[str, Stack] = {}
    for name, meta in manifest["stacks"].items():
        body = json.loads((outdir / meta["synthesizedStackPath"]).read_text())
        stacks[name] = Stack(name, body, sorted(meta.get("dependencies", [])))
    return App(stacks, stack_order(manifest))


# ---------------------------------------------------------------------------- references

_EXPR = re.compile(r"\$\{(.*?)\}(?!\})")
_REMOTE = re.compile(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)")
_RESOURCE = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with the top-level attribute it sits under."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _strings(value[key], path or key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)


class Resolver:
    """Turns Terraform expressions in one stack into the resources they point at."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.by_key = {s.backend_key: s.name for s in app.stacks.values() if s.backend_key}

    def remote_stack(self, stack: Stack, data_name: str) -> str | None:
        conf = stack.body.get("data", {}).get("terraform_remote_state", {}).get(data_name, {})
        key = conf.get("config", {}).get("key")
        if key in self.by_key:
            return self.by_key[key]
        suffix = data_name.rsplit("cross-stack-reference-input-", 1)[-1]
        return suffix if suffix in self.app.stacks else None

    def refs(self, stack_name: str, text: str, depth: int = 0) -> set[Ref]:
        stack = self.app.stacks[stack_name]
        found: set[Ref] = set()
        for expr in _EXPR.findall(text):
            for data_name, output in _REMOTE.findall(expr):
                origin = self.remote_stack(stack, data_name)
                if origin is None or depth > 3:
                    continue
                value = self.app.stacks[origin].body.get("output", {}).get(output, {}).get("value")
                if isinstance(value, str):
                    found |= self.refs(origin, value, depth + 1)
            local = _REMOTE.sub("", expr)
            for rtype, name in _RESOURCE.findall(local):
                if name in stack.body.get("resource", {}).get(rtype, {}):
                    found.add(Ref(stack_name, rtype, name))
        return found

    def provider_refs(self, stack_name: str, provider: str) -> set[Ref]:
        found: set[Ref] = set()
        for conf in self.app.stacks[stack_name].body.get("provider", {}).get(provider, []):
            for _, text in _strings(conf):
                found |= self.refs(stack_name, text)
        return found


# ---------------------------------------------------------------------------- labels


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _esc(text: Any) -> str:
    return (str(text).replace("&", "&amp;").replace("#", "&num;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _first(value: Any) -> dict[str, Any]:
    """A nested block: cdktf writes one-element lists or plain objects."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _zones(value: Any) -> list[str]:
    if isinstance(value, list) and not any(_is_token(z) for z in value):
        return sorted(str(z) for z in value)
    return []


def _gib_from_mb(mb: Any) -> str:
    return f"{int(mb) // 1024} GiB" if isinstance(mb, int) else str(mb)


def _onoff(value: Any, on: str, off: str) -> str | None:
    if value is True:
        return on
    if value is False:
        return off
    return None


Label = Callable[[dict[str, Any]], list[str]]


def _vnet(r: dict[str, Any]) -> list[str]:
    return [f"VNet {r.get('name', '')}", ", ".join(r.get("address_space", []))]


def _subnet(r: dict[str, Any]) -> list[str]:
    lines = [f"subnet {r.get('name', '')}", ", ".join(r.get("address_prefixes", []))]
    for delegation in r.get("delegation", []) or []:
        service = _first(delegation.get("service_delegation")).get("name")
        if service:
            lines.append(f"delegated to {service}")
    return lines


def _dns_zone(r: dict[str, Any]) -> list[str]:
    return ["private DNS zone", r.get("name", "")]


def _log_analytics(r: dict[str, Any]) -> list[str]:
    return [f"Log Analytics {r.get('name', '')}", f"{r.get('sku', '')}, {r.get('retention_in_days', '?')} days"]


def _postgres(r: dict[str, Any]) -> list[str]:
    lines = [f"PostgreSQL Flexible Server {r.get('name', '')}",
             f"{r.get('sku_name', '')} · v{r.get('version', '?')} · {_gib_from_mb(r.get('storage_mb'))}"]
    ha = _first(r.get("high_availability"))
    zone = r.get("zone")
    if ha.get("mode"):
        lines.append(f"HA {ha['mode']}: primary zone {zone or '?'}, standby zone "
                     f"{ha.get('standby_availability_zone', '?')}")
    elif zone:
        lines.append(f"zone {zone}, no HA")
    if r.get("public_network_access_enabled") is False:
        lines.append("private (VNet-injected)")
    return lines


def _storage_account(r: dict[str, Any]) -> list[str]:
    lines = [f"Storage account {r.get('name', '')}",
             f"{r.get('account_tier', '')} {r.get('account_kind', '')} {r.get('account_replication_type', '')}".strip()]
    public = _onoff(r.get("public_network_access_enabled"), "public network access on", "no public network access")
    if public:
        lines.append(public)
    return lines


def _share(r: dict[str, Any]) -> list[str]:
    protocol = r.get("enabled_protocol", "SMB")
    return [f"{protocol} share {r.get('name', '')}", f"{r.get('quota', '?')} GiB"]


def _key_vault(r: dict[str, Any]) -> list[str]:
    lines = [f"Key Vault {r.get('name', '')}", str(r.get("sku_name", ""))]
    if r.get("rbac_authorization_enabled") or r.get("enable_rbac_authorization"):
        lines.append("Azure RBAC")
    if r.get("purge_protection_enabled"):
        lines.append("purge protection")
    return lines


def _private_endpoint(r: dict[str, Any]) -> list[str]:
    conn = _first(r.get("private_service_connection"))
    return [f"private endpoint {r.get('name', '')}", ", ".join(conn.get("subresource_names", []))]


def _aks(r: dict[str, Any]) -> list[str]:
    pool = _first(r.get("default_node_pool"))
    lines = [f"AKS {r.get('name', '')}"]
    if r.get("kubernetes_version"):
        lines.append(f"Kubernetes {r['kubernetes_version']}")
    lines.append(_pool_line(pool))
    net = _first(r.get("network_profile"))
    if net:
        parts = [net.get("network_plugin"), net.get("network_plugin_mode"), net.get("network_policy")]
        lines.append("network " + " / ".join(str(p) for p in parts if p))
    if r.get("web_app_routing"):
        lines.append("app routing add-on (managed NGINX)")
    if r.get("workload_identity_enabled"):
        lines.append("workload identity")
    return lines


def _pool_line(pool: dict[str, Any]) -> str:
    zones = _zones(pool.get("zones"))
    where = f" · zones {', '.join(zones)}" if zones else ""
    return f"pool {pool.get('name', '?')}: {pool.get('node_count', '?')} × {pool.get('vm_size', '?')}{where}"


def _node_pool(r: dict[str, Any]) -> list[str]:
    return ["AKS node pool", _pool_line(r)]


def _helm(r: dict[str, Any]) -> list[str]:
    return [f"Helm release {r.get('name', '')}",
            f"chart {r.get('chart', '?')} {r.get('version', '')}".strip(),
            f"namespace {r.get('namespace', 'default')}"]


# Drawn as nodes, by Terraform type.
NODES: dict[str, Label] = {
    "azurerm_subnet": _subnet,
    "azurerm_private_dns_zone": _dns_zone,
    "azurerm_log_analytics_workspace": _log_analytics,
    "azurerm_postgresql_flexible_server": _postgres,
    "azurerm_storage_account": _storage_account,
    "azurerm_storage_share": _share,
    "azurerm_key_vault": _key_vault,
    "azurerm_private_endpoint": _private_endpoint,
    "azurerm_kubernetes_cluster": _aks,
    "azurerm_kubernetes_cluster_node_pool": _node_pool,
    "helm_release": _helm,
}

# Folded into their parent's label (type -> (parent attribute, line builder)).
CHILDREN: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "azurerm_postgresql_flexible_server_database": ("server_id", lambda r: f"database {r.get('name', '')}"),
    "azurerm_postgresql_flexible_server_configuration":
        ("server_id", lambda r: f"{r.get('name', '')} = {r.get('value', '')}"),
    "azurerm_key_vault_secret": ("key_vault_id", lambda r: f"secret {r.get('name', '')}"),
    "azurerm_subnet_network_security_group_association":
        ("subnet_id", lambda r: "NSG attached"),
}

# Drawn as an edge between the two resources they join:
# type -> (attribute of one end, attribute of the other end, edge label); "a|b": whichever is set
# (the DNS link names its zone by name on azurerm 4, by ID on azurerm 5: constructs_lib.azurerm_versions).
LINKS: dict[str, tuple[str, str, Callable[[dict[str, Any]], str]]] = {
    "azurerm_private_dns_zone_virtual_network_link":
        ("private_dns_zone_name|private_dns_zone_id", "virtual_network_id", lambda r: "linked"),
    "azurerm_monitor_diagnostic_setting": ("target_resource_id", "log_analytics_workspace_id", lambda r: "logs"),
    "azurerm_role_assignment": ("principal_id", "scope", lambda r: f"role: {r.get('role_definition_name', '?')}"),
}


def _first_set(body: dict[str, Any], attributes: str) -> Any:
    """The value of the first of ``a|b|...`` that ``body`` sets (None if none)."""
    return next((body[a] for a in attributes.split("|") if a in body), None)


# ---------------------------------------------------------------------------- drawing


@dataclass
class Drawing:
    app: App
    resolver: Resolver
    labels: dict[Ref, list[str]] = field(default_factory=dict)
    vnets: dict[Ref, list[str]] = field(default_factory=dict)  # VNet -> its label (subgraph title)
    parent_vnet: dict[Ref, Ref] = field(default_factory=dict)  # subnet -> VNet
    edges: set[tuple[Ref, Ref, str]] = field(default_factory=set)  # (from, to, style)
    rg_title: dict[str, str] = field(default_factory=dict)

    def build(self) -> Drawing:
        for sname in self.app.order:
            stack = self.app.stacks[sname]
            groups = [r for t, _, r in stack.resources() if t == "azurerm_resource_group"]
            if len(groups) == 1:
                rg = groups[0]
                self.rg_title[sname] = f"{rg.get('name', '')} · {rg.get('location', '')}"
            for rtype, name, body in stack.resources():
                ref = Ref(sname, rtype, name)
                if rtype == "azurerm_virtual_network":
                    self.vnets[ref] = _vnet(body)
                    continue
                if rtype in NODES:
                    self.labels[ref] = [line for line in NODES[rtype](body) if line]
        for sname in self.app.order:
            self._fold_and_link(sname)
        return self

    def _targets(self, sname: str, value: Any) -> set[Ref]:
        found: set[Ref] = set()
        for _, text in _strings(value):
            found |= self.resolver.refs(sname, text)
        return found

    def _fold_and_link(self, sname: str) -> None:
        stack = self.app.stacks[sname]
        drawn = set(self.labels) | set(self.vnets)
        for rtype, name, body in stack.resources():
            ref = Ref(sname, rtype, name)
            if rtype in CHILDREN:
                attr, line = CHILDREN[rtype]
                for parent in sorted(self._targets(sname, body.get(attr)) & set(self.labels)):
                    self.labels[parent].append(line(body))
                continue
            if rtype in LINKS:
                a_attr, b_attr, describe = LINKS[rtype]
                style = describe(body)
                a = sorted(self._targets(sname, _first_set(body, a_attr)) & drawn)
                b = sorted(self._targets(sname, _first_set(body, b_attr)) & drawn)
                for x in a:
                    for y in b:
                        self.edges.add((x, y, style))
                continue
            if ref not in drawn:
                continue
            if rtype == "azurerm_subnet":
                for vnet in sorted(self._targets(sname, body.get("virtual_network_name")) & set(self.vnets)):
                    self.parent_vnet[ref] = vnet
            targets = self._targets(sname, {k: v for k, v in body.items()
                                            if k not in ("depends_on", "resource_group_name", "virtual_network_name")})
            provider = rtype.split("_", 1)[0]
            if provider != "azurerm":
                targets |= self.resolver.provider_refs(sname, provider)
            for target in sorted(targets & drawn):
                if target != ref and target not in (self.parent_vnet.get(ref),):
                    self.edges.add((ref, target, "uses"))
        for ref in self.labels:
            head, tail = self.labels[ref][:1], self.labels[ref][1:]
            self.labels[ref] = head + _dedupe_sorted_children(tail)


def _dedupe_sorted_children(lines: list[str]) -> list[str]:
    """Keep the type's own lines in order; sort and merge the folded child lines."""
    own: list[str] = []
    children: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        for prefix in ("database ", "secret "):
            if line.startswith(prefix):
                children[prefix.strip()].append(line.removeprefix(prefix))
                break
        else:
            if line == "NSG attached" or " = " in line:
                children[line].append("")
            else:
                own.append(line)
    merged = []
    for key in sorted(children):
        names = sorted(n for n in children[key] if n)
        merged.append(f"{key}{'s' if len(names) > 1 else ''}: {', '.join(names)}" if names else key)
    return own + merged


def _node(ref: Ref, lines: list[str], indent: str) -> str:
    return f'{indent}{ref.node_id}["{"<br/>".join(_esc(line) for line in lines)}"]'


def architecture(drawing: Drawing) -> list[str]:
    app = drawing.app
    out = ["flowchart TB"]
    for sname in app.order:
        title = f"{sname} stack"
        if sname in drawing.rg_title:
            title += f" · {drawing.rg_title[sname]}"
        out.append(f'  subgraph stack_{_ident(sname)}["{_esc(title)}"]')
        out.append("    direction TB")
        members = sorted(r for r in drawing.labels if r.stack == sname)
        for vnet in sorted(v for v in drawing.vnets if v.stack == sname):
            out.append(f'    subgraph {vnet.node_id}["{" · ".join(_esc(x) for x in drawing.vnets[vnet])}"]')
            for sub in [m for m in members if drawing.parent_vnet.get(m) == vnet]:
                out.append(_node(sub, drawing.labels[sub], "      "))
            out.append("    end")
        for ref in members:
            if ref not in drawing.parent_vnet:
                out.append(_node(ref, drawing.labels[ref], "    "))
        if not members and not any(v.stack == sname for v in drawing.vnets):
            out.append(f'    empty_{_ident(sname)}["(no resources drawn)"]')
        out.append("  end")
    labelled = {(src, dst) for src, dst, style in drawing.edges if style != "uses"}
    for src, dst, style in sorted(drawing.edges):
        if style == "uses" and (src, dst) in labelled:
            continue  # the labelled edge says more
        if style == "uses":
            out.append(f"  {src.node_id} -.-> {dst.node_id}")
        else:
            out.append(f'  {src.node_id} -. "{_esc(style)}" .-> {dst.node_id}')
    for sname in app.order:
        for dep in app.stacks[sname].dependencies:
            out.append(f"  stack_{_ident(dep)} ==>|deploy before| stack_{_ident(sname)}")
    return out


def zone_placements(drawing: Drawing) -> tuple[dict[str, list[str]], list[str]]:
    """Zone -> what runs there; and the zone-redundant resources."""
    zones: dict[str, list[str]] = defaultdict(list)
    redundant: list[str] = []
    for ref in sorted(set(drawing.labels) | set(drawing.vnets)):
        r = drawing.app.body(ref)
        name = str(r.get("name", ref.name))
        if ref.rtype == "azurerm_kubernetes_cluster":
            pool = _first(r.get("default_node_pool"))
            pool_zones = _zones(pool.get("zones"))
            count = pool.get("node_count")
            for z in pool_zones:
                zones[z].append(f"AKS {name}: nodes of pool {pool.get('name', '?')} "
                                f"({count} spread over {len(pool_zones)} zones)")
        elif ref.rtype == "azurerm_kubernetes_cluster_node_pool":
            pool_zones = _zones(r.get("zones"))
            for z in pool_zones:
                zones[z].append(f"AKS node pool {name} "
                                f"({r.get('node_count', '?')} nodes spread over {len(pool_zones)} zones)")
        elif ref.rtype == "azurerm_postgresql_flexible_server":
            if r.get("zone") and not _is_token(r["zone"]):
                zones[str(r["zone"])].append(f"PostgreSQL {name} primary")
            ha = _first(r.get("high_availability"))
            standby = ha.get("standby_availability_zone")
            if standby and not _is_token(standby):
                zones[str(standby)].append(f"PostgreSQL {name} standby ({ha.get('mode', 'HA')})")
        elif ref.rtype == "azurerm_storage_account":
            replication = str(r.get("account_replication_type", ""))
            if "ZRS" in replication:
                redundant.append(f"Storage account {name} ({replication}: synchronous copies in 3 zones)")
            else:
                redundant.append(f"Storage account {name} ({replication}: no zone redundancy)")
        else:
            for z in _zones(r.get("zones")):
                zones[z].append(f"{ref.rtype} {name}")
            if isinstance(r.get("zone"), str) and not _is_token(r["zone"]):
                zones[r["zone"]].append(f"{ref.rtype} {name}")
    return {z: sorted(v) for z, v in sorted(zones.items())}, sorted(redundant)


def zone_chart(drawing: Drawing) -> list[str]:
    zones, redundant = zone_placements(drawing)
    regions = sorted({str(r.get("location")) for s in drawing.app.stacks.values()
                      for t, _, r in s.resources() if t == "azurerm_resource_group" and r.get("location")})
    out = ["flowchart LR", f'  subgraph region["region {_esc(", ".join(regions) or "?")}"]', "    direction LR"]
    for z, items in zones.items():
        zid = _ident(f"zone_{z}")
        out.append(f'    subgraph {zid}["availability zone {_esc(z)}"]')
        for i, item in enumerate(items):
            out.append(f'      {zid}_{i}["{_esc(item)}"]')
        out.append("    end")
    if redundant:
        out.append('    subgraph zone_redundant["zone-redundant or zone-independent"]')
        for i, item in enumerate(redundant):
            out.append(f'      zr_{i}["{_esc(item)}"]')
        out.append("    end")
    if not zones and not redundant:
        out.append('    nozones["no zonal placement in this configuration"]')
    out.append("  end")
    groups = [_ident(f"zone_{z}") for z in zones] + (["zone_redundant"] if redundant else [])
    if len(groups) > 1:
        out.append("  " + " ~~~ ".join(groups))  # invisible links: zones side by side, in order
    return out


def inventory(app: App) -> list[str]:
    types = sorted({t for s in app.stacks.values() for t, _, _ in s.resources()})
    out = ["| resource type | " + " | ".join(app.order) + " |", "|---|" + "---:|" * len(app.order)]
    for rtype in types:
        counts = []
        for sname in app.order:
            n = len(app.stacks[sname].body.get("resource", {}).get(rtype, {}))
            counts.append(str(n) if n else "")
        out.append(f"| `{rtype}` | " + " | ".join(counts) + " |")
    return out


def render(outdir: Path) -> str:
    """The whole Markdown document for the synth in ``outdir``."""
    app = load(Path(outdir))
    drawing = Drawing(app, Resolver(app)).build()
    environments = sorted({key.split("/", 1)[0] for key in (s.backend_key for s in app.stacks.values()) if key})
    env = ", ".join(environments) or "?"
    order = " → ".join(app.order)
    lines = [
        "# Architecture",
        "",
        "<!-- Generated by `make docs` (tools/docs/diagram.py) from the synthesized stacks; do not edit by hand.",
        "     tests/test_docs.py fails when this file differs from what the current code draws. -->",
        "",
        f"Drawn by `make docs` from the synthesized stacks of environment `{env}`;",
        "a change to the architecture changes this file in the same pull request.",
        "",
        f"Stacks deploy in dependency order: {order}. Thick arrows are stack dependencies from",
        "`cdktf.out/manifest.json`; dotted arrows are Terraform references between resources",
        "(cross-stack ones resolved through the remote-state outputs).",
        "",
        "```mermaid",
        *architecture(drawing),
        "```",
        "",
        "## Availability zones",
        "",
        "```mermaid",
        *zone_chart(drawing),
        "```",
        "",
        "## Resources per stack",
        "",
        *inventory(app),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out", help="synth output (default cdktf.out)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "architecture.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if --output differs; write nothing")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"error: {args.outdir}/manifest.json not found: run `make synth` first", file=sys.stderr)
        return 2
    return write_or_check([Output(args.output, lambda _current: render(args.outdir))], check=args.check)


if __name__ == "__main__":
    sys.exit(main())
