"""Every cross-field rule in config/rules.py has a config that breaks it, and its message is asserted.

The test is parametrized over ``RULES`` itself: a rule added without a case in
``CASES`` fails here, so no rule ships untested. The README's rule table
(docs/policy.md) is generated from the same table (tools/docs/policy_doc.py; tests/test_docs.py).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from config import ConfigError, parse_config
from config.rules import RULES, check
from config.schema import EnvironmentConfig
from tests.conftest import CONFIGS

BASE = {name: yaml.safe_load(path.read_text()) for name, path in CONFIGS.items()}


def mutate(base: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a shipped config with ``{"dotted.path": value}`` changes applied."""
    data = copy.deepcopy(BASE[base])
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return data


# rule id -> (shipped config to start from, changes, text the rule's message must contain)
CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "ZONE-001": ("reference", {"zones": ["1", "2", "2"]}, "zones: got ['1', '2', '2']; each zone at most once"),
    "ZONE-002": ("small", {"location": "westus", "files.redundancy": "LRS"},
                 "location: got 'westus'; zones are configured, so a region with availability zones is needed"),
    "NET-001": ("reference", {"network.private_endpoints_subnet": "10.99.9.0/27"},
                "network.private_endpoints_subnet: got '10.99.9.0/27'; a subnet inside network.address_space 10.40.0.0/16"),
    "NET-002": ("reference", {"network.private_endpoints_subnet": "10.40.8.16/28"},
                "network.private_endpoints_subnet: got '10.40.8.16/28'; a range that does not overlap network.postgres_subnet"),
    "NET-003": ("reference", {"network.private_endpoints_subnet": "10.40.9.0/30"},
                "network.private_endpoints_subnet: got '10.40.9.0/30'; a prefix of /29 or larger"),
    "NET-004": ("reference", {"network.aks_nodes_subnet": "10.40.0.0/28"},
                "network.aks_nodes_subnet: got '10.40.0.0/28'; at least 16 usable addresses for 3 nodes with surge"),
    "NET-005": ("reference", {"cluster.dns_service_ip": "172.17.0.10"},
                "cluster.dns_service_ip: got '172.17.0.10'; an address inside cluster.service_cidr 172.16.0.0/16"),
    "NET-006": ("reference", {"network.ingress_allowed_sources": ["Internet"], "app.tls.enabled": False},
                "network.ingress_allowed_sources: got ['Internet']; no Internet, '*', AzureCloud or /8-or-wider source "
                "while app.tls.enabled is false (port 80 would be open to the Internet): enable TLS"),
    "ALERT-001": ("reference", {"alerts.email_receivers": []},
                  "alerts.email_receivers: got []; at least one e-mail address while alerts.enabled is true"),
    "PG-001": ("reference", {"postgres.storage_gib": 100}, "postgres.storage_gib: got 100; one of 32, 64, 128"),
    "PG-002": ("reference", {"postgres.backup_retention_days": 40}, "postgres.backup_retention_days: got 40; 7 to 35 days"),
    "PG-003": ("reference", {"postgres.sku": "B_Standard_B2s"},
               "postgres.high_availability: got 'zone_redundant'; 'disabled' with the Burstable sku B_Standard_B2s"),
    "PG-004": ("reference", {"postgres.standby_zone": "1"},
               "postgres.standby_zone: got '1'; a zone different from postgres.zone ('1')"),
    "PG-005": ("small", {"postgres.standby_zone": "2"},
               "postgres.standby_zone: got '2'; unset (null) when high_availability is 'disabled'"),
    "PG-006": ("small", {"postgres.zone": "3"}, "postgres.zone: got '3'; one of the configured zones ['1']"),
    "PG-007": ("reference", {"postgres.max_open_connections": 300},
               "postgres.max_open_connections: got 300; app.replicas (3) x 2 pools x this <= "),
    "PG-008": ("reference", {"postgres.admin_login": "admin"}, "postgres.admin_login: got 'admin'; a name other than"),
    "PG-009": ("reference", {"postgres.usage_database": "packagemanager"},
               "postgres.usage_database: got 'packagemanager'; a name different from postgres.metadata_database"),
    "PG-010": ("reference", {"postgres.app_login": "ppmadmin"},
               "postgres.app_login: got 'ppmadmin'; a login other than postgres.admin_login (ppmadmin)"),
    "FILES-001": ("reference", {"files.quota_gib": 50}, "files.quota_gib: got 50; 100 to 102,400 GiB"),
    "FILES-002": ("small", {"location": "westus", "zones": [], "files.redundancy": "ZRS"},
                  "files.redundancy: got 'ZRS'; 'LRS' in westus, which has no availability zones"),
    "AKS-001": ("reference", {"cluster.node_count": 2}, "cluster.node_count: got 2; at least one node per configured zone (3)"),
    "AKS-002": ("reference", {"cluster.api_server.private_cluster": True},
                "cluster.api_server.authorized_ip_ranges: got ['203.0.113.0/24']; empty for a private cluster"),
    "DEL-001": ("reference", {"delivery.runner.subnet": None},
                "delivery.runner.subnet: got None; a subnet inside network.address_space"),
    "DEL-002": ("small", {"delivery.runner.egress_cidrs": ["10.1.2.0/28"]},
                "delivery.runner.egress_cidrs[0]: got '10.1.2.0/28'; a public IPv4 address or CIDR"),
    "DEL-003": ("reference", {"cluster.api_server.authorized_ip_ranges": [], "cluster.api_server.private_cluster": True},
                "state.allowed_ip_ranges: got []"),
    "DEL-004": ("reference", {"key_vault.deployer_ip_ranges": ["198.51.100.7/32"]},
                "key_vault.deployer_ip_ranges: got ['198.51.100.7/32']; empty with a VNet runner"),
    "DEL-006": ("reference", {"delivery.deployer_principal_ids": ["11111111-1111-4111-8111-111111111111"],
                              "delivery.plan_principal_ids": ["11111111-1111-4111-8111-111111111111"]},
                "delivery.plan_principal_ids: got ['11111111-1111-4111-8111-111111111111']; ids not also in"),
    "DEL-007": ("reference", {"delivery.github_runner_labels": ["ubuntu-latest"]},
                "delivery.github_runner_labels: got ['ubuntu-latest']; self-hosted runner labels"),
    "DEL-005": ("small", {"cluster.api_server.private_cluster": True, "cluster.api_server.authorized_ip_ranges": []},
                "cluster.api_server.private_cluster: got True; false with delivery.runner.location external"),
    "AKS-003": ("small", {"app.replicas": 2}, "app.replicas: got 2; at most the user pool's node count (1)"),
    "AKS-004": ("reference", {"cluster.kubernetes_version": "1.33.2"},
                "cluster.kubernetes_version: got '1.33.2'; a minor version such as '1.33'"),
    "APP-001": ("reference", {"app.tls.key_vault_certificate_uri": "https://kv-x.vault.azure.net/certificates/ppm",
                              "app.tls.certificate_name": "other"},
                "app.tls.certificate_name: got 'other'; unset when app.tls.key_vault_certificate_uri names the certificate"),
    "APP-002": ("small", {"app.tls.key_vault_certificate_uri": "https://kv-x.vault.azure.net/certificates/ppm"},
                "app.tls.enabled: got False"),
    "APP-003": ("reference", {"app.resources.cpu_request": "4"},
                "app.resources.cpu_request: got '4'; at most 3.41 CPU: 2 pod(s) per Standard_D8_v5 node during an upgrade"),
    "APP-004": ("reference", {"app.resources.memory_request": "20Gi"},
                "app.resources.memory_request: got '20Gi'; at most app.resources.memory_limit (12Gi)"),
}

