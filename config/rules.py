"""Cross-field rules: what Azure or Kubernetes would refuse at apply time, refused at synth.

Single-field checks (types, ranges, name patterns) are on the models in
:mod:`config.schema`. Each rule here relates several fields, has a stable id, a
one-line cause and a source ([MS] Microsoft Learn, [P] azurerm provider docs,
[K8S] Kubernetes docs; legend in docs/sources.md). docs/policy.md's rule table is
generated from :data:`RULES`. A problem about a value the user did not write says it is
the default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from pydantic import BaseModel

from config import azure_rules as az
from config.schema import EnvironmentConfig
from constructs_lib.quantity import gib as quantity_gib, parse_non_negative
from constructs_lib.validation import is_public_ipv4


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config: key path, the value given, what is allowed.

    ``default`` is set (by :func:`check`) when the user did not write the value: the message says so.
    """

    path: str
    value: Any
    allowed: str
    default: bool = False

    def __str__(self) -> str:
        if self.default and self.value is None:
            return f"{self.path}: not set; {self.allowed}"
        text = repr(self.value)
        text = text if len(text) <= 80 else text[:76] + ' ...'
        return f"{self.path}: got {text}{' (the default)' if self.default else ''}; {self.allowed}"


@dataclass(frozen=True)
class Rule:
    id: str
    cause: str
    source: str
    check: Callable[[EnvironmentConfig], Iterator[Problem]]


RULES: list[Rule] = []


def rule(id: str, cause: str, source: str):
    def register(check: Callable[[EnvironmentConfig], Iterator[Problem]]):
        RULES.append(Rule(id, cause, source, check))
        return check

    return register


def _net(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr)


def _subnets(cfg: EnvironmentConfig) -> dict[str, ipaddress.IPv4Network]:
    n, runner = cfg.network, cfg.delivery.runner
    subnets = {
        "network.aks_nodes_subnet": _net(n.aks_nodes_subnet),
        "network.postgres_subnet": _net(n.postgres_subnet),
        "network.private_endpoints_subnet": _net(n.private_endpoints_subnet),
    }
    if runner.location == "vnet" and runner.subnet:
        subnets["delivery.runner.subnet"] = _net(runner.subnet)
    return subnets


def _is_burstable(sku: str) -> bool:
    return sku.startswith("B_")


def _sku_size(sku: str) -> str:
    return sku.split("_Standard_", 1)[1]


# --- zones and region ---------------------------------------------------------------

@rule("ZONE-001", "Zones listed twice", "[MS] availability zones are numbered 1-3 per region")
def _zones_unique(cfg):
    if len(set(cfg.zones)) != len(cfg.zones):
        yield Problem("zones", cfg.zones, "each zone at most once, from '1', '2', '3'")


@rule("ZONE-002", "Zones in a region without availability zones",
      "[MS] reliability/availability-zones-region-support")
def _zones_need_region(cfg):
    if cfg.zones and cfg.location not in az.REGIONS_WITH_ZONES:
        yield Problem("location", cfg.location,
                      "zones are configured, so a region with availability zones is needed "
                      f"(e.g. eastus2, westeurope); or set zones: [] for a single-zone region")


# --- network address plan -----------------------------------------------------------

@rule("NET-001", "Subnet outside the VNet address space", "[MS] virtual-network-manage-subnet")
def _subnets_inside(cfg):
    space = _net(cfg.network.address_space)
    for path, subnet in _subnets(cfg).items():
        if not subnet.subnet_of(space):
            yield Problem(path, str(subnet), f"a subnet inside network.address_space {space}")


@rule("NET-002", "Subnets overlap", "[MS] virtual-network-manage-subnet: address ranges may not overlap")
def _subnets_disjoint(cfg):
    items = list(_subnets(cfg).items())
    for i, (path_a, a) in enumerate(items):
        for path_b, b in items[i + 1:]:
            if a.overlaps(b):
                yield Problem(path_b, str(b), f"a range that does not overlap {path_a} {a}")


