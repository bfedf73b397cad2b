"""Azure and Kubernetes facts that the constructs and the app's config both rely on: one home each.

Pure Python (no cdktf import). Every value carries its source (tags: docs/sources.md). The
constructs validate their props against these; ``config/azure_rules.py`` imports them for the
config's own checks, so the config can never accept a value a construct then refuses
(``tests/test_facts.py`` holds the two to that).

Name patterns are regular expressions for ``re.fullmatch`` (no anchors).
"""

from __future__ import annotations

from typing import Mapping

# --- Terraform ---------------------------------------------------------------------------------

#: [TF] v1.11 changelog: write-only arguments (the passwords' ``*_wo``, fed by ephemeral resources)
#: need Terraform 1.11; every stack requires it (``terraform.required_version``), and CDK Terrain
#: refuses to synthesize them for a project that targets anything older.
MIN_TERRAFORM_VERSION = "1.11.0"

# --- PostgreSQL Flexible Server ---------------------------------------------------------------

#: [P] azurerm_postgresql_flexible_server ``storage_mb``; [MS] flexible-server concepts-storage.
POSTGRES_STORAGE_MB: tuple[int, ...] = (
    32768, 65536, 131072, 262144, 524288, 1048576, 2097152,
    4193280, 4194304, 8388608, 16777216, 33553408,
)
POSTGRES_STORAGE_GIB: tuple[int, ...] = tuple(mb // 1024 for mb in POSTGRES_STORAGE_MB)
#: [P] ``version``: the majors azurerm 4.x accepts (an existing server may run any of them).
POSTGRES_VERSIONS: tuple[str, ...] = ("11", "12", "13", "14", "15", "16", "17")
#: [MS] flexible-server concepts-supported-versions: the majors Azure still offers for new servers.
POSTGRES_VERSIONS_FOR_NEW_SERVERS: tuple[str, ...] = ("13", "14", "15", "16", "17")
#: [MS] flexible-server concepts-backup-restore: 7 to 35 days.
POSTGRES_BACKUP_RETENTION_DAYS = (7, 35)
#: [MS] flexible-server quickstart-create-server: names the administrator login may not take
#: (nor may it start with ``pg_``).
POSTGRES_RESERVED_LOGINS = frozenset({
    "azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public",
})
#: [MS] resource-name-rules Microsoft.DBforPostgreSQL/flexibleServers: 3-63 lowercase letters,
#: digits, hyphens; not starting or ending with a hyphen. Globally unique (a DNS name).
POSTGRES_SERVER_NAME = r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"
#: [P] ``sku_name``: ``<tier>_Standard_<size>``, tier B (Burstable), GP or MO.
POSTGRES_SKU = r"(B|GP|MO)_Standard_[A-Za-z0-9_]+"
#: PostgreSQL identifiers as this project writes them (logins, database names): 1-63 lowercase
#: letters, digits, ``_``, not starting with a digit ([MS] quickstart-create-server, 63-byte NAMEDATALEN).
POSTGRES_IDENTIFIER = r"[a-z_][a-z0-9_]{0,62}"
#: [MS] flexible-server quickstart-create-server: the administrator login: an identifier that does not
#: start with ``pg_`` (reserved names: :data:`POSTGRES_RESERVED_LOGINS`).
POSTGRES_LOGIN = r"(?!pg_)[a-z_][a-z0-9_]{0,62}"
#: [MS] flexible-server concepts-networking-private: the delegation a VNet-injected server needs.
POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"
#: [MS] flexible-server concepts-networking-private: its private DNS zone must end in this
#: (and must not equal the server's own name).
POSTGRES_PRIVATE_DNS_SUFFIX = "postgres.database.azure.com"
#: [MS] flexible-server concepts-networking-private: the delegated subnet is at least /28.
POSTGRES_SUBNET_MAX_PREFIX = 28

# --- Azure Files (premium NFS) -----------------------------------------------------------------

#: [MS] storage-files-planning: provisioned v1 premium shares are 100 GiB to 102,400 GiB.
PREMIUM_SHARE_QUOTA_GIB = (100, 102_400)
#: [MS] storage-files-enable-soft-delete: 1-365 days.
SHARE_SOFT_DELETE_DAYS = (1, 365)
#: [MS] storage-account-overview "Storage account name": 3-24 lowercase letters and digits, globally unique.
STORAGE_ACCOUNT_NAME = r"[a-z0-9]{3,24}"
#: [MS] resource-name-rules Microsoft.Storage/storageAccounts/fileServices/shares: 3-63 lowercase
#: letters, digits, single hyphens; starts and ends with a letter or digit.
FILE_SHARE_NAME = r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"
#: [MS] resource-name-rules Microsoft.Storage/storageAccounts/blobServices/containers: 3-63
#: lowercase letters, digits and single hyphens, starting with a letter or digit.
BLOB_CONTAINER_NAME = r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"

# --- Key Vault -------------------------------------------------------------------------------

#: [MS] resource-name-rules Microsoft.KeyVault/vaults: 3-24 alphanumerics and hyphens, start with a
#: letter, end with a letter or digit, no consecutive hyphens. Globally unique (DNS name).
KEY_VAULT_NAME = r"(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]"
#: [MS] resource-name-rules Microsoft.KeyVault/vaults/secrets: 1-127 alphanumerics and hyphens.
KEY_VAULT_SECRET_NAME = r"[0-9A-Za-z-]{1,127}"
#: [MS] key-vault/general/about-keys-secrets-certificates (object identifiers): a certificate URI,
#: optionally with its 32-hex-digit version.
KEY_VAULT_CERTIFICATE_URI = r"https://[0-9A-Za-z-]{3,24}\.vault\.azure\.net/certificates/[0-9A-Za-z-]{1,127}(/[0-9a-f]{32})?"
#: [P] azurerm_key_vault ``soft_delete_retention_days``: 7-90.
KEY_VAULT_SOFT_DELETE_DAYS = (7, 90)

# --- Private endpoints and DNS ----------------------------------------------------------------

#: [MS] private-link/private-endpoint-dns: sub-resources (group ids) and the zone each registers in.
#: Only the ones this library uses; extend as needed.
PRIVATE_DNS_ZONES: Mapping[str, str] = {
    "file": "privatelink.file.core.windows.net",
    "blob": "privatelink.blob.core.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
}
#: [MS] resource-name-rules Microsoft.Network/privateEndpoints: 2-64 characters, alphanumerics,
#: underscores, periods, hyphens; start alphanumeric; end alphanumeric or underscore.
PRIVATE_ENDPOINT_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]"
#: A lowercase fully qualified DNS name ([K8S] and RFC 1123: labels of 1-63, at most 253 in all).
DNS_NAME = r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
#: [K8S] names: an RFC 1123 label (namespaces, release names, storage classes).
DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"

