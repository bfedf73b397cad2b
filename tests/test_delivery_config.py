"""Where the delivery runs, declared once (config `delivery`), and what every stack declares it needs.

The stacks' side (runner subnet, NAT, private endpoints, firewalls, grants) is asserted in the
per-stack tests; here: the config's bad input (exit 2, the key named), the Terraform version every
stack requires, the subscription, and that no grant anywhere follows "whoever runs Terraform".
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from config import ConfigError, parse_config
from tests.conftest import CONFIGS, STACKS, run_main, tree_digest
from tests.test_config_rules import mutate

# (id, base config, changes, text one problem line must contain)
BAD_DELIVERY = [
    ("runner-subnet-outside-the-vnet", "reference", {"delivery.runner.subnet": "10.41.0.0/27"},
     "delivery.runner.subnet: got '10.41.0.0/27'; a subnet inside network.address_space 10.40.0.0/16"),
    ("runner-subnet-overlaps-the-endpoints", "reference", {"delivery.runner.subnet": "10.40.9.0/28"},
     "delivery.runner.subnet: got '10.40.9.0/28'; a range that does not overlap network.private_endpoints_subnet"),
    ("runner-subnet-too-small", "reference", {"delivery.runner.subnet": "10.40.10.0/30"},
     "delivery.runner.subnet: got '10.40.10.0/30'; a prefix of /29 or larger"),
    ("principal-not-a-guid", "reference", {"delivery.deployer_principal_ids": ["ci-deployer"]},
     "delivery.deployer_principal_ids[0]: got 'ci-deployer'; allowed: a GUID"),
    ("plan-principal-not-a-guid", "reference", {"delivery.plan_principal_ids": ["1234"]},
     "delivery.plan_principal_ids[0]: got '1234'; allowed: a GUID"),
    ("no-runner-labels", "reference", {"delivery.github_runner_labels": []},
     "delivery.github_runner_labels: got []"),
    ("empty-runner-label", "reference", {"delivery.github_runner_labels": ["self-hosted", ""]},
     "delivery.github_runner_labels[1]: got ''; allowed: a runner label"),
    ("unknown-location", "reference", {"delivery.runner.location": "cloud"},
     "delivery.runner.location: got 'cloud'; allowed: 'vnet' or 'external'"),
    ("external-without-egress", "small", {"delivery.runner.egress_cidrs": []},
     "delivery.runner.egress_cidrs: got []; the external runners' fixed public egress"),
    ("principal-listed-twice", "reference", {"delivery.deployer_principal_ids": [
        "11111111-1111-4111-8111-111111111111", "11111111-1111-4111-8111-111111111111"]},
     "delivery.deployer_principal_ids: got ['11111111-1111-4111-8111-111111111111']; each principal id once"),
    ("subscription-not-a-guid", "reference", {"subscription_id": "my-subscription"},
     "subscription_id: got 'my-subscription'; allowed: a GUID"),
]


@pytest.mark.parametrize("case", BAD_DELIVERY, ids=[c[0] for c in BAD_DELIVERY])
def test_bad_delivery_config_is_refused_naming_the_key(case):
    _, base, changes, expected = case
    with pytest.raises(ConfigError) as err:
        parse_config(mutate(base, changes), "bad.yaml")
    assert any(expected in line for line in err.value.problems), err.value.problems


def test_a_bad_runner_config_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(mutate("small", {"cluster.api_server.private_cluster": True,
                                                   "cluster.api_server.authorized_ip_ranges": []})))
    outdir = tmp_path / "cdktf.out"
    before = tree_digest(tmp_path)
    result = run_main({"PPM_CONFIG": str(bad), "CDKTF_OUTDIR": str(outdir)})
    assert result.returncode == 2, result.stderr
    assert "cluster.api_server.private_cluster: got True; false with delivery.runner.location external" in result.stderr
    assert "Traceback" not in result.stderr and tree_digest(tmp_path) == before


def test_both_shipped_configs_declare_their_runner(synths):
    reference = parse_config(yaml.safe_load(CONFIGS["reference"].read_text()))
    small = parse_config(yaml.safe_load(CONFIGS["small"].read_text()))
    assert (reference.delivery.runner.location, reference.delivery.runner.subnet) == ("vnet", "10.40.10.0/27")
    assert small.delivery.runner.location == "external" and small.delivery.runner.egress_cidrs


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_requires_terraform_1_11(any_synth, stack):
    # Write-only arguments (the database password) need 1.11; older Terraform stops at init.
    assert any_synth.stacks[stack]["terraform"]["required_version"] == ">= 1.11.0"


def test_the_state_stack_requires_terraform_1_11(state_synths):
    for synth in state_synths.values():
        assert synth.doc["terraform"]["required_version"] == ">= 1.11.0"


@pytest.mark.parametrize("name", ["reference", "small", "delivered"])
def test_no_role_assignment_follows_whoever_runs_terraform(request, name):
    synth = request.getfixturevalue("delivered") if name == "delivered" else request.getfixturevalue("synths")[name]
    for stack, doc in synth.stacks.items():
        for key, grant in doc.get("resource", {}).get("azurerm_role_assignment", {}).items():
            assert "azurerm_client_config" not in grant["principal_id"], (stack, key)


def test_the_subscription_comes_from_config_when_set(tmp_path):
    from cli.synth import synthesize
    from tests.conftest import delivered_config

    subscription = "44444444-4444-4444-8444-444444444444"
    cfg = delivered_config().model_copy(update={"subscription_id": subscription})
    out = synthesize(cfg, tmp_path / "out")
    for stack in STACKS:
        doc = json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())
        assert doc["provider"]["azurerm"][0]["subscription_id"] == subscription, stack
    network = json.loads((out / "stacks" / "network" / "cdk.tf.json").read_text())
    (state_endpoint,) = [e for e in network["resource"]["azurerm_private_endpoint"].values()
                         if e["private_service_connection"]["subresource_names"] == ["blob"]]
    assert re.match(rf"/subscriptions/{subscription}/resourceGroups/",
                    state_endpoint["private_service_connection"]["private_connection_resource_id"])


def test_without_a_subscription_the_provider_takes_the_environments(any_synth):
    for stack in STACKS:
        assert "subscription_id" not in any_synth.stacks[stack]["provider"]["azurerm"][0], stack