@rule("NET-003", "Subnet too small for its use",
      "[MS] virtual-networks-faq (smallest subnet /29); flexible-server concepts-networking-private (/28 for PostgreSQL)")
def _subnet_sizes(cfg):
    for path, subnet in _subnets(cfg).items():
        limit = az.POSTGRES_SUBNET_MAX_PREFIX if path == "network.postgres_subnet" else az.SMALLEST_SUBNET_PREFIX
        if subnet.prefixlen > limit:
            yield Problem(path, str(subnet), f"a prefix of /{limit} or larger (fewer bits)")


@rule("NET-004", "AKS node subnet cannot hold every node during an upgrade",
      "[MS] aks/concepts-network-azure-cni-overlay (one VNet IP per node) and upgrade-cluster (surge nodes); virtual-networks-faq (5 reserved IPs)")
def _aks_subnet_capacity(cfg):
    c = cfg.cluster
    nodes = c.autoscaling.max_count if c.autoscaling.enabled else c.node_count
    if c.system_pool:
        nodes += c.system_pool.node_count
    needed = nodes * 2 + 10  # 100% surge during upgrades, plus internal load balancers and private endpoints
    subnet = _net(cfg.network.aks_nodes_subnet)
    usable = subnet.num_addresses - az.AZURE_RESERVED_IPS_PER_SUBNET
    if usable < needed:
        yield Problem("network.aks_nodes_subnet", str(subnet),
                      f"at least {needed} usable addresses for {nodes} nodes with surge (this one has {usable})")


@rule("NET-005", "Kubernetes pod/service ranges collide with the VNet or each other",
      "[MS] aks/concepts-network-azure-cni-overlay (pod CIDR must not overlap the VNet) and configure-kubenet service CIDR rules")
def _k8s_ranges(cfg):
    c = cfg.cluster
    space, pods, services = _net(cfg.network.address_space), _net(c.pod_cidr), _net(c.service_cidr)
    if pods.overlaps(space):
        yield Problem("cluster.pod_cidr", c.pod_cidr, f"a range outside network.address_space {space}")
    if services.overlaps(space):
        yield Problem("cluster.service_cidr", c.service_cidr, f"a range outside network.address_space {space}")
    if pods.overlaps(services):
        yield Problem("cluster.service_cidr", c.service_cidr, f"a range that does not overlap cluster.pod_cidr {pods}")
    dns = ipaddress.IPv4Address(c.dns_service_ip)
    if dns not in services or dns in (services.network_address, services.network_address + 1, services.broadcast_address):
        yield Problem("cluster.dns_service_ip", c.dns_service_ip,
                      f"an address inside cluster.service_cidr {services}, not its first two or last address")


#: Source prefixes that mean "anyone" (as checkov's NSG port checks read them; any /0 CIDR too).
_ANY_SOURCE = frozenset({"internet", "*", "any", "0.0.0.0"})


def open_to_internet(prefix: str) -> bool:
    """True for an NSG source prefix that admits (a large share of) the Internet: ``Internet``, ``*``,
    ``AzureCloud`` (every Azure tenant's addresses), or a CIDR of /8 or wider (``0.0.0.0/0``, ``0.0.0.0/1``)."""
    if prefix.lower() in _ANY_SOURCE or prefix.lower().startswith("azurecloud"):
        return True
    try:
        return ipaddress.IPv4Network(prefix).prefixlen <= 8
    except ValueError:
        return False


@rule("NET-006", "Plain HTTP (port 80) open to the Internet",
      "the ingress NSG opens TCP 80 while app.tls.enabled is false (the app serves HTTP); "
      "checkov CKV_AZURE_160 (port 80 restricted from the Internet)")
