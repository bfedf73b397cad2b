/**
 * The two small stacks of the TypeScript timing baseline (network -> data, one cross-stack
 * reference), on the same provider version as the Python app (@cdktf/provider-azurerm 14.23.1,
 * cdktf 0.21.0). The resource classes are passed in, so the two entry points differ only in how
 * they import the provider: main.ts from the package root (the style of the cdktf docs and of
 * `cdktf convert`), main-deep.ts from each resource's own module (loads only what is used).
 */
import { App, AzurermBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import type { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import type { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import type { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import type { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import type { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";

export interface Azurerm {
  AzurermProvider: typeof AzurermProvider;
  ResourceGroup: typeof ResourceGroup;
  VirtualNetwork: typeof VirtualNetwork;
  Subnet: typeof Subnet;
  NetworkSecurityGroup: typeof NetworkSecurityGroup;
  SubnetNetworkSecurityGroupAssociation: typeof SubnetNetworkSecurityGroupAssociation;
  StorageAccount: typeof StorageAccount;
  LogAnalyticsWorkspace: typeof LogAnalyticsWorkspace;
}

const LOCATION = "eastus2";
const TAGS = { environment: "bench", owner: "platform", "managed-by": "cdktf" };

export function synthesize(az: Azurerm): void {
  class BaseStack extends TerraformStack {
    constructor(scope: Construct, id: string) {
      super(scope, id);
      new AzurermBackend(this, {
        resourceGroupName: "rg-tfstate",
        storageAccountName: "sttfstatebench",
        containerName: "tfstate",
        key: `bench/${id}.tfstate`,
        useAzureadAuth: true,
      });
      new az.AzurermProvider(this, "azurerm", { features: [{}], storageUseAzuread: true });
    }
  }

  class NetworkStack extends BaseStack {
    readonly subnetId: string;

    constructor(scope: Construct) {
      super(scope, "network");
      const rg = new az.ResourceGroup(this, "resource-group", { name: "rg-bench-network", location: LOCATION, tags: TAGS });
      const vnet = new az.VirtualNetwork(this, "vnet", {
        name: "vnet-bench", resourceGroupName: rg.name, location: LOCATION, addressSpace: ["10.20.0.0/16"], tags: TAGS,
      });
      const nsg = new az.NetworkSecurityGroup(this, "nsg", {
        name: "nsg-bench", resourceGroupName: rg.name, location: LOCATION, tags: TAGS,
        securityRule: [{
          name: "allow-https", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp",
          sourcePortRange: "*", destinationPortRange: "443", sourceAddressPrefix: "Internet", destinationAddressPrefix: "*",
        }],
      });
      const subnet = new az.Subnet(this, "subnet", {
        name: "snet-bench", resourceGroupName: rg.name, virtualNetworkName: vnet.name, addressPrefixes: ["10.20.0.0/22"],
      });
      new az.SubnetNetworkSecurityGroupAssociation(this, "subnet-nsg", { subnetId: subnet.id, networkSecurityGroupId: nsg.id });
      this.subnetId = subnet.id;
    }
  }

  class DataStack extends BaseStack {
    constructor(scope: Construct, network: NetworkStack) {
      super(scope, "data");
      const rg = new az.ResourceGroup(this, "resource-group", { name: "rg-bench-data", location: LOCATION, tags: TAGS });
      new az.StorageAccount(this, "storage", {
        name: "stbenchdata", resourceGroupName: rg.name, location: LOCATION, accountTier: "Premium",
        accountKind: "FileStorage", accountReplicationType: "ZRS", minTlsVersion: "TLS1_2", tags: TAGS,
        networkRules: { defaultAction: "Deny", virtualNetworkSubnetIds: [network.subnetId] },
      });
      new az.LogAnalyticsWorkspace(this, "log", {
        name: "log-bench", resourceGroupName: rg.name, location: LOCATION, sku: "PerGB2018", retentionInDays: 30, tags: TAGS,
      });
    }
  }

  const app = new App(); // output directory: $CDKTF_OUTDIR, as under `cdktf synth`
  const network = new NetworkStack(app);
  new DataStack(app, network);
  app.synth();
}
