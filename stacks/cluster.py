"""The `cluster` stack: AKS with the application-routing add-on (issue 4 fills it)."""

from __future__ import annotations

from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from constructs import Construct

from config.schema import EnvironmentConfig
from stacks.base import PpmStack
from stacks.network import NetworkStack


class ClusterStack(PpmStack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, network: NetworkStack) -> None:
        super().__init__(scope, "cluster", cfg)
        self.network = network
        self.resource_group = ResourceGroup(self, "resource-group", name=self.name("rg", "cluster"), location=cfg.location)
        self.resource_group.add_override("tags.network_subnet", network.aks_subnet_id)
