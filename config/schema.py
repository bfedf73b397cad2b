"""The environment config: one YAML file per environment, validated as a whole.

Field-level checks (types, ranges, names Azure accepts) live here on the models;
rules that relate several fields live in :mod:`config.rules`. Every model
forbids unknown keys, so a misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from config import azure_rules as az
from constructs_lib import alert_rules
from constructs_lib.facts import NGINX_SIZE
from constructs_lib.quantity import CPU_EXAMPLES, MEMORY_EXAMPLES, parse_non_negative
from constructs_lib.validation import RFC1918_RANGES, is_public_ipv4


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IPv4 CIDR with host bits zero, e.g. 10.40.0.0/16 ({exc})") from None
    if network.version != 4:
        raise ValueError("must be an IPv4 CIDR")
    return value


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("not an IPv4 address, e.g. 172.16.0.10") from None
    return value


#: Every name pattern the schema checks, regex -> what it allows (tests/test_facts.py: each is a
#: constructs_lib.facts pattern, or one of APP_ONLY_PATTERNS, which no construct checks).
PATTERNS: dict[str, str] = {}
#: Patterns that are the app's own choices (names it builds from them, or ids it passes through).
APP_ONLY_PATTERNS = {
    r"[a-z][a-z0-9]{1,9}": "environment: this project's naming scheme (it goes into globally unique names)",
    r"Standard_[A-Za-z0-9_]+": "VM size: Azure names; the table in azure_rules.py sizes the ones it knows",
    r"1\.[0-9]{2}(\.[0-9]+)?": "Kubernetes version: AKS takes a minor alias or a patch version",
    r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}": "GitHub runner label",
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/(dnszones|privateDnsZones)/[^/]+":
        "an existing DNS zone's resource id, passed through",
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/diskEncryptionSets/[^/]+":
        "an existing disk encryption set's resource id, passed through",
}


def _pattern(regex: str, allowed: str):
    PATTERNS[regex] = allowed
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return AfterValidator(check)


Cidr = Annotated[str, AfterValidator(_cidr)]


def _source_prefix(value: str) -> str:
    # [MS] network-security-groups-overview "Source or destination": an IP address or CIDR,
    # a service tag (e.g. Internet, AzureFrontDoor.Backend, Storage.WestEurope) or '*'.
    if value == "*" or re.fullmatch(r"[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9]+)?", value):
        return value
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError("an IPv4 CIDR (e.g. 203.0.113.0/24) or an Azure service tag (e.g. Internet)") from None
    return value


SourcePrefix = Annotated[str, AfterValidator(_source_prefix)]


def _tag_alone(values: list[str]) -> list[str]:
    # ARM refuses a service tag or '*' inside source_address_prefixes (a list): it must be the
    # rule's only source (SecurityRuleParameterContainsUnsupportedValue; hashicorp/terraform-provider-azurerm#5617).
    tags = [v for v in values if "/" not in v and not v[:1].isdigit()]
    if tags and len(values) > 1:
        raise ValueError(f"a service tag or '*' ({', '.join(tags)}) alone, or only CIDRs: "
                         "Azure refuses a tag mixed with other sources in one NSG rule")
    return values
IPv4 = Annotated[str, AfterValidator(_ipv4)]
Zone = Literal[az.ZONES]  # type: ignore[valid-type]
Uuid = Annotated[str, _pattern(az.GUID, "a GUID (Entra ID object id)")]
ResourceGroupName = Annotated[str, _pattern(az.RESOURCE_GROUP_NAME, "1-90 letters, digits, '-', '_', '.', '(', ')'; not ending in '.'")]
DnsName = Annotated[str, _pattern(az.DNS_NAME, "a lowercase fully qualified DNS name such as packages.example.com")]


def _region(value: str) -> str:
    if value not in az.AZURE_REGIONS:
        guess = difflib.get_close_matches(value.lower().replace(" ", ""), sorted(az.AZURE_REGIONS), n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        raise ValueError(f"an Azure region name such as eastus2 or westeurope{hint}; "
                         "see config/azure_rules.py AZURE_REGIONS")
    return value


def _tags(value: dict[str, str]) -> dict[str, str]:
    for name, tag_value in value.items():
        bad = az.TAG_NAME_FORBIDDEN.intersection(name)
        if bad or not 1 <= len(name) <= 512:
            raise ValueError(f"tag name {name!r}: 1-512 characters, none of < > % & \\ ? /")
        if len(tag_value) > 256:
            raise ValueError(f"tag {name!r}: value longer than 256 characters")
    return value


class StateConfig(Strict):
    """Where the four stacks keep their Terraform state (created once by `make bootstrap`)."""

    resource_group: ResourceGroupName
    storage_account: Annotated[str, _pattern(az.STORAGE_ACCOUNT_NAME, "3-24 lowercase letters and digits")]
    container: Annotated[str, _pattern(az.BLOB_CONTAINER_NAME, "3-63 lowercase letters, digits and single hyphens")]
    #: Public egress CIDRs of operators and CI runners let through the state account's firewall.
    #: Empty: cluster.api_server.authorized_ip_ranges (the same people reach the API server).
    allowed_ip_ranges: list[Annotated[str, AfterValidator(_public_storage_ip_range)]] = Field(default_factory=list)


class NetworkConfig(Strict):
    """The VNet address plan. All subnets must lie inside `address_space` and not overlap."""

    address_space: Cidr
    aks_nodes_subnet: Cidr
    postgres_subnet: Cidr
    private_endpoints_subnet: Cidr
    #: Source address prefixes (CIDRs or service tags) allowed to reach the ingress: TCP 443, and
    #: TCP 80 too while app.tls.enabled is false. The default ["Internet"] needs TLS on (rule NET-006
    #: refuses plain HTTP open to the Internet); with TLS off, list your organisation's ranges.
    ingress_allowed_sources: Annotated[list[SourcePrefix], AfterValidator(_tag_alone)] = Field(
        default_factory=lambda: ["Internet"], min_length=1)
    #: CIDRs of self-hosted runners, VPN clients or jump hosts inside (or peered to) the VNet,
    #: allowed TCP 443 to the private-endpoints subnet so they can write the Key Vault secret on
    #: `deploy data` (docs/data.md). Empty (default): only the AKS node subnet reaches it.
    management_sources: list[Cidr] = Field(default_factory=list)


class PostgresConfig(Strict):
    """Azure Database for PostgreSQL Flexible Server."""

    sku: Annotated[str, _pattern(az.POSTGRES_SKU, "<tier>_Standard_<size> with tier B, GP or MO, e.g. GP_Standard_D4ds_v4")]
    version: Literal[az.POSTGRES_VERSIONS_FOR_NEW_SERVERS]  # type: ignore[valid-type]
    storage_gib: int
    high_availability: Literal["zone_redundant", "same_zone", "disabled"]
    zone: Zone
    standby_zone: Zone | None = None
    backup_retention_days: int
    #: Changing this later forces a new server (and so a restore): decide at creation.
    geo_redundant_backup: bool = False
    max_open_connections: Annotated[int, Field(ge=1, le=1000)]
    admin_login: Annotated[str, _pattern(az.POSTGRES_LOGIN, "1-63 lowercase letters, digits, '_', not starting with a digit or pg_")] = "ppmadmin"
    metadata_database: Annotated[str, _pattern(az.POSTGRES_IDENTIFIER, "1-63 lowercase letters, digits, '_', not starting with a digit")] = "packagemanager"
    usage_database: Annotated[str, _pattern(az.POSTGRES_IDENTIFIER, "1-63 lowercase letters, digits, '_', not starting with a digit")] = "packagemanager_usage"
    #: The generated administrator password's generation: increase it to rotate (a new password is
    #: generated and written, write-only, to the server and the Key Vault secret in the same apply).
    password_version: Annotated[int, Field(ge=1)] = 1
    #: Package Manager's own least-privilege login, created and kept in step by the bootstrap Job
    #: (docs/app.md "The database login"); must differ from admin_login and the reserved names (PG-010).
    app_login: Annotated[str, _pattern(az.POSTGRES_LOGIN, "1-63 lowercase letters, digits, '_', not starting with a digit or pg_")] = "ppm"
    #: The generated password of app_login: increase it to rotate (written, write-only, to the Key Vault
    #: secret postgres-app-password; the bootstrap Job sets it on the login and the pods roll).
    app_password_version: Annotated[int, Field(ge=1)] = 1


class FilesConfig(Strict):
    """Azure Files NFS share on a Premium FileStorage account."""

    quota_gib: int
    share_name: Annotated[str, _pattern(az.FILE_SHARE_NAME, "3-63 lowercase letters, digits and single hyphens")] = "ppm-data"
    #: ZRS needs a region with availability zones; LRS is for single-zone development.
    redundancy: Literal["ZRS", "LRS"] = "ZRS"


def _public_ipv4_range(value: str) -> str:
    _cidr(value)
    if not is_public_ipv4(value):
        raise ValueError("a public IPv4 address or CIDR (private networks reach the vault through its private endpoint)")
    return value


def _public_storage_ip_range(value: str) -> str:
    _cidr(value)
    if not is_public_ipv4(value, RFC1918_RANGES):
        raise ValueError("a public IPv4 address or CIDR: storage firewalls refuse RFC 1918 private ranges")
    return value


class KeyVaultConfig(Strict):
    """The data stack's Key Vault (holds the PostgreSQL administrator password)."""

    #: Public IPv4 addresses/CIDRs of the machines that run `cdktf deploy data`. Empty (default):
    #: the vault's public endpoint is off and the deployer must run inside the VNet (or a peered
    #: network) to write the password secret. Non-empty: public endpoint on, default Deny, only these.
    deployer_ip_ranges: list[Annotated[str, AfterValidator(_public_ipv4_range)]] = Field(default_factory=list)
    #: Days a deleted vault or secret stays recoverable (purge protection is always on). Azure fixes
    #: it when the vault is created.
    soft_delete_retention_days: Annotated[int, Field(ge=az.KEY_VAULT_SOFT_DELETE_DAYS[0], le=az.KEY_VAULT_SOFT_DELETE_DAYS[1])] = 90


