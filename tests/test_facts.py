"""One home for facts: what the config accepts, the constructs accept.

The config (config/azure_rules.py, config/schema.py) and the constructs both read
constructs_lib/facts.py and constructs_lib/quantity.py. These tests hold that true by
behaviour, not only by identity: every value the config lets through is fed to the
construct validation that will receive it, and must pass there too.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import typing
from decimal import Decimal

import pytest
import yaml

from config import ConfigError, azure_rules, parse_config
from config.schema import ClusterConfig, PostgresConfig
from constructs_lib import facts
from constructs_lib.package_manager.props import validate as validate_release
from constructs_lib.postgres import PostgresFlexibleServerProps
from constructs_lib.postgres import _validate as validate_postgres
from constructs_lib.quantity import parse_quantity
from constructs_lib.validation import PropsError
from tests.conftest import ROOT
from tests.test_config_rules import mutate
from tests.test_constructs_package_manager import _props as release_props

# --- the quantity grammar -------------------------------------------------------------------------

# value -> base units ([K8S] apimachinery resource.Quantity)
QUANTITIES = {
    "2": Decimal(2), "500m": Decimal("0.5"), "1.5": Decimal("1.5"), ".5": Decimal("0.5"), "5.": Decimal(5),
    "8Gi": Decimal(8 * 2**30), "7.5Gi": Decimal("7.5") * 2**30, "8G": Decimal(8 * 10**9), "1Ki": Decimal(1024),
    "8e9": Decimal(8 * 10**9), "1E3": Decimal(1000), "1e-3": Decimal("0.001"), "100n": Decimal("1E-7"),
    "+2": Decimal(2), "128974848": Decimal(128974848), "2Pi": Decimal(2 * 2**50), "1E": Decimal(10**18),
}
NOT_QUANTITIES = ["", "Gi", "8 Gi", "eight", "1.2.3", "8GB", "8gi", "0x10", "1e", "e3", "--1"]


@pytest.mark.parametrize("value", sorted(QUANTITIES))
def test_kubernetes_quantity_grammar(value):
    assert parse_quantity(value) == QUANTITIES[value]


@pytest.mark.parametrize("value", NOT_QUANTITIES)
def test_not_a_quantity(value):
    assert parse_quantity(value) is None


# --- the config accepts only what the constructs accept ---------------------------------------------

def test_config_shares_the_constructs_tables():
    """The config reads the very objects the constructs validate against."""
    for name in ("POSTGRES_STORAGE_GIB", "POSTGRES_BACKUP_RETENTION_DAYS", "POSTGRES_RESERVED_LOGINS", "POSTGRES_SKU",
                 "PREMIUM_SHARE_QUOTA_GIB", "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME", "BLOB_CONTAINER_NAME",
                 "KEY_VAULT_SECRET_NAME", "KEY_VAULT_CERTIFICATE_URI", "DNS_NAME", "DNS_LABEL", "GUID",
                 "RESOURCE_GROUP_NAME", "AKS_MAX_PODS", "POSTGRES_SUBNET_MAX_PREFIX", "POSTGRES_LOGIN",
                 "POSTGRES_IDENTIFIER", "KEY_VAULT_SOFT_DELETE_DAYS", "WEEKDAYS", "HH_MM", "UTC_OFFSET",
                 "MAINTENANCE_DURATION_HOURS", "AKS_NETWORK_POLICIES", "AKS_OS_DISK_SIZE_GB", "CHART_VERSION", "ZONES"):
        assert getattr(azure_rules, name) is getattr(facts, name), name


def test_every_name_pattern_of_the_config_is_a_fact_or_the_apps_own():
    """No regex is written twice: the schema's patterns come from constructs_lib.facts, except the few
    that only the app uses (each with its reason in config.schema.APP_ONLY_PATTERNS)."""
    from config import schema

    fact_patterns = {value for name, value in vars(facts).items() if name.isupper() and isinstance(value, str)}
    assert len(schema.PATTERNS) >= 15, "the registry should see every pattern of the schema"
    foreign = {regex: allowed for regex, allowed in schema.PATTERNS.items()
               if regex not in fact_patterns and regex not in schema.APP_ONLY_PATTERNS}
    assert foreign == {}, "patterns written in config/schema.py instead of constructs_lib/facts.py"
    assert set(schema.APP_ONLY_PATTERNS) <= set(schema.PATTERNS), "APP_ONLY_PATTERNS names a pattern no field uses"


def test_every_bound_of_the_config_is_a_fact_or_within_one():
    """Numeric bounds the config shares with a construct read the same fact."""
    from config.schema import ClusterConfig, KeyVaultConfig, MaintenanceWindowConfig

    def bounds(model, field):
        found = {type(m).__name__: m for m in model.model_fields[field].metadata}
        return found["Ge"].ge, found["Le"].le

    assert bounds(KeyVaultConfig, "soft_delete_retention_days") == facts.KEY_VAULT_SOFT_DELETE_DAYS
    assert bounds(ClusterConfig, "os_disk_size_gb") == facts.AKS_OS_DISK_SIZE_GB
    assert bounds(MaintenanceWindowConfig, "duration_hours") == facts.MAINTENANCE_DURATION_HOURS
    for model, field, fact in ((MaintenanceWindowConfig, "day_of_week", facts.WEEKDAYS),
                               (ClusterConfig, "network_policy", facts.AKS_NETWORK_POLICIES),
                               (ClusterConfig, "automatic_upgrade_channel", facts.AKS_AUTOMATIC_UPGRADE_CHANNELS),
                               (ClusterConfig, "node_os_upgrade_channel", facts.AKS_NODE_OS_UPGRADE_CHANNELS)):
        assert set(typing.get_args(model.model_fields[field].annotation)) == set(fact), field


def test_every_postgres_version_and_size_the_config_accepts_the_server_accepts():
    versions = typing.get_args(PostgresConfig.model_fields["version"].annotation)
    assert versions and set(versions) <= set(facts.POSTGRES_VERSIONS)
    base = PostgresFlexibleServerProps(
        name="psql-t-1234abcd", resource_group_name="rg", location="eastus2", sku_name="GP_Standard_D4ds_v4",
        version="16", storage_mb=131072, zone="1", delegated_subnet_id="s", private_dns_zone_id="z",
        administrator_login="ppmadmin", administrator_password_wo="${TfToken[TOKEN.1]}",
        administrator_password_wo_version=1)
    for version in versions:
        validate_postgres(dataclasses.replace(base, version=version))
    for gib in azure_rules.POSTGRES_STORAGE_GIB:  # the config's storage_gib, as DataStack converts it
        validate_postgres(dataclasses.replace(base, storage_mb=gib * 1024))
    lo, hi = azure_rules.POSTGRES_BACKUP_RETENTION_DAYS
    for days in (lo, hi):
        validate_postgres(dataclasses.replace(base, backup_retention_days=days))


def test_max_pods_the_config_accepts_fit_the_constructs_range():
    field = ClusterConfig.model_fields["max_pods"]
    bounds = {type(m).__name__: m for m in field.metadata}
    config_lo, config_hi = bounds["Ge"].ge, bounds["Le"].le
    lo, hi = facts.AKS_MAX_PODS
    assert lo <= config_lo <= config_hi <= hi


# Quantities a user may write for the Package Manager pods. Each pair must pass the config rules
# (APP-003, APP-004) on the reference config and then the release construct's own validation;
# APP-003 keeps two memory limits per D8_v5 node within its ~27.7 GiB for pods.
ACCEPTED_RESOURCES = [
    {"cpu_request": "2", "cpu_limit": "6", "memory_request": "8G", "memory_limit": "12G"},
    {"cpu_request": "1.5", "cpu_limit": "6000m", "memory_request": "7.5Gi", "memory_limit": "11.5Gi"},
    {"cpu_request": "500m", "cpu_limit": "2", "memory_request": "8e9", "memory_limit": "12000Mi"},
    {"cpu_request": "2", "cpu_limit": "6", "memory_request": "8589934592", "memory_limit": "0.0117Ti"},
]
REFUSED_RESOURCES = [
    {"memory_request": "8 Gi"}, {"memory_request": "eight"}, {"cpu_request": "-1"}, {"memory_limit": "16GB"},
]


@pytest.mark.parametrize("resources", ACCEPTED_RESOURCES, ids=lambda r: r["memory_request"])
def test_every_quantity_the_config_accepts_the_release_accepts(resources):
    cfg = parse_config(mutate("reference", {"app.resources": resources}), "quantities.yaml")
    r = cfg.app.resources
    from constructs_lib.package_manager.props import PodResources

    validate_release(release_props(resources=PodResources(
        cpu_request=r.cpu_request, cpu_limit=r.cpu_limit, memory_request=r.memory_request, memory_limit=r.memory_limit)))


@pytest.mark.parametrize("bad", REFUSED_RESOURCES, ids=lambda r: next(iter(r.values())))
def test_a_quantity_both_refuse_names_the_key(bad):
    resources = {"cpu_request": "2", "cpu_limit": "6", "memory_request": "8Gi", "memory_limit": "12Gi", **bad}
    with pytest.raises(ConfigError) as err:
        parse_config(mutate("reference", {"app.resources": resources}), "quantities.yaml")
    (key,) = bad
    assert any(line.startswith(f"app.resources.{key}: got {bad[key]!r}") for line in err.value.problems), \
        err.value.problems
    from constructs_lib.package_manager.props import PodResources

    with pytest.raises(PropsError, match=f"resources.{key}: got"):
        validate_release(release_props(resources=PodResources(**resources)))


def test_decimal_and_fractional_quantities_synthesize_end_to_end(tmp_path):
    """The inputs that used to pass the config and then fail in the construct (exit 1) now synthesize."""
    data = mutate("reference", {"app.resources": ACCEPTED_RESOURCES[1] | {"memory_request": "8G"}})
    config = tmp_path / "quantities.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "cdktf.out"
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PPM_CONFIG": str(config), "CDKTF_OUTDIR": str(out)}, timeout=300)
    assert result.returncode == 0, result.stderr
    app = (out / "stacks" / "app" / "cdk.tf.json").read_text()
    assert "memory: 8G" in app and "memory: 11.5Gi" in app and "cpu: '1.5'" in app


PURE_MODULES = ("constructs_lib.facts", "constructs_lib.toolchain", "constructs_lib.quantity", "constructs_lib.naming", "constructs_lib.refs",
                "constructs_lib.validation", "constructs_lib.aks.props", "constructs_lib.package_manager.props",
                "constructs_lib.package_manager.values", "constructs_lib.package_manager.manifests", "config")


def test_pure_modules_import_without_cdktf_or_jsii():
    """Props, values, facts and the config are plain Python: usable (and testable) without a synth."""
    code = ("import importlib, json, sys\n"
            f"for name in {PURE_MODULES!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'cdktn', 'jsii', 'constructs')"
            " or m.startswith(('cdktf_cdktf_provider', 'cdktn_provider')))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
