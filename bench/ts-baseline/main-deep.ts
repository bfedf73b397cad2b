// TS baseline, deep imports: each resource from its own module (loads only the 8 modules used).
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { synthesize } from "./app";

synthesize({
  AzurermProvider, ResourceGroup, VirtualNetwork, Subnet, NetworkSecurityGroup,
  SubnetNetworkSecurityGroupAssociation, StorageAccount, LogAnalyticsWorkspace,
});