class AutoscalingConfig(Strict):
    enabled: bool = False
    min_count: Annotated[int, Field(ge=1, le=1000)] = 3
    max_count: Annotated[int, Field(ge=1, le=1000)] = 6


class SystemPoolConfig(Strict):
    """A separate system node pool (CriticalAddonsOnly); the user pool then runs the app."""

    vm_size: Annotated[str, _pattern(r"Standard_[A-Za-z0-9_]+", "an Azure VM size such as Standard_D4ds_v5")] = "Standard_D4ds_v5"
    node_count: Annotated[int, Field(ge=1, le=1000)] = 3


class ApiServerConfig(Strict):
    #: CIDRs allowed to reach a public API server.
    authorized_ip_ranges: list[Cidr] = Field(default_factory=list)
    #: A private cluster: the API server gets a private endpoint in the node subnet.
    private_cluster: bool = False
    #: Explicit opt-in to a public API server reachable from anywhere.
    allow_public_without_authorized_ranges: bool = False


class MaintenanceWindowConfig(Strict):
    day_of_week: Literal[az.WEEKDAYS] = "Sunday"  # type: ignore[valid-type]
    start_time: Annotated[str, _pattern(az.HH_MM, "HH:MM, 24-hour")] = "02:00"
    duration_hours: Annotated[int, Field(ge=az.MAINTENANCE_DURATION_HOURS[0], le=az.MAINTENANCE_DURATION_HOURS[1])] = 4
    utc_offset: Annotated[str, _pattern(az.UTC_OFFSET, "+HH:MM or -HH:MM")] = "+00:00"


