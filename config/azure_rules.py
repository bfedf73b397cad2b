"""App-level Azure tables the config rules need, each with its source (tags: docs/sources.md).

Facts that the constructs share with the config (PostgreSQL versions, storage sizes, backup
days, reserved logins, share quota, name patterns, max pods, ...) live once, in
:mod:`constructs_lib.facts`, and are re-exported here for the rules; what stays defined here is
only what the app alone needs: ``max_connections`` per PostgreSQL sku, regions, VM sizes and
the AKS node reservations.
"""

from __future__ import annotations

from constructs_lib.facts import (  # noqa: F401 - re-exported for config.schema and config.rules
    AKS_AUTOMATIC_UPGRADE_CHANNELS,
    AKS_MAX_PODS,
    AKS_NETWORK_POLICIES,
    AKS_NODE_OS_UPGRADE_CHANNELS,
    AKS_OS_DISK_SIZE_GB,
    BLOB_CONTAINER_NAME,
    CHART_VERSION,
    DNS_LABEL,
    DNS_NAME,
    FILE_SHARE_NAME,
    GUID,
    HH_MM,
    KEY_VAULT_CERTIFICATE_URI,
    KEY_VAULT_SECRET_NAME,
    KEY_VAULT_SOFT_DELETE_DAYS,
    MAINTENANCE_DURATION_HOURS,
    POSTGRES_BACKUP_RETENTION_DAYS,
    POSTGRES_IDENTIFIER,
    POSTGRES_LOGIN,
    POSTGRES_RESERVED_LOGINS,
    POSTGRES_SKU,
    POSTGRES_STORAGE_GIB,
    POSTGRES_SUBNET_MAX_PREFIX,
    POSTGRES_VERSIONS_FOR_NEW_SERVERS,
    PREMIUM_SHARE_QUOTA_GIB,
    RESOURCE_GROUP_NAME,
    STORAGE_ACCOUNT_NAME,
    UTC_OFFSET,
    WEEKDAYS,
    ZONES,
)

# [MS] concepts-limits, "Maximum connections": max_connections by memory size of the sku;
# 15 of them are reserved for Azure's own use ("superuser_reserved_connections" + replication).
# Keyed by the sku's size part (after the tier prefix), memory decides the limit.
POSTGRES_RESERVED_CONNECTIONS = 15
POSTGRES_MAX_CONNECTIONS: dict[str, int] = {
    # Burstable
    "B1ms": 50, "B2s": 429, "B2ms": 859, "B4ms": 1718, "B8ms": 3437,
    "B12ms": 5000, "B16ms": 5000, "B20ms": 5000,
    # General Purpose (D-series: 4 GiB per vCore)
    "D2s_v3": 859, "D2ds_v4": 859, "D2ds_v5": 859, "D2ads_v5": 859,
    "D4s_v3": 1718, "D4ds_v4": 1718, "D4ds_v5": 1718, "D4ads_v5": 1718,
    "D8s_v3": 3437, "D8ds_v4": 3437, "D8ds_v5": 3437, "D8ads_v5": 3437,
    "D16s_v3": 5000, "D16ds_v4": 5000, "D16ds_v5": 5000, "D16ads_v5": 5000,
    "D32s_v3": 5000, "D32ds_v4": 5000, "D32ds_v5": 5000, "D32ads_v5": 5000,
    "D48s_v3": 5000, "D48ds_v4": 5000, "D48ds_v5": 5000, "D48ads_v5": 5000,
    "D64s_v3": 5000, "D64ds_v4": 5000, "D64ds_v5": 5000, "D64ads_v5": 5000,
    # Memory Optimized (E-series: 8 GiB per vCore)
    "E2s_v3": 1718, "E2ds_v4": 1718, "E2ds_v5": 1718, "E2ads_v5": 1718,
    "E4s_v3": 3437, "E4ds_v4": 3437, "E4ds_v5": 3437, "E4ads_v5": 3437,
    "E8s_v3": 5000, "E8ds_v4": 5000, "E8ds_v5": 5000, "E8ads_v5": 5000,
    "E16s_v3": 5000, "E16ds_v4": 5000, "E16ds_v5": 5000, "E16ads_v5": 5000,
    "E32s_v3": 5000, "E32ds_v4": 5000, "E32ds_v5": 5000, "E32ads_v5": 5000,
    "E48s_v3": 5000, "E48ds_v4": 5000, "E48ds_v5": 5000, "E48ads_v5": 5000,
    "E64s_v3": 5000, "E64ds_v4": 5000, "E64ds_v5": 5000, "E64ads_v5": 5000,
}


def postgres_max_connections(sku: str) -> int:
    """``max_connections`` of a sku such as ``GP_Standard_D4ds_v4`` (KeyError for a size not in the table)."""
    return POSTGRES_MAX_CONNECTIONS[sku.split("_Standard_", 1)[1]]

