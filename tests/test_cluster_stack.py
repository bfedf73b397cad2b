"""The cluster stack: every property docs/cluster.md promises, on both shipped configs; the config rules
that guard it; the typed attributes the app stack codes against."""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from config import ConfigError, load_config, parse_config
from tests.conftest import DEPLOYERS, PLANNERS, CONFIGS

REFERENCE = yaml.safe_load(CONFIGS["reference"].read_text())
AKS = "azurerm_kubernetes_cluster"
NETWORK_OUTPUT = re.compile(r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-network\.outputs\.(.+)\}$")


def _cfg(synth):
    return load_config(CONFIGS[synth.name])


def _cluster(synth) -> dict:
    return synth.one("cluster", AKS)


def _network_output(synth, expression: str) -> str:
    """The network-stack expression behind a cross-stack reference in the cluster stack."""
    match = NETWORK_OUTPUT.match(expression)
    assert match, expression
    return synth.stacks["network"]["output"][match.group(1)]["value"]


def _by_role(synth) -> dict[str, dict]:
    return {r["role_definition_name"]: r for r in synth.resources("cluster", "azurerm_role_assignment").values()}


# --- nodes ---------------------------------------------------------------------------------

def test_worker_nodes_have_the_configured_size_count_and_zones(any_synth):
    cfg = _cfg(any_synth)
    pool = _cluster(any_synth)["default_node_pool"]
    assert pool["vm_size"] == cfg.cluster.vm_size
    assert pool["node_count"] == cfg.cluster.node_count
    assert pool["zones"] == list(cfg.zones)
    assert "auto_scaling_enabled" not in pool  # fixed count, as in the reference architecture
    assert any_synth.resources("cluster", "azurerm_kubernetes_cluster_node_pool") == {}  # no system_pool configured


def test_reference_runs_three_d8_v5_nodes_one_per_zone(reference):
    pool = _cluster(reference)["default_node_pool"]
    assert (pool["vm_size"], pool["node_count"], pool["zones"]) == ("Standard_D8_v5", 3, ["1", "2", "3"])


def test_nodes_sit_in_the_network_stacks_aks_subnet(any_synth):
    pool = _cluster(any_synth)["default_node_pool"]
    assert _network_output(any_synth, pool["vnet_subnet_id"]).startswith("${azurerm_subnet.vnet_subnet-aks-nodes_")


def test_max_pods_rotation_name_and_node_hardening_are_explicit(any_synth):
    cfg = _cfg(any_synth)
    pool = _cluster(any_synth)["default_node_pool"]
    assert pool["max_pods"] == cfg.cluster.max_pods >= 50  # CKV_AZURE_168 assumes 30 when unset
    assert re.fullmatch(r"[a-z][a-z0-9]{0,11}", pool["temporary_name_for_rotation"])
    assert pool["temporary_name_for_rotation"] != pool["name"]
    assert pool["host_encryption_enabled"] is cfg.cluster.host_encryption
    assert pool["node_public_ip_enabled"] is False
    assert pool["type"] == "VirtualMachineScaleSets"
    assert pool["upgrade_settings"]["max_surge"]


# --- ingress, network ------------------------------------------------------------------------

def test_ingress_is_the_managed_app_routing_addon_with_configured_dns_zones(any_synth):
    cfg = _cfg(any_synth)
    cluster = _cluster(any_synth)
    assert cluster["web_app_routing"]["dns_zone_ids"] == cfg.cluster.app_routing_dns_zone_ids == []
    assert "http_application_routing_enabled" not in cluster  # the legacy add-on stays off


def test_azure_cni_overlay_with_network_policy_and_standard_load_balancer(any_synth):
    cfg = _cfg(any_synth)
    net = _cluster(any_synth)["network_profile"]
    assert (net["network_plugin"], net["network_plugin_mode"]) == ("azure", "overlay")
    assert net["network_policy"] == cfg.cluster.network_policy == "cilium"
    assert net["network_data_plane"] == "cilium"  # cilium policy needs the cilium data plane
    assert net["load_balancer_sku"] == "standard"
    assert (net["pod_cidr"], net["service_cidr"], net["dns_service_ip"]) == (
        cfg.cluster.pod_cidr, cfg.cluster.service_cidr, cfg.cluster.dns_service_ip)


