"""An app another team would write: its own stacks, composed from the ppm-azure-constructs library.

Two stacks, like a real platform split:

- ``example-network``: resource group, VNet with a PostgreSQL-delegated subnet and a
  private-endpoint subnet, and the two private DNS zones (PostgreSQL, Azure Files).
- ``example-data``: a generated administrator password (an ephemeral ``random_password``), a
  zone-redundant PostgreSQL Flexible Server and an Azure Files NFS share behind a private
  endpoint, wired to the network stack through cdktf cross-stack references.

It imports only ``constructs_lib`` and ``constructs``: cdktf or CDK Terrain names come through
``constructs_lib.cdk``, so it runs on either toolchain. It synthesizes with no inputs::

    pip install "ppm-azure-constructs[cdktf] @ git+https://github.com/<org>/<repo>.git"   # or [cdktn]
    python main.py            # or: cdktf synth   -> ./cdktf.out (or $CDKTF_OUTDIR)
"""

from __future__ import annotations

import os

# Optional: load only the provider submodules this app uses (a faster synth). It must run
# before the first cdktf/provider import; PPM_EAGER_IMPORTS=1 turns it back off.
from constructs_lib import lazy_providers

lazy_providers.enable()

import constructs_lib  # noqa: E402
from constructs_lib.cdk import App, Aspects, TerraformOutput, TerraformStack  # noqa: E402
from constructs_lib.cdk.azurerm import AzurermProvider, AzurermProviderFeatures, ResourceGroup  # noqa: E402
from constructs_lib.cdk.random import RandomProvider  # noqa: E402
from constructs_lib.toolchain import app_context  # noqa: E402
from constructs import Construct  # noqa: E402
from constructs_lib import (  # noqa: E402
    EphemeralPassword,
    NfsFileShare,
    NfsFileShareProps,
    PostgresFlexibleServer,
    PostgresFlexibleServerProps,
    PrivateDnsZone,
    PrivateDnsZoneProps,
    PrivateEndpointSpec,
    RequiredTags,
    SpokeNetwork,
    SubnetSpec,
    VirtualNetworkProps,
)

LOCATION = "eastus2"
#: Globally unique names (server DNS label, storage account) need a suffix of your own.
SUFFIX = "ex7f3a"
TAGS = {"project": "library-example", "environment": "dev", "owner": "platform"}


def azurerm(stack: TerraformStack) -> AzurermProvider:
    # storage_use_azuread: the NFS account has shared keys off, so data-plane calls use Entra ID.
    return AzurermProvider(stack, "azurerm", features=[AzurermProviderFeatures()], storage_use_azuread=True)


class NetworkStack(TerraformStack):
    """Resource group, VNet, subnets and the private DNS zones the data services register in."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        azurerm(self)
        Aspects.of(self).add(RequiredTags(TAGS))
        self.resource_group = ResourceGroup(self, "rg", name="rg-example-dev", location=LOCATION)
        self.network = SpokeNetwork(self, "network", VirtualNetworkProps(
            name="vnet-example-dev",
            resource_group_name=self.resource_group.name,
            location=LOCATION,
            address_space=["10.20.0.0/16"],
            subnets=[
                SubnetSpec(name="postgres", address_prefix="10.20.1.0/24",
                           delegation="Microsoft.DBforPostgreSQL/flexibleServers"),
                SubnetSpec(name="private-endpoints", address_prefix="10.20.2.0/24", private_endpoints=True),
            ],
        ))
        vnet = {"example": self.network.resource.id}
        self.postgres_dns = PrivateDnsZone(self, "postgres-dns", PrivateDnsZoneProps(
            name="example-dev.private.postgres.database.azure.com",
            resource_group_name=self.resource_group.name, virtual_network_ids=vnet))
        self.files_dns = PrivateDnsZone(self, "files-dns", PrivateDnsZoneProps(
            name="privatelink.file.core.windows.net",
            resource_group_name=self.resource_group.name, virtual_network_ids=vnet))


class DataStack(TerraformStack):
    """PostgreSQL and the NFS share; every network id comes from ``NetworkStack`` (cross-stack)."""

    def __init__(self, scope: Construct, id: str, net: NetworkStack) -> None:
        super().__init__(scope, id)
        azurerm(self)
        RandomProvider(self, "random")
        Aspects.of(self).add(RequiredTags(TAGS))
        rg = net.resource_group.name

        # Generated during the run (an ephemeral random_password) and passed write-only: no literal lands
        # in cdk.tf.json, and neither state nor a plan file ever holds it.
        password = EphemeralPassword(self, "postgres-admin-password", length=32, override_special="-_.")

        self.postgres = PostgresFlexibleServer(self, "postgres", PostgresFlexibleServerProps(
            name=f"psql-example-{SUFFIX}",
            resource_group_name=rg,
            location=LOCATION,
            sku_name="GP_Standard_D2ds_v5",
            version="16",
            storage_mb=65536,
            zone="1",
            high_availability="ZoneRedundant",
            standby_zone="2",
            delegated_subnet_id=net.network.subnets["postgres"].id,
            private_dns_zone_id=net.postgres_dns.id,
            administrator_login="appadmin",
            administrator_password_wo=password.result,
            administrator_password_wo_version=1,
            databases=["app"],
        ))
        self.files = NfsFileShare(self, "files", NfsFileShareProps(
            account_name=f"stexamplenfs{SUFFIX}",
            resource_group_name=rg,
            location=LOCATION,
            share_name="shared-data",
            quota_gib=256,
            private_endpoint=PrivateEndpointSpec(subnet_id=net.network.subnets["private-endpoints"].id,
                                                 private_dns_zone_id=net.files_dns.id),
        ))
        # Escape hatch: every construct exposes its main resource as `.resource`.
        TerraformOutput(self, "postgres_fqdn", value=self.postgres.fqdn)
        TerraformOutput(self, "nfs_share_url", value=self.files.share.url)


def main() -> None:
    # cdktf's CLI sets CDKTF_OUTDIR; a plain `python main.py` writes ./cdktf.out.
    # app_context(): the Terraform versions the synthesized JSON needs (CDK Terrain checks them).
    app = App(outdir=os.environ.get("CDKTF_OUTDIR") or "cdktf.out", context=app_context())
    network = NetworkStack(app, "example-network")
    DataStack(app, "example-data", network)
    app.synth()
    print(f"constructs_lib from {constructs_lib.__file__}")
    print(f"synthesized example-network, example-data to {app.outdir}")


if __name__ == "__main__":
    main()
