"""Diagnostic settings: send a resource's logs and metrics to a Log Analytics workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from constructs import Construct

from constructs_lib.cdk.azurerm import (
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
    MonitorDiagnosticSettingEnabledMetric,
)
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
    :param log_categories: single log categories to send in addition to the groups - none
        (AKS control-plane logs, e.g. ``kube-audit-admin``, are chosen one by one).
    :param dedicated_tables: write to resource-specific tables
        (``log_analytics_destination_type = "Dedicated"``) - False (the provider's default).
    """

    target_resource_id: str
    log_analytics_workspace_id: str
    name: str = "to-log-analytics"
    log_category_groups: Sequence[str] = ("allLogs",)
    metric_categories: Sequence[str] = ("AllMetrics",)
    log_categories: Sequence[str] = ()
    dedicated_tables: bool = False


def diagnostic_setting(scope: Construct, id: str, props: DiagnosticsProps) -> MonitorDiagnosticSetting:
    """``azurerm_monitor_diagnostic_setting`` as child ``id`` of ``scope``: the one place every
    construct builds a diagnostic setting (:class:`Diagnostics` wraps it; ``AksCluster`` calls it
    directly, which keeps that setting's Terraform address)."""
    _validate(props)
    logs = [MonitorDiagnosticSettingEnabledLog(category_group=g) for g in props.log_category_groups]
    logs += [MonitorDiagnosticSettingEnabledLog(category=c) for c in props.log_categories]
    return MonitorDiagnosticSetting(
        scope, id,
        name=props.name,
        target_resource_id=props.target_resource_id,
        log_analytics_workspace_id=props.log_analytics_workspace_id,
        log_analytics_destination_type="Dedicated" if props.dedicated_tables else None,
        enabled_log=logs or None,
        enabled_metric=[MonitorDiagnosticSettingEnabledMetric(category=c) for c in props.metric_categories] or None,
    )


def _validate(props: DiagnosticsProps) -> None:
    problems = Problems("Diagnostics")
    for group in props.log_category_groups:
        problems.require(group in CATEGORY_GROUPS, "log_category_groups", group,
                         "one of " + ", ".join(sorted(CATEGORY_GROUPS)))
    problems.require(bool(props.log_category_groups) or bool(props.log_categories) or bool(props.metric_categories),
                     "metric_categories", list(props.metric_categories),
                     "at least one log category group, log category or metric category")
    problems.raise_if_any()


class Diagnostics(Construct):
    """``azurerm_monitor_diagnostic_setting`` (id ``Resource``).

    Example::

        Diagnostics(self, "diagnostics", DiagnosticsProps(
            target_resource_id=server.id, log_analytics_workspace_id=workspace_id))
    """

    def __init__(self, scope: Construct, id: str, props: DiagnosticsProps) -> None:
        _validate(props)  # before the construct joins the tree
        super().__init__(scope, id)
        self.resource = diagnostic_setting(self, "Resource", props)

    @classmethod
    def attach(cls, scope: Construct, *, target_resource_id: str, log_analytics_workspace_id: str | None,
               metric_categories: Sequence[str] = ("AllMetrics",)) -> "Diagnostics | None":
        """The setting a construct makes for its own resource: child ``diagnostics`` of ``scope``,
        sending all logs and ``metric_categories``; None without a workspace."""
        if not log_analytics_workspace_id:
            return None
        return cls(scope, "diagnostics", DiagnosticsProps(
            target_resource_id=target_resource_id, log_analytics_workspace_id=log_analytics_workspace_id,
            metric_categories=metric_categories))