def _http_not_public(cfg):
    sources = cfg.network.ingress_allowed_sources
    if not cfg.app.tls.enabled and any(open_to_internet(s) for s in sources):
        yield Problem("network.ingress_allowed_sources", sources,
                      "no Internet, '*', AzureCloud or /8-or-wider source while app.tls.enabled is false (port 80 would be open to "
                      "the Internet): enable TLS (app.tls.enabled: true with key_vault_certificate_uri) or "
                      "restrict the sources to your organisation's ranges")


# --- PostgreSQL -----------------------------------------------------------------------

@rule("PG-001", "Storage size Azure does not offer", "[P] azurerm_postgresql_flexible_server storage_mb; [MS] concepts-storage")
def _pg_storage(cfg):
    if cfg.postgres.storage_gib not in az.POSTGRES_STORAGE_GIB:
        yield Problem("postgres.storage_gib", cfg.postgres.storage_gib,
                      "one of " + ", ".join(map(str, az.POSTGRES_STORAGE_GIB)) + " (GiB)")


@rule("PG-002", "Backup retention outside 7-35 days", "[MS] concepts-backup-restore")
def _pg_backup(cfg):
    lo, hi = az.POSTGRES_BACKUP_RETENTION_DAYS
    if not lo <= cfg.postgres.backup_retention_days <= hi:
        yield Problem("postgres.backup_retention_days", cfg.postgres.backup_retention_days, f"{lo} to {hi} days")


@rule("PG-003", "High availability on the Burstable tier", "[MS] concepts-high-availability: HA is not supported on Burstable")
def _pg_ha_burstable(cfg):
    p = cfg.postgres
    if p.high_availability != "disabled" and _is_burstable(p.sku):
        yield Problem("postgres.high_availability", p.high_availability,
                      f"'disabled' with the Burstable sku {p.sku}; or choose a GP_ or MO_ sku")


@rule("PG-004", "Zone-redundant HA needs a standby zone different from the primary, among the configured zones",
      "[MS] concepts-high-availability (standby in another zone; single-zone regions can't)")
def _pg_zone_redundant(cfg):
    p = cfg.postgres
    if p.high_availability != "zone_redundant":
        return
    if len(set(cfg.zones)) < 2:
        yield Problem("postgres.high_availability", p.high_availability,
                      "'same_zone' or 'disabled' unless zones lists at least two zones")
    if p.standby_zone is None:
        yield Problem("postgres.standby_zone", None, "a zone different from postgres.zone for zone_redundant HA")
    elif p.standby_zone == p.zone:
        yield Problem("postgres.standby_zone", p.standby_zone, f"a zone different from postgres.zone ({p.zone!r})")
    elif cfg.zones and p.standby_zone not in cfg.zones:
        yield Problem("postgres.standby_zone", p.standby_zone, f"one of the configured zones {cfg.zones}")


@rule("PG-005", "Standby zone set where it has no meaning", "[P] high_availability.standby_availability_zone")
def _pg_standby_meaningless(cfg):
    p = cfg.postgres
    if p.high_availability == "disabled" and p.standby_zone is not None:
        yield Problem("postgres.standby_zone", p.standby_zone, "unset (null) when high_availability is 'disabled'")
    if p.high_availability == "same_zone" and p.standby_zone not in (None, p.zone):
        yield Problem("postgres.standby_zone", p.standby_zone, f"unset or equal to postgres.zone ({p.zone!r}) for same_zone HA")


@rule("PG-006", "Primary zone not among the configured zones", "[MS] concepts-high-availability")
def _pg_zone_in_zones(cfg):
    if cfg.zones and cfg.postgres.zone not in cfg.zones:
        yield Problem("postgres.zone", cfg.postgres.zone, f"one of the configured zones {cfg.zones}")


@rule("PG-007", "More connections than the sku allows",
      "[MS] concepts-limits 'Maximum connections' (by sku memory; 15 reserved for Azure)")
