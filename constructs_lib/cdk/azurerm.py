"""The azurerm resource classes (azurerm 4.55.0 on cdktf, 5.10.0 on CDK Terrain) of the selected toolchain; how the names resolve: :mod:`constructs_lib.cdk`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.toolchain import provider_namespace

if TYPE_CHECKING:
    from cdktf_cdktf_provider_azurerm.data_azurerm_client_config import (
        DataAzurermClientConfig as DataAzurermClientConfig,
    )
    from cdktf_cdktf_provider_azurerm.data_azurerm_kubernetes_cluster import (
        DataAzurermKubernetesCluster as DataAzurermKubernetesCluster,
    )
    from cdktf_cdktf_provider_azurerm.federated_identity_credential import (
        FederatedIdentityCredential as FederatedIdentityCredential,
    )
    from cdktf_cdktf_provider_azurerm.key_vault import KeyVault as KeyVault, KeyVaultNetworkAcls as KeyVaultNetworkAcls
    from cdktf_cdktf_provider_azurerm.key_vault_secret import KeyVaultSecret as KeyVaultSecret
    from cdktf_cdktf_provider_azurerm.kubernetes_cluster import (
        KubernetesCluster as KubernetesCluster,
        KubernetesClusterApiServerAccessProfile as KubernetesClusterApiServerAccessProfile,
        KubernetesClusterAzureActiveDirectoryRoleBasedAccessControl as KubernetesClusterAzureActiveDirectoryRoleBasedAccessControl,
        KubernetesClusterDefaultNodePool as KubernetesClusterDefaultNodePool,
        KubernetesClusterDefaultNodePoolUpgradeSettings as KubernetesClusterDefaultNodePoolUpgradeSettings,
        KubernetesClusterIdentity as KubernetesClusterIdentity,
        KubernetesClusterKeyVaultSecretsProvider as KubernetesClusterKeyVaultSecretsProvider,
        KubernetesClusterMaintenanceWindowAutoUpgrade as KubernetesClusterMaintenanceWindowAutoUpgrade,
        KubernetesClusterMaintenanceWindowNodeOs as KubernetesClusterMaintenanceWindowNodeOs,
        KubernetesClusterMicrosoftDefender as KubernetesClusterMicrosoftDefender,
        KubernetesClusterNetworkProfile as KubernetesClusterNetworkProfile,
        KubernetesClusterOmsAgent as KubernetesClusterOmsAgent,
        KubernetesClusterStorageProfile as KubernetesClusterStorageProfile,
        KubernetesClusterWebAppRouting as KubernetesClusterWebAppRouting,
    )
    from cdktf_cdktf_provider_azurerm.kubernetes_cluster_node_pool import (
        KubernetesClusterNodePool as KubernetesClusterNodePool,
        KubernetesClusterNodePoolUpgradeSettings as KubernetesClusterNodePoolUpgradeSettings,
    )
    from cdktf_cdktf_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace as LogAnalyticsWorkspace
    from cdktf_cdktf_provider_azurerm.monitor_action_group import (
        MonitorActionGroup as MonitorActionGroup,
        MonitorActionGroupEmailReceiver as MonitorActionGroupEmailReceiver,
    )
    from cdktf_cdktf_provider_azurerm.monitor_data_collection_rule import (
        MonitorDataCollectionRule as MonitorDataCollectionRule,
        MonitorDataCollectionRuleDataFlow as MonitorDataCollectionRuleDataFlow,
        MonitorDataCollectionRuleDataSources as MonitorDataCollectionRuleDataSources,
        MonitorDataCollectionRuleDataSourcesExtension as MonitorDataCollectionRuleDataSourcesExtension,
        MonitorDataCollectionRuleDestinations as MonitorDataCollectionRuleDestinations,
        MonitorDataCollectionRuleDestinationsLogAnalytics as MonitorDataCollectionRuleDestinationsLogAnalytics,
    )
    from cdktf_cdktf_provider_azurerm.monitor_data_collection_rule_association import (
        MonitorDataCollectionRuleAssociation as MonitorDataCollectionRuleAssociation,
    )
    from cdktf_cdktf_provider_azurerm.monitor_diagnostic_setting import (
        MonitorDiagnosticSetting as MonitorDiagnosticSetting,
        MonitorDiagnosticSettingEnabledLog as MonitorDiagnosticSettingEnabledLog,
        MonitorDiagnosticSettingEnabledMetric as MonitorDiagnosticSettingEnabledMetric,
    )
    from cdktf_cdktf_provider_azurerm.monitor_metric_alert import (
        MonitorMetricAlert as MonitorMetricAlert,
        MonitorMetricAlertAction as MonitorMetricAlertAction,
        MonitorMetricAlertCriteria as MonitorMetricAlertCriteria,
        MonitorMetricAlertCriteriaDimension as MonitorMetricAlertCriteriaDimension,
    )
    from cdktf_cdktf_provider_azurerm.nat_gateway import NatGateway as NatGateway
    from cdktf_cdktf_provider_azurerm.nat_gateway_public_ip_association import (
        NatGatewayPublicIpAssociation as NatGatewayPublicIpAssociation,
    )
    from cdktf_cdktf_provider_azurerm.network_security_group import NetworkSecurityGroup as NetworkSecurityGroup
    from cdktf_cdktf_provider_azurerm.network_security_rule import NetworkSecurityRule as NetworkSecurityRule
    from cdktf_cdktf_provider_azurerm.postgresql_flexible_server import (
        PostgresqlFlexibleServer as PostgresqlFlexibleServer,
        PostgresqlFlexibleServerHighAvailability as PostgresqlFlexibleServerHighAvailability,
    )
    from cdktf_cdktf_provider_azurerm.postgresql_flexible_server_configuration import (
        PostgresqlFlexibleServerConfiguration as PostgresqlFlexibleServerConfiguration,
    )
    from cdktf_cdktf_provider_azurerm.postgresql_flexible_server_database import (
        PostgresqlFlexibleServerDatabase as PostgresqlFlexibleServerDatabase,
    )
    from cdktf_cdktf_provider_azurerm.private_dns_zone import PrivateDnsZone as PrivateDnsZone
    from cdktf_cdktf_provider_azurerm.private_dns_zone_virtual_network_link import (
        PrivateDnsZoneVirtualNetworkLink as PrivateDnsZoneVirtualNetworkLink,
    )
    from cdktf_cdktf_provider_azurerm.private_endpoint import (
        PrivateEndpoint as PrivateEndpoint,
        PrivateEndpointPrivateDnsZoneGroup as PrivateEndpointPrivateDnsZoneGroup,
        PrivateEndpointPrivateServiceConnection as PrivateEndpointPrivateServiceConnection,
    )
    from cdktf_cdktf_provider_azurerm.provider import (
        AzurermProvider as AzurermProvider,
        AzurermProviderFeatures as AzurermProviderFeatures,
        AzurermProviderFeaturesKeyVault as AzurermProviderFeaturesKeyVault,
        AzurermProviderFeaturesResourceGroup as AzurermProviderFeaturesResourceGroup,
        AzurermProviderFeaturesStorage as AzurermProviderFeaturesStorage,
    )
    from cdktf_cdktf_provider_azurerm.public_ip import PublicIp as PublicIp
    from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup as ResourceGroup
    from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment as RoleAssignment
    from cdktf_cdktf_provider_azurerm.storage_account import (
        StorageAccount as StorageAccount,
        StorageAccountBlobProperties as StorageAccountBlobProperties,
        StorageAccountBlobPropertiesContainerDeleteRetentionPolicy as StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
        StorageAccountBlobPropertiesDeleteRetentionPolicy as StorageAccountBlobPropertiesDeleteRetentionPolicy,
        StorageAccountNetworkRules as StorageAccountNetworkRules,
        StorageAccountSasPolicy as StorageAccountSasPolicy,
        StorageAccountShareProperties as StorageAccountShareProperties,
        StorageAccountSharePropertiesRetentionPolicy as StorageAccountSharePropertiesRetentionPolicy,
    )
    from cdktf_cdktf_provider_azurerm.storage_container import StorageContainer as StorageContainer
    from cdktf_cdktf_provider_azurerm.storage_share import StorageShare as StorageShare
    from cdktf_cdktf_provider_azurerm.subnet import (
        Subnet as Subnet,
        SubnetDelegation as SubnetDelegation,
        SubnetDelegationServiceDelegation as SubnetDelegationServiceDelegation,
    )
    from cdktf_cdktf_provider_azurerm.subnet_nat_gateway_association import (
        SubnetNatGatewayAssociation as SubnetNatGatewayAssociation,
    )
    from cdktf_cdktf_provider_azurerm.subnet_network_security_group_association import (
        SubnetNetworkSecurityGroupAssociation as SubnetNetworkSecurityGroupAssociation,
    )
    from cdktf_cdktf_provider_azurerm.user_assigned_identity import UserAssignedIdentity as UserAssignedIdentity
    from cdktf_cdktf_provider_azurerm.virtual_network import VirtualNetwork as VirtualNetwork

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any
    __getattr__ = provider_namespace("azurerm", __file__)
