"""Metric alerts: what the reference synth holds (target, metric, threshold, window, one action group),
the thresholds' arithmetic by hand, config overrides, and props validation."""

from __future__ import annotations

import dataclasses

import pytest
from constructs_lib.cdk import App, TerraformStack
from constructs_lib.toolchain import app_context

from config import load_config
from constructs_lib.alert_rules import (
    ALERT_KEYS,
    AlertThresholds,
    MetricAlertSpec,
    aks_node_alerts,
    file_share_alerts,
    postgres_alerts,
)
from constructs_lib.alerts import ActionGroup, ActionGroupProps, MetricAlert, MetricAlertProps
from constructs_lib.validation import PropsError
from stacks.base import alert_thresholds
from tests.conftest import CONFIGS

ALERT = "azurerm_monitor_metric_alert"
GIB = 1024 ** 3

# (stack, key) -> (target reference prefix, namespace, metric, aggregation, operator, threshold, window, frequency,
#                  severity, dimensions) for the reference config: PostgreSQL GP_Standard_D4ds_v4 (max_connections
#                  1718), a 1000 GiB share "ppm-data", default thresholds.
EXPECTED = {
    ("data", "postgres-cpu"): ("${azurerm_postgresql_flexible_server.", "Microsoft.DBforPostgreSQL/flexibleServers",
                               "cpu_percent", "Average", "GreaterThan", 80, "PT15M", "PT5M", 2, None),
    ("data", "postgres-storage"): ("${azurerm_postgresql_flexible_server.", "Microsoft.DBforPostgreSQL/flexibleServers",
                                   "storage_percent", "Average", "GreaterThan", 80, "PT15M", "PT5M", 2, None),
    # 80 % of 1718 = 1374.4 -> 1374
    ("data", "postgres-connections"): ("${azurerm_postgresql_flexible_server.",
                                       "Microsoft.DBforPostgreSQL/flexibleServers", "active_connections", "Maximum",
                                       "GreaterThan", 1374, "PT5M", "PT1M", 2, None),
    ("data", "postgres-alive"): ("${azurerm_postgresql_flexible_server.", "Microsoft.DBforPostgreSQL/flexibleServers",
                                 "is_db_alive", "Minimum", "LessThan", 1, "PT5M", "PT1M", 1, None),
    # 80 % of 1000 GiB = 800 GiB = 858,993,459,200 bytes
    ("data", "share-capacity"): ("${azurerm_storage_account.", "Microsoft.Storage/storageAccounts/fileServices",
                                 "FileCapacity", "Average", "GreaterThan", 858_993_459_200, "P1D", "PT1H", 2,
                                 {"FileShare": ["ppm-data"]}),
    ("data", "share-availability"): ("${azurerm_storage_account.", "Microsoft.Storage/storageAccounts/fileServices",
                                     "Availability", "Average", "LessThan", 99.9, "PT1H", "PT15M", 2,
                                     {"FileShare": ["ppm-data"]}),
    ("data", "share-throttled"): ("${azurerm_storage_account.", "Microsoft.Storage/storageAccounts/fileServices",
                                  "Transactions", "Total", "GreaterThan", 0, "PT15M", "PT5M", 2,
                                  {"FileShare": ["ppm-data"], "ResponseType": [
                                      "SuccessWithShareEgressThrottling", "SuccessWithShareIngressThrottling",
                                      "SuccessWithShareIopsThrottling", "ClientShareEgressThrottlingError",
                                      "ClientShareIngressThrottlingError", "ClientShareIopsThrottlingError"]}),
    ("cluster", "node-cpu"): ("${azurerm_kubernetes_cluster.", "Microsoft.ContainerService/managedClusters",
                              "node_cpu_usage_percentage", "Average", "GreaterThan", 80, "PT15M", "PT5M", 2,
                              {"node": ["*"]}),
    ("cluster", "node-memory"): ("${azurerm_kubernetes_cluster.", "Microsoft.ContainerService/managedClusters",
                                 "node_memory_working_set_percentage", "Average", "GreaterThan", 80, "PT15M", "PT5M",
                                 2, {"node": ["*"]}),
}


def _alerts(synth, stack: str) -> dict[str, dict]:
    return {alert["name"].removeprefix("alert-ppmref-"): alert for alert in synth.resources(stack, ALERT).values()}


@pytest.mark.parametrize("where", sorted(EXPECTED), ids=[f"{s}-{k}" for s, k in sorted(EXPECTED)])
def test_reference_alert_target_metric_threshold_and_window(reference, where):
    stack, key = where
    target, namespace, metric, aggregation, operator, threshold, window, frequency, severity, dims = EXPECTED[where]
    alert = _alerts(reference, stack)[key]
    (scope,) = alert["scopes"]
    assert scope.startswith(target)
    if namespace.endswith("/fileServices"):
        assert scope.endswith(".id}/fileServices/default")  # the file service carries the share's metrics
    (criteria,) = alert["criteria"]
    assert (criteria["metric_namespace"], criteria["metric_name"], criteria["aggregation"], criteria["operator"],
            criteria["threshold"]) == (namespace, metric, aggregation, operator, threshold)
    assert (alert["window_size"], alert["frequency"], alert["severity"]) == (window, frequency, severity)
    got_dims = {d["name"]: d["values"] for d in criteria.get("dimension", [])} or None
    assert got_dims == dims
    assert all(d["operator"] == "Include" for d in criteria.get("dimension", []))


