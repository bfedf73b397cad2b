"""A VNet with purpose-built subnets, each behind its own network security group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk.azurerm import (
    NatGateway as NatGatewayResource,
    NatGatewayPublicIpAssociation,
    NetworkSecurityGroup,
    NetworkSecurityRule,
    PublicIp,
    Subnet,
    SubnetDelegation,
    SubnetDelegationServiceDelegation,
    SubnetNatGatewayAssociation,
    SubnetNetworkSecurityGroupAssociation,
    VirtualNetwork,
)
from constructs_lib.facts import POSTGRES_DELEGATION, ZONES
from constructs_lib.validation import Problems, cidr_or_none


@dataclass(frozen=True, kw_only=True)
class InboundRule:
    """One inbound allow/deny rule of a subnet's NSG.

    :param name: rule name, unique within the NSG.
    :param priority: 100-4096; lower wins.
    :param ports: destination ports or ranges, e.g. ``("443",)`` or ``("*",)``.
    :param sources: source CIDRs or service tags (``Internet``, ``VirtualNetwork``, ...).
    :param protocol: ``Tcp`` (default), ``Udp``, ``Icmp`` or ``*``.
    :param access: ``Allow`` (default) or ``Deny``.
    :param destinations: destination prefixes - the subnet's own prefix. Use ``("*",)`` for
        traffic addressed to something else that lands in the subnet, e.g. a public Standard load
        balancer with floating IP, whose packets keep the load balancer's public IP as destination.
    """

    name: str
    priority: int
    ports: Sequence[str]
    sources: Sequence[str]
    protocol: str = "Tcp"
    access: str = "Allow"
    destinations: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class SubnetSpec:
    """One subnet.

    :param name: subnet name (Azure: 1-80 characters).
    :param address_prefix: IPv4 CIDR inside the VNet's address space.
    :param delegation: service to delegate the subnet to, e.g.
        ``Microsoft.DBforPostgreSQL/flexibleServers`` - none. A delegated subnet is
        dedicated to that service.
    :param inbound_rules: NSG rules - none; an NSG is created for every subnet (an empty
        list still gives one, with Azure's default rules).
    :param private_endpoints: True for a subnet that hosts private endpoints: the
        NSG is then enforced on them (``private_endpoint_network_policies = "Enabled"``) - False.
    :param nsg_name: name of the subnet's NSG - ``nsg-<VNet name without "vnet-">-<name>``
        (e.g. from :meth:`constructs_lib.naming.Names.nsg`). Changing it replaces the NSG.
    :param nat_gateway_id: a NAT gateway for the subnet's outbound traffic (e.g.
        :class:`NatGateway`) - none. Subnets get no default outbound access, so a subnet whose
        machines must reach the Internet (a CI runner) needs one.

    Default outbound access (Azure's implicit public egress IP) is turned off on every subnet
    (``default_outbound_access_enabled = false``) except delegated ones, where it is set to
    ``true`` explicitly (the provider's default, written out so the plan says so): a delegated
    subnet belongs to the managed service, whose outbound needs are Azure's to decide.
    """

    name: str
    address_prefix: str
    delegation: str | None = None
    inbound_rules: Sequence[InboundRule] = ()
    private_endpoints: bool = False
    nsg_name: str | None = None
    nat_gateway_id: str | None = None


#: What each delegation needs to be allowed to do on the subnet ([MS] flexible-server
#: concepts-networking-private: the delegation action for PostgreSQL).
_DELEGATION_ACTIONS = {
    POSTGRES_DELEGATION: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
}


@dataclass(frozen=True, kw_only=True)
class VirtualNetworkProps:
    """Props of :class:`SpokeNetwork`.

    :param name: VNet name.
    :param resource_group_name: resource group for the VNet and its NSGs.
    :param location: Azure region.
    :param address_space: the VNet's IPv4 CIDRs.
    :param subnets: subnets in creation order; prefixes must lie inside
        ``address_space`` and not overlap.
    :param tags: tags for the VNet and NSGs - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    address_space: Sequence[str]
    subnets: Sequence[SubnetSpec]
    tags: Mapping[str, str] = field(default_factory=dict)


class SpokeNetwork(Construct):
    """A VNet, its subnets and one NSG per subnet (associated).

    Attributes: ``resource`` (the ``azurerm_virtual_network``), ``subnets`` and
    ``security_groups`` (dicts keyed by subnet name).

    Example::

        net = SpokeNetwork(self, "network", VirtualNetworkProps(
            name="vnet-dev", resource_group_name=rg.name, location="eastus2",
            address_space=["10.0.0.0/16"],
            subnets=[SubnetSpec(name="aks-nodes", address_prefix="10.0.0.0/22")]))
        net.subnets["aks-nodes"].id
    """

    def __init__(self, scope: Construct, id: str, props: VirtualNetworkProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        self.resource = VirtualNetwork(
            self,
            "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            address_space=list(props.address_space),
            tags=dict(props.tags) or None,
        )
        self.subnets: dict[str, Subnet] = {}
        self.security_groups: dict[str, NetworkSecurityGroup] = {}
        for spec in props.subnets:
            self._add_subnet(spec)

    def _add_subnet(self, spec: SubnetSpec) -> None:
        props = self.props
        delegation = None
        if spec.delegation:
            delegation = [SubnetDelegation(
                name=spec.delegation.split("/")[-1],
                service_delegation=SubnetDelegationServiceDelegation(
                    name=spec.delegation, actions=_DELEGATION_ACTIONS.get(spec.delegation)),
            )]
        subnet = Subnet(
            self,
            f"subnet-{spec.name}",
            name=spec.name,
            resource_group_name=props.resource_group_name,
            virtual_network_name=self.resource.name,
            address_prefixes=[spec.address_prefix],
            delegation=delegation,
            private_endpoint_network_policies="Enabled" if spec.private_endpoints else None,
            # True (the provider's schema default, written out) on a delegated subnet: the managed
            # service (e.g. PostgreSQL Flexible Server) owns that subnet and its outbound needs are
            # Azure's to decide, not ours. Everywhere else: no implicit public egress.
            default_outbound_access_enabled=bool(spec.delegation),
        )
        nsg = NetworkSecurityGroup(
            self,
            f"nsg-{spec.name}",
            name=spec.nsg_name or f"nsg-{props.name.removeprefix('vnet-')}-{spec.name}",
            resource_group_name=props.resource_group_name,
            location=props.location,
            tags=dict(props.tags) or None,
        )
        for rule in spec.inbound_rules:
            destinations = list(rule.destinations or [spec.address_prefix])
            ports = list(rule.ports)
            sources = list(rule.sources)
            NetworkSecurityRule(
                self,
                f"nsg-{spec.name}-{rule.name}",
                name=rule.name,
                resource_group_name=props.resource_group_name,
                network_security_group_name=nsg.name,
                direction="Inbound",
                access=rule.access,
                priority=rule.priority,
                protocol=rule.protocol,
                source_port_range="*",
                source_address_prefix=sources[0] if len(sources) == 1 else None,
                source_address_prefixes=sources if len(sources) > 1 else None,
                destination_port_range=ports[0] if len(ports) == 1 else None,
                destination_port_ranges=ports if len(ports) > 1 else None,
                destination_address_prefix=destinations[0] if len(destinations) == 1 else None,
                destination_address_prefixes=destinations if len(destinations) > 1 else None,
            )
        SubnetNetworkSecurityGroupAssociation(
            self, f"nsg-{spec.name}-association", subnet_id=subnet.id, network_security_group_id=nsg.id
        )
        if spec.nat_gateway_id:
            SubnetNatGatewayAssociation(self, f"subnet-{spec.name}-nat", subnet_id=subnet.id,
                                        nat_gateway_id=spec.nat_gateway_id)
        self.subnets[spec.name] = subnet
        self.security_groups[spec.name] = nsg


@dataclass(frozen=True, kw_only=True)
class NatGatewayProps:
    """Props of :class:`NatGateway`.

    :param name: NAT gateway name; its public IP is ``<name>-pip``.
    :param resource_group_name: resource group of both.
    :param location: Azure region.
    :param idle_timeout_minutes: TCP idle timeout, 4-120 - 10.
    :param zone: the availability zone of the gateway and its public IP, ``"1"``-``"3"`` - none (regions
        without zones). Set it where the region has zones: ``zones`` forces replacement on both resources
        and is not computed by the provider, so leaving the choice to Azure's defaults could replace the
        public IP (a new egress address) when Azure reports a zone the config does not name.
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    idle_timeout_minutes: int = 10
    zone: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class NatGateway(Construct):
    """``azurerm_nat_gateway`` (id ``Resource``, Standard) with one static Standard public IP
    (``public_ip``): a stable egress address for subnets whose default outbound access is off,
    which firewalls elsewhere can admit.

    Both are placed in ``zone``: a NAT gateway is zonal (or regional where the region has no zones) and
    its public IPs must be in the same zone ([MS] nat-gateway/nat-availability-zones). One zone is enough
    for the deployment runners' egress; a zone outage delays a deploy, it does not touch the service.

    Example::

        nat = NatGateway(self, "runner-egress", NatGatewayProps(name="ng-dev-runners",
                         resource_group_name=rg.name, location="eastus2"))
        SubnetSpec(name="runners", address_prefix="10.0.10.0/27", nat_gateway_id=nat.id)
    """

    def __init__(self, scope: Construct, id: str, props: NatGatewayProps) -> None:
        problems = Problems("NatGateway")
        problems.require(4 <= props.idle_timeout_minutes <= 120, "idle_timeout_minutes", props.idle_timeout_minutes,
                         "4 to 120 minutes")
        problems.require(props.zone in (None, *ZONES), "zone", props.zone, "'1', '2', '3' or None")
        problems.raise_if_any()
        super().__init__(scope, id)
        tags = dict(props.tags) or None
        self.public_ip = PublicIp(
            self, "PublicIp", name=f"{props.name}-pip", resource_group_name=props.resource_group_name,
            location=props.location, allocation_method="Static", sku="Standard",
            zones=[props.zone] if props.zone else None, tags=tags)
        self.resource = NatGatewayResource(
            self, "Resource", name=props.name, resource_group_name=props.resource_group_name,
            location=props.location, sku_name="Standard", idle_timeout_in_minutes=props.idle_timeout_minutes,
            zones=[props.zone] if props.zone else None, tags=tags)
        NatGatewayPublicIpAssociation(self, "PublicIpAssociation", nat_gateway_id=self.resource.id,
                                      public_ip_address_id=self.public_ip.id)

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def egress_ip(self) -> str:
        """The public address the subnets' traffic leaves from (known after apply)."""
        return self.public_ip.ip_address


def _validate(props: VirtualNetworkProps) -> None:
    problems = Problems("SpokeNetwork")
    spaces = [cidr_or_none(c) for c in props.address_space]
    problems.require(bool(props.address_space), "address_space", list(props.address_space), "at least one IPv4 CIDR")
    for cidr, net in zip(props.address_space, spaces):
        problems.require(net is not None, "address_space", cidr, "IPv4 CIDRs such as 10.0.0.0/16")
    seen: dict[str, object] = {}
    names = [s.name for s in props.subnets]
    for spec in props.subnets:
        field_name = f"subnets[{spec.name}].address_prefix"
        problems.require(names.count(spec.name) == 1, f"subnets[{spec.name}].name", spec.name, "a name used once")
        net = cidr_or_none(spec.address_prefix)
        if net is None:
            problems.require(False, field_name, spec.address_prefix, "an IPv4 CIDR such as 10.0.1.0/24")
            continue
        if all(spaces) and not any(net.subnet_of(space) for space in spaces):  # type: ignore[arg-type]
            problems.add(field_name, spec.address_prefix, f"a range inside address_space {list(props.address_space)}")
        for other_name, other in seen.items():
            if net.overlaps(other):  # type: ignore[arg-type]
                problems.add(field_name, spec.address_prefix, f"a range that does not overlap subnet {other_name} ({other})")
        seen[spec.name] = net
        for rule in spec.inbound_rules:
            problems.require(100 <= rule.priority <= 4096, f"subnets[{spec.name}].inbound_rules[{rule.name}].priority",
                             rule.priority, "100 to 4096")
    problems.raise_if_any()
