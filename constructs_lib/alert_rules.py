"""Metric alert rules as data: :class:`MetricAlertSpec`, the thresholds, and the default rule sets
(:func:`postgres_alerts`, :func:`file_share_alerts`, :func:`aks_node_alerts`), each threshold and
window with its source (tags in docs/sources.md). Pure Python: the config imports it without cdktf;
:mod:`constructs_lib.alerts` turns the specs into resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs_lib.validation import Problems

#: [P] monitor_metric_alert_resource.go (azurerm 4.55.0): the values ``frequency`` and ``window_size`` take.
#: Each ``window_size`` value with its length in minutes; ``frequency`` takes those of an hour or less.
_MINUTES = {"PT1M": 1, "PT5M": 5, "PT15M": 15, "PT30M": 30, "PT1H": 60, "PT6H": 360, "PT12H": 720, "P1D": 1440}
WINDOWS = tuple(_MINUTES)
FREQUENCIES = tuple(window for window, minutes in _MINUTES.items() if minutes <= 60)
AGGREGATIONS = ("Average", "Count", "Minimum", "Maximum", "Total")
OPERATORS = ("Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual")
#: A deliberately plain address check (one @, a dot in the domain, no spaces): Azure sends to whatever it is given.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

#: Metric namespaces, [MS] azure-monitor/reference/supported-metrics (one page per namespace).
POSTGRES_NAMESPACE = "Microsoft.DBforPostgreSQL/flexibleServers"
FILE_SERVICE_NAMESPACE = "Microsoft.Storage/storageAccounts/fileServices"
AKS_NAMESPACE = "Microsoft.ContainerService/managedClusters"
#: [MS] storage/files/files-troubleshoot-performance "Create an alert if a file share is throttled":
#: the ``ResponseType`` values a throttled request on a premium (provisioned) share is counted under.
PREMIUM_SHARE_THROTTLING_RESPONSE_TYPES = (
    "SuccessWithShareEgressThrottling", "SuccessWithShareIngressThrottling", "SuccessWithShareIopsThrottling",
    "ClientShareEgressThrottlingError", "ClientShareIngressThrottlingError", "ClientShareIopsThrottlingError",
)
GIB = 1024 ** 3


@dataclass(frozen=True, kw_only=True)
class MetricAlertSpec:
    """One static-threshold metric alert.

    :param key: short id, unique per target; the construct id and the name suffix (``alert-<env>-<key>``).
    :param description: what firing means, shown in the notification.
    :param metric_namespace: the target's metric namespace.
    :param metric_name: the metric's REST API name.
    :param aggregation: one of :data:`AGGREGATIONS`.
    :param operator: one of :data:`OPERATORS`.
    :param threshold: the value compared with the aggregated metric.
    :param window_size: the look-back period, one of :data:`WINDOWS`.
    :param frequency: how often it is evaluated, one of :data:`FREQUENCIES`, not longer than the window.
    :param severity: 0 (critical) to 4 (verbose) - 2.
    :param dimensions: dimension name -> values to include - none (the metric across all values).
    :param source: where the threshold comes from (a docs/sources.md tag and page).
    """

    key: str
    description: str
    metric_namespace: str
    metric_name: str
    aggregation: str
    operator: str
    threshold: float
    window_size: str
    frequency: str
    severity: int = 2
    dimensions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    source: str = ""

    def problems(self, problems: Problems) -> None:
        at = f"alerts[{self.key}]"
        problems.require(self.aggregation in AGGREGATIONS, f"{at}.aggregation", self.aggregation, f"one of {AGGREGATIONS}")
        problems.require(self.operator in OPERATORS, f"{at}.operator", self.operator, f"one of {OPERATORS}")
        problems.require(self.window_size in WINDOWS, f"{at}.window_size", self.window_size, f"one of {WINDOWS}")
        problems.require(self.frequency in FREQUENCIES, f"{at}.frequency", self.frequency, f"one of {FREQUENCIES}")
        problems.require(0 <= self.severity <= 4, f"{at}.severity", self.severity, "0 (critical) to 4 (verbose)")
        if self.window_size in WINDOWS and self.frequency in FREQUENCIES:
            # [MS] alerts-metric-overview: the evaluation frequency can't be longer than the look-back period.
            problems.require(_MINUTES[self.frequency] <= _MINUTES[self.window_size], f"{at}.frequency",
                             self.frequency, f"not longer than window_size {self.window_size}")


@dataclass(frozen=True, kw_only=True)
class AlertThresholds:
    """Thresholds of the default rule sets, in percent. The values are this project's defaults for an on-call
    page (act before the limit, not at it); the cited sources give the metrics, not the numbers.

    :param postgres_cpu_percent: - 80 (average over 15 minutes).
    :param postgres_storage_percent: - 80.
    :param postgres_connections_percent: - 80 (of the sku's ``max_connections``).
    :param share_used_percent: - 80 (of the share's provisioned quota).
    :param share_availability_percent: - 99.9.
    :param node_cpu_percent: - 80 (per node, average over 15 minutes).
    :param node_memory_percent: - 80 (working set, per node).
    """

    postgres_cpu_percent: float = 80
    postgres_storage_percent: float = 80
    postgres_connections_percent: float = 80
    share_used_percent: float = 80
    share_availability_percent: float = 99.9
    node_cpu_percent: float = 80
    node_memory_percent: float = 80


def postgres_alerts(max_connections: int, thresholds: AlertThresholds = AlertThresholds(),
                    severities: Mapping[str, int] | None = None) -> list[MetricAlertSpec]:
    """CPU, storage, connections and liveness of a PostgreSQL Flexible Server.

    ``max_connections`` is the sku's limit ([MS] postgresql/flexible-server/concepts-limits); the
    connection alert fires above ``postgres_connections_percent`` of it. Flexible Server exposes no
    metric for the HA standby's health; ``is_db_alive`` falls to 0 while the primary is down,
    which covers a failover that does not complete (Resource Health covers the standby).
    """
    t, sev = thresholds, dict(severities or {})
    metrics = "[MS] azure-monitor/reference/supported-metrics/microsoft-dbforpostgresql-flexibleservers-metrics"
    return [
        MetricAlertSpec(key="postgres-cpu", description=f"PostgreSQL CPU averaging above {t.postgres_cpu_percent:g}% over 15 minutes",
                        metric_namespace=POSTGRES_NAMESPACE, metric_name="cpu_percent", aggregation="Average",
                        operator="GreaterThan", threshold=t.postgres_cpu_percent, window_size="PT15M",
                        frequency="PT5M", severity=sev.get("postgres-cpu", 2), source=metrics),
        MetricAlertSpec(key="postgres-storage", description=f"PostgreSQL storage above {t.postgres_storage_percent:g}% used",
                        metric_namespace=POSTGRES_NAMESPACE, metric_name="storage_percent", aggregation="Average",
                        operator="GreaterThan", threshold=t.postgres_storage_percent, window_size="PT15M",
                        frequency="PT5M", severity=sev.get("postgres-storage", 2), source=metrics),
        MetricAlertSpec(key="postgres-connections",
                        description=(f"PostgreSQL active connections above {t.postgres_connections_percent:g}% "
                                     f"of max_connections ({max_connections})"),
                        metric_namespace=POSTGRES_NAMESPACE, metric_name="active_connections", aggregation="Maximum",
                        operator="GreaterThan",
                        threshold=float(int(max_connections * t.postgres_connections_percent / 100)),
                        window_size="PT5M", frequency="PT1M", severity=sev.get("postgres-connections", 2),
                        source=metrics),
        MetricAlertSpec(key="postgres-alive", description="PostgreSQL server not answering (is_db_alive < 1)",
                        metric_namespace=POSTGRES_NAMESPACE, metric_name="is_db_alive", aggregation="Minimum",
                        operator="LessThan", threshold=1, window_size="PT5M", frequency="PT1M",
                        severity=sev.get("postgres-alive", 1), source=metrics),
    ]


def file_share_alerts(share_name: str, quota_gib: int, thresholds: AlertThresholds = AlertThresholds(),
                      severities: Mapping[str, int] | None = None) -> list[MetricAlertSpec]:
    """Used capacity, availability and throttling of one premium NFS share (target: the account's
    ``fileServices/default``)."""
    t, sev = thresholds, dict(severities or {})
    metrics = "[MS] azure-monitor/reference/supported-metrics/microsoft-storage-storageaccounts-fileservices-metrics"
    share = {"FileShare": [share_name]}
    used_bytes = float(int(quota_gib * GIB * t.share_used_percent / 100))
    # Capacity metrics are refreshed about once a day ([MS] storage/files/storage-files-monitoring-reference
    # "Capacity metrics": "refreshed daily (up to 24 hours)", time grain PT1H), so the
    # rule looks back a day (an hour-long window would mostly hold no data point) and is evaluated hourly.
    return [
        MetricAlertSpec(key="share-capacity",
                        description=f"NFS share {share_name} above {t.share_used_percent:g}% of its {quota_gib} GiB quota",
                        metric_namespace=FILE_SERVICE_NAMESPACE, metric_name="FileCapacity", aggregation="Average",
                        operator="GreaterThan", threshold=used_bytes, window_size="P1D", frequency="PT1H",
                        severity=sev.get("share-capacity", 2), dimensions=share, source=metrics),
        MetricAlertSpec(key="share-availability",
                        description=f"NFS share {share_name} availability below {t.share_availability_percent:g}%",
                        metric_namespace=FILE_SERVICE_NAMESPACE, metric_name="Availability", aggregation="Average",
                        # An hour, not minutes: on a quiet share one failed request among a few hundred would
                        # already fall below 99.9 % in a short window.
                        operator="LessThan", threshold=t.share_availability_percent, window_size="PT1H",
                        frequency="PT15M", severity=sev.get("share-availability", 2), dimensions=share,
                        source=metrics),
        MetricAlertSpec(key="share-throttled",
                        description=f"NFS share {share_name} throttled (IOPS or bandwidth above what its quota provisions)",
                        metric_namespace=FILE_SERVICE_NAMESPACE, metric_name="Transactions", aggregation="Total",
                        operator="GreaterThan", threshold=0, window_size="PT15M", frequency="PT5M",
                        severity=sev.get("share-throttled", 2),
                        dimensions={**share, "ResponseType": list(PREMIUM_SHARE_THROTTLING_RESPONSE_TYPES)},
                        source="[MS] storage/files/files-troubleshoot-performance"),
    ]


def aks_node_alerts(thresholds: AlertThresholds = AlertThresholds(),
                    severities: Mapping[str, int] | None = None) -> list[MetricAlertSpec]:
    """CPU and memory pressure per node (dimension ``node`` = ``*`` evaluates each node on its own)."""
    t, sev = thresholds, dict(severities or {})
    metrics = "[MS] azure-monitor/reference/supported-metrics/microsoft-containerservice-managedclusters-metrics"
    per_node = {"node": ["*"]}
    return [
        MetricAlertSpec(key="node-cpu", description=f"An AKS node averaging above {t.node_cpu_percent:g}% CPU over 15 minutes",
                        metric_namespace=AKS_NAMESPACE, metric_name="node_cpu_usage_percentage", aggregation="Average",
                        operator="GreaterThan", threshold=t.node_cpu_percent, window_size="PT15M", frequency="PT5M",
                        severity=sev.get("node-cpu", 2), dimensions=per_node, source=metrics),
        MetricAlertSpec(key="node-memory",
                        description=f"An AKS node averaging above {t.node_memory_percent:g}% memory working set over 15 minutes",
                        metric_namespace=AKS_NAMESPACE, metric_name="node_memory_working_set_percentage",
                        aggregation="Average", operator="GreaterThan", threshold=t.node_memory_percent,
                        window_size="PT15M", frequency="PT5M", severity=sev.get("node-memory", 2),
                        dimensions=per_node, source=metrics),
    ]


#: Every default rule's key (what ``alerts.severity`` in the config may name).
ALERT_KEYS = tuple(spec.key for spec in (*postgres_alerts(100), *file_share_alerts("share", 100), *aks_node_alerts()))