def test_reference_has_exactly_the_default_rules_all_wired_to_the_one_action_group(reference):
    groups = reference.resources("network", "azurerm_monitor_action_group")
    assert len(groups) == 1
    (group_id, group), = groups.items()
    assert group["email_receiver"] == [{"name": "email-0", "email_address": "platform-oncall@example.com",
                                        "use_common_alert_schema": True}]
    assert len(group["short_name"]) <= 12
    names = {(stack, key) for stack in ("data", "cluster") for key in _alerts(reference, stack)}
    assert names == set(EXPECTED) and {key for _, key in names} == set(ALERT_KEYS)
    for stack in ("data", "cluster"):
        for alert in reference.resources(stack, ALERT).values():
            (action,) = alert["action"]
            # the network stack's group, through its cross-stack output
            assert action["action_group_id"].endswith(f"outputs.cross-stack-output-azurerm_monitor_action_group{group_id}id}}")


def test_small_config_without_an_alerts_section_has_no_alerts(small):
    assert small.resources("network", "azurerm_monitor_action_group") == {}
    assert small.resources("data", ALERT) == {} and small.resources("cluster", ALERT) == {}


def test_config_thresholds_and_severities_reach_the_rules():
    cfg = load_config(CONFIGS["reference"])
    cfg = cfg.model_copy(update={"alerts": cfg.alerts.model_copy(update={
        "thresholds": cfg.alerts.thresholds.model_copy(update={"share_used_percent": 90.0, "postgres_connections_percent": 50.0}),
        "severity": {"share-capacity": 0}})})
    share = {s.key: s for s in file_share_alerts("ppm-data", 2048, alert_thresholds(cfg), cfg.alerts.severity)}
    assert share["share-capacity"].threshold == int(2048 * GIB * 0.9) == 1_979_120_929_996
    assert share["share-capacity"].severity == 0 and share["share-availability"].severity == 2
    pg = {s.key: s for s in postgres_alerts(859, alert_thresholds(cfg))}
    assert pg["postgres-connections"].threshold == 429  # 50 % of 859, rounded down


def test_every_default_rule_passes_its_own_validation():
    from constructs_lib.validation import Problems

    problems = Problems("defaults")
    for spec in (*postgres_alerts(1718), *file_share_alerts("s", 100), *aks_node_alerts(AlertThresholds())):
        spec.problems(problems)
    assert problems.items == []


SPEC = postgres_alerts(1718)[0]


@pytest.mark.parametrize(("spec", "message"), [
    (dataclasses.replace(SPEC, frequency="PT1H", window_size="PT15M"),
     "alerts[postgres-cpu].frequency: got 'PT1H'; not longer than window_size PT15M"),
    (dataclasses.replace(SPEC, window_size="PT2M"), "alerts[postgres-cpu].window_size: got 'PT2M'; one of"),
    (dataclasses.replace(SPEC, aggregation="Mean"), "alerts[postgres-cpu].aggregation: got 'Mean'; one of"),
    (dataclasses.replace(SPEC, severity=5), "alerts[postgres-cpu].severity: got 5; 0 (critical) to 4 (verbose)"),
])
def test_bad_alert_specs_are_refused_before_anything_is_created(spec: MetricAlertSpec, message):
    stack = TerraformStack(App(context=app_context()), "t")
    with pytest.raises(PropsError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")):
        MetricAlert(stack, "a", MetricAlertProps(name="a", resource_group_name="rg", target_resource_id="/x",
                                                 action_group_id="/ag", spec=spec))
    assert stack.node.try_find_child("a") is None


@pytest.mark.parametrize(("props", "message"), [
    (ActionGroupProps(name="ag", short_name="ppm-production", resource_group_name="rg", email_receivers=["a@b.co"]),
     "short_name: got 'ppm-production'; 1 to 12 characters"),
    (ActionGroupProps(name="ag", short_name="ppm", resource_group_name="rg", email_receivers=[]),
     "email_receivers: got \\[\\]; at least one e-mail address"),
    (ActionGroupProps(name="ag", short_name="ppm", resource_group_name="rg", email_receivers=["oncall"]),
     "email_receivers: got 'oncall'; an e-mail address"),
])
def test_bad_action_group_props_are_refused(props, message):
    stack = TerraformStack(App(context=app_context()), "t")
    with pytest.raises(PropsError, match=message):
        ActionGroup(stack, "ag", props)
    assert stack.node.try_find_child("ag") is None
