"""The `network` stack: resource group, VNet, subnets with NSGs, private DNS, shared Log Analytics."""

from __future__ import annotations

from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from constructs import Construct

from config.schema import EnvironmentConfig
from constructs_lib.facts import POSTGRES_DELEGATION, PRIVATE_DNS_ZONES
from constructs_lib.log_analytics import LogAnalyticsProps, LogAnalyticsWorkspace
from constructs_lib.network import InboundRule, SpokeNetwork, SubnetSpec, VirtualNetworkProps
from constructs_lib.private_dns import PrivateDnsZone, PrivateDnsZoneProps
from constructs_lib.private_endpoint import PrivateEndpointSpec
from stacks.base import PpmStack

AKS_SUBNET = "aks-nodes"
POSTGRES_SUBNET = "postgres"
PRIVATE_ENDPOINTS_SUBNET = "private-endpoints"


class NetworkStack(PpmStack):
    """Owns everything the other stacks attach to. They reference its constructs: ``network``
    (subnets by name), the DNS zones, ``log_analytics``; :meth:`private_endpoint` for a zone."""

    def __init__(self, scope: Construct, cfg: EnvironmentConfig) -> None:
        super().__init__(scope, "network", cfg)
        net, names = cfg.network, self.names
        self.resource_group = ResourceGroup(self, "resource-group", name=names.resource_group("network"),
                                            location=cfg.location)
        rg = self.resource_group.name

        aks_prefix = net.aks_nodes_subnet
        # The app-routing NGINX controller sits behind AKS's public Standard LB, which uses floating
        # IP: packets reach the nodes still addressed to the LB's public IP, not to the node subnet,
        # so the destination must be "*" ([MS] load-balancer/load-balancer-floating-ip: floating IP maps
        # the destination to the LB frontend IP; the LB's IP is unknown here, it belongs to the cluster).
        ingress_rules = [InboundRule(name="allow-https-ingress", priority=100, ports=["443"],
                                     sources=net.ingress_allowed_sources, destinations=["*"])]
        if not cfg.app.tls.enabled:
            # The app serves plain HTTP on 80 while TLS is off; NET-006 keeps this off the Internet.
            ingress_rules.append(InboundRule(name="allow-http-ingress", priority=110, ports=["80"],
                                             sources=net.ingress_allowed_sources, destinations=["*"]))
        deny_vnet = InboundRule(name="deny-vnet-inbound", priority=4000, ports=["*"], protocol="*",
                                access="Deny", sources=["VirtualNetwork"])
        private_endpoint_rules = [
            InboundRule(name="allow-nfs-from-aks", priority=100, ports=["2049"], sources=[aks_prefix]),
            InboundRule(name="allow-https-from-aks", priority=110, ports=["443"], sources=[aks_prefix]),
        ]
        if net.management_sources:
            # Deployers inside or peered to the VNet write the Key Vault secret over its private endpoint.
            private_endpoint_rules.append(InboundRule(name="allow-https-from-management", priority=120, ports=["443"],
                                                      sources=net.management_sources))
        private_endpoint_rules.append(deny_vnet)
        self.network = SpokeNetwork(self, "vnet", VirtualNetworkProps(
            name=names.resource("vnet"),
            resource_group_name=rg,
            location=cfg.location,
            address_space=[net.address_space],
            subnets=[
                SubnetSpec(name=AKS_SUBNET, address_prefix=aks_prefix, inbound_rules=ingress_rules,
                           nsg_name=names.nsg(AKS_SUBNET)),
                SubnetSpec(name=POSTGRES_SUBNET, address_prefix=net.postgres_subnet, delegation=POSTGRES_DELEGATION,
                           nsg_name=names.nsg(POSTGRES_SUBNET),
                           inbound_rules=[
                               InboundRule(name="allow-postgres-from-aks", priority=100, ports=["5432"], sources=[aks_prefix]),
                               # HA standby replication and maintenance run inside the delegated subnet.
                               InboundRule(name="allow-postgres-intra-subnet", priority=110, ports=["5432"],
                                           sources=[net.postgres_subnet]),
                               deny_vnet,
                           ]),
                SubnetSpec(name=PRIVATE_ENDPOINTS_SUBNET, address_prefix=net.private_endpoints_subnet, private_endpoints=True,
                           nsg_name=names.nsg(PRIVATE_ENDPOINTS_SUBNET), inbound_rules=private_endpoint_rules),
            ],
        ))
        vnet_ids = {"spoke": self.network.resource.id}
        self.files_dns = PrivateDnsZone(self, "dns-files", PrivateDnsZoneProps(
            name=PRIVATE_DNS_ZONES["file"], resource_group_name=rg, virtual_network_ids=vnet_ids))
        self.key_vault_dns = PrivateDnsZone(self, "dns-key-vault", PrivateDnsZoneProps(
            name=PRIVATE_DNS_ZONES["vault"], resource_group_name=rg, virtual_network_ids=vnet_ids))
        self.postgres_dns = PrivateDnsZone(self, "dns-postgres", PrivateDnsZoneProps(
            name=names.postgres_private_dns_zone(), resource_group_name=rg, virtual_network_ids=vnet_ids))
        # One workspace for the whole environment: data diagnostics and Container Insights both
        # send here, and keeping it in the root stack lets data and cluster deploy in parallel.
        self.log_analytics = LogAnalyticsWorkspace(self, "log-analytics", LogAnalyticsProps(
            name=names.resource("log"), resource_group_name=rg, location=cfg.location,
            retention_in_days=cfg.monitoring.log_retention_days))

    def private_endpoint(self, zone: PrivateDnsZone) -> PrivateEndpointSpec:
        """A private endpoint in the private-endpoints subnet, registered in ``zone``."""
        return PrivateEndpointSpec(subnet_id=self.network.subnets[PRIVATE_ENDPOINTS_SUBNET].id,
                                   private_dns_zone_id=zone.id)
