"""A Log Analytics workspace: the one place diagnostics and Container Insights go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from constructs import Construct

from constructs_lib.cdk.azurerm import LogAnalyticsWorkspace as LogAnalyticsWorkspaceResource
from constructs_lib.validation import Problems


@dataclass(frozen=True, kw_only=True)
class LogAnalyticsProps:
    """Props of :class:`LogAnalyticsWorkspace`.

    :param name: workspace name (4-63 letters, digits, hyphens).
    :param resource_group_name: its resource group.
    :param location: Azure region.
    :param retention_in_days: 30 - 730; default 30 (the free retention period).
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    retention_in_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)


class LogAnalyticsWorkspace(Construct):
    """``azurerm_log_analytics_workspace`` (id ``Resource``), PerGB2018, local auth off.

    Example::

        workspace = LogAnalyticsWorkspace(self, "logs", LogAnalyticsProps(
            name="log-dev", resource_group_name=rg.name, location="eastus2"))
        workspace.id
    """

    def __init__(self, scope: Construct, id: str, props: LogAnalyticsProps) -> None:
        problems = Problems("LogAnalyticsWorkspace")
        problems.require(30 <= props.retention_in_days <= 730, "retention_in_days", props.retention_in_days, "30 to 730")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.resource = LogAnalyticsWorkspaceResource(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            sku="PerGB2018",
            retention_in_days=props.retention_in_days,
            local_authentication_enabled=False,  # Entra ID only, no shared keys
            tags=dict(props.tags) or None,
        )

    @property
    def id(self) -> str:
        return self.resource.id
