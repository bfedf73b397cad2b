#!/usr/bin/env python3
"""Preflight: what would make a plan or an apply fail, found before anything is applied.

    python scripts/preflight.py                          # make preflight: all four stacks
    python scripts/preflight.py --stacks network data    # only what these stacks need
    python scripts/preflight.py --offline                # config and tools only, no Azure calls

Each finding is one line with its fix; exit status 3 when there is any, 0 ("preflight OK")
when there is none, 2 when the config is invalid (as `make synth`). The checks, in order:

1. Offline, before any tool is looked for: the config (PPM_CONFIG, default
   config/reference.yaml) loads, and holds no documentation placeholder: no IP or CIDR in
   TEST-NET-1/2/3 (RFC 5737) or 2001:db8::/32 (RFC 3849), no DNS name under example.com,
   example.net, example.org or .example (RFC 2606), and a non-empty
   delivery.deployer_principal_ids. Placeholders stop the preflight there.
2. Tools: Terraform >= 1.11 (scripts/delivery.py's own check), the Azure CLI `az` (as in
   delivery.py, not when Terraform signs in with ARM_* variables in CI), and `kubelogin` when
   the app stack runs (its Helm provider execs it).
3. Azure, through the `az` login (skipped with --offline, or with one line when a CI identity
   has no `az` login): resource providers registered, the EncryptionAtHost feature
   (cluster.host_encryption), regional vCPU quota for the node pools plus their upgrade surge,
   the PostgreSQL SKU with the configured HA in the chosen zones, and the license secret in
   the data stack's Key Vault before app is applied (not for a plan).

``--stacks`` takes names as words or as one string ("network data", "network,data"), like
STACKS for `make plan` / `make deploy`; `state` is the bootstrap stack.

Every `az` call goes through :func:`az` (``--output json``, a timeout), so tests fake it with
an `az` executable on PATH that replays recorded output (tests/fixtures/az/).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence
from urllib.parse import urlparse

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
for _path in (str(SCRIPTS), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from config.azure_rules import VM_SIZES  # noqa: E402
from config.loader import CONFIG_ENV, DEFAULT_CONFIG, ConfigError, load_config  # noqa: E402
from config.schema import EnvironmentConfig  # noqa: E402
from constructs_lib.naming import Names  # noqa: E402

EXIT_OK, EXIT_CONFIG, EXIT_FINDINGS = 0, 2, 3

#: Stacks in deployment order; "state" is the bootstrap stack (`make bootstrap`).
STACKS = ("state", "network", "data", "cluster", "app")
DEFAULT_STACKS = ("network", "data", "cluster", "app")

#: Resource providers each stack's resources belong to (from the synthesized resource types:
#: state: storage account; network: VNet, NSGs, private DNS, NAT gateway, Log Analytics; data:
#: PostgreSQL, storage, Key Vault, private endpoint, diagnostic settings; cluster: AKS and its
#: VM scale sets, user-assigned identities, data collection rules, Log Analytics; app: the AKS
#: cluster it reads and the Secrets Store identity it grants).
PROVIDERS: dict[str, tuple[str, ...]] = {
    "state": ("Microsoft.Storage",),
    "network": ("Microsoft.Network", "Microsoft.OperationalInsights"),
    "data": ("Microsoft.DBforPostgreSQL", "Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.Network",
             "Microsoft.Insights"),
    "cluster": ("Microsoft.ContainerService", "Microsoft.Compute", "Microsoft.ManagedIdentity", "Microsoft.Network",
                "Microsoft.OperationalInsights", "Microsoft.Insights"),
    "app": ("Microsoft.ContainerService", "Microsoft.ManagedIdentity"),
}

#: Documentation ranges: name -> (range, the RFC that reserves it).
DOC_NETWORKS: dict[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = {
    "TEST-NET-1": (ipaddress.ip_network("192.0.2.0/24"), "RFC 5737"),
    "TEST-NET-2": (ipaddress.ip_network("198.51.100.0/24"), "RFC 5737"),
    "TEST-NET-3": (ipaddress.ip_network("203.0.113.0/24"), "RFC 5737"),
    "IPv6 documentation prefix": (ipaddress.ip_network("2001:db8::/32"), "RFC 3849"),
}
#: A range wider than this that merely contains a documentation range (0.0.0.0/0, 192.0.0.0/8)
#: is a deliberate choice, not a placeholder.
_DOC_OVERLAP_MAX_ADDRESSES = 2 ** 16
#: RFC 2606 reserved names: these domains and everything under them, and the .example TLD.
DOC_DOMAINS = ("example.com", "example.net", "example.org", "example")

#: The upgrade surge of every node pool (constructs_lib.aks.props.NodePoolSpec.max_surge; the
#: stacks keep its default). A percentage is rounded up to whole nodes ([MS] aks/upgrade-cluster).
DEFAULT_MAX_SURGE = "33%"

AZ_TIMEOUT = 60  # seconds per `az` call
LOGIN_FIX = ("run `az login` (then `az account set --subscription <id>` to pick the subscription); in CI, log the "
             "deploy identity in first (azure/login with OIDC)")
AZ_FIX = ("install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli) and run `az login` "
          "(in CI: azure/login with OIDC first); the Azure checks need it")
KUBELOGIN_FIX = "`az aks install-cli` installs it (with kubectl), or see https://azure.github.io/kubelogin/install.html"
LICENSE_FILE = "./rstudio-pm.lic"


class PreflightFailed(Exception):
    """Something would fail; ``findings`` holds one line (what, then the fix) per problem."""

    def __init__(self, command: str, findings: Sequence[str], notes: Sequence[str] = ()):
        self.command = command
        self.findings = list(findings)
        self.notes = list(notes)
        before = f" before `{command}`" if command else ""
        lines = [f"preflight: {len(self.findings)} finding(s){before}, each with its fix:"]
        lines += [f"  - {finding}" for finding in self.findings]
        lines += [f"  {note}" for note in self.notes]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Report:
    findings: list[str]   # one line each: what, then the fix
    notes: list[str]      # what was skipped or where the checks ran


# --------------------------------------------------------------------------- az


@dataclass(frozen=True)
class AzResult:
    """One `az` call: its exit status, its stdout parsed as JSON (None unless it succeeded), its stderr."""

    code: int
    data: Any
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def first_error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")]
        return (errors or lines or [f"exit status {self.code}"])[0]


def az(args: Sequence[str], env: Mapping[str, str], timeout: int = AZ_TIMEOUT) -> AzResult:
    """Run ``az <args> --output json`` (found on env's PATH); never raises."""
    exe = shutil.which("az", path=env.get("PATH", ""))
    if exe is None:
        return AzResult(127, None, "az: not on PATH")
    try:
        proc = subprocess.run([exe, *args, "--output", "json"], capture_output=True, text=True,
                              timeout=timeout, env=dict(env))
    except subprocess.TimeoutExpired:
        return AzResult(124, None, f"ERROR: `az {' '.join(args)}` gave no answer within {timeout} s")
    except OSError as err:
        return AzResult(126, None, f"ERROR: cannot run {exe}: {err}")
    if proc.returncode != 0:
        return AzResult(proc.returncode, None, proc.stderr)
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        return AzResult(1, None, f"ERROR: `az {' '.join(args)}` printed no JSON: {proc.stdout.strip()[:120]}")
    return AzResult(0, data, proc.stderr)


# --------------------------------------------------------------------------- 1. placeholders


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(key path, scalar) for every scalar in parsed YAML: ``a.b[0].c``."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}[{index}]")
    else:
        yield path, value