class VmCapacityConfig(Strict):
    """vCPUs and memory of a VM size, from the size's page on Microsoft Learn."""

    vcpus: Annotated[int, Field(ge=1, le=1024)]
    memory_gib: Annotated[float, Field(gt=0, le=65536)]


class ClusterConfig(Strict):
    """The AKS cluster."""

    #: Any VM size Azure offers in the region. Rule APP-003 checks the pods fit it using the
    #: size table (config/azure_rules.py VM_SIZES) or, for a size not listed there, vm_capacity.
    vm_size: Annotated[str, _pattern(r"Standard_[A-Za-z0-9_]+", "an Azure VM size such as Standard_D8_v5")]
    #: vCPUs and memory of vm_size; only needed (and only used) when vm_size is not in the size table.
    vm_capacity: VmCapacityConfig | None = None
    node_count: Annotated[int, Field(ge=1, le=1000)]
    kubernetes_version: Annotated[str, _pattern(r"1\.[0-9]{2}(\.[0-9]+)?", "a Kubernetes version such as 1.33")] | None = None
    max_pods: Annotated[int, Field(ge=az.CONFIG_MIN_MAX_PODS, le=az.AKS_MAX_PODS[1])] = 110
    os_disk_size_gb: Annotated[int, Field(ge=az.AKS_OS_DISK_SIZE_GB[0], le=az.AKS_OS_DISK_SIZE_GB[1])] = 128
    #: Encryption at host needs the EncryptionAtHost feature registered on the subscription.
    host_encryption: bool = True
    autoscaling: AutoscalingConfig = AutoscalingConfig()
    system_pool: SystemPoolConfig | None = None
    network_policy: Literal[az.AKS_NETWORK_POLICIES] = "cilium"  # type: ignore[valid-type]
    pod_cidr: Cidr = "192.168.0.0/16"
    service_cidr: Cidr = "172.16.0.0/16"
    dns_service_ip: IPv4 = "172.16.0.10"
    api_server: ApiServerConfig = ApiServerConfig()
    admin_group_object_ids: list[Uuid] = Field(default_factory=list)
    automatic_upgrade_channel: Literal[az.AKS_AUTOMATIC_UPGRADE_CHANNELS] = "patch"  # type: ignore[valid-type]
    node_os_upgrade_channel: Literal[az.AKS_NODE_OS_UPGRADE_CHANNELS] = "NodeImage"  # type: ignore[valid-type]
    maintenance_window: MaintenanceWindowConfig = MaintenanceWindowConfig()
    #: Azure DNS zone ids the application-routing add-on may manage (empty: none).
    app_routing_dns_zone_ids: list[Annotated[str, _pattern(
        r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/(dnszones|privateDnsZones)/[^/]+",
        "an Azure DNS zone resource id (.../providers/Microsoft.Network/dnszones/<zone> or privateDnsZones/<zone>)",
    )]] = Field(default_factory=list)
    #: Disk encryption set (customer-managed key) for node OS disks; unset: platform-managed keys.
    #: Changing it replaces the cluster.
    disk_encryption_set_id: Annotated[str, _pattern(
        r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/diskEncryptionSets/[^/]+",
        "a disk encryption set resource id (/subscriptions/.../providers/Microsoft.Compute/diskEncryptionSets/<name>)",
    )] | None = None
    #: Microsoft Defender for Containers sensor (needs the Defender for Containers plan; billed per vCore).
    defender: bool = False