# --- identity and access ---------------------------------------------------------------------

def test_managed_identity_oidc_workload_identity_and_entra_rbac(any_synth):
    cfg = _cfg(any_synth)
    cluster = _cluster(any_synth)
    identities = any_synth.resources("cluster", "azurerm_user_assigned_identity")
    assert len(identities) == 1
    key = next(iter(identities))
    assert cluster["identity"] == {"type": "UserAssigned", "identity_ids": [f"${{azurerm_user_assigned_identity.{key}.id}}"]}
    assert "service_principal" not in cluster
    assert cluster["oidc_issuer_enabled"] is True and cluster["workload_identity_enabled"] is True
    rbac = cluster["azure_active_directory_role_based_access_control"]
    assert rbac["azure_rbac_enabled"] is True
    assert rbac.get("admin_group_object_ids", []) == cfg.cluster.admin_group_object_ids
    assert cluster["local_account_disabled"] is True


def test_cluster_identity_gets_network_contributor_on_the_node_subnet_before_the_cluster(any_synth):
    grant = _by_role(any_synth)["Network Contributor"]
    identity_key = next(iter(any_synth.resources("cluster", "azurerm_user_assigned_identity")))
    assert grant["principal_id"] == f"${{azurerm_user_assigned_identity.{identity_key}.principal_id}}"
    assert grant["scope"] == _cluster(any_synth)["default_node_pool"]["vnet_subnet_id"]
    grant_key = next(k for k, v in any_synth.resources("cluster", "azurerm_role_assignment").items() if v is grant)
    assert f"azurerm_role_assignment.{grant_key}" in _cluster(any_synth)["depends_on"]


def _grants(synth, role: str) -> list[dict]:
    return [r for r in synth.resources("cluster", "azurerm_role_assignment").values() if r["role_definition_name"] == role]


def test_the_configured_deployers_are_cluster_admins_through_azure_rbac(delivered):
    grants = _grants(delivered, "Azure Kubernetes Service RBAC Cluster Admin")
    assert sorted(g["principal_id"] for g in grants) == sorted(DEPLOYERS)
    for grant in grants:
        assert re.fullmatch(r"\$\{azurerm_kubernetes_cluster\.[\w]+\.id\}", grant["scope"])


def test_plan_identities_get_user_credentials_and_namespace_read_only(delivered):
    (user,) = _grants(delivered, "Azure Kubernetes Service Cluster User Role")
    (reader,) = _grants(delivered, "Azure Kubernetes Service RBAC Reader")
    assert user["principal_id"] == reader["principal_id"] == PLANNERS[0]
    assert re.fullmatch(r"\$\{azurerm_kubernetes_cluster\.[\w]+\.id\}", user["scope"])
    assert re.fullmatch(r"\$\{azurerm_kubernetes_cluster\.[\w]+\.id\}/namespaces/posit-package-manager", reader["scope"])
    # Nothing that reads Secrets: neither admin nor writer roles for a plan identity.
    assert not [g for g in delivered.resources("cluster", "azurerm_role_assignment").values()
                if g["principal_id"] == PLANNERS[0] and g not in (user, reader)]


def test_shipped_configs_grant_nobody_until_principals_are_configured(any_synth):
    # delivery.deployer_principal_ids is a placeholder ([]) the preflight refuses: only the cluster's own grant.
    assert set(_by_role(any_synth)) == {"Network Contributor"}


def test_no_role_assignment_reaches_into_the_data_stack(delivered):
    # Key Vault Secrets User and any storage grant live in the app stack (cluster and data deploy in parallel).
    assert set(_by_role(delivered)) == {"Network Contributor", "Azure Kubernetes Service RBAC Cluster Admin",
                                        "Azure Kubernetes Service Cluster User Role", "Azure Kubernetes Service RBAC Reader"}
    assert "data" not in json.dumps(delivered.stacks["cluster"].get("data", {}).get("terraform_remote_state", {}))


def test_standard_tier_for_the_uptime_sla(any_synth):
    assert _cluster(any_synth)["sku_tier"] == "Standard"


# --- upgrades ----------------------------------------------------------------------------------