def _pg_connections(cfg):
    p = cfg.postgres
    size = _sku_size(p.sku)
    limit = az.POSTGRES_MAX_CONNECTIONS.get(size)
    if limit is None:
        yield Problem("postgres.sku", p.sku, "a sku whose size is in config/azure_rules.py POSTGRES_MAX_CONNECTIONS "
                      "(e.g. GP_Standard_D4ds_v4, B_Standard_B2s); add the size there with its max_connections")
        return
    # Two pools per pod: Postgres.URL (metadata) and Postgres.UsageDataURL (usage data).
    wanted = cfg.app.replicas * p.max_open_connections * 2
    available = limit - az.POSTGRES_RESERVED_CONNECTIONS
    if wanted > available:
        yield Problem("postgres.max_open_connections", p.max_open_connections,
                      f"app.replicas ({cfg.app.replicas}) x 2 pools x this <= {available} "
                      f"(max_connections {limit} of {p.sku} minus {az.POSTGRES_RESERVED_CONNECTIONS} reserved); "
                      "lower it or choose a larger sku")


@rule("PG-008", "Reserved administrator login", "[MS] flexible-server quickstart-create-server (admin username rules)")
def _pg_login(cfg):
    if cfg.postgres.admin_login in az.POSTGRES_RESERVED_LOGINS:
        yield Problem("postgres.admin_login", cfg.postgres.admin_login,
                      "a name other than " + ", ".join(sorted(az.POSTGRES_RESERVED_LOGINS)))


@rule("PG-009", "The two databases share a name", "Package Manager keeps usage data apart from metadata ([CH] Postgres.UsageDataURL)")
def _pg_databases(cfg):
    if cfg.postgres.metadata_database == cfg.postgres.usage_database:
        yield Problem("postgres.usage_database", cfg.postgres.usage_database, "a name different from postgres.metadata_database")


@rule("PG-010", "Package Manager's login is the administrator or reserved",
      "least privilege: the pods connect as their own login ([MS] flexible-server how-to-create-users)")
def _pg_app_login(cfg):
    p = cfg.postgres
    if p.app_login == p.admin_login:
        yield Problem("postgres.app_login", p.app_login,
                      f"a login other than postgres.admin_login ({p.admin_login}): Package Manager must not connect as the administrator")
    elif p.app_login in az.POSTGRES_RESERVED_LOGINS:
        yield Problem("postgres.app_login", p.app_login,
                      "a name other than " + ", ".join(sorted(az.POSTGRES_RESERVED_LOGINS)))


# --- Azure Files ----------------------------------------------------------------------

@rule("FILES-001", "Premium share quota outside 100-102,400 GiB", "[MS] storage-files-planning (provisioned v1 premium shares)")
def _files_quota(cfg):
    lo, hi = az.PREMIUM_SHARE_QUOTA_GIB
    if not lo <= cfg.files.quota_gib <= hi:
        yield Problem("files.quota_gib", cfg.files.quota_gib, f"{lo} to {hi:,} GiB")


@rule("FILES-002", "Premium ZRS share in a region without zones", "[MS] storage-redundancy (ZRS for premium file shares)")
def _files_zrs_region(cfg):
    if cfg.files.redundancy == "ZRS" and cfg.location not in az.REGIONS_WITH_ZONES:
        yield Problem("files.redundancy", "ZRS", f"'LRS' in {cfg.location}, which has no availability zones")


# --- AKS ------------------------------------------------------------------------------

@rule("AKS-001", "Node pool cannot cover the configured zones",
      "[MS] aks/availability-zones (nodes are spread evenly across the pool's zones)")