# --- Resource groups, identities ---------------------------------------------------------------

#: [MS] resource-name-rules Microsoft.Resources/resourcegroups: 1-90 letters, digits, underscores,
#: parentheses, hyphens, periods; not ending in a period.
RESOURCE_GROUP_NAME = r"[-\w._()]{0,89}[-\w_()]"
#: An Entra ID object or client id.
GUID = r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"

# --- AKS -------------------------------------------------------------------------------------

#: [MS] aks/availability-zones: a pool's nodes spread over the zones it lists, numbered 1-3.
ZONES = ("1", "2", "3")
#: [MS] aks/concepts-network-azure-cni-overlay: max pods per node 10-250.
AKS_MAX_PODS = (10, 250)
#: [P] kubernetes_cluster ``automatic_upgrade_channel`` / ``node_os_upgrade_channel`` (4.x names).
AKS_AUTOMATIC_UPGRADE_CHANNELS = ("patch", "rapid", "node-image", "stable")
AKS_NODE_OS_UPGRADE_CHANNELS = ("Unmanaged", "SecurityPatch", "NodeImage", "None")
#: [P] ``network_profile.network_policy``; cilium also needs ``network_data_plane = "cilium"``.
AKS_NETWORK_POLICIES = ("azure", "calico", "cilium")
#: [P] ``default_node_pool.os_disk_size_gb`` as the API accepts it for managed OS disks: 30-2048 GB.
AKS_OS_DISK_SIZE_GB = (30, 2048)
#: [P] ``maintenance_window_auto_upgrade``: day names, ``HH:MM`` start, 4-24 hours, ``+HH:MM`` UTC offset.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HH_MM = r"([01][0-9]|2[0-3]):[0-5][0-9]"
UTC_OFFSET = r"[+-](0[0-9]|1[0-4]):[0-5][0-9]"
MAINTENANCE_DURATION_HOURS = (4, 24)
#: [MS] aks/app-routing: the ingress class of the managed NGINX (application-routing add-on).
APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com"
#: [NGINX] ngx_http_core_module (sizes in bytes, k/K, m/M or g/G): client_max_body_size, which the
#: ingress annotation nginx.ingress.kubernetes.io/proxy-body-size sets; 0 turns the check off.
NGINX_SIZE = r"[0-9]+[kKmMgG]?"

# --- Helm ------------------------------------------------------------------------------------

#: A pinned chart version (Helm charts use SemVer 2; this project pins exact releases such as 0.20.4).
CHART_VERSION = r"[0-9]+\.[0-9]+\.[0-9]+"

# --- Azure RBAC ------------------------------------------------------------------------------

#: Bounds of every "wait for a new role assignment to take effect" in this library, in seconds
#: (0: no wait). New assignments take minutes to be honoured ([MS] role-based-access-control/troubleshooting:
#: up to 10 minutes; [MS] aks/manage-azure-rbac: up to 5); half an hour is the most we ever wait.
RBAC_PROPAGATION_SECONDS = (0, 1800)
