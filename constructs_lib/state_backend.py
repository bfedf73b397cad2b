"""Where Terraform keeps remote state: resource group, storage account and blob container.

Everything a ``backend "azurerm"`` with ``use_azuread_auth = true`` needs, hardened for
state that must never be lost or leaked: blob versioning and soft delete (blobs and
containers), TLS 1.2, no anonymous blob access, shared keys off (Entra ID only),
a firewall that admits only the given public ranges, and ``prevent_destroy`` on all three.

Because shared-key access is off, the azurerm provider that creates this must use
Entra ID for data-plane calls (``storage_use_azuread = true`` on the provider), and
whoever runs ``terraform init`` against the backend needs the *Storage Blob Data
Contributor* role on the account ([P] storage_account, ``shared_access_key_enabled``;
[P] backend azurerm ``use_azuread_auth``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk import TerraformResourceLifecycle
from constructs_lib.cdk.azurerm import (
    ResourceGroup,
    RoleAssignment,
    StorageAccount,
    StorageAccountBlobProperties,
    StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
    StorageAccountBlobPropertiesDeleteRetentionPolicy,
    StorageAccountNetworkRules,
    StorageAccountSasPolicy,
    StorageContainer,
)
from constructs_lib.facts import BLOB_CONTAINER_NAME, STORAGE_ACCOUNT_NAME
from constructs_lib.rbac import grant_role
from constructs_lib.validation import Problems, RFC1918_RANGES, is_public_ipv4, is_token
#: [P] storage_account ``account_replication_type``: the geo-redundant choices (a state
#: file outlives a regional outage; checkov CKV_AZURE_206 asks for the same).
GEO_REPLICATION = ("GRS", "RAGRS", "GZRS", "RAGZRS")
#: [MS] built-in roles: read, write and lease (lock) blobs with Entra ID - what a backend needs.
BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"
#: [MS] built-in roles: read blobs only - enough for ``terraform plan -lock=false``.
BLOB_DATA_READER = "Storage Blob Data Reader"
#: [P] storage_account ``delete_retention_policy.days`` / ``container_delete_retention_policy.days``: 1-365.
RETENTION_DAYS = (1, 365)


def _firewall_rule(cidr: str) -> list[str]:
    """Azure storage IP rules take no /31 or /32 prefixes: those become single addresses.

    [MS] storage-network-security "Grant access from an internet IP range": "small address
    ranges using /31 or /32 prefix sizes are not supported; configure them as individual IP
    address rules".
    """
    network = ipaddress.IPv4Network(cidr, strict=True)
    if network.prefixlen >= 31:
        return [str(address) for address in (network if network.prefixlen == 31 else [network.network_address])]
    return [cidr]


@dataclass(frozen=True, kw_only=True)
class StateBackendProps:
    """Props of :class:`StateBackend`.

    :param resource_group_name: resource group created for the state account. Changing it
        replaces everything (and ``prevent_destroy`` refuses that).
    :param location: Azure region, e.g. ``eastus2``. Changing it replaces everything.
    :param storage_account_name: 3-24 lowercase letters and digits, globally unique.
        Changing it replaces the account.
    :param container_name: blob container for the state files (3-63 lowercase letters,
        digits, single hyphens). Changing it replaces the container.
    :param allowed_ip_ranges: public IPv4 CIDRs (operators' and CI runners' egress) let
        through the account firewall; at least one (a state account open to every network
        is refused). /31 and /32 become single-address rules, as Azure requires.
    :param replication_type: one of GRS, RAGRS, GZRS, RAGZRS - ``GRS`` (works in every
        paired region; use GZRS where the region has availability zones).
    :param blob_soft_delete_days: 1-365 - 30: a deleted or overwritten state blob can be
        undeleted for this long.
    :param container_soft_delete_days: 1-365 - 30: a deleted container can be restored for this long.
    :param tags: - none (a tagging Aspect may add them).
    """

    resource_group_name: str
    location: str
    storage_account_name: str
    container_name: str
    allowed_ip_ranges: Sequence[str]
    replication_type: str = "GRS"
    blob_soft_delete_days: int = 30
    container_soft_delete_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)


class StateBackend(Construct):
    """``azurerm_storage_account`` (id ``Resource``) in its own resource group, plus the state container.

    Example::

        backend = StateBackend(self, "state", StateBackendProps(
            resource_group_name="rg-prod-tfstate", location="eastus2",
            storage_account_name="stprodtfstate", container_name="tfstate",
            allowed_ip_ranges=["203.0.113.0/24"]))
        backend.resource.id, backend.container.name
    """

    def __init__(self, scope: Construct, id: str, props: StateBackendProps) -> None:
        problems = Problems("StateBackend")
        problems.require(is_token(props.storage_account_name) or bool(re.fullmatch(STORAGE_ACCOUNT_NAME, props.storage_account_name)),
                         "storage_account_name", props.storage_account_name, "3-24 lowercase letters and digits")
        problems.require(is_token(props.container_name) or bool(re.fullmatch(BLOB_CONTAINER_NAME, props.container_name)),
                         "container_name", props.container_name, "3-63 lowercase letters, digits and single hyphens")
        problems.require(props.replication_type in GEO_REPLICATION, "replication_type", props.replication_type,
                         f"one of {', '.join(GEO_REPLICATION)} (state must survive a regional outage)")
        for name in ("blob_soft_delete_days", "container_soft_delete_days"):
            days = getattr(props, name)
            problems.require(RETENTION_DAYS[0] <= days <= RETENTION_DAYS[1], name, days,
                             f"{RETENTION_DAYS[0]} to {RETENTION_DAYS[1]} days")
        problems.require(bool(props.allowed_ip_ranges), "allowed_ip_ranges", list(props.allowed_ip_ranges),
                         "at least one public CIDR of your operators' and CI runners' egress "
                         "(a state account open to every network is refused)")
        for index, cidr in enumerate(props.allowed_ip_ranges):
            problems.require(is_public_ipv4(cidr, RFC1918_RANGES), f"allowed_ip_ranges[{index}]", cidr,
                             "an IPv4 CIDR with host bits zero outside RFC 1918 (storage firewalls take no private ranges)")
        problems.raise_if_any()
        super().__init__(scope, id)

        keep = TerraformResourceLifecycle(prevent_destroy=True)
        self.resource_group = ResourceGroup(
            self, "ResourceGroup", name=props.resource_group_name, location=props.location,
            tags=dict(props.tags) or None, lifecycle=keep,
        )
        self.resource = StorageAccount(
            self, "Resource",
            name=props.storage_account_name,
            resource_group_name=self.resource_group.name,
            location=props.location,
            account_kind="StorageV2",
            account_tier="Standard",
            account_replication_type=props.replication_type,
            access_tier="Hot",
            min_tls_version="TLS1_2",
            https_traffic_only_enabled=True,
            allow_nested_items_to_be_public=False,  # no anonymous blob access
            shared_access_key_enabled=False,  # Entra ID only: the backends use use_azuread_auth
            default_to_oauth_authentication=True,
            local_user_enabled=False,  # no SFTP/local users
            cross_tenant_replication_enabled=False,
            infrastructure_encryption_enabled=True,  # double encryption at rest; forces new: set at creation
            # Any user-delegation SAS handed out lives at most a day and is logged.
            sas_policy=StorageAccountSasPolicy(expiration_period="01.00:00:00", expiration_action="Log"),
            network_rules=StorageAccountNetworkRules(
                default_action="Deny",
                bypass=["AzureServices"],
                ip_rules=[rule for cidr in props.allowed_ip_ranges for rule in _firewall_rule(cidr)],
            ),
            blob_properties=StorageAccountBlobProperties(
                versioning_enabled=True,  # every state write keeps the previous version
                delete_retention_policy=StorageAccountBlobPropertiesDeleteRetentionPolicy(days=props.blob_soft_delete_days),
                container_delete_retention_policy=StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(
                    days=props.container_soft_delete_days),
            ),
            tags=dict(props.tags) or None,
            lifecycle=keep,
        )
        # [P] storage_container: storage_account_id creates it through ARM (management plane),
        # so the firewall and the missing shared key do not get in the way.
        self.container = StorageContainer(
            self, "Container",
            name=props.container_name,
            storage_account_id=self.resource.id,
            container_access_type="private",
            lifecycle=keep,
        )

    def grant_state_access(self, id: str, principal_id: str, description: str | None = None, *,
                           read_only: bool = False) -> RoleAssignment:
        """Let ``principal_id`` (an Entra object id) read, write and lock state: *Storage Blob
        Data Contributor* on the account; with ``read_only``, *Storage Blob Data Reader* (plans
        with ``-lock=false``). Whoever applies this needs ``roleAssignments/write`` (Owner, User
        Access Administrator or Role Based Access Control Administrator); the grant can take
        minutes to propagate."""
        return grant_role(self, id, target_scope=self.resource.id,
                          role=BLOB_DATA_READER if read_only else BLOB_DATA_CONTRIBUTOR,
                          principal_id=principal_id, description=description)

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def name(self) -> str:
        return self.resource.name