def _aks_cover_zones(cfg):
    c, zones = cfg.cluster, len(cfg.zones)
    if c.autoscaling.enabled:
        if c.autoscaling.min_count > c.autoscaling.max_count:
            yield Problem("cluster.autoscaling.min_count", c.autoscaling.min_count,
                          f"at most cluster.autoscaling.max_count ({c.autoscaling.max_count})")
        if c.autoscaling.min_count < zones:
            yield Problem("cluster.autoscaling.min_count", c.autoscaling.min_count,
                          f"at least one node per zone ({zones})")
        if not c.autoscaling.min_count <= c.node_count <= c.autoscaling.max_count:
            yield Problem("cluster.node_count", c.node_count,
                          "between cluster.autoscaling.min_count and max_count (the initial size)")
    if c.node_count < zones:
        yield Problem("cluster.node_count", c.node_count, f"at least one node per configured zone ({zones})")
    if c.system_pool and c.system_pool.node_count < zones:
        yield Problem("cluster.system_pool.node_count", c.system_pool.node_count,
                      f"at least one node per configured zone ({zones})")


@rule("AKS-002", "Authorized IP ranges on a private API server",
      "[MS] aks/api-server-authorized-ip-ranges (public API servers only); a public one always admits "
      "only these ranges plus the runner's egress (rule DEL-005), so it is never open to every address")
def _aks_api_server(cfg):
    api = cfg.cluster.api_server
    if api.private_cluster and api.authorized_ip_ranges:
        yield Problem("cluster.api_server.authorized_ip_ranges", api.authorized_ip_ranges,
                      "empty for a private cluster (authorized ranges apply to public API servers only)")


@rule("AKS-003", "App replicas cannot be spread one per node",
      "topologySpreadConstraints on kubernetes.io/hostname with DoNotSchedule ([K8S] topology-spread-constraints)")
def _app_spread(cfg):
    c = cfg.cluster
    nodes = c.autoscaling.max_count if c.autoscaling.enabled else c.node_count
    if cfg.app.replicas > nodes:
        yield Problem("app.replicas", cfg.app.replicas,
                      f"at most the user pool's node count ({nodes}): pods are spread one per node with DoNotSchedule")


@rule("AKS-004", "Exact Kubernetes patch version pinned while an upgrade channel moves it",
      "[MS] aks/auto-upgrade-cluster (patch/stable/rapid upgrade the version); [P] kubernetes_cluster "
      "kubernetes_version (minor aliases such as 1.33 are accepted); AKS refuses downgrades")
def _aks_version_pin(cfg):
    c = cfg.cluster
    if c.kubernetes_version and c.kubernetes_version.count(".") == 2 and \
            c.automatic_upgrade_channel in ("patch", "stable", "rapid"):
        minor = c.kubernetes_version.rsplit(".", 1)[0]
        yield Problem("cluster.kubernetes_version", c.kubernetes_version,
                      f"a minor version such as {minor!r} with automatic_upgrade_channel "
                      f"{c.automatic_upgrade_channel!r} (the channel moves the patch; the next apply would try to go back)")


@rule("APP-001", "Two certificates named for the ingress", "[MS] aks/app-routing-dns-ssl (one tls-cert-keyvault-uri per ingress)")
def _app_tls(cfg):
    tls = cfg.app.tls
    if tls.key_vault_certificate_uri and "certificate_name" in tls.model_fields_set:
        yield Problem("app.tls.certificate_name", tls.certificate_name,
                      "unset when app.tls.key_vault_certificate_uri names the certificate (one of the two)")


@rule("APP-002", "Certificate configured while TLS is off",
      "[MS] aks/app-routing-dns-ssl: the certificate is only served when the ingress names it")
def _app_tls_unused(cfg):
    tls = cfg.app.tls
    if not tls.enabled and tls.key_vault_certificate_uri:
        yield Problem("app.tls.enabled", False,
                      "true to serve app.tls.key_vault_certificate_uri, or remove the URI (it would be ignored)")


def _cpu_cores(value: str) -> float | None:
    parsed = parse_non_negative(value)
    return None if parsed is None else float(parsed)


_memory_gib = quantity_gib


