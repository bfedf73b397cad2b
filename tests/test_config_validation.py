"""Bad config: one line per problem naming key, value and what is allowed; exit 2; no traceback;
a previous cdktf.out stays exactly as it was."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from config import ConfigError, load_config, parse_config
from tests.conftest import CONFIGS, run_main, tree_digest

REFERENCE = yaml.safe_load(CONFIGS["reference"].read_text())


def _set(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


_DELETE = object()

# (id, key path, bad value, text the message must contain)
BAD_INPUTS = [
    ("unknown-key", "postgres.storage_gb", 128, "postgres.storage_gb: unknown key (did you mean 'storage_gib'?)"),
    ("unknown-top-level-key", "netwrok", {}, "netwrok: unknown key (did you mean 'network'?)"),
    ("missing-key", "app.hostname", _DELETE, "app.hostname: required key is missing"),
    ("missing-section", "state", _DELETE, "state: required key is missing"),
    ("wrong-type", "cluster.node_count", "three", "cluster.node_count: got 'three'"),
    ("unquoted-version", "postgres.version", 16, "postgres.version: got 16; allowed: '13', '14', '15', '16' or '17'"),
    ("out-of-range", "app.replicas", 0, "app.replicas: got 0; allowed: greater than or equal to 1"),
    ("bad-enum", "postgres.high_availability", "yes", "postgres.high_availability: got 'yes'"),
    ("malformed-cidr", "network.address_space", "10.40.0.0/33", "network.address_space: got '10.40.0.0/33'; not an IPv4 CIDR"),
    ("host-bits-cidr", "network.postgres_subnet", "10.40.8.1/28", "network.postgres_subnet: got '10.40.8.1/28'"),
    ("bad-storage-account-name", "state.storage_account", "St_PPM", "state.storage_account: got 'St_PPM'; allowed: 3-24 lowercase letters and digits"),
    ("bad-environment-name", "environment", "PPM-Prod", "environment: got 'PPM-Prod'; allowed: 2-10 lowercase letters and digits"),
    ("bad-zone", "zones", ["1", "4"], "zones[1]: got '4'"),
    ("bad-ingress-source", "network.ingress_allowed_sources", ["10.0.0.0/8", "bogus"], "network.ingress_allowed_sources[1]: got 'bogus'; an IPv4 CIDR (e.g. 203.0.113.0/24) or an Azure service tag"),
    ("unknown-region", "location", "east us 2", "location: got 'east us 2'; an Azure region name such as eastus2 or westeurope (did you mean 'eastus2'?)"),
    ("long-value-is-cut", "environment", "x" * 300, "environment: got 'xxxxxxxxxx"),
    ("tag-mixed-with-cidrs", "network.ingress_allowed_sources", ["AzureFrontDoor.Backend", "203.0.113.0/24"], "network.ingress_allowed_sources: got ['AzureFrontDoor.Backend', '203.0.113.0/24']; a service tag or '*' (AzureFrontDoor.Backend) alone"),
    ("bad-tag-name", "tags", {"cost/center": "x"}, "tag name 'cost/center'"),
    ("subnet-outside-space", "network.aks_nodes_subnet", "10.99.0.0/22", "network.aks_nodes_subnet: got '10.99.0.0/22'; a subnet inside network.address_space 10.40.0.0/16"),
    ("subnets-overlap", "network.private_endpoints_subnet", "10.40.8.0/28", "network.private_endpoints_subnet: got '10.40.8.0/28'; a range that does not overlap network.postgres_subnet"),
    ("postgres-subnet-too-small", "network.postgres_subnet", "10.40.8.0/29", "network.postgres_subnet: got '10.40.8.0/29'; a prefix of /28 or larger"),
    ("aks-subnet-too-small", "network.aks_nodes_subnet", "10.40.0.0/29", "network.aks_nodes_subnet: got '10.40.0.0/29'; at least 16 usable addresses"),
    ("pod-cidr-overlaps-vnet", "cluster.pod_cidr", "10.40.0.0/16", "cluster.pod_cidr: got '10.40.0.0/16'; a range outside network.address_space"),
    ("alert-receiver-not-email", "alerts.email_receivers", ["oncall"],
     "alerts.email_receivers[0]: got 'oncall'; allowed: an e-mail address such as platform-oncall@yourcompany.com"),
    ("alert-receiver-webhook", "alerts.email_receivers", ["https://hooks.example.net/x"],
     "alerts.email_receivers[0]: got 'https://hooks.example.net/x'; allowed: an e-mail address such as platform-oncall@yourcompany.com (no webhooks"),
    ("alert-threshold-over-100", "alerts.thresholds", {"postgres_cpu_percent": 150},
     "alerts.thresholds.postgres_cpu_percent: got 150; allowed: less than or equal to 100"),
    ("alert-availability-too-low", "alerts.thresholds", {"share_availability_percent": 50},
     "alerts.thresholds.share_availability_percent: got 50; allowed: greater than or equal to 90"),
    ("alert-severity-out-of-range", "alerts.severity", {"postgres-cpu": 5},
     "alerts.severity.postgres-cpu: got 5; allowed: less than or equal to 4"),
    ("alert-severity-unknown-rule", "alerts.severity", {"postgres-cpuu": 1}, "alerts.severity.postgres-cpuu"),
    ("upload-size-with-unit", "app.max_upload_size", "2GB", "app.max_upload_size: got '2GB'; allowed: an NGINX size: a number with an optional k, m or g suffix"),
    ("upload-size-decimal", "app.max_upload_size", "1.5g", "app.max_upload_size: got '1.5g'; allowed: an NGINX size"),
    ("upload-size-unquoted-number", "app.max_upload_size", 0, "app.max_upload_size: got 0; allowed: a valid string (quote it in YAML"),
    ("sandboxing-not-a-boolean", "app.sandboxing", "sometimes", "app.sandboxing: got 'sometimes'; allowed: a valid boolean"),
    ("memory-limit-overcommits-the-node", "app.resources", {"memory_limit": "16Gi"}, "app.resources.memory_limit: got '16Gi'; at most 13.9Gi"),
]


@pytest.mark.parametrize("size", ["2g", "2G", "512m", "512M", "64k", "1048576", "0"])
def test_nginx_sizes_are_accepted(size):
    assert parse_config(_set(REFERENCE, "app.max_upload_size", size), "ok.yaml").app.max_upload_size == size


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_parse_config_names_key_value_and_allowed(case):
    _, path, value, expected = case
    with pytest.raises(ConfigError) as err:
        parse_config(_set(REFERENCE, path, value), "bad.yaml")
    assert any(expected in line for line in err.value.problems), err.value.problems


def test_long_values_are_cut_in_messages():
    with pytest.raises(ConfigError) as err:
        parse_config(_set(REFERENCE, "environment", "x" * 300), "bad.yaml")
    (line,) = err.value.problems
    assert "x" * 300 not in line and " ...'" in line and len(line) < 200


def test_field_problems_say_that_cross_field_rules_come_next():
    with pytest.raises(ConfigError) as err:
        parse_config(_set(REFERENCE, "app.replicas", 0), "bad.yaml")
    assert err.value.note.startswith("Then the cross-field rules (config/rules.py")
    assert str(err.value).endswith(err.value.note)


def test_every_problem_is_reported_at_once():
    data = _set(_set(REFERENCE, "app.replicas", 0), "postgres.zone", "9")
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert len(err.value.problems) == 2


SUBPROCESS_CASES = BAD_INPUTS  # every kind of bad input, end to end through `python main.py`


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c[0] for c in SUBPROCESS_CASES])
def test_main_refuses_bad_config_and_leaves_output_untouched(case, tmp_path):
    _, path, value, expected = case
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_set(REFERENCE, path, value)))
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "network").mkdir(parents=True)
    (outdir / "manifest.json").write_text('{"previous": true}')
    (outdir / "stacks" / "network" / "cdk.tf.json").write_text('{"kept": 1}')
    before = tree_digest(tmp_path)

    result = run_main({"PPM_CONFIG": str(bad), "CDKTF_OUTDIR": str(outdir)})

    assert result.returncode == 2
    assert expected in result.stderr
    assert str(bad) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert tree_digest(tmp_path) == before  # nothing written, nothing lost, no staging dir left


def test_unreadable_and_malformed_files_are_reported(tmp_path):
    missing = run_main({"PPM_CONFIG": str(tmp_path / "nope.yaml"), "CDKTF_OUTDIR": str(tmp_path / "out")})
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("environment: [unclosed\n")
    result = run_main({"PPM_CONFIG": str(broken), "CDKTF_OUTDIR": str(tmp_path / "out")})
    assert result.returncode == 2 and "not valid YAML: line" in result.stderr
    assert not (tmp_path / "out").exists()


def test_non_utf8_file_is_refused_without_traceback(tmp_path):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"environment: caf\xe9\n")
    result = run_main({"PPM_CONFIG": str(latin1), "CDKTF_OUTDIR": str(tmp_path / "out")})
    assert result.returncode == 2
    assert "not UTF-8 text (byte 0xe9 at offset 16)" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_duplicate_keys_are_refused_not_silently_overwritten(tmp_path):
    text = CONFIGS["reference"].read_text().replace("  replicas: 3\n", "  replicas: 3\n  replicas: 1\n")
    assert text.count("replicas:") == 2
    dup = tmp_path / "dup.yaml"
    dup.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(dup)
    (problem,) = err.value.problems
    assert "duplicate key 'replicas' (lines" in problem and "not valid YAML: line" in problem
