"""Azure Monitor metric alerts and the action group they notify.

One :class:`ActionGroup` per environment (e-mail receivers); :class:`MetricAlerts` turns a list of
:class:`~constructs_lib.alert_rules.MetricAlertSpec` into ``azurerm_monitor_metric_alert`` resources on one target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk.azurerm import (
    MonitorActionGroup,
    MonitorActionGroupEmailReceiver,
    MonitorMetricAlert,
    MonitorMetricAlertAction,
    MonitorMetricAlertCriteria,
    MonitorMetricAlertCriteriaDimension,
)
from constructs_lib.alert_rules import EMAIL, MetricAlertSpec
from constructs_lib.validation import Problems


@dataclass(frozen=True, kw_only=True)
class ActionGroupProps:
    """Props of :class:`ActionGroup`.

    :param name: action group name.
    :param short_name: 1-12 characters, shown in e-mails and SMS.
    :param resource_group_name: its resource group (the group itself is global).
    :param email_receivers: addresses notified, at least one; each uses the common alert schema.
    :param tags: - none.
    """

    name: str
    short_name: str
    resource_group_name: str
    email_receivers: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class ActionGroup(Construct):
    """``azurerm_monitor_action_group`` (id ``Resource``) with e-mail receivers.

    Webhooks are left out on purpose: a webhook URL usually carries its credential in the path or
    query, and Terraform would keep it in plaintext in state and plans.

    Example::

        group = ActionGroup(self, "alerts", ActionGroupProps(
            name="ag-prod", short_name="ppm-prod", resource_group_name=rg.name,
            email_receivers=["platform-oncall@contoso.com"]))
        group.id
    """

    def __init__(self, scope: Construct, id: str, props: ActionGroupProps) -> None:
        problems = Problems("ActionGroup")
        problems.require(1 <= len(props.short_name) <= 12, "short_name", props.short_name, "1 to 12 characters [P]")
        problems.require(bool(props.email_receivers), "email_receivers", list(props.email_receivers),
                         "at least one e-mail address")
        for address in props.email_receivers:
            problems.require(bool(EMAIL.fullmatch(address)), "email_receivers", address, "an e-mail address")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.resource = MonitorActionGroup(
            self, "Resource",
            name=props.name,
            short_name=props.short_name,
            resource_group_name=props.resource_group_name,
            email_receiver=[
                MonitorActionGroupEmailReceiver(name=f"email-{index}", email_address=address,
                                                use_common_alert_schema=True)
                for index, address in enumerate(props.email_receivers)
            ],
            tags=dict(props.tags) or None,
        )

    @property
    def id(self) -> str:
        return self.resource.id


@dataclass(frozen=True, kw_only=True)
class MetricAlertProps:
    """Props of :class:`MetricAlert`.

    :param name: the alert rule's name, unique in its resource group.
    :param resource_group_name: where the alert rule lives (the target's resource group).
    :param target_resource_id: the one resource the rule watches.
    :param action_group_id: notified when the alert fires and when it resolves (``auto_mitigate``, the default).
    :param spec: the metric, threshold, window and severity.
    :param tags: - none.
    """

    name: str
    resource_group_name: str
    target_resource_id: str
    action_group_id: str
    spec: MetricAlertSpec
    tags: Mapping[str, str] = field(default_factory=dict)


class MetricAlert(Construct):
    """One static-threshold ``azurerm_monitor_metric_alert`` (id ``Resource``) on one target.

    Example::

        for spec in postgres_alerts(max_connections=1718):
            MetricAlert(self, spec.key, MetricAlertProps(
                name=f"alert-prod-{spec.key}", resource_group_name=rg.name, target_resource_id=server.id,
                action_group_id=group.id, spec=spec))
    """

    def __init__(self, scope: Construct, id: str, props: MetricAlertProps) -> None:
        problems = Problems("MetricAlert")
        props.spec.problems(problems)
        problems.raise_if_any()
        super().__init__(scope, id)
        spec = props.spec
        self.resource = MonitorMetricAlert(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            scopes=[props.target_resource_id],
            description=spec.description,
            severity=spec.severity,
            frequency=spec.frequency,
            window_size=spec.window_size,
            criteria=[MonitorMetricAlertCriteria(
                metric_namespace=spec.metric_namespace,
                metric_name=spec.metric_name,
                aggregation=spec.aggregation,
                operator=spec.operator,
                threshold=spec.threshold,
                dimension=[
                    MonitorMetricAlertCriteriaDimension(name=name, operator="Include", values=list(values))
                    for name, values in spec.dimensions.items()
                ] or None,
            )],
            action=[MonitorMetricAlertAction(action_group_id=props.action_group_id)],
            tags=dict(props.tags) or None,
        )

    @property
    def id(self) -> str:
        return self.resource.id
