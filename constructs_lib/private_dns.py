"""A private DNS zone linked to one or more VNets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from constructs import Construct

from constructs_lib.cdk.azurerm import PrivateDnsZone as PrivateDnsZoneResource, PrivateDnsZoneVirtualNetworkLink
from constructs_lib.facts import DNS_NAME
from constructs_lib.azurerm_versions import private_dns_link_zone
from constructs_lib.validation import Problems, is_token

_DNS_NAME = re.compile(DNS_NAME)


@dataclass(frozen=True, kw_only=True)
class PrivateDnsZoneProps:
    """Props of :class:`PrivateDnsZone`.

    :param name: zone name, e.g. ``privatelink.file.core.windows.net``. Changing it
        replaces the zone.
    :param resource_group_name: resource group of the zone.
    :param virtual_network_ids: VNets to link, keyed by a short link name.
    :param registration_enabled: auto-register VM records in the zone - False
        (private-endpoint and PostgreSQL zones must not auto-register).
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    virtual_network_ids: Mapping[str, str]
    registration_enabled: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class PrivateDnsZone(Construct):
    """``azurerm_private_dns_zone`` (id ``Resource``) plus one VNet link per entry.

    Example::

        zone = PrivateDnsZone(self, "files-dns", PrivateDnsZoneProps(
            name="privatelink.file.core.windows.net", resource_group_name=rg.name,
            virtual_network_ids={"spoke": vnet.id}))
        zone.resource.id
    """

    def __init__(self, scope: Construct, id: str, props: PrivateDnsZoneProps) -> None:
        problems = Problems("PrivateDnsZone")
        problems.require(is_token(props.name) or bool(_DNS_NAME.fullmatch(props.name)), "name", props.name,
                         "a lowercase DNS zone name such as privatelink.file.core.windows.net")
        problems.require(bool(props.virtual_network_ids), "virtual_network_ids", dict(props.virtual_network_ids),
                         "at least one VNet to link (an unlinked private zone resolves for nobody)")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.resource = PrivateDnsZoneResource(
            self, "Resource", name=props.name, resource_group_name=props.resource_group_name,
            tags=dict(props.tags) or None,
        )
        self.links = {
            link_name: PrivateDnsZoneVirtualNetworkLink(
                self, f"link-{link_name}",
                name=f"link-{link_name}",
                **private_dns_link_zone(self.resource.id, self.resource.name, props.resource_group_name),
                virtual_network_id=vnet_id,
                registration_enabled=props.registration_enabled,
                tags=dict(props.tags) or None,
            )
            for link_name, vnet_id in props.virtual_network_ids.items()
        }

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def name(self) -> str:
        return self.resource.name
