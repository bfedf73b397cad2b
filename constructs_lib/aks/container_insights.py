"""Container Insights for an AKS cluster with managed-identity auth: the data collection rule
and its association, which ``az aks enable-addons -a monitoring`` creates and ARM/Terraform don't.

Container Insights with ``msi_auth_for_monitoring_enabled`` collects nothing until a data
collection rule (extension ``ContainerInsights``, stream ``Microsoft-ContainerInsights-Group-Default``,
destination the workspace) is associated with the cluster (hashicorp/terraform-provider-azurerm#23510;
Microsoft's sample microsoft/Docker-Provider scripts/onboarding/aks/onboarding-msi-terraform/main.tf;
the CLI's DCR body in azure-cli ``addonconfiguration.py`` uses ``kind: Linux``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

from constructs import Construct

from constructs_lib.cdk.azurerm import (
    MonitorDataCollectionRule,
    MonitorDataCollectionRuleAssociation,
    MonitorDataCollectionRuleDataFlow,
    MonitorDataCollectionRuleDataSources,
    MonitorDataCollectionRuleDataSourcesExtension,
    MonitorDataCollectionRuleDestinations,
    MonitorDataCollectionRuleDestinationsLogAnalytics,
)
from constructs_lib.validation import is_token

#: What ``az aks enable-addons -a monitoring`` puts in the Container Insights DCR (azure-cli
#: addonconfiguration.py; microsoft/Docker-Provider onboarding-msi-terraform): the extension,
#: its default stream group, and the association name the portal and CLI look for.
CONTAINER_INSIGHTS_EXTENSION = "ContainerInsights"
CONTAINER_INSIGHTS_STREAMS = ("Microsoft-ContainerInsights-Group-Default",)
CONTAINER_INSIGHTS_ASSOCIATION = "ContainerInsightsExtension"
#: [MS] azure-monitor/containers/container-insights-data-collection-configure: collect every
#: minute, all namespaces, ContainerLogV2 schema (the sample's defaults).
CONTAINER_INSIGHTS_SETTINGS = {"dataCollectionSettings": {
    "interval": "1m", "namespaceFilteringMode": "Off", "enableContainerLogV2": True}}
#: [MS] azure-monitor/essentials/data-collection-rule-create-edit: DCR names are 1-64 characters.
DCR_NAME_MAX = 64


@dataclass(frozen=True, kw_only=True)
class ContainerInsightsProps:
    """Props of :class:`ContainerInsights`.

    :param cluster_id: the AKS cluster (its ``oms_agent`` uses ``msi_auth_for_monitoring_enabled``).
    :param cluster_name: its name, for the rule's name ``MSCI-<location>-<cluster name>`` (the
        CLI's pattern, cut to 64 characters).
    :param resource_group_name: resource group of the rule.
    :param location: Azure region (the cluster's).
    :param log_analytics_workspace_id: where the data goes.
    :param tags: - none (a tagging Aspect may add them).
    """

    cluster_id: str
    cluster_name: str
    resource_group_name: str
    location: str
    log_analytics_workspace_id: str
    tags: Mapping[str, str] = field(default_factory=dict)


class ContainerInsights:
    """``azurerm_monitor_data_collection_rule`` (``rule``, id ``<prefix>Rule``) and its
    ``azurerm_monitor_data_collection_rule_association`` with the cluster (``association``, id
    ``<prefix>Association``).

    Not a scope of its own: both resources are added to ``scope`` (the prefix keeps their ids
    apart), so their Terraform addresses do not depend on this grouping - a cluster construct
    that used to create them itself keeps them where they were.

    Example::

        insights = ContainerInsights(self, ContainerInsightsProps(
            cluster_id=aks.id, cluster_name=aks.name, resource_group_name=rg, location="eastus2",
            log_analytics_workspace_id=workspace.id))
        insights.rule.id
    """

    def __init__(self, scope: Construct, props: ContainerInsightsProps, id_prefix: str = "ContainerInsights") -> None:
        name = f"MSCI-{props.location}-{props.cluster_name}"
        if not is_token(name):
            name = name[:DCR_NAME_MAX].rstrip("-")
        destination = "ciworkspace"
        self.rule = MonitorDataCollectionRule(
            scope, f"{id_prefix}Rule",
            name=name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            kind="Linux",
            description="Container Insights for the AKS cluster (what az aks enable-addons -a monitoring creates)",
            destinations=MonitorDataCollectionRuleDestinations(log_analytics=[
                MonitorDataCollectionRuleDestinationsLogAnalytics(
                    name=destination, workspace_resource_id=props.log_analytics_workspace_id)]),
            data_flow=[MonitorDataCollectionRuleDataFlow(
                streams=list(CONTAINER_INSIGHTS_STREAMS), destinations=[destination])],
            data_sources=MonitorDataCollectionRuleDataSources(extension=[
                MonitorDataCollectionRuleDataSourcesExtension(
                    name=CONTAINER_INSIGHTS_ASSOCIATION,
                    extension_name=CONTAINER_INSIGHTS_EXTENSION,
                    streams=list(CONTAINER_INSIGHTS_STREAMS),
                    extension_json=json.dumps(CONTAINER_INSIGHTS_SETTINGS, sort_keys=True),
                )]),
            tags=dict(props.tags) or None,
        )
        self.association = MonitorDataCollectionRuleAssociation(
            scope, f"{id_prefix}Association",
            name=CONTAINER_INSIGHTS_ASSOCIATION,
            target_resource_id=props.cluster_id,
            data_collection_rule_id=self.rule.id,
            description="Container Insights data collection for this cluster; deleting it stops the collection",
        )