def _doc_network(text: str) -> str | None:
    """The documentation range an IP or CIDR lies in (or, at most a /16, overlaps), else None."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    for name, (doc, rfc) in DOC_NETWORKS.items():
        if network.version != doc.version or not network.overlaps(doc):
            continue
        # Same version, overlapping: inside it, or a range at most a /16 (IPv4) around it.
        if network.num_addresses <= max(doc.num_addresses, _DOC_OVERLAP_MAX_ADDRESSES):
            return f"{name} {doc}, {rfc}"
    return None


def _doc_domain(text: str) -> str | None:
    """The reserved domain a DNS name (alone, in a URL or after an @) falls under, else None."""
    for token in text.split():
        candidates = {token, token.rpartition("@")[2]}
        if "://" in token:
            candidates.add(urlparse(token).hostname or "")
        for candidate in candidates:
            name = candidate.lower().rstrip(".")
            for domain in DOC_DOMAINS:
                if name == domain or name.endswith("." + domain):
                    return domain if "." in domain else "." + domain
    return None


def placeholder_findings(data: Any, cfg: EnvironmentConfig) -> list[str]:
    """Documentation placeholders still in the config, one line per key, in file order."""
    findings: list[str] = []
    for path, value in _walk(data):
        if not isinstance(value, str):
            continue
        network = _doc_network(value)
        if network:
            findings.append(f"{path}: {value} is a documentation address range ({network}), "
                            "a placeholder: replace it with your real address range(s)")
            continue
        domain = _doc_domain(value)
        if domain:
            what = "e-mail address" if "@" in value else "DNS name"
            findings.append(f"{path}: {value} is under the documentation domain {domain} (RFC 2606), "
                            f"a placeholder: replace it with your real {what}")
    if not cfg.delivery.deployer_principal_ids:
        findings.append("delivery.deployer_principal_ids: empty, so nothing can apply (cluster admin and Key Vault "
                        "Secrets Officer go to these ids, never to whoever runs): add the Entra object ids of the CI "
                        "deploy identity and a break-glass group")
    return findings


def _read_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- 2. tools


def _delivery_module() -> Any:
    """scripts/delivery.py (importing it runs nothing: its commands live under ``main``)."""
    import delivery

    return delivery


def tool_findings(stacks: Sequence[str], env: Mapping[str, str], need_az: bool = True) -> list[str]:
    """Terraform >= 1.11 (delivery.py's check), `az` (not with an ARM_* CI identity, as delivery.py), kubelogin for app."""
    delivery = _delivery_module()
    missing, _ = delivery.check_prerequisites(env, need_azure=False)  # Terraform >= MIN_TERRAFORM
    findings = [f"{m.what}: {m.fix}" for m in missing]
    path = env.get("PATH", "")
    if need_az and shutil.which("az", path=path) is None:
        findings.append(f"the Azure CLI `az` is not on PATH: {AZ_FIX}")
    if "app" in stacks and shutil.which("kubelogin", path=path) is None:
        findings.append(f"`kubelogin` is not on PATH (the app stack's Helm provider runs `kubelogin get-token`): "
                        f"{KUBELOGIN_FIX}")
    return findings


# --------------------------------------------------------------------------- 3. Azure


def _providers_for(stacks: Sequence[str]) -> list[tuple[str, str]]:
    """(namespace, first stack that needs it), each namespace once, in stack order."""
    seen: dict[str, str] = {}
    for stack in STACKS:
        if stack in stacks:
            for namespace in PROVIDERS[stack]:
                seen.setdefault(namespace, stack)
    return list(seen.items())


def provider_findings(stacks: Sequence[str], sub: str, env: Mapping[str, str]) -> list[str]:
    findings = []
    for namespace, stack in _providers_for(stacks):
        result = az(["provider", "show", "--namespace", namespace, "--query", "registrationState",
                     "--subscription", sub], env)
        register = f"`az provider register --namespace {namespace} --subscription {sub}`"
        if not result.ok:
            findings.append(f"resource provider {namespace}: `az provider show` failed ({result.first_error_line()}): "
                            f"check the login can read subscription {sub}, then {register}")
        elif result.data != "Registered":
            findings.append(f"resource provider {namespace} is {result.data} on subscription {sub} "
                            f"(the {stack} stack creates its resources): {register}, "
                            "then wait until `az provider show` says Registered (a few minutes)")
    return findings


def feature_findings(sub: str, env: Mapping[str, str]) -> list[str]:
    result = az(["feature", "show", "--namespace", "Microsoft.Compute", "--name", "EncryptionAtHost",
                 "--subscription", sub], env)
    fix = (f"`az feature register --namespace Microsoft.Compute --name EncryptionAtHost --subscription {sub}`, wait "
           "until `az feature show --namespace Microsoft.Compute --name EncryptionAtHost` says Registered, then "
           f"`az provider register --namespace Microsoft.Compute --subscription {sub}`; or set cluster.host_encryption: false")
    if not result.ok:
        return [f"feature Microsoft.Compute/EncryptionAtHost: `az feature show` failed ({result.first_error_line()}): {fix}"]
    state = (result.data or {}).get("properties", {}).get("state") if isinstance(result.data, dict) else None
    if state != "Registered":
        return [f"feature Microsoft.Compute/EncryptionAtHost is {state or 'unknown'} on subscription {sub} and "
                f"cluster.host_encryption is on (AKS refuses the node pools): {fix}"]
    return []


#: Standard_<series><vCPUs>[-<constrained vCPUs>]<additive features>[_v<version>] ([MS]
#: virtual-machines/vm-naming-conventions). Usage names: "standard" + series + features in capitals
#: + "v<n>" + "Family" (Standard_D8_v5 -> standardDv5Family, Standard_D4ds_v5 -> standardDDSv5Family);
#: `az vm list-usage` is matched case-insensitively (v6 names are spelt StandardDsv6Family).
_SIZE = re.compile(r"Standard_([A-Z]+)(\d+)(?:-\d+)?([a-z]*)(?:_v(\d+))?")
_FAMILY_FEATURES = set("abdlps")


@dataclass(frozen=True)
class Pool:
    key: str        # the config key of its size, e.g. cluster.vm_size
    vm_size: str
    vcpus: int | None
    nodes: int      # node_count, or autoscaling.max_count
    surge: int      # extra nodes during an upgrade

    @property
    def peak_vcpus(self) -> int:
        return (self.vcpus or 0) * (self.nodes + self.surge)

    def describe(self) -> str:
        return f"{self.key} {self.vm_size}: ({self.nodes} + {self.surge} surge) nodes x {self.vcpus} vCPUs"


def vm_family(size: str) -> str | None:
    """The quota family `az vm list-usage` names for a VM size, or None when it cannot be derived."""
    match = _SIZE.fullmatch(size)
    if not match:
        return None
    series, _, features, version = match.groups()
    if series == "B":  # Standard_B2s, Standard_B2ms: "Standard BS Family vCPUs"; B v2 names differ
        return "standardBSFamily" if version is None else None
    if not set(features) <= _FAMILY_FEATURES:
        return None
    return f"standard{series}{features.upper()}{'v' + version if version else ''}Family"


def vm_vcpus(size: str, capacity_vcpus: int | None = None) -> int | None:
    """vCPUs of a size: the size table (config/azure_rules.py), the config's vm_capacity, else the
    number in the name (the vCPU count, [MS] virtual-machines/vm-naming-conventions)."""
    if size in VM_SIZES:
        return VM_SIZES[size][0]
    if capacity_vcpus is not None:
        return capacity_vcpus
    match = _SIZE.fullmatch(size)
    return int(match.group(2)) if match else None


def surge_nodes(nodes: int, max_surge: str = DEFAULT_MAX_SURGE) -> int:
    """Extra nodes an upgrade adds: a count, or a percentage of the pool rounded up; at least 1."""
    if max_surge.endswith("%"):
        return max(1, math.ceil(nodes * int(max_surge[:-1]) / 100))
    return max(1, int(max_surge))


def node_pools(cfg: EnvironmentConfig) -> list[Pool]:
    """The cluster's node pools at their largest (autoscaling.max_count), with their upgrade surge."""
    c = cfg.cluster
    nodes = c.autoscaling.max_count if c.autoscaling.enabled else c.node_count
    capacity = c.vm_capacity.vcpus if c.vm_capacity is not None else None
    pools = [Pool("cluster.vm_size", c.vm_size, vm_vcpus(c.vm_size, capacity), nodes, surge_nodes(nodes))]
    if c.system_pool is not None:
        s = c.system_pool
        pools.append(Pool("cluster.system_pool.vm_size", s.vm_size, vm_vcpus(s.vm_size), s.node_count,
                          surge_nodes(s.node_count)))
    return pools


def _usage_number(value: Any) -> int:
    # The classic `az vm list-usage` prints currentValue and limit as strings (its
    # transform_vm_usage_list), the aaz-generated one as integers: accept both.
    return int(value)


def existing_vcpus(cfg: EnvironmentConfig, sub: str, env: Mapping[str, str]) -> dict[str, int]:
    """vCPUs the deployed cluster's pools already use, by quota family ({} before the first rollout).
    They are in list-usage's currentValue already, so a redeploy must not ask for them again."""
    names = Names(environment=cfg.environment, salt=cfg.state.storage_account)
    result = az(["aks", "show", "--resource-group", names.resource_group("cluster"), "--name", names.resource("aks"),
                 "--query", "agentPoolProfiles", "--subscription", sub], env)
    used: dict[str, int] = {}
    if not result.ok or not isinstance(result.data, list):
        return used  # not there yet (ResourceNotFound / ResourceGroupNotFound): nothing to count
    for profile in result.data:
        if not isinstance(profile, dict):
            continue
        family, vcpus = vm_family(str(profile.get("vmSize", ""))), vm_vcpus(str(profile.get("vmSize", "")))
        if family and vcpus:
            used[family.lower()] = used.get(family.lower(), 0) + vcpus * int(profile.get("count") or 0)
    return used


def quota_findings(cfg: EnvironmentConfig, sub: str, env: Mapping[str, str]) -> list[str]:
    location = cfg.location
    usage_cmd = f"`az vm list-usage --location {location}`"

    def family_hint(size: str) -> str:
        return f"`az vm list-skus --location {location} --size {size} --query \"[0].family\"`"

    findings: list[str] = []
    by_family: dict[str, list[Pool]] = {}
    for pool in node_pools(cfg):
        family = vm_family(pool.vm_size)
        if family is None or pool.vcpus is None:
            findings.append(f"vCPU quota: cannot derive the quota family of {pool.key} {pool.vm_size} from its name: "
                            f"look it up with {family_hint(pool.vm_size)}, then compare its free vCPUs "
                            f"(limit - currentValue in {usage_cmd}) with ({pool.nodes} + {pool.surge} surge) nodes")
            continue
        by_family.setdefault(family, []).append(pool)
    if not by_family:
        return findings
    result = az(["vm", "list-usage", "--location", location, "--subscription", sub], env)
    if not result.ok or not isinstance(result.data, list):
        return findings + [f"vCPU quota: {usage_cmd} failed ({result.first_error_line()}): check the login can read "
                           f"subscription {sub} and may use {location}"]
    usage = {str((item.get("name") or {}).get("value", "")).lower(): item
             for item in result.data if isinstance(item, dict)}
    existing = existing_vcpus(cfg, sub, env)

    def check(name: str, needed: int, credit: int, detail: str, size: str | None) -> None:
        item = usage.get(name.lower())
        if item is None:
            hint = f"; the size may not be offered there: check its family with {family_hint(size)}" if size else ""
            findings.append(f"vCPU quota: {usage_cmd} lists no {name} quota ({detail}){hint}")
            return
        try:
            limit, used = _usage_number(item["limit"]), _usage_number(item["currentValue"])
        except (KeyError, TypeError, ValueError):
            findings.append(f"vCPU quota: {usage_cmd} printed an unreadable {name} entry ({item}): check it by hand")
            return
        free, extra = limit - used, max(0, needed - credit)
        if free >= extra:
            return
        label = item.get("localName") or (item.get("name") or {}).get("localizedValue") or name
        held = f", {credit} of them held by the deployed cluster" if credit else ""
        findings.append(
            f"vCPU quota: {label} ({item['name']['value']}) in {location} has {free} free (limit {limit}, used {used}); "
            f"{detail} = {needed} vCPUs{held}: raise the limit to at least {used + extra} in the Azure portal "
            f"(Quotas > Compute) or with `az quota update --resource-name {item['name']['value']} --scope "
            f"/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location} --limit-object "
            f"value={used + extra} --resource-type dedicated` (quota extension)")

    total = credit_total = 0
    for family, pools in by_family.items():
        needed = sum(pool.peak_vcpus for pool in pools)
        credit = existing.get(family.lower(), 0)
        total, credit_total = total + needed, credit_total + credit
        check(family, needed, credit, " + ".join(pool.describe() for pool in pools), pools[0].vm_size)
    check("cores", total, credit_total, "all node pools with their upgrade surge", None)
    return findings


_PG_TIERS = {"B": "Burstable", "GP": "GeneralPurpose", "MO": "MemoryOptimized"}


def _feature_status(capability: Mapping[str, Any], feature: str, legacy_key: str) -> str | None:
    """A capability flag: "Enabled"/"Disabled" from supportedFeatures (API 2025+) or the older top-level key."""
    for item in capability.get("supportedFeatures") or []:
        if isinstance(item, dict) and item.get("name") == feature:
            return item.get("status")
    return capability.get(legacy_key)


def postgres_findings(cfg: EnvironmentConfig, sub: str, env: Mapping[str, str]) -> list[str]:
    pg, location = cfg.postgres, cfg.location
    tier_code, _, sku_name = pg.sku.partition("_")
    tier = _PG_TIERS.get(tier_code, tier_code)
    listing = f"`az postgres flexible-server list-skus --location {location}`"
    result = az(["postgres", "flexible-server", "list-skus", "--location", location, "--subscription", sub], env)
    if not result.ok or not isinstance(result.data, list):
        return [f"PostgreSQL: {listing} failed ({result.first_error_line()}): check the login can read "
                f"subscription {sub} and that Microsoft.DBforPostgreSQL is registered"]
    capability = next((c for c in result.data if isinstance(c, dict) and c.get("supportedServerEditions") is not None),
                      None)
    if capability is None:
        return [f"PostgreSQL: {listing} lists no Flexible Server capabilities in {location}: choose another location"]
    if _feature_status(capability, "OfferRestricted", "restricted") == "Enabled":
        return [f"PostgreSQL Flexible Server is restricted for subscription {sub} in {location} (OfferRestricted): "
                "ask for access with an Azure support request (region access), or choose another location"]
    edition = next((e for e in capability["supportedServerEditions"] if isinstance(e, dict) and e.get("name") == tier),
                   None)
    skus = {s.get("name"): s for s in (edition or {}).get("supportedServerSkus") or [] if isinstance(s, dict)}
    sku = skus.get(sku_name)
    if sku is None or (sku.get("status") not in (None, "Available")):
        offered = ", ".join(sorted(n for n in skus if n)) or "none"
        return [f"postgres.sku {pg.sku}: {sku_name} is not offered in {tier} in {location} ({tier} offers: {offered}): "
                f"pick one of those (see {listing})"]
    findings = []
    zones = [str(z) for z in sku.get("supportedZones") or []]
    modes = sku.get("supportedHaMode") or []
    wanted = [("postgres.zone", pg.zone)]
    if pg.high_availability == "zone_redundant":
        if _feature_status(capability, "ZoneRedundantHa", "zoneRedundantHaSupported") == "Disabled":
            findings.append(f"postgres.high_availability zone_redundant: {location} offers no zone-redundant HA for "
                            "PostgreSQL Flexible Server: choose a location that does, or set "
                            "postgres.high_availability: same_zone")
        elif "ZoneRedundant" not in modes:
            findings.append(f"postgres.high_availability zone_redundant: {pg.sku} offers no zone-redundant HA in "
                            f"{location} (supportedHaMode: {', '.join(modes) or 'none'}): pick a SKU listed with "
                            f"ZoneRedundant by {listing}, or set postgres.high_availability: same_zone")
        if pg.standby_zone is not None:
            wanted.append(("postgres.standby_zone", pg.standby_zone))
    elif pg.high_availability == "same_zone" and "SameZone" not in modes:
        findings.append(f"postgres.high_availability same_zone: {pg.sku} offers no same-zone HA in {location} "
                        f"(supportedHaMode: {', '.join(modes) or 'none'}): pick a SKU listed with SameZone by {listing}")
    for key, zone in wanted:
        if zones and zone not in zones:
            findings.append(f"{key} {zone}: {pg.sku} is offered in {location} only in zone(s) {', '.join(zones)}: "
                            f"set {key} to one of them")
    return findings


def license_findings(cfg: EnvironmentConfig, env: Mapping[str, str]) -> list[str]:
    """The license file in the data stack's vault, which the app stack mounts (Secrets Store CSI driver).
    Reading it needs the vault's network path: its private endpoint (runner in the VNet) or its firewall."""
    vault = Names(environment=cfg.environment, salt=cfg.state.storage_account).key_vault()
    name = cfg.app.license_secret_name
    set_cmd = f"`az keyvault secret set --vault-name {vault} --name {name} --file {LICENSE_FILE}`"
    result = az(["keyvault", "secret", "show", "--vault-name", vault, "--name", name, "--query", "id"], env)
    if result.ok:
        return []
    text = result.stderr
    runner = cfg.delivery.runner
    if runner.location == "vnet":
        where = (f"the vault has only a private endpoint, so this call must run inside the VNet: run the preflight on "
                 f"the runner in delivery.runner.subnet {runner.subnet}")
    else:
        where = ("the vault's firewall admits delivery.runner.egress_cidrs (and key_vault.deployer_ip_ranges): run "
                 "from a runner whose egress is listed there, or list this machine's egress")
    if "SecretNotFound" in text:
        return [f"license secret: vault {vault} has no secret {name} (app.license_secret_name), which the app stack "
                f"mounts: {set_cmd}"]
    refused = re.search(r"ForbiddenBy(Firewall|Connection)", text)
    if refused or "Client address is not authorized" in text or "Public network access is disabled" in text:
        code = refused.group(0) if refused else "Forbidden"
        return [f"license secret: vault {vault} refused this machine's address ({code}): {where}"]
    if re.search(r"Failed to resolve|Name or service not known|nodename nor servname|getaddrinfo failed|VaultNotFound",
                 text):
        return [f"license secret: {vault}.vault.azure.net does not resolve from here: before the first rollout the "
                f"data stack has not created the vault yet, so deploy the stacks before app first, then {set_cmd}, "
                f"then app; once it exists, {where}"]
    if "Forbidden" in text or "not authorized" in text or "does not have secrets get permission" in text:
        return [f"license secret: no permission to read secrets in vault {vault} ({result.first_error_line()}): the "
                "identity that deploys needs Key Vault Secrets Officer there: put its object id in "
                "delivery.deployer_principal_ids and apply the data stack"]
    return [f"license secret: could not read {name} in vault {vault} ({result.first_error_line()}): {where}"]


def certificate_findings(cfg: EnvironmentConfig, env: Mapping[str, str]) -> list[str]:
    """The ingress certificate (app.tls.certificate_name) in the data stack's vault, when TLS is on and no other
    vault's URI is configured: the application-routing add-on serves it (docs/app.md "TLS")."""
    tls = cfg.app.tls
    if not tls.enabled or tls.key_vault_certificate_uri:
        return []
    vault = Names(environment=cfg.environment, salt=cfg.state.storage_account).key_vault()
    result = az(["keyvault", "certificate", "show", "--vault-name", vault, "--name", tls.certificate_name,
                 "--query", "id"], env)
    if result.ok:
        return []
    if "CertificateNotFound" in result.stderr:
        return [f"TLS certificate: vault {vault} has no certificate {tls.certificate_name} (app.tls.certificate_name), "
                f"which the ingress serves for {cfg.app.hostname}: `az keyvault certificate import --vault-name {vault} "
                f"--name {tls.certificate_name} --file ./packages.pfx` (from the runner, as for the license)"]
    return [f"TLS certificate: could not read {tls.certificate_name} in vault {vault} ({result.first_error_line()}): "
            "see the license secret's finding for the network path, or import it first"]


def azure_findings(cfg: EnvironmentConfig, stacks: Sequence[str], env: Mapping[str, str], applies: bool = True,
                   ci_identity: bool = False) -> Report:
    """The Azure group through the `az` login; ``applies`` False (a plan) skips the license secret."""
    account = az(["account", "show"], env)
    if not account.ok or not isinstance(account.data, dict) or not account.data.get("id"):
        failed = f"`az account show` failed ({account.first_error_line()})"
        if ci_identity:  # Terraform signs in with ARM_*; only these checks need az
            return Report([], [f"Azure checks skipped: {failed}; Terraform signs in with the ARM_* variables. "
                               "Log az in (azure/login with OIDC) before this step to run them."])
        return Report([f"no Azure login: {failed}: {LOGIN_FIX}"], [])
    sub = cfg.subscription_id or env.get("ARM_SUBSCRIPTION_ID") or account.data["id"]
    findings = provider_findings(stacks, sub, env)
    if "cluster" in stacks:
        if cfg.cluster.host_encryption:
            findings += feature_findings(sub, env)
        findings += quota_findings(cfg, sub, env)
    if "data" in stacks:
        findings += postgres_findings(cfg, sub, env)
    notes = []
    if "app" in stacks and applies:
        findings += license_findings(cfg, env)
        findings += certificate_findings(cfg, env)
    elif "app" in stacks:
        notes.append("License secret not checked: a plan applies nothing (and plan identities may not read secrets).")
    name = account.data.get("name")
    where = f"subscription {sub}" + (f" ({name})" if name and sub == account.data["id"] else "")
    return Report(findings, [*notes, f"Azure checks ran against {where}."])


# --------------------------------------------------------------------------- run


def parse_stacks(values: Sequence[str]) -> list[str]:
    """Stack names given as separate words, or in one string separated by spaces or commas (STACKS="network data"),
    in deployment order; ValueError naming an unknown one."""
    names = [n for value in values for n in value.replace(",", " ").split()]
    unknown = [n for n in dict.fromkeys(names) if n not in STACKS]
    if unknown:
        raise ValueError(f"unknown stack(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(STACKS)}")
    return [s for s in STACKS if s in names]


def _is_plan(command: str) -> bool:
    return "plan" in re.split(r"[\s/]+", command)


def check(stacks: Sequence[str], env: Mapping[str, str] | None = None, config_path: Path | None = None,
          offline: bool = False, command: str = "") -> tuple[Report, EnvironmentConfig]:
    """Every finding for ``stacks``; raises ConfigError when the config is invalid."""
    env = dict(os.environ if env is None else env)
    chosen = parse_stacks(stacks) or list(DEFAULT_STACKS)
    path = Path(config_path) if config_path is not None else Path(env.get(CONFIG_ENV) or DEFAULT_CONFIG)
    cfg = load_config(path)
    findings = placeholder_findings(_read_yaml(path), cfg)
    if findings:
        return Report(findings, ["Placeholders stop the preflight here: tools and the Azure subscription are "
                                 "checked once they are replaced."]), cfg
    ci_identity = _delivery_module()._ci_identity(env)
    findings = tool_findings(chosen, env, need_az=not ci_identity)
    if offline:
        return Report(findings, ["Azure checks skipped (--offline): resource providers, EncryptionAtHost, vCPU quota, "
                                 "PostgreSQL SKU and the license secret were not checked."]), cfg
    if shutil.which("az", path=env.get("PATH", "")) is None:
        why = "Terraform signs in with the ARM_* variables" if ci_identity else "see the finding above"
        return Report(findings, [f"Azure checks skipped: `az` is not on PATH ({why})."]), cfg
    azure = azure_findings(cfg, chosen, env, applies=not _is_plan(command), ci_identity=ci_identity)
    return Report(findings + azure.findings, azure.notes), cfg


def run(stacks: Sequence[str], command: str, env: Mapping[str, str] | None = None,
        config_path: Path | None = None, offline: bool = False) -> None:
    """Raise :class:`PreflightFailed` when anything would make ``command`` (``make deploy``, ``make plan``,
    ``make bootstrap``) fail for ``stacks`` (empty: the four); a :class:`config.ConfigError` when the config
    is invalid; ValueError for an unknown stack name. A command naming a plan skips the license secret."""
    report, _ = check(stacks, env, config_path, offline=offline, command=command)
    if report.findings:
        raise PreflightFailed(command, report.findings, report.notes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="preflight.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", nargs="+", default=[], metavar="STACK",
                        help=f"stacks about to run, as words or one string (default: {' '.join(DEFAULT_STACKS)}; "
                             f"allowed: {', '.join(STACKS)})")
    parser.add_argument("--offline", action="store_true", help="config and tools only: no `az` call")
    args = parser.parse_args(argv)
    try:
        stacks = parse_stacks(args.stacks) or list(DEFAULT_STACKS)
    except ValueError as err:
        parser.error(f"--stacks: {err}")
    try:
        report, cfg = check(stacks, offline=args.offline)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    if report.findings:
        print(PreflightFailed("", report.findings, report.notes), file=sys.stderr)
        return EXIT_FINDINGS
    for note in report.notes:
        print(note)
    print(f"preflight OK: {cfg.environment} ({', '.join(stacks)})")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