def test_upgrade_channels_and_maintenance_windows_come_from_config(any_synth):
    cfg = _cfg(any_synth)
    cluster = _cluster(any_synth)
    assert cluster["automatic_upgrade_channel"] == cfg.cluster.automatic_upgrade_channel
    assert cluster["node_os_upgrade_channel"] == cfg.cluster.node_os_upgrade_channel
    w = cfg.cluster.maintenance_window
    expected = {"frequency": "Weekly", "interval": 1, "day_of_week": w.day_of_week, "start_time": w.start_time,
                "duration": w.duration_hours, "utc_offset": w.utc_offset}
    assert cluster["maintenance_window_auto_upgrade"] == expected
    assert cluster["maintenance_window_node_os"] == expected
    # patch with a minor alias (or none) stays consistent: no version drift to ignore.
    assert cfg.cluster.automatic_upgrade_channel == "patch" and "lifecycle" not in cluster


# --- API server --------------------------------------------------------------------------------

def test_public_api_server_only_from_the_authorized_ranges_and_the_runner(any_synth):
    cfg = _cfg(any_synth)
    cluster = _cluster(any_synth)
    assert cluster["private_cluster_enabled"] is False
    ranges = cluster["api_server_access_profile"]["authorized_ip_ranges"]
    configured = cfg.cluster.api_server.authorized_ip_ranges
    assert ranges[:len(configured)] == configured
    runner = cfg.delivery.runner
    if runner.location == "external":
        assert ranges[len(configured):] == [c for c in runner.egress_cidrs if c not in configured]
    else:  # the VNet runners' NAT gateway address, from the network stack
        (nat,) = ranges[len(configured):]
        address, suffix = nat.rsplit("/", 1)
        assert suffix == "32" and _network_output(any_synth, address).startswith("${azurerm_public_ip.")


# --- add-ons -----------------------------------------------------------------------------------

def test_secrets_store_csi_with_rotation_policy_monitoring_and_files_csi(any_synth):
    cluster = _cluster(any_synth)
    assert cluster["key_vault_secrets_provider"]["secret_rotation_enabled"] is True
    assert cluster["azure_policy_enabled"] is True
    oms = cluster["oms_agent"]
    assert oms["msi_auth_for_monitoring_enabled"] is True
    assert _network_output(any_synth, oms["log_analytics_workspace_id"]).startswith(
        "${azurerm_log_analytics_workspace.log-analytics_")
    assert cluster["storage_profile"]["file_driver_enabled"] is True


def test_container_insights_data_is_collected_by_an_associated_rule_to_the_workspace(any_synth):
    # MSI-auth Container Insights sends nothing without a DCR associated with the cluster.
    cluster = _cluster(any_synth)
    cluster_key = next(iter(any_synth.resources("cluster", AKS)))
    rule = any_synth.one("cluster", "azurerm_monitor_data_collection_rule")
    rule_key = next(iter(any_synth.resources("cluster", "azurerm_monitor_data_collection_rule")))
    (destination,) = rule["destinations"]["log_analytics"]
    assert destination["workspace_resource_id"] == cluster["oms_agent"]["log_analytics_workspace_id"]
    (extension,) = rule["data_sources"]["extension"]
    assert extension["extension_name"] == "ContainerInsights"
    assert rule["data_flow"][0]["streams"] == extension["streams"] == ["Microsoft-ContainerInsights-Group-Default"]
    association = any_synth.one("cluster", "azurerm_monitor_data_collection_rule_association")
    assert association["target_resource_id"] == f"${{azurerm_kubernetes_cluster.{cluster_key}.id}}"
    assert association["data_collection_rule_id"] == f"${{azurerm_monitor_data_collection_rule.{rule_key}.id}}"
    assert rule["tags"] == _cfg(any_synth).tags  # the tagging aspect reaches it


def test_the_stack_ends_with_a_wait_for_the_deployers_cluster_admin_grants(delivered):
    grants = delivered.resources("cluster", "azurerm_role_assignment")
    admins = {g["principal_id"]: k for k, g in grants.items()
              if g["role_definition_name"] == "Azure Kubernetes Service RBAC Cluster Admin"}
    sleep = delivered.one("cluster", "time_sleep")
    assert sleep["triggers"] == {f"cluster_admin_{i}": f"${{azurerm_role_assignment.{admins[p]}.id}}"
                                 for i, p in enumerate(DEPLOYERS)}
    assert int(sleep["create_duration"].rstrip("s")) >= 300
    assert "time" in delivered.stacks["cluster"]["terraform"]["required_providers"]
    # The app stack (Helm) deploys after this stack as a whole, so after the wait.
    assert "cluster" in delivered.manifest["stacks"]["app"]["dependencies"]