# [MS] reliability/availability-zones-region-support ("Azure regions with availability
# zone support") and storage-redundancy ("Zone-redundant storage" for premium file
# shares: same list of regions). A region not listed here is treated as single-zone.
REGIONS_WITH_ZONES: frozenset[str] = frozenset({
    "australiaeast", "austriaeast", "belgiumcentral", "brazilsouth", "canadacentral",
    "centralindia", "centralus", "chilecentral", "eastasia", "eastus", "eastus2",
    "francecentral", "germanywestcentral", "indonesiacentral", "israelcentral",
    "italynorth", "japaneast", "japanwest", "koreacentral", "malaysiawest",
    "mexicocentral", "newzealandnorth", "northeurope", "norwayeast", "polandcentral",
    "qatarcentral", "southafricanorth", "southcentralus", "southeastasia",
    "spaincentral", "swedencentral", "switzerlandnorth", "uaenorth", "uksouth",
    "westeurope", "westus2", "westus3",
    "usgovvirginia", "usgovtexas", "usgovarizona",
})

# [MS] `az account list-locations --query "[?metadata.regionType=='Physical'].name"` (public cloud)
# plus the US Government regions: the names `location` accepts.
AZURE_REGIONS: frozenset[str] = REGIONS_WITH_ZONES | frozenset({
    "australiacentral", "australiacentral2", "australiasoutheast", "brazilsoutheast", "canadaeast",
    "centraluseuap", "eastus2euap", "francesouth", "germanynorth", "jioindiacentral", "jioindiawest",
    "koreasouth", "northcentralus", "norwaywest", "southafricawest", "southindia", "swedensouth",
    "switzerlandwest", "uaecentral", "ukwest", "westcentralus", "westindia", "westus",
    "usdodcentral", "usdodeast",
})

# [MS] virtual-networks-faq: Azure reserves 5 addresses in every subnet, and the
# smallest supported IPv4 subnet is /29.
AZURE_RESERVED_IPS_PER_SUBNET = 5
SMALLEST_SUBNET_PREFIX = 29
#: checkov CKV_AZURE_168 wants at least 50 pods per node; the config holds max_pods to that
#: (the construct accepts Azure's whole range, constructs_lib.facts.AKS_MAX_PODS).
CONFIG_MIN_MAX_PODS = 50
# [MS] resource-name-rules: tag names may not contain < > % & \ ? /; name <= 512, value <= 256.
TAG_NAME_FORBIDDEN = set('<>%&\\?/')

# --- AKS node sizes and what a node keeps for itself (rule APP-003) ------------------------
# [MS] virtual-machines/sizes/general-purpose/{dv5,ddv5,dasv5,dadsv5}-series and
# memory-optimized/{ev5,edv5,easv5,eadsv5}-series: D v5 sizes have 4 GiB per vCPU, E v5 sizes
# 8 GiB per vCPU ("s" = premium storage, "d" = local disk, "a" = AMD; same vCPU and memory).
# A size not listed cannot be judged, and rule APP-003 says so rather than guessing: add it
# here with its figures from the size's page.
_D_V5_VCPUS = (2, 4, 8, 16, 32, 48, 64, 96)
_E_V5_VCPUS = (2, 4, 8, 16, 20, 32, 48, 64, 96)
_V5_VARIANTS = ("", "s", "d", "ds", "as", "ads")
VM_SIZES: dict[str, tuple[int, int]] = {  # size -> (vCPU, GiB)
    **{f"Standard_D{n}{v}_v5": (n, 4 * n) for n in _D_V5_VCPUS for v in _V5_VARIANTS},
    # E96 v5 sizes have 672 GiB, not 8 x 96 ([MS] ev5-esv5-series, edv5-edsv5-series).
    **{f"Standard_E{n}{v}_v5": (n, 672 if n == 96 else 8 * n) for n in _E_V5_VCPUS for v in _V5_VARIANTS},
}


def aks_kube_reserved_cpu_millicores(vcpus: int) -> int:
    """[MS] aks/node-resource-reservations, CPU table: 1 core 60m, 2 100m, 4 140m, 8 180m,
    16 260m, 32 420m, 64 740m (10m per core above 4, which also gives the 48- and 96-core sizes)."""
    table = {1: 60, 2: 100, 4: 140}
    return table[vcpus] if vcpus in table else 140 + 10 * (vcpus - 4)


def aks_reserved_memory_gib(memory_gib: float, max_pods: int, kubernetes_version: str | None = None) -> float:
    """Memory a node keeps from pods, [MS] aks/node-resource-reservations. Kubernetes >= 1.29
    (and an unset version: AKS creates a supported one, all >= 1.29 outside LTS): kube-reserved
    min(20 MiB x max_pods + 50 MiB, 25% of memory) plus a 100 MiB eviction threshold; before 1.29:
    25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above
    128, plus a 750 MiB eviction threshold."""
    if kubernetes_version is None or tuple(int(p) for p in kubernetes_version.split(".")[:2]) >= (1, 29):
        return min((20 * max_pods + 50) / 1024, 0.25 * memory_gib) + 100 / 1024
    old, left = 750 / 1024, memory_gib
    for size, share in ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (float("inf"), 0.02)):
        part = min(left, size)
        old += part * share
        left -= part
        if left <= 0:
            break
    return old


# Our estimate, not an Azure figure: what the AKS add-on pods this project turns on request on
# a node (CNI/Cilium, Azure Files/Disk and Secrets Store CSI drivers, Container Insights, Azure
# Policy, app-routing NGINX, CoreDNS, metrics-server). `kubectl describe node` shows the real sum.
AKS_ADDON_ALLOWANCE_CPU = 1.0
AKS_ADDON_ALLOWANCE_GIB = 2.0
