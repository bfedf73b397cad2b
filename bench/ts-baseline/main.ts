// TS baseline, root imports: `import { resourceGroup } from "@cdktf/provider-azurerm"`, the style of
// the cdktf docs and of `cdktf convert` (loads the package's index, i.e. every resource module).
import {
  logAnalyticsWorkspace, networkSecurityGroup, provider, resourceGroup, storageAccount, subnet,
  subnetNetworkSecurityGroupAssociation, virtualNetwork,
} from "@cdktf/provider-azurerm";
import { synthesize } from "./app";

synthesize({
  AzurermProvider: provider.AzurermProvider,
  ResourceGroup: resourceGroup.ResourceGroup,
  VirtualNetwork: virtualNetwork.VirtualNetwork,
  Subnet: subnet.Subnet,
  NetworkSecurityGroup: networkSecurityGroup.NetworkSecurityGroup,
  SubnetNetworkSecurityGroupAssociation: subnetNetworkSecurityGroupAssociation.SubnetNetworkSecurityGroupAssociation,
  StorageAccount: storageAccount.StorageAccount,
  LogAnalyticsWorkspace: logAnalyticsWorkspace.LogAnalyticsWorkspace,
});
