"""A private endpoint for one sub-resource of a PaaS resource, registered in its private DNS zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk.azurerm import (
    PrivateEndpoint as PrivateEndpointResource,
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from constructs_lib.facts import PRIVATE_DNS_ZONES, PRIVATE_ENDPOINT_NAME
from constructs_lib.validation import Problems, is_token

#: Sub-resources (group ids) this library connects to, and the zone each registers in.
SUBRESOURCE_DNS_ZONES: Mapping[str, str] = PRIVATE_DNS_ZONES
_NAME = re.compile(PRIVATE_ENDPOINT_NAME)


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointSpec:
    """Where a construct puts the private endpoint of the resource it creates (the shared
    interface of every construct with a private endpoint).

    :param subnet_id: subnet that hosts the endpoint's NIC.
    :param private_dns_zone_id: the ``privatelink.*`` zone for the sub-resource (e.g.
        ``privatelink.file.core.windows.net`` for ``file``), linked to the clients' VNet.
    """

    subnet_id: str
    private_dns_zone_id: str


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointProps:
    """Props of :class:`PrivateEndpoint`.

    :param name: endpoint name (2-64 characters); the NIC is named ``<name>-nic``.
        Changing it replaces the endpoint.
    :param resource_group_name: resource group of the endpoint.
    :param location: Azure region (the VNet's).
    :param subnet_id: subnet that hosts the endpoint's NIC.
    :param target_resource_id: the resource to connect to (storage account, vault, ...).
    :param subresource_name: the sub-resource (group id): one of ``file``, ``blob``, ``vault``.
    :param private_dns_zone_ids: zones the endpoint registers its A record in (normally the
        one ``privatelink.*`` zone matching ``subresource_name``); at least one.
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    subnet_id: str
    target_resource_id: str
    subresource_name: str
    private_dns_zone_ids: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class PrivateEndpoint(Construct):
    """``azurerm_private_endpoint`` (id ``Resource``), auto-approved, with a DNS zone group.

    Example::

        PrivateEndpoint(self, "pe-file", PrivateEndpointProps(
            name="pe-stdev-file", resource_group_name=rg, location="eastus2",
            subnet_id=subnet_id, target_resource_id=account.id, subresource_name="file",
            private_dns_zone_ids=[files_zone_id]))
    """

    def __init__(self, scope: Construct, id: str, props: PrivateEndpointProps) -> None:
        problems = Problems("PrivateEndpoint")
        problems.require(is_token(props.name) or bool(_NAME.fullmatch(props.name)), "name", props.name,
                         "2-64 letters, digits, '_', '.', '-', starting with a letter or digit")
        problems.require(props.subresource_name in SUBRESOURCE_DNS_ZONES, "subresource_name", props.subresource_name,
                         "one of " + ", ".join(sorted(SUBRESOURCE_DNS_ZONES)))
        problems.require(bool(props.private_dns_zone_ids), "private_dns_zone_ids", list(props.private_dns_zone_ids),
                         f"at least one zone id (the {SUBRESOURCE_DNS_ZONES.get(props.subresource_name, 'privatelink.*')} "
                         "zone), or clients resolve the public name")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.resource = PrivateEndpointResource(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            subnet_id=props.subnet_id,
            custom_network_interface_name=f"{props.name}-nic",
            private_service_connection=PrivateEndpointPrivateServiceConnection(
                name=f"{props.name}-connection",
                private_connection_resource_id=props.target_resource_id,
                subresource_names=[props.subresource_name],
                is_manual_connection=False,
            ),
            private_dns_zone_group=PrivateEndpointPrivateDnsZoneGroup(
                name="default", private_dns_zone_ids=list(props.private_dns_zone_ids)),
            tags=dict(props.tags) or None,
        )

    @classmethod
    def attach(cls, scope: Construct, *, spec: PrivateEndpointSpec, name: str, target_resource_id: str,
               subresource_name: str, resource_group_name: str, location: str,
               tags: Mapping[str, str]) -> "PrivateEndpoint":
        """The endpoint a construct makes for its own resource: child ``private-endpoint`` of ``scope``."""
        return cls(scope, "private-endpoint", PrivateEndpointProps(
            name=name,
            resource_group_name=resource_group_name,
            location=location,
            subnet_id=spec.subnet_id,
            target_resource_id=target_resource_id,
            subresource_name=subresource_name,
            private_dns_zone_ids=[spec.private_dns_zone_id],
            tags=tags,
        ))

    @property
    def id(self) -> str:
        return self.resource.id
