"""An Azure Files NFS 4.1 share on a Premium FileStorage account, reachable only through a private endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Mapping

from constructs import Construct

from constructs_lib.cdk import TerraformResourceLifecycle
from constructs_lib.cdk.azurerm import (
    StorageAccount,
    StorageAccountNetworkRules,
    StorageAccountShareProperties,
    StorageAccountSharePropertiesRetentionPolicy,
    StorageShare,
)
from constructs_lib.diagnostics import Diagnostics
from constructs_lib.facts import FILE_SHARE_NAME, PREMIUM_SHARE_QUOTA_GIB, SHARE_SOFT_DELETE_DAYS, STORAGE_ACCOUNT_NAME
from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointSpec
from constructs_lib.refs import NfsShareRef
from constructs_lib.validation import Problems, is_token

_ACCOUNT_NAME = re.compile(STORAGE_ACCOUNT_NAME)
_SHARE_NAME = re.compile(FILE_SHARE_NAME)


@dataclass(frozen=True, kw_only=True)
class NfsFileShareProps:
    """Props of :class:`NfsFileShare`.

    :param account_name: storage account name, 3-24 lowercase letters and digits, globally
        unique. Changing it replaces the account (and the data).
    :param resource_group_name: resource group of the account and its private endpoint.
    :param location: Azure region.
    :param share_name: 3-63 lowercase letters, digits, single hyphens. Changing it replaces the share.
    :param quota_gib: provisioned size, 100 - 102,400 GiB (Premium bills the provisioned size and
        scales IOPS/throughput with it). Can grow; shrinking below the used size fails.
    :param private_endpoint: where the account's ``file`` private endpoint goes (NFS clients mount
        through it); its zone is ``privatelink.file.core.windows.net``.
    :param replication: ``ZRS`` (default: three zones; regions with zones only) or ``LRS``. Azure
        can't convert an existing premium account between them: decide at creation.
    :param share_soft_delete_days: keep a deleted share recoverable this many days, 1-365 - 7.
    :param log_analytics_workspace_id: send file-service logs and transaction metrics there -
        no diagnostics.
    :param prevent_destroy: ``lifecycle.prevent_destroy`` on the account and the share - True.
    :param tags: - none (a tagging Aspect may add them).
    """

    account_name: str
    resource_group_name: str
    location: str
    share_name: str
    quota_gib: int
    private_endpoint: PrivateEndpointSpec
    replication: Literal["ZRS", "LRS"] = "ZRS"
    share_soft_delete_days: int = 7
    log_analytics_workspace_id: str | None = None
    prevent_destroy: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class NfsFileShare(Construct):
    """``azurerm_storage_account`` (id ``Resource``: FileStorage, Premium), one NFS ``share``,
    the account's ``file`` ``private_endpoint`` and optional diagnostics.

    The account refuses public network access and shared keys; ``https_traffic_only_enabled`` is
    false because kernel NFS mounts cannot use TLS ([MS] files-nfs-protocol; secure transfer
    must be off for NFS). Traffic stays on the private endpoint.

    Example::

        files = NfsFileShare(self, "files", NfsFileShareProps(
            account_name="stdevnfs1a2b3c4d", resource_group_name=rg, location="eastus2",
            share_name="ppm-data", quota_gib=1000,
            private_endpoint=PrivateEndpointSpec(subnet_id=pe_subnet, private_dns_zone_id=files_zone)))
        files.ref()
    """

    def __init__(self, scope: Construct, id: str, props: NfsFileShareProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        lifecycle = TerraformResourceLifecycle(prevent_destroy=props.prevent_destroy)
        self.resource = StorageAccount(
            self, "Resource",
            name=props.account_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            account_kind="FileStorage",       # NFS shares need Premium FileStorage [MS]
            account_tier="Premium",
            account_replication_type=props.replication,
            https_traffic_only_enabled=False,  # kernel NFS mounts have no TLS [MS]
            min_tls_version="TLS1_2",
            public_network_access_enabled=False,
            shared_access_key_enabled=False,   # NFS authorizes by network, never by key
            default_to_oauth_authentication=True,
            allow_nested_items_to_be_public=False,
            cross_tenant_replication_enabled=False,
            # Deny by default; trusted Azure services (e.g. Azure Backup for file shares) may pass
            # the firewall, though with public access disabled only the private endpoint is open.
            network_rules=StorageAccountNetworkRules(default_action="Deny", bypass=["AzureServices"]),
            share_properties=StorageAccountShareProperties(
                retention_policy=StorageAccountSharePropertiesRetentionPolicy(days=props.share_soft_delete_days)),
            lifecycle=lifecycle,
            tags=dict(props.tags) or None,
        )
        self.share = StorageShare(
            self, "share",
            name=props.share_name,
            storage_account_id=self.resource.id,  # ARM API: works behind the storage firewall [P]
            quota=props.quota_gib,
            enabled_protocol="NFS",
            lifecycle=lifecycle,
        )
        self.private_endpoint = PrivateEndpoint.attach(
            self, spec=props.private_endpoint, name=f"pe-{props.account_name}-file",
            target_resource_id=self.resource.id, subresource_name="file",
            resource_group_name=props.resource_group_name, location=props.location, tags=props.tags)
        # The file service, not the account, carries the NFS logs; storage names its metrics Transaction.
        self.diagnostics = Diagnostics.attach(
            self, target_resource_id=f"{self.resource.id}/fileServices/default",
            log_analytics_workspace_id=props.log_analytics_workspace_id, metric_categories=("Transaction",))

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def account_name(self) -> str:
        return self.resource.name

    @property
    def share_name(self) -> str:
        return self.share.name

    def ref(self) -> NfsShareRef:
        """A reference for consumers in other stacks (becomes cross-stack outputs where used)."""
        return NfsShareRef(resource_group_name=self.resource.resource_group_name,
                           storage_account_name=self.resource.name, share_name=self.share.name,
                           quota_gib=self.props.quota_gib)


def _validate(p: NfsFileShareProps) -> None:
    problems = Problems("NfsFileShare")
    problems.require(is_token(p.account_name) or bool(_ACCOUNT_NAME.fullmatch(p.account_name)), "account_name",
                     p.account_name, "3-24 lowercase letters and digits")
    problems.require(is_token(p.share_name) or bool(_SHARE_NAME.fullmatch(p.share_name)), "share_name", p.share_name,
                     "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit")
    lo, hi = PREMIUM_SHARE_QUOTA_GIB
    problems.require(lo <= p.quota_gib <= hi, "quota_gib", p.quota_gib, f"{lo} to {hi:,} GiB (premium file share)")
    problems.require(p.replication in ("ZRS", "LRS"), "replication", p.replication,
                     "'ZRS' or 'LRS' (premium file shares offer no geo-redundancy)")
    lo, hi = SHARE_SOFT_DELETE_DAYS
    problems.require(lo <= p.share_soft_delete_days <= hi, "share_soft_delete_days", p.share_soft_delete_days,
                     f"{lo} to {hi} days")
    problems.raise_if_any()