RULE_IDS = [r.id for r in RULES]
BY_ID = {r.id: r for r in RULES}


def test_rule_ids_are_unique_and_every_rule_has_a_cause_and_source():
    assert len(RULE_IDS) == len(set(RULE_IDS)), RULE_IDS
    assert all(r.cause and r.source for r in RULES)


def test_no_case_without_a_rule():
    assert not set(CASES) - set(RULE_IDS), f"cases for rules that no longer exist: {sorted(set(CASES) - set(RULE_IDS))}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_refuses_a_config_that_breaks_it(rule_id):
    assert rule_id in CASES, (f"rule {rule_id} has no breaking case: add one to CASES in "
                              "tests/test_config_rules.py (config, changes, expected message)")
    base, changes, expected = CASES[rule_id]
    data = mutate(base, changes)
    # The single-field schema accepts the config: only the cross-field rule can refuse it.
    cfg = EnvironmentConfig.model_validate(data)
    own = [str(p) for p in BY_ID[rule_id].check(cfg)]
    assert any(expected in line for line in own), f"{rule_id} said {own}; expected {expected!r}"
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert any(expected in line for line in err.value.problems), err.value.problems
    assert all("\n" not in line for line in err.value.problems)  # one line per problem


def test_app_003_refuses_memory_limits_that_overcommit_the_node_during_a_surge():
    # Two pods per D8_v5 node during an upgrade: 2 x 16Gi limits exceed the ~27.7 GiB left for pods.
    data = mutate("reference", {"app.resources.memory_limit": "16Gi"})
    own = [str(p) for p in BY_ID["APP-003"].check(EnvironmentConfig.model_validate(data))]
    assert own == ["app.resources.memory_limit: got '16Gi'; at most 13.9Gi: 2 pod(s) per Standard_D8_v5 node during "
                   "an upgrade (app.replicas 3 + the chart surge of 3, on 3 node(s)); with their limits they would "
                   "overcommit the 27.7Gi a node has for them (32 GiB - AKS reservation - 2 for add-ons), and a node "
                   "under memory pressure evicts or OOM-kills pods"]
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert any(line.startswith("app.resources.memory_limit: got '16Gi'; at most 13.9Gi") for line in err.value.problems)
    # The requests fit: only the limit is refused. One replica (small) holds one pod per node.
    assert not any("memory_request" in line for line in err.value.problems)
    small = mutate("small", {"app.resources.memory_limit": "12Gi"})
    assert [str(p) for p in BY_ID["APP-003"].check(EnvironmentConfig.model_validate(small))] == [
        "app.resources.memory_limit: got '12Gi'; at most 11.7Gi: 1 pod(s) per Standard_D4ds_v5 node during an upgrade "
        "(app.replicas 1, replaced without surge, on 1 node(s)); with their limits they would overcommit the 11.7Gi a "
        "node has for them (16 GiB - AKS reservation - 2 for add-ons), and a node under memory pressure evicts or "
        "OOM-kills pods"]


def test_a_problem_about_a_value_the_user_did_not_write_says_it_is_the_default():
    # small.yaml leaves app.tls out (enabled: the default False), app.resources.cpu_request is written.
    data = mutate("small", {"app.tls.key_vault_certificate_uri": "https://kv-x.vault.azure.net/certificates/ppm",
                            "app.resources.cpu_request": "4"})
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    lines = {line.split(":", 1)[0]: line for line in err.value.problems}
    assert "app.tls.enabled: got False (the default); true to serve" in lines["app.tls.enabled"]
    assert "got '4'; at most" in lines["app.resources.cpu_request"]  # the user's own value: no such note
    # A whole section left out counts too: reference.yaml writes no app.resources, so the request is the default.
    data = mutate("reference", {"cluster.vm_size": "Standard_D4ds_v5"})
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert any(line.startswith("app.resources.memory_request: got '8Gi' (the default)") for line in err.value.problems), \
        err.value.problems


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shipped_configs_break_no_rule(name):
    cfg = EnvironmentConfig.model_validate(BASE[name])
    assert check(cfg) == []