class TlsConfig(Strict):
    """TLS at the ingress. There is no Secret name to choose: the application-routing add-on
    syncs the certificate into ``keyvault-<ingress name>`` ([MS] aks/app-routing-dns-ssl)."""

    #: Off only by explicit choice; plain HTTP open to the Internet is refused anyway (NET-006).
    enabled: bool = False
    #: The certificate in the data stack's Key Vault that the application-routing add-on serves for
    #: app.hostname (import it there before the app stack: docs/app.md "TLS"); the app stack grants the
    #: add-on's identity read access to this one certificate.
    certificate_name: Annotated[str, _pattern(az.KEY_VAULT_SECRET_NAME, "1-127 letters, digits and hyphens")] = "ppm-tls"
    #: Instead: a certificate in another vault, by URI (its read access for the add-on is yours to grant).
    key_vault_certificate_uri: Annotated[str, _pattern(
        az.KEY_VAULT_CERTIFICATE_URI, "https://<vault>.vault.azure.net/certificates/<name>[/<version>]")] | None = None


def _quantity(kind: str, examples: str):
    def check(value: str) -> str:
        if parse_non_negative(value) is None:
            raise ValueError(f"a Kubernetes {kind} quantity such as {examples}")
        return value

    return AfterValidator(check)


#: Any quantity Kubernetes accepts (constructs_lib.quantity: the same grammar the constructs parse).
CpuQuantity = Annotated[str, _quantity("CPU", CPU_EXAMPLES)]
MemoryQuantity = Annotated[str, _quantity("memory", MEMORY_EXAMPLES)]


