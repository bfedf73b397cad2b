"""The `data` stack: PostgreSQL Flexible Server and the Azure Files NFS share (issue 3 fills it)."""

from __future__ import annotations

from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from constructs import Construct

from config.schema import EnvironmentConfig
from stacks.base import PpmStack
from stacks.network import NetworkStack


class DataStack(PpmStack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, network: NetworkStack) -> None:
        super().__init__(scope, "data", cfg)
        self.network = network
        self.resource_group = ResourceGroup(self, "resource-group", name=self.name("rg", "data"), location=cfg.location)
        # Placeholder reference so the dependency on `network` exists from day one.
        self.resource_group.add_override("tags.network_vnet", network.vnet_id)
