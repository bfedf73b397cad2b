"""AksCluster construct: props validation messages, and what it synthesizes for variants the
shipped configs don't cover (separate system pool, autoscaling, private cluster, Defender)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from constructs_lib.aks.props import AksClusterProps, MaintenanceWindow, NodePoolSpec, validate
from constructs_lib.validation import PropsError

WORKERS = NodePoolSpec(name="workers", vm_size="Standard_D8_v5", node_count=3, zones=("1", "2", "3"))
BASE = AksClusterProps(
    name="aks-test", resource_group_name="rg-test", location="eastus2",
    vnet_subnet_id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
    log_analytics_workspace_id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w",
    workers=WORKERS, authorized_ip_ranges=("203.0.113.0/24",),
)


def _problems(props: AksClusterProps) -> list[str]:
    with pytest.raises(PropsError) as err:
        validate(props)
    assert err.value.construct == "AksCluster"
    return err.value.problems


def _pool(**changes) -> NodePoolSpec:
    return dataclasses.replace(WORKERS, **changes)


# (id, props, text one problem line must contain)
BAD_PROPS = [
    ("zero-nodes", dataclasses.replace(BASE, workers=_pool(node_count=0)), "workers.node_count: got 0; at least 1"),
    ("system-pool-zero-nodes",
     dataclasses.replace(BASE, system_pool=_pool(name="system", node_count=0)), "system_pool.node_count: got 0; at least 1"),
    ("zone-outside-1-3", dataclasses.replace(BASE, workers=_pool(zones=("1", "4"))),
     "workers.zones: got ['1', '4']; zones from '1', '2', '3'"),
    ("zone-duplicated", dataclasses.replace(BASE, workers=_pool(zones=("1", "1"))),
     "workers.zones: got ['1', '1']; each zone at most once"),
    ("fewer-nodes-than-zones", dataclasses.replace(BASE, workers=_pool(node_count=2)),
     "workers.node_count: got 2; at least one node per zone (3)"),
    ("autoscale-min-below-zones", dataclasses.replace(BASE, workers=_pool(min_count=2, max_count=6)),
     "workers.min_count: got 2; at least one node per zone (3)"),
    ("autoscale-count-outside-range", dataclasses.replace(BASE, workers=_pool(node_count=9, min_count=3, max_count=6)),
     "workers.node_count: got 9; between min_count (3) and max_count (6)"),
    ("autoscale-half-set", dataclasses.replace(BASE, workers=_pool(min_count=3)),
     "workers.min_count/max_count: got (3, None); both set"),
    ("max-pods", dataclasses.replace(BASE, workers=_pool(max_pods=300)), "workers.max_pods: got 300; 10 to 250"),
    ("pool-name", dataclasses.replace(BASE, workers=_pool(name="Worker-Pool")), "workers.name: got 'Worker-Pool'"),
    ("same-pool-names", dataclasses.replace(BASE, system_pool=_pool()),
     "system_pool.name: got 'workers'; a name different from workers.name"),
    ("open-api-server", dataclasses.replace(BASE, authorized_ip_ranges=()),
     "authorized_ip_ranges: got []; at least one CIDR, or private_cluster=True"),
    ("private-with-ranges", dataclasses.replace(BASE, private_cluster=True),
     "authorized_ip_ranges: got ['203.0.113.0/24']; empty for a private cluster"),
    ("bad-cidr", dataclasses.replace(BASE, authorized_ip_ranges=("203.0.113.1/24",)),
     "authorized_ip_ranges: got '203.0.113.1/24'; IPv4 CIDRs"),
    ("network-policy", dataclasses.replace(BASE, network_policy="weave"), "network_policy: got 'weave'; one of azure, calico, cilium"),
    ("sku-tier", dataclasses.replace(BASE, sku_tier="Paid"), "sku_tier: got 'Paid'; one of Free, Standard, Premium"),
    ("upgrade-channel", dataclasses.replace(BASE, automatic_upgrade_channel="none"), "automatic_upgrade_channel: got 'none'"),
    ("node-os-channel", dataclasses.replace(BASE, node_os_upgrade_channel="nodeimage"), "node_os_upgrade_channel: got 'nodeimage'"),
    ("pods-overlap-services", dataclasses.replace(BASE, service_cidr="10.244.0.0/20", dns_service_ip="10.244.0.10"),
     "service_cidr: got '10.244.0.0/20'; a range that does not overlap pod_cidr"),
    ("dns-outside-services", dataclasses.replace(BASE, dns_service_ip="10.1.0.10"),
     "dns_service_ip: got '10.1.0.10'; an address inside service_cidr 10.0.0.0/16"),
    ("admin-group", dataclasses.replace(BASE, admin_group_object_ids=("ops",)), "admin_group_object_ids: got 'ops'; Entra ID object ids"),
    ("window-duration", dataclasses.replace(BASE, maintenance_window=MaintenanceWindow(duration_hours=2)),
     "maintenance_window.duration_hours: got 2; 4 to 24 hours"),
    ("window-start", dataclasses.replace(BASE, maintenance_window=MaintenanceWindow(start_time="25:00")),
     "maintenance_window.start_time: got '25:00'; HH:MM"),
    ("window-day", dataclasses.replace(BASE, maintenance_window=MaintenanceWindow(day_of_week="Sun")),
     "maintenance_window.day_of_week: got 'Sun'"),
    ("max-surge", dataclasses.replace(BASE, workers=_pool(max_surge="lots")), "workers.max_surge: got 'lots'"),
    ("rbac-wait", dataclasses.replace(BASE, rbac_propagation_seconds=3600),
     "rbac_propagation_seconds: got 3600; 0 to 1800 seconds (0: no wait)"),
]


@pytest.mark.parametrize("case", BAD_PROPS, ids=[c[0] for c in BAD_PROPS])
def test_invalid_props_name_field_value_and_allowed(case):
    _, props, expected = case
    problems = _problems(props)
    assert any(expected in line for line in problems), problems


def test_all_problems_are_reported_together():
    props = dataclasses.replace(BASE, workers=_pool(node_count=0, max_pods=5), sku_tier="x", authorized_ip_ranges=())
    assert len(_problems(props)) >= 4


def test_valid_props_pass_and_tokens_are_not_judged():
    validate(BASE)
    validate(dataclasses.replace(BASE, authorized_ip_ranges=(), allow_public_without_authorized_ranges=True))
    validate(dataclasses.replace(BASE, authorized_ip_ranges=(), private_cluster=True, workers=_pool(zones=())))
    validate(dataclasses.replace(BASE, dns_service_ip="${TfToken[TOKEN.1]}"))


# --- synthesized variants (one throwaway app, synthesized once for the module) -----------------

PUBLIC_ZONE = "/subscriptions/0/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.com"
PRIVATE_ZONE = "/subscriptions/0/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/example.internal"

VARIANTS = {
    "system_pool": dataclasses.replace(
        BASE, system_pool=NodePoolSpec(name="system", vm_size="Standard_D4ds_v5", node_count=3, zones=("1", "2", "3")),
        workers=_pool(min_count=3, max_count=6), admin_principal_ids=("00000000-0000-0000-0000-000000000001",),
        app_routing_dns_zone_ids=(PUBLIC_ZONE, PRIVATE_ZONE)),
    "private": dataclasses.replace(BASE, authorized_ip_ranges=(), private_cluster=True, defender=True,
                                   network_policy="calico", diagnostic_log_categories=(),
                                   node_os_upgrade_channel="Unmanaged", workers=_pool(zones=(), node_count=1)),
    "autoscaled_default": dataclasses.replace(BASE, workers=_pool(min_count=3, max_count=9)),
    # stable moves the minor version; an admin without a wait.
    "stable_channel": dataclasses.replace(
        BASE, automatic_upgrade_channel="stable", kubernetes_version="1.33",
        system_pool=NodePoolSpec(name="system", vm_size="Standard_D4ds_v5", node_count=3, zones=("1", "2", "3")),
        workers=_pool(min_count=3, max_count=6), admin_principal_ids=("00000000-0000-0000-0000-000000000002",),
        rbac_propagation_seconds=0),
}


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> dict[str, dict]:
    from constructs_lib.cdk import App, TerraformStack
    from constructs_lib.toolchain import app_context
    from constructs_lib.cdk.azurerm import AzurermProvider, AzurermProviderFeatures
    from constructs_lib.cdk.time import TimeProvider

    from constructs_lib.aks.cluster import AksCluster

    outdir = tmp_path_factory.mktemp("aks-variants")
    app = App(context=app_context(), outdir=str(outdir))
    for name, props in VARIANTS.items():
        stack = TerraformStack(app, name)
        AzurermProvider(stack, "azurerm", features=[AzurermProviderFeatures()])
        TimeProvider(stack, "time")
        AksCluster(stack, "aks", props)
    app.synth()
    return {name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in VARIANTS}


def _one(stack: dict, rtype: str) -> dict:
    found = stack["resource"].get(rtype, {})
    assert len(found) == 1, sorted(found)
    return next(iter(found.values()))


def test_system_pool_becomes_the_default_pool_with_critical_addons_only(variants):
    stack = variants["system_pool"]
    pool = _one(stack, "azurerm_kubernetes_cluster")["default_node_pool"]
    assert pool["name"] == "system" and pool["only_critical_addons_enabled"] is True
    assert pool["vm_size"] == "Standard_D4ds_v5" and pool["zones"] == ["1", "2", "3"]
    workers = _one(stack, "azurerm_kubernetes_cluster_node_pool")
    assert workers["mode"] == "User" and workers["name"] == "workers"
    assert workers["temporary_name_for_rotation"] == "workerstmp"
    assert workers["zones"] == ["1", "2", "3"] and workers["max_pods"] == 110
    assert workers["auto_scaling_enabled"] is True and (workers["min_count"], workers["max_count"]) == (3, 6)
    assert workers["lifecycle"]["ignore_changes"] == ["node_count"]
    assert workers["host_encryption_enabled"] is True and workers["vnet_subnet_id"] == BASE.vnet_subnet_id


def test_admin_principals_get_the_aks_rbac_cluster_admin_role_on_the_cluster(variants):
    grants = variants["system_pool"]["resource"]["azurerm_role_assignment"].values()
    admin = [g for g in grants if g["role_definition_name"] == "Azure Kubernetes Service RBAC Cluster Admin"]
    assert len(admin) == 1
    assert admin[0]["principal_id"] == "00000000-0000-0000-0000-000000000001"
    assert admin[0]["scope"].startswith("${azurerm_kubernetes_cluster.") and admin[0]["scope"].endswith(".id}")


def test_private_cluster_has_no_authorized_ranges_and_optional_addons(variants):
    stack = variants["private"]
    cluster = _one(stack, "azurerm_kubernetes_cluster")
    assert cluster["private_cluster_enabled"] is True
    assert "api_server_access_profile" not in cluster
    assert cluster["microsoft_defender"]["log_analytics_workspace_id"] == BASE.log_analytics_workspace_id
    assert cluster["network_profile"]["network_policy"] == "calico"
    assert "network_data_plane" not in cluster["network_profile"]
    assert "zones" not in cluster["default_node_pool"]
    assert "maintenance_window_node_os" not in cluster  # no node OS channel, no window for it
    assert "azurerm_monitor_diagnostic_setting" not in stack["resource"]


def test_autoscaled_default_pool_leaves_the_count_to_the_autoscaler(variants):
    cluster = _one(variants["autoscaled_default"], "azurerm_kubernetes_cluster")
    pool = cluster["default_node_pool"]
    assert pool["auto_scaling_enabled"] is True and (pool["min_count"], pool["max_count"]) == (3, 9)
    assert cluster["lifecycle"]["ignore_changes"] == ["default_node_pool[0].node_count"]
    assert "azurerm_kubernetes_cluster_node_pool" not in variants["autoscaled_default"]["resource"]


def test_app_routing_identity_may_write_records_in_each_configured_zone(variants):
    stack = variants["system_pool"]
    cluster_key = next(iter(stack["resource"]["azurerm_kubernetes_cluster"]))
    routing = f"${{azurerm_kubernetes_cluster.{cluster_key}.web_app_routing[0].web_app_routing_identity[0].object_id}}"
    grants = {g["scope"]: g for g in stack["resource"]["azurerm_role_assignment"].values() if g["principal_id"] == routing}
    assert grants[PUBLIC_ZONE]["role_definition_name"] == "DNS Zone Contributor"
    assert grants[PRIVATE_ZONE]["role_definition_name"] == "Private DNS Zone Contributor"
    assert _one(stack, "azurerm_kubernetes_cluster")["web_app_routing"]["dns_zone_ids"] == [PUBLIC_ZONE, PRIVATE_ZONE]


# --- Container Insights data collection ---------------------------------------------------------

@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_container_insights_has_a_data_collection_rule_associated_with_the_cluster(variants, variant):
    # Given msi_auth_for_monitoring_enabled, when nothing associates a DCR with the cluster, the
    # agent collects nothing (terraform-provider-azurerm#23510): the construct must make both.
    stack = variants[variant]
    cluster_key = next(iter(stack["resource"]["azurerm_kubernetes_cluster"]))
    assert _one(stack, "azurerm_kubernetes_cluster")["oms_agent"]["msi_auth_for_monitoring_enabled"] is True
    rule = _one(stack, "azurerm_monitor_data_collection_rule")
    rule_key = next(iter(stack["resource"]["azurerm_monitor_data_collection_rule"]))
    assert rule["kind"] == "Linux"
    assert rule["name"] == "MSCI-eastus2-aks-test" and rule["location"] == BASE.location
    assert rule["resource_group_name"] == BASE.resource_group_name
    (destination,) = rule["destinations"]["log_analytics"]
    assert destination["workspace_resource_id"] == BASE.log_analytics_workspace_id
    assert rule["data_flow"] == [{"streams": ["Microsoft-ContainerInsights-Group-Default"],
                                  "destinations": [destination["name"]]}]
    (extension,) = rule["data_sources"]["extension"]
    assert extension["extension_name"] == "ContainerInsights"
    assert extension["streams"] == ["Microsoft-ContainerInsights-Group-Default"]
    assert json.loads(extension["extension_json"]) == {"dataCollectionSettings": {
        "interval": "1m", "namespaceFilteringMode": "Off", "enableContainerLogV2": True}}
    association = _one(stack, "azurerm_monitor_data_collection_rule_association")
    assert association["name"] == "ContainerInsightsExtension"
    assert association["target_resource_id"] == f"${{azurerm_kubernetes_cluster.{cluster_key}.id}}"
    assert association["data_collection_rule_id"] == f"${{azurerm_monitor_data_collection_rule.{rule_key}.id}}"


# --- waiting for the cluster-admin grants ---------------------------------------------------------

def test_a_wait_follows_the_cluster_admin_grants_and_reruns_when_one_is_replaced(variants):
    stack = variants["system_pool"]
    admin_keys = [k for k, g in stack["resource"]["azurerm_role_assignment"].items()
                  if g["role_definition_name"] == "Azure Kubernetes Service RBAC Cluster Admin"]
    sleep = _one(stack, "time_sleep")
    assert sleep["create_duration"] == "300s"  # [MS] aks/manage-azure-rbac: up to five minutes
    assert sleep["triggers"] == {f"cluster_admin_{i}": f"${{azurerm_role_assignment.{k}.id}}"
                                 for i, k in enumerate(admin_keys)}
    assert "time" in stack["terraform"]["required_providers"]


def test_no_wait_without_admins_or_when_turned_off(variants):
    assert "time_sleep" not in variants["private"]["resource"]  # no admin principals
    stack = variants["stable_channel"]
    assert "time_sleep" not in stack["resource"]  # rbac_propagation_seconds=0
    assert any(g["role_definition_name"] == "Azure Kubernetes Service RBAC Cluster Admin"
               for g in stack["resource"]["azurerm_role_assignment"].values())


# --- version drift under minor-version upgrade channels -------------------------------------------

def test_stable_or_rapid_channel_ignores_the_version_drift_it_causes(variants):
    stack = variants["stable_channel"]
    cluster = _one(stack, "azurerm_kubernetes_cluster")
    assert cluster["automatic_upgrade_channel"] == "stable" and cluster["kubernetes_version"] == "1.33"
    assert cluster["lifecycle"]["ignore_changes"] == ["kubernetes_version", "default_node_pool[0].orchestrator_version"]
    workers = _one(stack, "azurerm_kubernetes_cluster_node_pool")
    assert workers["lifecycle"]["ignore_changes"] == ["node_count", "orchestrator_version"]


def test_patch_channel_keeps_the_version_managed(variants):
    for name in ("system_pool", "private"):
        cluster = _one(variants[name], "azurerm_kubernetes_cluster")
        assert cluster["automatic_upgrade_channel"] == "patch"
        assert "kubernetes_version" not in cluster.get("lifecycle", {}).get("ignore_changes", [])
    assert "lifecycle" not in _one(variants["private"], "azurerm_kubernetes_cluster")