def test_control_plane_audit_logs_go_to_the_same_workspace(any_synth):
    setting = any_synth.one("cluster", "azurerm_monitor_diagnostic_setting")
    cluster_key = next(iter(any_synth.resources("cluster", AKS)))
    assert setting["target_resource_id"] == f"${{azurerm_kubernetes_cluster.{cluster_key}.id}}"
    assert setting["log_analytics_workspace_id"] == _cluster(any_synth)["oms_agent"]["log_analytics_workspace_id"]
    assert {log["category"] for log in setting["enabled_log"]} >= {"kube-audit-admin"}


# --- outputs -----------------------------------------------------------------------------------

def test_outputs_name_the_cluster_and_addon_identities_but_never_credentials(any_synth):
    stack = any_synth.stacks["cluster"]
    outputs = stack["output"]
    for name in ("cluster_name", "cluster_resource_group_name", "oidc_issuer_url",
                 "secrets_provider_client_id", "kubelet_identity_client_id", "app_routing_identity_client_id"):
        assert name in outputs, sorted(outputs)
    assert outputs["oidc_issuer_url"]["value"].endswith(".oidc_issuer_url}")
    assert outputs["secrets_provider_client_id"]["value"].endswith(
        ".key_vault_secrets_provider[0].secret_identity[0].client_id}")
    text = json.dumps(stack)
    for secret in ("kube_config", "kube_admin_config", "client_certificate", "client_key", "cluster_ca_certificate"):
        assert secret not in text


def test_the_cluster_stack_depends_on_network_only(any_synth):
    deps = any_synth.manifest["stacks"]["cluster"]["dependencies"]
    assert deps == ["network"]


# --- references the cluster hands to the app stack -----------------------------------------------

# reference.field -> how its Terraform expression ends
REFERENCES = {
    "ref.name": ".name}",
    "ref.resource_group_name": "${azurerm_resource_group.resource-group.name}",
    "secrets_provider_identity.client_id": ".key_vault_secrets_provider[0].secret_identity[0].client_id}",
    "secrets_provider_identity.object_id": ".key_vault_secrets_provider[0].secret_identity[0].object_id}",
}


@pytest.fixture(scope="module")
def resolved_references(tmp_path_factory) -> dict[str, tuple[object, str]]:
    """Each reference field (raw value, Terraform expression), read from an app built (not
    synthesized) from the reference config: a throwaway output per field, resolved in-stack."""
    from constructs_lib.cdk import TerraformOutput

    from cli.builders import build_app

    app = build_app(load_config(CONFIGS["reference"]), str(tmp_path_factory.mktemp("refs")))
    stack = app.node.find_child("cluster")
    refs = {"ref": stack.aks.ref(), "secrets_provider_identity": stack.aks.secrets_provider_identity()}
    raw = {name: getattr(refs[name.split(".")[0]], name.split(".")[1]) for name in REFERENCES}
    for name, value in raw.items():
        TerraformOutput(stack, f"probe_{name.replace('.', '_')}", value=value)
    outputs = stack.to_terraform()["output"]
    return {name: (raw[name], outputs[f"probe_{name.replace('.', '_')}"]["value"]) for name in REFERENCES}


@pytest.mark.parametrize("field", sorted(REFERENCES))
def test_cluster_references_resolve_to_their_resources(resolved_references, field):
    value, resolved = resolved_references[field]
    assert isinstance(value, str)
    assert resolved.endswith(REFERENCES[field]), resolved
    if field != "ref.resource_group_name":
        assert resolved.startswith("${azurerm_kubernetes_cluster.")


# --- config validation (pure parse_config, no synth) ----------------------------------------------

def _with(**paths) -> dict:
    data = copy.deepcopy(REFERENCE)
    for path, value in paths.items():
        *parents, leaf = path.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return data