class ResourcesConfig(Strict):
    """Requests and limits of each Package Manager pod. Rule APP-003 checks that the pods a
    node holds during an upgrade (two with several replicas, one with a single replica) fit
    ``cluster.vm_size`` after the AKS reservation and the add-ons."""

    cpu_request: CpuQuantity = "2"
    memory_request: MemoryQuantity = "8Gi"
    cpu_limit: CpuQuantity = "6"
    #: Two pods per Standard_D8_v5 node during an upgrade must fit with their limits too (APP-003).
    memory_limit: MemoryQuantity = "12Gi"


class AppConfig(Strict):
    """The rstudio-pm Helm release."""

    chart_version: Annotated[str, _pattern(az.CHART_VERSION, "a chart version such as 0.20.4")]
    replicas: Annotated[int, Field(ge=1, le=50)]
    hostname: DnsName
    namespace: Annotated[str, _pattern(az.DNS_LABEL, "a Kubernetes namespace name (RFC 1123 label)")] = "posit-package-manager"
    #: Key Vault secret holding the Package Manager license file, put there by an operator.
    license_secret_name: Annotated[str, _pattern(az.KEY_VAULT_SECRET_NAME, "1-127 letters, digits and hyphens")] = "ppm-license"
    #: How the Helm provider's kubelogin gets a token: the operator's Azure CLI login, or workload identity in CI.
    kubelogin_mode: Literal["azurecli", "workloadidentity"] = "azurecli"
    #: Generation of Package Manager's encryption key (Key Vault secret ppm-encryption-key). Increasing it
    #: writes a NEW key: only as part of Posit's key rotation (docs/app.md "The encryption key").
    encryption_key_version: Annotated[int, Field(ge=1)] = 1
    spread_across_zones: bool = True
    tls: TlsConfig = TlsConfig()
    resources: ResourcesConfig = ResourcesConfig()
    #: Largest request body the ingress NGINX lets through (package and blob uploads): annotation
    #: nginx.ingress.kubernetes.io/proxy-body-size, whose NGINX default is 1m. A number with an
    #: optional k, m or g suffix (any case); "0" means unlimited.
    max_upload_size: Annotated[str, _pattern(NGINX_SIZE, "an NGINX size: a number with an optional k, m or g "
                                                         "suffix, e.g. 512m or 2g; \"0\" for no limit")] = "2g"
    #: The chart's enableSandboxing. true (the chart's default): Git builds run sandboxed; the container's
    #: seccomp and AppArmor profiles are Unconfined, so the namespace can enforce only Pod Security
    #: "privileged". false: RuntimeDefault profiles (Pod Security "restricted" holds) and Git builds run
    #: unsandboxed in the Package Manager container (docs/app.md "Sandboxing").
    sandboxing: bool = True


class RunnerConfig(Strict):
    """Where `make plan`/`make deploy` run (a CI runner or an operator's machine). Every firewall and
    rule that must admit the deployer is derived from this (docs/delivery.md "Where the deploy runs")."""

    #: vnet: a runner subnet the network stack creates inside the VNet (NAT gateway egress, private
    #: endpoints and private DNS for the state account and Key Vault); external: runners outside Azure
    #: with fixed public egress addresses.
    location: Literal["vnet", "external"]
    #: location vnet: the runner subnet, inside network.address_space (at least /29).
    subnet: Cidr | None = None
    #: location external: the runners' fixed public egress (e.g. a NAT gateway's IP); admitted by the
    #: state account firewall, the Key Vault firewall and the AKS API server's authorized ranges.
    egress_cidrs: list[Cidr] = Field(default_factory=list)


