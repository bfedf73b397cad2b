"""Props of :class:`constructs_lib.aks.AksCluster`, the references it hands out, and their
validation (pure Python, no cdktf import).

Limits and their sources ([P] azurerm 4.x provider docs, [MS] Microsoft Learn):
node pool names, zones, max pods, upgrade channels and maintenance windows.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs_lib.facts import (
    AKS_AUTOMATIC_UPGRADE_CHANNELS,
    AKS_MAX_PODS,
    AKS_NETWORK_POLICIES,
    AKS_NODE_OS_UPGRADE_CHANNELS,
    AKS_OS_DISK_SIZE_GB,
    GUID,
    HH_MM,
    MAINTENANCE_DURATION_HOURS,
    UTC_OFFSET,
    WEEKDAYS,
    ZONES,
)
from constructs_lib.refs import AksClusterRef, ManagedIdentityRef
from constructs_lib.validation import Problems, check_propagation_seconds, cidr_or_none, is_token

#: [P] kubernetes_cluster default_node_pool.name: lowercase letters and digits, 1-12 for Linux.
POOL_NAME = re.compile(r"[a-z][a-z0-9]{0,11}")
#: [P] sku_tier.
SKU_TIERS = ("Free", "Standard", "Premium")
AUTOMATIC_UPGRADE_CHANNELS = AKS_AUTOMATIC_UPGRADE_CHANNELS
NODE_OS_UPGRADE_CHANNELS = AKS_NODE_OS_UPGRADE_CHANNELS
NETWORK_POLICIES = AKS_NETWORK_POLICIES
DAYS = WEEKDAYS
#: Channels that move the *minor* version ([MS] aks/auto-upgrade-cluster): the cluster's
#: version then drifts from the configured one, so the construct ignores that drift.
MINOR_UPGRADE_CHANNELS = ("stable", "rapid")
_GUID = re.compile(GUID)
_HHMM = re.compile(HH_MM)
_UTC_OFFSET = re.compile(UTC_OFFSET)
_SURGE = re.compile(r"([1-9][0-9]?|100)%|[1-9][0-9]*")


@dataclass(frozen=True, kw_only=True)
class NodePoolSpec:
    """One node pool.

    :param name: pool name, 1-12 lowercase letters and digits starting with a letter.
        Changing it replaces the pool.
    :param vm_size: VM size, e.g. ``Standard_D8_v5``. Changing it rotates the pool through
        its temporary pool (default pool) or replaces it (extra pools).
    :param node_count: fixed node count, or the initial count when autoscaling; at least 1
        and at least one node per zone.
    :param zones: availability zones, each of ``"1"``, ``"2"``, ``"3"`` at most once
        - none (the pool is not zonal; for regions without zones). Changing them rotates the pool.
    :param max_pods: pods per node, 10-250 (:data:`constructs_lib.facts.AKS_MAX_PODS`); default 110.
    :param os_disk_size_gb: managed OS disk size; default 128.
    :param host_encryption: encryption at host (temp disks, caches, data flows); default
        True. Needs the ``EncryptionAtHost`` feature registered on the subscription.
    :param min_count: with ``max_count``, turns on the cluster autoscaler - none (fixed size).
    :param max_count: autoscaler upper bound - none.
    :param max_surge: extra nodes during upgrades, a count or a percentage; default ``"33%"``.
    :param labels: Kubernetes node labels - none.
    """

    name: str
    vm_size: str
    node_count: int
    zones: Sequence[str] = ()
    max_pods: int = 110
    os_disk_size_gb: int = 128
    host_encryption: bool = True
    min_count: int | None = None
    max_count: int | None = None
    max_surge: str = "33%"
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def autoscaling(self) -> bool:
        return self.min_count is not None or self.max_count is not None


@dataclass(frozen=True, kw_only=True)
class MaintenanceWindow:
    """A weekly window for both automatic upgrades and node OS upgrades.

    :param day_of_week: default ``Sunday``.
    :param start_time: ``HH:MM`` (24 h); default ``02:00``.
    :param duration_hours: 4-24; default 4.
    :param utc_offset: ``+HH:MM``/``-HH:MM``; default ``+00:00``.
    """

    day_of_week: str = "Sunday"
    start_time: str = "02:00"
    duration_hours: int = 4
    utc_offset: str = "+00:00"


@dataclass(frozen=True, kw_only=True)
class AksClusterProps:
    """Props of :class:`constructs_lib.aks.AksCluster`.

    :param name: cluster name (also the DNS prefix). Changing it replaces the cluster.
    :param resource_group_name: resource group of the cluster and its control-plane identity.
    :param location: Azure region.
    :param vnet_subnet_id: node subnet (Azure CNI overlay: nodes take VNet IPs, pods don't).
        The control-plane identity gets Network Contributor on it.
    :param log_analytics_workspace_id: Container Insights, control-plane diagnostics and
        (when on) Defender send here. Container Insights with managed-identity auth needs a
        data collection rule and its association with the cluster; both are made here.
    :param workers: the pool that runs the application.
    :param system_pool: a separate system pool (``CriticalAddonsOnly``) as the default pool;
        ``workers`` then becomes an extra user pool - none (``workers`` is the default pool
        and runs add-ons too).
    :param node_resource_group_name: the AKS-managed node resource group - Azure's
        ``MC_<rg>_<name>_<region>``. Changing it replaces the cluster.
    :param identity_name: name of the user-assigned control-plane identity - ``id-<name>``.
    :param kubernetes_version: e.g. ``1.33`` - the region's default version.
    :param sku_tier: ``Free``, ``Standard`` (uptime SLA) or ``Premium``; default ``Standard``.
    :param network_policy: ``cilium`` (default; with the Cilium data plane), ``calico`` or ``azure``.
    :param pod_cidr: overlay pod range, outside the VNet; default ``10.244.0.0/16`` (AKS default).
    :param service_cidr: service range, outside the VNet and ``pod_cidr``; default ``10.0.0.0/16``.
    :param dns_service_ip: inside ``service_cidr``; default ``10.0.0.10``.
    :param authorized_ip_ranges: CIDRs allowed to reach a public API server - none.
    :param private_cluster: private API server (no public endpoint); default False.
        Changing it replaces the cluster.
    :param allow_public_without_authorized_ranges: explicit opt-in to a public API server
        open to every address; default False (refused).
    :param tenant_id: Entra ID tenant for Kubernetes RBAC - the provider's tenant.
    :param admin_group_object_ids: Entra ID groups bound to cluster-admin - none.
    :param admin_principal_ids: principals given the "Azure Kubernetes Service RBAC Cluster
        Admin" role on the cluster (e.g. whoever deploys the Helm release) - none.
    :param rbac_propagation_seconds: a ``time_sleep`` after those grants, re-run whenever one
        is replaced, so the stack finishes only once the Kubernetes API honours them (the Helm
        provider does not retry a 403); default 300 ([MS] aks/manage-azure-rbac: new role
        assignments can take up to five minutes to propagate). Bounds: :data:`constructs_lib.facts.RBAC_PROPAGATION_SECONDS`; 0: no wait. The
        stack needs a ``hashicorp/time`` provider (``TimeProvider``) when it waits.
    :param automatic_upgrade_channel: default ``patch``. With ``stable`` or ``rapid`` (which
        move the minor version) ``kubernetes_version`` and the pools' ``orchestrator_version``
        are in ``lifecycle.ignore_changes``, so an apply never tries to go back.
    :param node_os_upgrade_channel: default ``NodeImage``.
    :param maintenance_window: when both upgrade kinds may run; default Sunday 02:00 UTC, 4 h.
    :param app_routing_dns_zone_ids: Azure DNS zones the app-routing add-on may manage - none.
    :param secret_rotation_interval: Secrets Store CSI rotation poll interval; default ``2m``.
    :param disk_encryption_set_id: customer-managed key for OS disks - platform-managed keys.
        Changing it replaces the cluster.
    :param defender: Microsoft Defender for Containers sensor; default False (it needs the
        Defender for Containers plan on the subscription, billed per vCore).
    :param diagnostic_log_categories: control-plane log categories sent to the workspace;
        default ``kube-audit-admin`` and ``guard``. Empty: no diagnostic setting.
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    vnet_subnet_id: str
    log_analytics_workspace_id: str
    workers: NodePoolSpec
    system_pool: NodePoolSpec | None = None
    node_resource_group_name: str | None = None
    identity_name: str | None = None
    kubernetes_version: str | None = None
    sku_tier: str = "Standard"
    network_policy: str = "cilium"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.0.0.0/16"
    dns_service_ip: str = "10.0.0.10"
    authorized_ip_ranges: Sequence[str] = ()
    private_cluster: bool = False
    allow_public_without_authorized_ranges: bool = False
    tenant_id: str | None = None
    admin_group_object_ids: Sequence[str] = ()
    admin_principal_ids: Sequence[str] = ()
    rbac_propagation_seconds: int = 300
    automatic_upgrade_channel: str = "patch"
    node_os_upgrade_channel: str = "NodeImage"
    maintenance_window: MaintenanceWindow = field(default_factory=MaintenanceWindow)
    app_routing_dns_zone_ids: Sequence[str] = ()
    secret_rotation_interval: str = "2m"
    disk_encryption_set_id: str | None = None
    defender: bool = False
    diagnostic_log_categories: Sequence[str] = ("kube-audit-admin", "guard")
    tags: Mapping[str, str] = field(default_factory=dict)


def _validate_pool(problems: Problems, prefix: str, pool: NodePoolSpec) -> None:
    problems.require(bool(POOL_NAME.fullmatch(pool.name)), f"{prefix}.name", pool.name,
                     "1-12 lowercase letters and digits, starting with a letter")
    problems.require(pool.node_count >= 1, f"{prefix}.node_count", pool.node_count, "at least 1")
    zones = list(pool.zones)
    bad = [z for z in zones if z not in ZONES]
    problems.require(not bad, f"{prefix}.zones", zones, "zones from '1', '2', '3'")
    problems.require(len(set(zones)) == len(zones), f"{prefix}.zones", zones, "each zone at most once")
    if zones:
        problems.require(pool.node_count >= len(zones), f"{prefix}.node_count", pool.node_count,
                         f"at least one node per zone ({len(zones)}); or list fewer zones")
    lo, hi = AKS_MAX_PODS
    problems.require(lo <= pool.max_pods <= hi, f"{prefix}.max_pods", pool.max_pods, f"{lo} to {hi}")
    lo, hi = AKS_OS_DISK_SIZE_GB
    problems.require(lo <= pool.os_disk_size_gb <= hi, f"{prefix}.os_disk_size_gb", pool.os_disk_size_gb, f"{lo} to {hi}")
    problems.require(bool(_SURGE.fullmatch(pool.max_surge)), f"{prefix}.max_surge", pool.max_surge,
                     "a node count such as '1' or a percentage such as '33%'")
    if pool.autoscaling:
        if pool.min_count is None or pool.max_count is None:
            problems.add(f"{prefix}.min_count/max_count", (pool.min_count, pool.max_count),
                         "both set to turn on autoscaling, or both unset")
        else:
            problems.require(1 <= pool.min_count <= pool.max_count, f"{prefix}.min_count", pool.min_count,
                             f"1 to max_count ({pool.max_count})")
            problems.require(pool.min_count <= pool.node_count <= pool.max_count, f"{prefix}.node_count",
                             pool.node_count, f"between min_count ({pool.min_count}) and max_count ({pool.max_count})")
            if zones:
                problems.require(pool.min_count >= len(zones), f"{prefix}.min_count", pool.min_count,
                                 f"at least one node per zone ({len(zones)})")


def validate(props: AksClusterProps) -> None:
    """Raise one :class:`PropsError` listing every problem with ``props``."""
    problems = Problems("AksCluster")
    problems.require(bool(re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9]", props.name)), "name", props.name,
                     "1-63 letters, digits, '-' and '_', starting and ending with a letter or digit")
    _validate_pool(problems, "workers", props.workers)
    if props.system_pool is not None:
        _validate_pool(problems, "system_pool", props.system_pool)
        problems.require(props.system_pool.name != props.workers.name, "system_pool.name", props.system_pool.name,
                         f"a name different from workers.name ({props.workers.name!r})")
    problems.require(props.sku_tier in SKU_TIERS, "sku_tier", props.sku_tier, "one of " + ", ".join(SKU_TIERS))
    problems.require(props.network_policy in NETWORK_POLICIES, "network_policy", props.network_policy,
                     "one of " + ", ".join(NETWORK_POLICIES))
    problems.require(props.automatic_upgrade_channel in AUTOMATIC_UPGRADE_CHANNELS, "automatic_upgrade_channel",
                     props.automatic_upgrade_channel, "one of " + ", ".join(AUTOMATIC_UPGRADE_CHANNELS))
    problems.require(props.node_os_upgrade_channel in NODE_OS_UPGRADE_CHANNELS, "node_os_upgrade_channel",
                     props.node_os_upgrade_channel, "one of " + ", ".join(NODE_OS_UPGRADE_CHANNELS))

    # Kubernetes address ranges: overlay pods and services must not overlap each other.
    pods, services = cidr_or_none(props.pod_cidr), cidr_or_none(props.service_cidr)
    problems.require(pods is not None, "pod_cidr", props.pod_cidr, "an IPv4 CIDR such as 10.244.0.0/16")
    problems.require(services is not None, "service_cidr", props.service_cidr, "an IPv4 CIDR such as 10.0.0.0/16")
    if pods and services:
        problems.require(not pods.overlaps(services), "service_cidr", props.service_cidr,
                         f"a range that does not overlap pod_cidr {props.pod_cidr}")
    if services and not is_token(props.dns_service_ip):
        try:
            dns = ipaddress.IPv4Address(props.dns_service_ip)
            ok = dns in services and dns not in (services.network_address, services.broadcast_address)
        except ValueError:
            ok = False
        problems.require(ok, "dns_service_ip", props.dns_service_ip, f"an address inside service_cidr {props.service_cidr}")

    # API server exposure ([MS] aks/api-server-authorized-ip-ranges).
    for cidr in props.authorized_ip_ranges:
        problems.require(cidr_or_none(cidr) is not None, "authorized_ip_ranges", cidr, "IPv4 CIDRs such as 203.0.113.0/24")
    if props.private_cluster:
        problems.require(not props.authorized_ip_ranges, "authorized_ip_ranges", list(props.authorized_ip_ranges),
                         "empty for a private cluster (authorized ranges apply to public API servers only)")
    elif not props.authorized_ip_ranges:
        problems.require(props.allow_public_without_authorized_ranges, "authorized_ip_ranges", [],
                         "at least one CIDR, or private_cluster=True, or "
                         "allow_public_without_authorized_ranges=True to accept an open API server")

    check_propagation_seconds(problems, "rbac_propagation_seconds", props.rbac_propagation_seconds)

    for group in props.admin_group_object_ids:
        problems.require(bool(_GUID.fullmatch(group)), "admin_group_object_ids", group, "Entra ID object ids (GUIDs)")

    window = props.maintenance_window
    problems.require(window.day_of_week in DAYS, "maintenance_window.day_of_week", window.day_of_week, "Monday to Sunday")
    problems.require(bool(_HHMM.fullmatch(window.start_time)), "maintenance_window.start_time", window.start_time, "HH:MM, 24-hour")
    lo, hi = MAINTENANCE_DURATION_HOURS
    problems.require(lo <= window.duration_hours <= hi, "maintenance_window.duration_hours", window.duration_hours,
                     f"{lo} to {hi} hours")
    problems.require(bool(_UTC_OFFSET.fullmatch(window.utc_offset)), "maintenance_window.utc_offset", window.utc_offset,
                     "+HH:MM or -HH:MM")
    problems.require(bool(re.fullmatch(r"[1-9][0-9]*[smh]", props.secret_rotation_interval)), "secret_rotation_interval",
                     props.secret_rotation_interval, "a duration such as 2m or 1h")
    problems.raise_if_any()