# (id, changes, text one problem line must contain)
BAD_CLUSTER_CONFIGS = [
    ("node-count-below-1", {"cluster__node_count": 0}, "cluster.node_count: got 0"),
    ("system-pool-count-below-1", {"cluster__system_pool": {"node_count": 0}}, "cluster.system_pool.node_count: got 0"),
    ("zone-outside-1-3", {"zones": ["1", "2", "4"]}, "zones[2]: got '4'"),
    ("zone-duplicated", {"zones": ["1", "1", "2"]}, "zones: got ['1', '1', '2']; each zone at most once"),
    ("fewer-nodes-than-zones", {"cluster__node_count": 2, "app__replicas": 2},
     "cluster.node_count: got 2; at least one node per configured zone (3)"),
    ("system-pool-fewer-nodes-than-zones", {"cluster__system_pool": {"node_count": 2}},
     "cluster.system_pool.node_count: got 2; at least one node per configured zone (3)"),
    ("autoscale-min-below-zones", {"cluster__autoscaling": {"enabled": True, "min_count": 2, "max_count": 6}},
     "cluster.autoscaling.min_count: got 2; at least one node per zone (3)"),
    ("autoscale-min-above-max", {"cluster__autoscaling": {"enabled": True, "min_count": 5, "max_count": 4}},
     "cluster.autoscaling.min_count: got 5; at most cluster.autoscaling.max_count (4)"),
    ("autoscale-count-outside-range", {"cluster__autoscaling": {"enabled": True, "min_count": 4, "max_count": 6}},
     "cluster.node_count: got 3; between cluster.autoscaling.min_count and max_count"),
    # With the API server's own ranges removed and a private cluster, the VNet runner's first network
    # apply has no operator address left to pass the state firewall (DEL-003).
    ("no-operator-address", {"cluster__api_server": {"authorized_ip_ranges": [], "private_cluster": True}},
     "state.allowed_ip_ranges: got [] (the default); an operator's public CIDR"),
    ("private-with-ranges", {"cluster__api_server": {"authorized_ip_ranges": ["203.0.113.0/24"], "private_cluster": True}},
     "cluster.api_server.authorized_ip_ranges: got ['203.0.113.0/24']; empty for a private cluster"),
    ("replicas-above-nodes", {"app__replicas": 4}, "app.replicas: got 4; at most the user pool's node count (3)"),
    ("patch-pinned-with-patch-channel", {"cluster__kubernetes_version": "1.33.2"},
     "cluster.kubernetes_version: got '1.33.2'; a minor version such as '1.33'"),
    ("max-pods-below-50", {"cluster__max_pods": 30}, "cluster.max_pods: got 30"),
    ("bad-network-policy", {"cluster__network_policy": "weave"}, "cluster.network_policy: got 'weave'"),
    ("bad-dns-zone-id", {"cluster__app_routing_dns_zone_ids": ["example.com"]},
     "cluster.app_routing_dns_zone_ids[0]: got 'example.com'; allowed: an Azure DNS zone resource id"),
    ("bad-disk-encryption-set", {"cluster__disk_encryption_set_id": "des-1"},
     "cluster.disk_encryption_set_id: got 'des-1'; allowed: a disk encryption set resource id"),
    ("bad-admin-group", {"cluster__admin_group_object_ids": ["platform-team"]},
     "cluster.admin_group_object_ids[0]: got 'platform-team'"),
    ("short-maintenance-window", {"cluster__maintenance_window": {"duration_hours": 2}},
     "cluster.maintenance_window.duration_hours: got 2"),
    # APP-003: pods plus the upgrade surge must fit the nodes; a size outside the table needs its figures.
    ("unlisted-vm-size-without-capacity", {"cluster__vm_size": "Standard_F8s_v2"},
     "cluster.vm_capacity: not set; required for Standard_F8s_v2, which the size table (D/E v5) does not list"),
    ("listed-size-with-other-figures", {"cluster__vm_size": "Standard_D8_v5",
                                        "cluster__vm_capacity": {"vcpus": 2, "memory_gib": 4}},
     "cluster.vm_capacity: got {'vcpus': 2, 'memory_gib': 4.0}; unset for Standard_D8_v5, which the size table knows"),
    ("unlisted-vm-size-too-small", {"cluster__vm_size": "Standard_F8s_v2",
                                    "cluster__vm_capacity": {"vcpus": 8, "memory_gib": 16}},
     "app.resources.memory_request: got '8Gi' (the default); at most 5.9Gi: 2 pod(s) per Standard_F8s_v2 node"),
    ("pods-and-surge-exceed-node-memory", {"app__resources": {"memory_request": "14Gi", "memory_limit": "16Gi"}},
     "app.resources.memory_request: got '14Gi'; at most 13.9Gi: 2 pod(s) per Standard_D8_v5 node during an upgrade"),
    ("unparsable-cpu-request", {"app__resources": {"cpu_request": "two"}},
     "app.resources.cpu_request: got 'two'; a Kubernetes CPU quantity"),
]