@rule("APP-003", "App pods and their upgrade surge do not fit the worker nodes",
      "[MS] aks/node-resource-reservations (kube-reserved, eviction threshold) and the VM size pages (vCPU, "
      "memory); [CH] strategy maxSurge 100% (the construct uses maxSurge 0 for one replica); [K8S] "
      "topology-spread-constraints (one pod per node and ReplicaSet); a pod whose requests fit no node stays Pending; "
      "[K8S] node-pressure-eviction (memory limits above what the node has overcommit it: under pressure "
      "the kubelet evicts pods or the kernel OOM-kills them)")
def _app_fits_nodes(cfg):
    c, app = cfg.cluster, cfg.app
    if c.vm_size in az.VM_SIZES:
        vcpus, gib = az.VM_SIZES[c.vm_size]
        if c.vm_capacity is not None and (c.vm_capacity.vcpus, c.vm_capacity.memory_gib) != (vcpus, gib):
            yield Problem("cluster.vm_capacity", c.vm_capacity.model_dump(),
                          f"unset for {c.vm_size}, which the size table knows ({vcpus} vCPU, {gib} GiB); "
                          "or exactly those figures")
            return
    elif c.vm_capacity is not None:
        vcpus, gib = c.vm_capacity.vcpus, c.vm_capacity.memory_gib
    else:
        # Any size is fine, but one we cannot size is an error, not a silent pass.
        yield Problem("cluster.vm_capacity", None,
                      f"required for {c.vm_size}, which the size table (D/E v5) does not list: its vcpus and "
                      "memory_gib from its size page on Microsoft Learn, e.g. vm_capacity: {vcpus: 8, memory_gib: 32}, "
                      "so app.resources can be checked against the node")
        return
    r = app.resources
    cpu, memory = _cpu_cores(r.cpu_request), _memory_gib(r.memory_request)
    assert cpu is not None and memory is not None  # the schema refuses anything else (config.schema.CpuQuantity)
    nodes = c.autoscaling.min_count if c.autoscaling.enabled else c.node_count  # fewest nodes: most pods each
    surge = 0 if app.replicas == 1 else app.replicas  # the chart's maxSurge 100%; one replica: replaced
    # Old and new ReplicaSets are each spread one pod per node (matchLabelKeys pod-template-hash).
    per_node = -(-app.replicas // nodes) + -(-surge // nodes)
    free_cpu = vcpus - az.aks_kube_reserved_cpu_millicores(vcpus) / 1000 - az.AKS_ADDON_ALLOWANCE_CPU
    free_gib = gib - az.aks_reserved_memory_gib(gib, c.max_pods, c.kubernetes_version) - az.AKS_ADDON_ALLOWANCE_GIB
    why = (f"{per_node} pod(s) per {c.vm_size} node during an upgrade (app.replicas {app.replicas}"
           f"{' + the chart surge of ' + str(surge) if surge else ', replaced without surge'}, on {nodes} node(s))")
    if per_node * cpu > free_cpu:
        yield Problem("app.resources.cpu_request", r.cpu_request,
                      f"at most {free_cpu / per_node:.2f} CPU: {why}; a node has {free_cpu:.2f} CPU for them "
                      f"({vcpus} vCPU - AKS reservation - {az.AKS_ADDON_ALLOWANCE_CPU:g} for add-ons)")
    if per_node * memory > free_gib:
        yield Problem("app.resources.memory_request", r.memory_request,
                      f"at most {free_gib / per_node:.1f}Gi: {why}; a node has {free_gib:.1f}Gi for them "
                      f"({gib} GiB - AKS reservation - {az.AKS_ADDON_ALLOWANCE_GIB:g} for add-ons)")
    # Limits too: pods that may each grow to their limit must not promise more memory than the node has.
    memory_limit = _memory_gib(r.memory_limit)
    assert memory_limit is not None
    if per_node * memory_limit > free_gib:
        yield Problem("app.resources.memory_limit", r.memory_limit,
                      f"at most {free_gib / per_node:.1f}Gi: {why}; with their limits they would overcommit the "
                      f"{free_gib:.1f}Gi a node has for them ({gib} GiB - AKS reservation - "
                      f"{az.AKS_ADDON_ALLOWANCE_GIB:g} for add-ons), and a node under memory pressure evicts or "
                      "OOM-kills pods")


@rule("APP-004", "A resource request above its limit",
      "[K8S] manage-resources-containers (requests must not exceed limits; quantity format)")
def _app_requests_within_limits(cfg):
    r = cfg.app.resources
    for kind, parse in (("cpu", _cpu_cores), ("memory", _memory_gib)):
        request, limit = getattr(r, f"{kind}_request"), getattr(r, f"{kind}_limit")
        if parse(request) > parse(limit):  # both parse: the schema checks the grammar
            yield Problem(f"app.resources.{kind}_request", request,
                          f"at most app.resources.{kind}_limit ({limit}); a request above its limit is refused")


def _is_default(cfg: EnvironmentConfig, path: str) -> bool:
    """True when the user did not write the key at ``path`` (it, or a section above it, was left out)."""
    node: Any = cfg
    for part in path.split("."):
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            return False  # not a plain key path (e.g. a list item): say nothing
        if part not in node.model_fields_set:
            return True
        node = getattr(node, part)
    return False


# --- delivery: the runner must reach every data plane a stack touches ------------------------

@rule("DEL-001", "Runner location without its address",
      "docs/delivery.md: a VNet runner needs its subnet (the network stack creates it); an external runner "
      "needs its fixed egress, which the firewalls admit")
def _runner_address(cfg):
    runner = cfg.delivery.runner
    if runner.location == "vnet":
        if not runner.subnet:
            yield Problem("delivery.runner.subnet", None,
                          "a subnet inside network.address_space (at least /29) for the runners, e.g. 10.40.10.0/27")
        if runner.egress_cidrs:
            yield Problem("delivery.runner.egress_cidrs", runner.egress_cidrs,
                          "empty with location vnet: the runners leave through the NAT gateway the network stack "
                          "creates, whose address every firewall admits")
    else:
        if not runner.egress_cidrs:
            yield Problem("delivery.runner.egress_cidrs", [],
                          "the external runners' fixed public egress CIDRs (e.g. a NAT gateway's IP/32): the state "
                          "account, Key Vault and AKS API server admit only these; or location: vnet")
        if runner.subnet:
            yield Problem("delivery.runner.subnet", runner.subnet,
                          "unset with location external (a runner subnet is only created for location vnet)")


@rule("DEL-002", "External runner egress that Azure firewalls cannot admit (state blob, Key Vault, AKS API)",
      "[MS] storage/common/storage-network-security (IP rules: public addresses only, no RFC 1918); "
      "key-vault/general/network-security (IPv4 public addresses only)")
def _runner_egress_public(cfg):
    runner = cfg.delivery.runner
    if runner.location != "external":
        return
    for index, cidr in enumerate(runner.egress_cidrs):
        if not is_public_ipv4(cidr):
            yield Problem(f"delivery.runner.egress_cidrs[{index}]", cidr,
                          "a public IPv4 address or CIDR: the state account and Key Vault firewalls admit public "
                          "addresses only; a runner in a private network needs location: vnet (or a peered VNet "
                          "with its own NAT) instead")


@rule("DEL-003", "A VNet runner's first network apply cannot reach the state account",
      "[MS] storage/common/storage-network-security: IP rules do not apply to requests from the account's own "
      "region; the runners use the state account's private endpoint, which the network stack creates, so its "
      "first apply must come through the firewall from an operator's address")
def _runner_first_state_access(cfg):
    if cfg.delivery.runner.location != "vnet":
        return
    if not (cfg.state.allowed_ip_ranges or cfg.cluster.api_server.authorized_ip_ranges):
        yield Problem("state.allowed_ip_ranges", [],
                      "an operator's public CIDR for the first `make deploy STACKS=network` (the runners reach the "
                      "state through its private endpoint only after that apply); docs/delivery.md \"First rollout\"")


@rule("DEL-004", "The runner cannot reach the Key Vault data plane (the data stack writes the password secret)",
      "[MS] key-vault/general/private-link-service (private endpoint, private DNS) and network-security "
      "(public access: IP rules)")
def _runner_reaches_vault(cfg):
    runner = cfg.delivery.runner
    if runner.location == "vnet" and runner.subnet and cfg.key_vault.deployer_ip_ranges:
        yield Problem("key_vault.deployer_ip_ranges", cfg.key_vault.deployer_ip_ranges,
                      "empty with a VNet runner: it writes the secret through the vault's private endpoint, and "
                      "these ranges would open the vault's public endpoint for nobody who needs it")


@rule("DEL-005", "The runner cannot reach the AKS API server (the app stack's Helm calls)",
      "[MS] aks/private-clusters (the private API server is reachable from the cluster's VNet or peered "
      "networks only); aks/api-server-authorized-ip-ranges")
def _runner_reaches_api_server(cfg):
    runner, api = cfg.delivery.runner, cfg.cluster.api_server
    if runner.location == "external" and api.private_cluster:
        yield Problem("cluster.api_server.private_cluster", True,
                      "false with delivery.runner.location external (a private API server is reachable only from "
                      "its VNet): or run the deploy inside the VNet (delivery.runner.location: vnet)")


@rule("DEL-006", "One principal both deploys and plans, or is listed twice",
      "least privilege: plan identities must read no secret (docs/delivery.md \"Plan identities\"), and one grant "
      "per principal and role")
def _principals_apart(cfg):
    d = cfg.delivery
    for key, ids in (("delivery.deployer_principal_ids", d.deployer_principal_ids),
                     ("delivery.plan_principal_ids", d.plan_principal_ids)):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            yield Problem(key, twice, "each principal id once")
    both = sorted(set(d.deployer_principal_ids) & set(d.plan_principal_ids))
    if both:
        yield Problem("delivery.plan_principal_ids", both,
                      "ids not also in delivery.deployer_principal_ids: a plan identity gets only read-only grants, "
                      "and a deployer's (Key Vault Secrets Officer, cluster admin) would reach pull-request code")


#: [GH] actions "Using GitHub-hosted runners": these labels pick GitHub's machines, which have no fixed
#: egress and sit outside the VNet (they can reach neither the state nor the vault nor the API server).
GITHUB_HOSTED_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "windows-latest", "macos-latest")


