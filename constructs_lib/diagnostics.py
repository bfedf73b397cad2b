"""Diagnostic settings: send a resource's logs and metrics to a Log Analytics workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cdktf_cdktf_provider_azurerm.monitor_diagnostic_setting import (
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
    MonitorDiagnosticSettingEnabledMetric,
)
from constructs import Construct

from constructs_lib.validation import Problems

#: [MS] azure-monitor/essentials/diagnostic-settings: the category groups every resource type offers.
CATEGORY_GROUPS = frozenset({"allLogs", "audit"})


@dataclass(frozen=True, kw_only=True)
class DiagnosticsProps:
    """Props of :class:`Diagnostics`.

    :param target_resource_id: the resource whose logs and metrics are sent (for a
        storage service, the service's id, e.g. ``<account id>/fileServices/default``).
    :param log_analytics_workspace_id: destination workspace.
    :param name: setting name, unique per resource - ``to-log-analytics``.
    :param log_category_groups: log category groups to send - ``("allLogs",)``.
        Empty sends no logs (for resources without resource logs).
    :param metric_categories: metric categories to send - ``("AllMetrics",)``. Storage
        services name theirs ``Transaction`` and ``Capacity``.
    """

    target_resource_id: str
    log_analytics_workspace_id: str
    name: str = "to-log-analytics"
    log_category_groups: Sequence[str] = ("allLogs",)
    metric_categories: Sequence[str] = ("AllMetrics",)


class Diagnostics(Construct):
    """``azurerm_monitor_diagnostic_setting`` (id ``Resource``).

    Example::

        Diagnostics(self, "diagnostics", DiagnosticsProps(
            target_resource_id=server.id, log_analytics_workspace_id=workspace_id))
    """

    def __init__(self, scope: Construct, id: str, props: DiagnosticsProps) -> None:
        problems = Problems("Diagnostics")
        for group in props.log_category_groups:
            problems.require(group in CATEGORY_GROUPS, "log_category_groups", group,
                             "one of " + ", ".join(sorted(CATEGORY_GROUPS)))
        problems.require(bool(props.log_category_groups) or bool(props.metric_categories), "metric_categories",
                         list(props.metric_categories), "at least one log category group or metric category")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.resource = MonitorDiagnosticSetting(
            self, "Resource",
            name=props.name,
            target_resource_id=props.target_resource_id,
            log_analytics_workspace_id=props.log_analytics_workspace_id,
            enabled_log=[MonitorDiagnosticSettingEnabledLog(category_group=g) for g in props.log_category_groups] or None,
            enabled_metric=[MonitorDiagnosticSettingEnabledMetric(category=c) for c in props.metric_categories] or None,
        )