#: [GH] actions "Choosing self-hosted runners": labels are matched exactly; no spaces or commas.
RunnerLabel = Annotated[str, _pattern(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}", "a runner label such as self-hosted or ppm")]


class DeliveryConfig(Strict):
    """Who deploys and plans, and from where."""

    runner: RunnerConfig
    #: Entra object ids that apply (the CI deploy identity, a break-glass group): cluster admin,
    #: Key Vault Secrets Officer on the data stack's vault. Role assignments never use "whoever runs".
    deployer_principal_ids: list[Uuid] = Field(default_factory=list)
    #: Entra object ids that plan pull requests: read-only grants that reveal no secret value.
    plan_principal_ids: list[Uuid] = Field(default_factory=list)
    #: Labels the plan and deploy jobs run on (self-hosted runners where delivery.runner says).
    github_runner_labels: Annotated[list[RunnerLabel], Field(min_length=1)] = Field(
        default_factory=lambda: ["self-hosted", "ppm"])


class MonitoringConfig(Strict):
    log_retention_days: Annotated[int, Field(ge=30, le=730)] = 30


def _email(value: str) -> str:
    if not alert_rules.EMAIL.fullmatch(value):
        raise ValueError("allowed: an e-mail address such as platform-oncall@yourcompany.com "
                         "(no webhooks: a webhook URL is a credential and would sit in Terraform state)")
    return value


Percent = Annotated[float, Field(gt=0, le=100)]


_DEFAULT_THRESHOLDS = alert_rules.AlertThresholds()


class AlertThresholdsConfig(Strict):
    """Percent thresholds of the default alert rules; defaults from constructs_lib/alert_rules.py AlertThresholds."""

    postgres_cpu_percent: Percent = _DEFAULT_THRESHOLDS.postgres_cpu_percent
    postgres_storage_percent: Percent = _DEFAULT_THRESHOLDS.postgres_storage_percent
    postgres_connections_percent: Percent = _DEFAULT_THRESHOLDS.postgres_connections_percent
    share_used_percent: Percent = _DEFAULT_THRESHOLDS.share_used_percent
    share_availability_percent: Annotated[float, Field(ge=90, le=100)] = _DEFAULT_THRESHOLDS.share_availability_percent
    node_cpu_percent: Percent = _DEFAULT_THRESHOLDS.node_cpu_percent
    node_memory_percent: Percent = _DEFAULT_THRESHOLDS.node_memory_percent


AlertKey = Literal[alert_rules.ALERT_KEYS]  # type: ignore[valid-type]


class AlertsConfig(Strict):
    """Azure Monitor metric alerts on PostgreSQL, the share and the AKS nodes, sent to one action group."""

    #: Off when the section is absent; the reference config turns it on.
    enabled: bool = False
    #: Who is notified (at least one when enabled; ALERT-001). No webhooks: their URLs are credentials.
    email_receivers: list[Annotated[str, AfterValidator(_email)]] = Field(default_factory=list)
    #: Severity 0 (critical) to 4 (verbose) per rule key, overriding the rule's default.
    severity: dict[AlertKey, Annotated[int, Field(ge=0, le=4)]] = Field(default_factory=dict)
    thresholds: AlertThresholdsConfig = AlertThresholdsConfig()


class EnvironmentConfig(Strict):
    """The whole environment file (config/*.yaml)."""

    #: The Azure subscription every stack deploys to (azurerm 4.x needs one); unset: the
    #: environment's ARM_SUBSCRIPTION_ID (or the `az` login, which make plan/deploy read).
    subscription_id: Uuid | None = None
    environment: Annotated[str, _pattern(r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters and digits, starting with a letter")]
    location: Annotated[str, AfterValidator(_region)]
    zones: Annotated[list[Zone], Field(max_length=3)]
    tags: Annotated[dict[str, str], AfterValidator(_tags)]
    state: StateConfig
    network: NetworkConfig
    postgres: PostgresConfig
    files: FilesConfig
    key_vault: KeyVaultConfig = KeyVaultConfig()
    cluster: ClusterConfig
    app: AppConfig
    delivery: DeliveryConfig
    monitoring: MonitoringConfig = MonitoringConfig()
    alerts: AlertsConfig = AlertsConfig()