@pytest.mark.parametrize("case", BAD_CLUSTER_CONFIGS, ids=[c[0] for c in BAD_CLUSTER_CONFIGS])
def test_bad_cluster_config_is_refused_before_synth(case):
    _, changes, expected = case
    with pytest.raises(ConfigError) as err:
        parse_config(_with(**changes), "bad.yaml")
    assert any(expected in line for line in err.value.problems), err.value.problems


GOOD_CLUSTER_CONFIGS = [
    ("explicit-open-api-server", {"cluster__api_server": {"allow_public_without_authorized_ranges": True}}),
    ("private-cluster", {"cluster__api_server": {"private_cluster": True}}),
    ("autoscaled", {"cluster__autoscaling": {"enabled": True, "min_count": 3, "max_count": 6}}),
    ("system-pool", {"cluster__system_pool": {"node_count": 3}}),
    ("patch-pinned-without-version-channel", {"cluster__kubernetes_version": "1.33.2",
                                              "cluster__automatic_upgrade_channel": "node-image"}),
    ("memory-optimized-nodes", {"cluster__vm_size": "Standard_E8ds_v5",
                                "app__resources": {"memory_request": "24Gi", "memory_limit": "28Gi"}}),
    # Any size Azure names: one outside the table is judged with the figures given for it.
    ("unlisted-size-with-its-figures", {"cluster__vm_size": "Standard_D8s_v6",
                                        "cluster__vm_capacity": {"vcpus": 8, "memory_gib": 32}}),
    # Every Kubernetes quantity form: decimal suffix, fraction, exponent.
    ("decimal-and-fractional-quantities", {"app__resources": {"memory_request": "8G", "memory_limit": "11.5Gi",
                                                              "cpu_request": "1.5", "cpu_limit": "6000m"}}),
    ("dns-zone-id", {"cluster__app_routing_dns_zone_ids": [
        "/subscriptions/0000/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/example.com"]}),
]


@pytest.mark.parametrize("case", GOOD_CLUSTER_CONFIGS, ids=[c[0] for c in GOOD_CLUSTER_CONFIGS])
def test_valid_cluster_variants_are_accepted(case):
    _, changes = case
    data = _with(**changes)
    if changes.get("cluster__api_server", {}).get("private_cluster") or \
            changes.get("cluster__api_server", {}).get("allow_public_without_authorized_ranges"):
        data["cluster"]["api_server"].pop("authorized_ip_ranges", None)
        data["state"]["allowed_ip_ranges"] = ["198.51.100.0/24"]  # the operators' address for the first apply
    cfg = parse_config(data, "good.yaml")  # raises ConfigError if any rule refuses the variant
    for key, value in changes.items():  # and the parsed config carries each change
        section, field = key.split("__")
        parsed = getattr(getattr(cfg, section), field)
        if isinstance(value, dict):
            assert {k: getattr(parsed, k) for k in value} == value, key
        else:
            assert parsed == value, key


def test_config_pools_map_onto_the_construct():
    from stacks.cluster import system_pool, worker_pool

    cfg = parse_config(_with(cluster__system_pool={"node_count": 3},
                             cluster__autoscaling={"enabled": True, "min_count": 3, "max_count": 6}), "x.yaml")
    workers, system = worker_pool(cfg), system_pool(cfg)
    assert (workers.min_count, workers.max_count, workers.zones) == (3, 6, ("1", "2", "3"))
    assert system is not None and (system.name, system.node_count, system.vm_size) == ("system", 3, "Standard_D4ds_v5")
    assert system_pool(load_config(CONFIGS["reference"])) is None
