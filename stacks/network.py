"""The `network` stack: resource group, VNet, subnets with NSGs, private DNS, shared Log Analytics."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk.azurerm import DataAzurermClientConfig, ResourceGroup
from config.schema import EnvironmentConfig
from constructs_lib.facts import POSTGRES_DELEGATION, PRIVATE_DNS_ZONES
from constructs_lib.alerts import ActionGroup, ActionGroupProps
from constructs_lib.log_analytics import LogAnalyticsProps, LogAnalyticsWorkspace
from constructs_lib.network import InboundRule, NatGateway, NatGatewayProps, SpokeNetwork, SubnetSpec, VirtualNetworkProps
from constructs_lib.private_dns import PrivateDnsZone, PrivateDnsZoneProps
from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointProps, PrivateEndpointSpec
from stacks.base import PpmStack

AKS_SUBNET = "aks-nodes"
POSTGRES_SUBNET = "postgres"
PRIVATE_ENDPOINTS_SUBNET = "private-endpoints"
#: delivery.runner.location vnet: where the self-hosted runners live.
RUNNER_SUBNET = "runners"


class NetworkStack(PpmStack):
    """Owns everything the other stacks attach to. They reference its constructs: ``network``
    (subnets by name), the DNS zones, ``log_analytics``, ``runner_egress`` (the runners' NAT
    gateway, with ``delivery.runner.location: vnet``); :meth:`private_endpoint` for a zone."""

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
        runner = cfg.delivery.runner
        runner_subnets: list[SubnetSpec] = []
        self.runner_egress: NatGateway | None = None
        if runner.location == "vnet" and runner.subnet:
            # The runners reach the state blobs and the vault through private endpoints (443), and
            # leave through a NAT gateway: a new subnet has no default outbound access, and the
            # NAT's fixed address is what the AKS API server's authorized ranges admit.
            private_endpoint_rules.append(InboundRule(name="allow-https-from-runners", priority=130, ports=["443"],
                                                      sources=[runner.subnet]))
            self.runner_egress = NatGateway(self, "runner-egress", NatGatewayProps(
                name=names.resource("ng", RUNNER_SUBNET), resource_group_name=rg, location=cfg.location,
                zone=cfg.zones[0] if cfg.zones else None))
            runner_subnets.append(SubnetSpec(
                name=RUNNER_SUBNET, address_prefix=runner.subnet, nsg_name=names.nsg(RUNNER_SUBNET),
                nat_gateway_id=self.runner_egress.id, inbound_rules=[deny_vnet]))
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
                *runner_subnets,
            ],
        ))
        vnet_ids = {"spoke": self.network.resource.id}
        self.files_dns = PrivateDnsZone(self, "dns-files", PrivateDnsZoneProps(
            name=PRIVATE_DNS_ZONES["file"], resource_group_name=rg, virtual_network_ids=vnet_ids))
        self.key_vault_dns = PrivateDnsZone(self, "dns-key-vault", PrivateDnsZoneProps(
            name=PRIVATE_DNS_ZONES["vault"], resource_group_name=rg, virtual_network_ids=vnet_ids))
        self.postgres_dns = PrivateDnsZone(self, "dns-postgres", PrivateDnsZoneProps(
            name=names.postgres_private_dns_zone(), resource_group_name=rg, virtual_network_ids=vnet_ids))
        if self.runner_egress is not None:
            self._state_private_endpoint(cfg, vnet_ids)
        # One workspace for the whole environment: data diagnostics and Container Insights both
        # send here, and keeping it in the root stack lets data and cluster deploy in parallel.
        self.log_analytics = LogAnalyticsWorkspace(self, "log-analytics", LogAnalyticsProps(
            name=names.resource("log"), resource_group_name=rg, location=cfg.location,
            retention_in_days=cfg.monitoring.log_retention_days))
        # One action group for the environment's alerts (data and cluster add their rules to it).
        self.action_group: ActionGroup | None = None
        if cfg.alerts.enabled:
            self.action_group = ActionGroup(self, "alerts", ActionGroupProps(
                name=names.resource("ag"), short_name=f"ppm-{cfg.environment}"[:12], resource_group_name=rg,
                email_receivers=cfg.alerts.email_receivers))

    def _state_private_endpoint(self, cfg: EnvironmentConfig, vnet_ids: dict[str, str]) -> None:
        """The state account's blob endpoint inside the VNet, so runners in it reach their state: storage
        IP rules do not apply to clients in the account's own region ([MS] storage/common/storage-network-security,
        "IP network rules have no effect on requests that originate from the same Azure region"),
        while a private endpoint is exempt from the account firewall."""
        client = DataAzurermClientConfig(self, "client-config")
        subscription = cfg.subscription_id or client.subscription_id
        self.blob_dns = PrivateDnsZone(self, "dns-blob", PrivateDnsZoneProps(
            name=PRIVATE_DNS_ZONES["blob"], resource_group_name=self.resource_group.name, virtual_network_ids=vnet_ids))
        self.state_endpoint = PrivateEndpoint(self, "state-blob", PrivateEndpointProps(
            name=f"pe-{cfg.state.storage_account}-blob",
            resource_group_name=self.resource_group.name,
            location=cfg.location,
            subnet_id=self.network.subnets[PRIVATE_ENDPOINTS_SUBNET].id,
            target_resource_id=(f"/subscriptions/{subscription}/resourceGroups/{cfg.state.resource_group}"
                                f"/providers/Microsoft.Storage/storageAccounts/{cfg.state.storage_account}"),
            subresource_name="blob",
            private_dns_zone_ids=[self.blob_dns.id],
        ))

    def private_endpoint(self, zone: PrivateDnsZone) -> PrivateEndpointSpec:
        """A private endpoint in the private-endpoints subnet, registered in ``zone``."""
        return PrivateEndpointSpec(subnet_id=self.network.subnets[PRIVATE_ENDPOINTS_SUBNET].id,
                                   private_dns_zone_id=zone.id)