@rule("DEL-007", "Plan and deploy jobs on GitHub-hosted runners",
      "docs/delivery.md \"Where the deploy runs\": the jobs must run where delivery.runner says")
def _self_hosted_labels(cfg):
    labels = cfg.delivery.github_runner_labels
    hosted = [label for label in labels if label in GITHUB_HOSTED_LABELS]
    if hosted:
        yield Problem("delivery.github_runner_labels", labels,
                      f"self-hosted runner labels (no {', '.join(hosted)}): a GitHub-hosted runner cannot reach the "
                      "state account, the vault or the API server")


# --- alerts -------------------------------------------------------------------------

@rule("ALERT-001", "Alerts enabled with nobody to notify",
      "[MS] azure-monitor/alerts/action-groups: an alert reaches people only through its action group's receivers")
def _alert_receivers(cfg):
    a = cfg.alerts
    if a.enabled and not a.email_receivers:
        yield Problem("alerts.email_receivers", list(a.email_receivers),
                      "at least one e-mail address while alerts.enabled is true (or set alerts.enabled: false)")


def check(cfg: EnvironmentConfig) -> list[Problem]:
    """Run every rule; return all problems (empty when the config is acceptable)."""
    return [dataclasses.replace(problem, default=_is_default(cfg, problem.path))
            for r in RULES for problem in r.check(cfg)]
