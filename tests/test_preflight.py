"""scripts/preflight.py without Azure: a fake `az` on PATH replays recorded output.

The fake `az` (FAKE_AZ below) looks through the fixtures a test enables, in order, for the first
whose recorded command (tests/fixtures/az/<name>.yaml) matches its arguments, and prints what was
recorded; an unrecorded call fails with exit 2. Terraform and kubelogin are stand-ins that only
answer `version -json` / exist. Every Azure check has a passing case (the all-good run) and a
failing one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from scripts import preflight  # noqa: E402

PREFLIGHT = ROOT / "scripts" / "preflight.py"
FIXTURES = ROOT / "tests" / "fixtures" / "az"
VAULT = "kv-ppmref-d4b2ad09"  # Names(environment="ppmref", salt="stppmreftfstate").key_vault()
SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"  # account-show.json

FAKE_AZ = """#!{python} -SE
# Fake az: replays the first enabled fixture (FAKE_AZ_FIXTURES) whose recorded command matches.
import os, sys
call = ["az", *sys.argv[1:]]
with open(os.environ["FAKE_AZ_LOG"], "a") as log:
    log.write(" ".join(call) + "\\n")
folder = os.environ["FAKE_AZ_DIR"]
for name in filter(None, os.environ.get("FAKE_AZ_FIXTURES", "").split(",")):
    with open(os.path.join(folder, name + ".yaml")) as sidecar:
        meta = dict(line.split(": ", 1) for line in sidecar.read().splitlines() if ": " in line)
    want = meta["command"].split(" ")
    if len(want) == len(call) and all(w == c or (w[:1] == "{{" and w[-1:] == "}}") for w, c in zip(want, call)):
        for key, stream in (("stdout", sys.stdout), ("stderr", sys.stderr)):
            if key in meta:
                with open(os.path.join(folder, meta[key])) as recorded:
                    stream.write(recorded.read())
        sys.exit(int(meta["exit"]))
sys.stderr.write("fake az: no fixture recorded for: " + " ".join(call) + "\\n")
sys.exit(2)
"""
FAKE_TERRAFORM = """#!/bin/sh
echo '{{"terraform_version": "{version}"}}'
"""
FAKE_KUBELOGIN = "#!/bin/sh\nexit 0\n"

#: Every check passes: a first rollout (no cluster yet) with quota, a ZR-capable SKU and the license in place.
ALL_GOOD = ["account-show", "provider-show-registered", "feature-show-encryptionathost-registered",
            "vm-list-usage-eastus2", "aks-show-notfound", "postgres-list-skus-eastus2", "keyvault-secret-show-id",
            "keyvault-certificate-show-id"]


def _bin(tmp_path: Path, *tools: str, terraform_version: str = "1.11.4") -> Path:
    """A directory holding only the named stand-ins (az, terraform, kubelogin)."""
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    texts = {"az": FAKE_AZ.format(python=sys.executable), "kubelogin": FAKE_KUBELOGIN,
             "terraform": FAKE_TERRAFORM.format(version=terraform_version)}
    for tool in tools:
        (directory / tool).write_text(texts[tool])
        (directory / tool).chmod(0o755)
    return directory


def _env(tmp_path: Path, fixtures: list[str], *tools: str, **kwargs) -> dict[str, str]:
    return {"PATH": str(_bin(tmp_path, *tools, **kwargs)), "HOME": str(tmp_path),
            "FAKE_AZ_DIR": str(FIXTURES), "FAKE_AZ_FIXTURES": ",".join(fixtures),
            "FAKE_AZ_LOG": str(tmp_path / "az.log")}


def _az_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "az.log"
    return log.read_text().splitlines() if log.exists() else []


def _config(tmp_path: Path, **changes) -> Path:
    """The reference config with its placeholders replaced, plus ``changes`` ("a.b": value)."""
    data = yaml.safe_load((ROOT / "config" / "reference.yaml").read_text())
    data["network"]["ingress_allowed_sources"] = ["20.42.0.0/24"]
    data["cluster"]["api_server"]["authorized_ip_ranges"] = ["20.42.0.0/24"]
    data["app"]["hostname"] = "packages.corp.contoso.com"
    data["delivery"]["deployer_principal_ids"] = ["3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"]
    data["alerts"]["email_receivers"] = ["platform-oncall@corp.contoso.com"]
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _findings(tmp_path: Path, fixtures: list[str], stacks=preflight.DEFAULT_STACKS, config: Path | None = None,
              tools=("az", "terraform", "kubelogin"), **kwargs) -> list[str]:
    report, _ = preflight.check(stacks, env=_env(tmp_path, fixtures, *tools, **kwargs),
                                config_path=config or _config(tmp_path))
    return report.findings


def _cli(*args: str, env: dict[str, str], config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PREFLIGHT), *args], env={**env, "PPM_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- 1. config and placeholders


def test_shipped_reference_config_names_every_placeholder_and_stops_before_any_tool(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()  # no az, no terraform, no kubelogin: the preflight must not even look
    result = subprocess.run([sys.executable, str(PREFLIGHT)], env={"PATH": str(empty), "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    findings = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    keys = [line[4:].split(":")[0] for line in findings]
    assert keys == ["network.ingress_allowed_sources[0]", "cluster.api_server.authorized_ip_ranges[0]",
                    "app.hostname", "alerts.email_receivers[0]", "delivery.deployer_principal_ids"]
    assert "platform-oncall@example.com is under the documentation domain example.com (RFC 2606), a placeholder: " \
           "replace it with your real e-mail address" in result.stderr
    assert "203.0.113.0/24 is a documentation address range (TEST-NET-3 203.0.113.0/24, RFC 5737)" in result.stderr
    assert "packages.example.com is under the documentation domain example.com (RFC 2606)" in result.stderr
    out = (result.stdout + result.stderr).lower()
    assert "terraform" not in out and not re.search(r"\baz\b", out) and "kubelogin" not in out


def test_small_config_placeholders_include_the_runner_egress_and_vault_ranges(tmp_path):
    report, _ = preflight.check(preflight.DEFAULT_STACKS, env={"PATH": ""}, config_path=ROOT / "config" / "small.yaml")
    keys = [f.split(":")[0] for f in report.findings]
    assert "key_vault.deployer_ip_ranges[0]" in keys and "delivery.runner.egress_cidrs[0]" in keys
    assert keys[-1] == "delivery.deployer_principal_ids"


@pytest.mark.parametrize("value, hit", [
    ("203.0.113.0/24", "TEST-NET-3"), ("192.0.2.10", "TEST-NET-1"), ("198.51.100.0/25", "TEST-NET-2"),
    ("203.0.112.0/23", "TEST-NET-3"),  # overlaps, and narrow enough to be a typo'd placeholder
    ("2001:db8::/48", "IPv6 documentation prefix"),
    ("0.0.0.0/0", None), ("192.0.0.0/8", None), ("10.40.0.0/16", None), ("20.42.0.0/24", None), ("Internet", None),
])
def test_documentation_address_ranges(value, hit):
    found = preflight._doc_network(value)
    assert (found is None) if hit is None else found.startswith(hit)


@pytest.mark.parametrize("value, hit", [
    ("packages.example.com", "example.com"), ("example.org", "example.org"), ("ppm.dev.EXAMPLE.net.", "example.net"),
    ("host.example", ".example"), ("https://kv.example.com/certificates/tls", "example.com"),
    ("owner ops@example.org", "example.org"),
    ("packages.corp.contoso.com", None), ("myexample.com", None), ("example.community", None),
])
def test_documentation_domains(value, hit):
    assert preflight._doc_domain(value) == hit


def test_invalid_config_exits_2_with_the_loaders_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "config" / "reference.yaml").read_text().replace("location: eastus2", "location: mars"))
    result = _cli(env={"PATH": ""}, config=bad)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {bad}: 1 problem(s)") and "location: got 'mars'" in result.stderr


def test_all_good_exits_0_and_ran_every_check_once(tmp_path):
    result = _cli(env=_env(tmp_path, ALL_GOOD, "az", "terraform", "kubelogin"), config=_config(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "preflight OK: ppmref (network, data, cluster, app)"
    assert f"Azure checks ran against subscription {SUB} (ppm-reference)." in result.stdout
    calls = [c.split(" --subscription")[0] for c in _az_calls(tmp_path)]
    assert calls[0] == "az account show --output json"
    assert sorted(c.split()[4] for c in calls if c.startswith("az provider show")) == sorted(
        {ns for s in preflight.DEFAULT_STACKS for ns in preflight.PROVIDERS[s]})
    # account, 9 providers, feature, usage, aks, skus, license secret, TLS certificate
    assert len(calls) == len(set(calls)) == 1 + 9 + 6
    assert f"az keyvault secret show --vault-name {VAULT} --name ppm-license --query id --output json" in calls
    assert f"az keyvault certificate show --vault-name {VAULT} --name ppm-tls --query id --output json" in calls


def test_run_raises_preflight_failed_listing_findings_one_line_each(tmp_path):
    env = _env(tmp_path, ["account-show-logged-out"], "az", "terraform", "kubelogin")
    with pytest.raises(preflight.PreflightFailed) as caught:
        preflight.run(["network"], "make deploy", env=env, config_path=_config(tmp_path))
    err = caught.value
    assert err.findings == ["no Azure login: `az account show` failed (ERROR: Please run 'az login' to setup account.): "
                            f"{preflight.LOGIN_FIX}"]
    lines = str(err).splitlines()
    assert lines[0] == "preflight: 1 finding(s) before `make deploy`, each with its fix:"
    assert lines[1] == f"  - {err.findings[0]}"
    assert _az_calls(tmp_path) == ["az account show --output json"]  # no login: nothing else asked


# --------------------------------------------------------------------------- 2. tools


def test_missing_tools_each_get_a_line_and_kubelogin_only_for_app(tmp_path):
    findings = _findings(tmp_path, ALL_GOOD, tools=("az",))
    assert findings[0].startswith("`terraform` is not on PATH: install Terraform >= 1.11")
    assert findings[1] == ("`kubelogin` is not on PATH (the app stack's Helm provider runs `kubelogin get-token`): "
                           "`az aks install-cli` installs it (with kubectl), or see "
                           "https://azure.github.io/kubelogin/install.html")
    assert len(findings) == 2
    assert _findings(tmp_path, ALL_GOOD, stacks=["network", "data", "cluster"], tools=("az",))[1:] == []


def test_old_terraform_and_no_az(tmp_path):
    findings = _findings(tmp_path, [], tools=("terraform", "kubelogin"), terraform_version="1.9.8")
    assert findings[0].startswith("Terraform 1.9 is too old for write-only arguments: install Terraform >= 1.11")
    assert findings[1].startswith("the Azure CLI `az` is not on PATH: install the Azure CLI")
    assert len(findings) == 2  # and no Azure check without az


def test_offline_skips_the_azure_group_with_one_line(tmp_path):
    result = _cli("--offline", env=_env(tmp_path, [], "az", "terraform", "kubelogin"), config=_config(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Azure checks skipped (--offline): resource providers, EncryptionAtHost, vCPU quota, PostgreSQL SKU and "
        "the license secret were not checked.",
        "preflight OK: ppmref (network, data, cluster, app)"]
    assert _az_calls(tmp_path) == []


def test_ci_identity_without_az_skips_the_azure_group_instead_of_failing(tmp_path):
    # CI (.github/workflows): Terraform signs in with ARM_USE_OIDC, there is no `az login` (delivery.py's rule too).
    ci = {"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "c", "ARM_TENANT_ID": "t", "ARM_SUBSCRIPTION_ID": SUB}
    report, _ = preflight.check([], env={**_env(tmp_path, [], "terraform", "kubelogin"), **ci},
                                config_path=_config(tmp_path))
    assert report.findings == []
    assert report.notes == ["Azure checks skipped: `az` is not on PATH (Terraform signs in with the ARM_* variables)."]
    report, _ = preflight.check([], env={**_env(tmp_path, ["account-show-logged-out"], "az", "terraform", "kubelogin"),
                                         **ci}, config_path=_config(tmp_path))
    assert report.findings == [] and report.notes[0].startswith(
        "Azure checks skipped: `az account show` failed (ERROR: Please run 'az login' to setup account.); "
        "Terraform signs in with the ARM_* variables.")


def test_a_plan_does_not_read_the_license_secret(tmp_path):
    env = _env(tmp_path, ["keyvault-secret-show-notfound", *ALL_GOOD], "az", "terraform", "kubelogin")
    preflight.run(["app"], "make plan", env=env, config_path=_config(tmp_path))  # no PreflightFailed
    assert not any("keyvault" in call for call in _az_calls(tmp_path))
    with pytest.raises(preflight.PreflightFailed, match="has no secret ppm-license"):
        preflight.run(["app"], "make deploy", env=env, config_path=_config(tmp_path))


# --------------------------------------------------------------------------- 3. Azure: one failing case per check


def test_unregistered_provider_is_named_with_the_register_command(tmp_path):
    fixtures = ["account-show", "provider-show-notregistered", *ALL_GOOD[1:]]
    assert _findings(tmp_path, fixtures, stacks=["app"]) == [
        f"resource provider Microsoft.ContainerService is NotRegistered on subscription {SUB} (the app stack creates "
        f"its resources): `az provider register --namespace Microsoft.ContainerService --subscription {SUB}`, then wait "
        "until `az provider show` says Registered (a few minutes)"]
    assert _findings(tmp_path, fixtures, stacks=["state"]) == []  # only Microsoft.Storage asked: registered


def test_encryption_at_host_feature_when_host_encryption_is_on(tmp_path):
    fixtures = ["feature-show-encryptionathost-notregistered", *ALL_GOOD]
    findings = _findings(tmp_path, fixtures, stacks=["cluster"])
    assert findings == [
        f"feature Microsoft.Compute/EncryptionAtHost is NotRegistered on subscription {SUB} and cluster.host_encryption "
        f"is on (AKS refuses the node pools): `az feature register --namespace Microsoft.Compute --name EncryptionAtHost "
        f"--subscription {SUB}`, wait until `az feature show --namespace Microsoft.Compute --name EncryptionAtHost` says "
        f"Registered, then `az provider register --namespace Microsoft.Compute --subscription {SUB}`; or set "
        "cluster.host_encryption: false"]
    off = _config(tmp_path, **{"cluster.host_encryption": False})
    (tmp_path / "az.log").unlink()
    assert _findings(tmp_path, fixtures, stacks=["cluster"], config=off) == []
    assert not any("feature show" in call for call in _az_calls(tmp_path))


def test_vcpu_quota_counts_nodes_plus_surge_and_credits_a_deployed_cluster(tmp_path):
    tight = ["account-show", "provider-show-registered", "feature-show-encryptionathost-registered",
             "vm-list-usage-eastus2-tight"]
    findings = _findings(tmp_path, [*tight, "aks-show-notfound"], stacks=["cluster"])
    assert findings == [
        "vCPU quota: Standard Dv5 Family vCPUs (standardDv5Family) in eastus2 has 24 free (limit 40, used 16); "
        "cluster.vm_size Standard_D8_v5: (3 + 1 surge) nodes x 8 vCPUs = 32 vCPUs: raise the limit to at least 48 in "
        f"the Azure portal (Quotas > Compute) or with `az quota update --resource-name standardDv5Family --scope "
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus2 --limit-object value=48 --resource-type "
        "dedicated` (quota extension)"]
    # The same usage once the cluster runs: its 3 x 8 vCPUs are already in currentValue, so only the surge is new.
    assert _findings(tmp_path, [*tight, "aks-show-agentpools"], stacks=["cluster"]) == []


def test_vcpu_quota_autoscaling_max_and_system_pool_and_total(tmp_path):
    config = _config(tmp_path, **{"cluster.autoscaling": {"enabled": True, "min_count": 3, "max_count": 12},
                                  "cluster.system_pool": {"vm_size": "Standard_D4ds_v5", "node_count": 3}})
    findings = _findings(tmp_path, ALL_GOOD, stacks=["cluster"], config=config)
    # workers: (12 + 4 surge) x 8 = 128 > 84 free Dv5; system: (3 + 1) x 4 = 16 DDSv5 fits; total 144 > 76 free.
    assert [f.split(":")[1].strip() for f in findings] == [
        "Standard Dv5 Family vCPUs (standardDv5Family) in eastus2 has 84 free (limit 100, used 16); cluster.vm_size "
        "Standard_D8_v5", "Total Regional vCPUs (cores) in eastus2 has 76 free (limit 100, used 24); all node pools "
        "with their upgrade surge = 144 vCPUs"]


def test_vcpu_quota_says_so_when_a_family_cannot_be_derived(tmp_path):
    config = _config(tmp_path, **{"cluster.vm_size": "Standard_NC24ads_A100_v4",
                                  "cluster.vm_capacity": {"vcpus": 24, "memory_gib": 220}})
    findings = _findings(tmp_path, ALL_GOOD, stacks=["cluster"], config=config)
    assert findings == [
        "vCPU quota: cannot derive the quota family of cluster.vm_size Standard_NC24ads_A100_v4 from its name: look it "
        "up with `az vm list-skus --location eastus2 --size Standard_NC24ads_A100_v4 --query \"[0].family\"`, then "
        "compare its free vCPUs (limit - currentValue in `az vm list-usage --location eastus2`) with (3 + 1 surge) nodes"]


@pytest.mark.parametrize("size, family", [
    ("Standard_D8_v5", "standardDv5Family"), ("Standard_D4ds_v5", "standardDDSv5Family"),
    ("Standard_D16as_v5", "standardDASv5Family"), ("Standard_E8ads_v5", "standardEADSv5Family"),
    ("Standard_DS2_v2", "standardDSv2Family"), ("Standard_E4-2ds_v5", "standardEDSv5Family"),
    ("Standard_D4s_v6", "standardDSv6Family"),  # az spells it StandardDsv6Family: matched case-insensitively
    ("Standard_B2ms", "standardBSFamily"), ("Standard_B2s_v2", None), ("Standard_NC24ads_A100_v4", None),
])
def test_vm_family_from_the_size_name(size, family):
    assert preflight.vm_family(size) == family


def test_surge_and_the_construct_default():
    assert [preflight.surge_nodes(n) for n in (1, 3, 4, 10)] == [1, 1, 2, 4]
    assert preflight.surge_nodes(5, "2") == 2
    props = (ROOT / "constructs_lib" / "aks" / "props.py").read_text()
    assert f'max_surge: str = "{preflight.DEFAULT_MAX_SURGE}"' in props  # the stacks keep NodePoolSpec's default


def test_postgres_sku_without_zone_redundant_ha_in_the_chosen_zones(tmp_path):
    fixtures = ["postgres-list-skus-eastus2-no-zone-redundant", *ALL_GOOD]
    listing = "`az postgres flexible-server list-skus --location eastus2`"
    assert _findings(tmp_path, fixtures, stacks=["data"]) == [
        "postgres.high_availability zone_redundant: GP_Standard_D4ds_v4 offers no zone-redundant HA in eastus2 "
        f"(supportedHaMode: SameZone): pick a SKU listed with ZoneRedundant by {listing}, or set "
        "postgres.high_availability: same_zone",
        "postgres.standby_zone 2: GP_Standard_D4ds_v4 is offered in eastus2 only in zone(s) 1, 3: set "
        "postgres.standby_zone to one of them"]
    same_zone = _config(tmp_path, **{"postgres.high_availability": "same_zone", "postgres.standby_zone": None})
    assert _findings(tmp_path, fixtures, stacks=["data"], config=same_zone) == []


def test_postgres_sku_not_offered_or_offer_restricted(tmp_path):
    other = _config(tmp_path, **{"postgres.sku": "GP_Standard_D8ds_v5"})
    assert _findings(tmp_path, ALL_GOOD, stacks=["data"], config=other) == [
        "postgres.sku GP_Standard_D8ds_v5: Standard_D8ds_v5 is not offered in GeneralPurpose in eastus2 "
        "(GeneralPurpose offers: Standard_D2ds_v4, Standard_D4ads_v5, Standard_D4ds_v4, Standard_D4ds_v5): pick one of "
        "those (see `az postgres flexible-server list-skus --location eastus2`)"]
    restricted = ["postgres-list-skus-eastus2-restricted", *ALL_GOOD]
    assert _findings(tmp_path, restricted, stacks=["data"]) == [
        f"PostgreSQL Flexible Server is restricted for subscription {SUB} in eastus2 (OfferRestricted): ask for access "
        "with an Azure support request (region access), or choose another location"]


def test_missing_license_secret_gives_the_exact_set_command(tmp_path):
    fixtures = ["keyvault-secret-show-notfound", *ALL_GOOD]
    assert _findings(tmp_path, fixtures, stacks=["app"]) == [
        f"license secret: vault {VAULT} has no secret ppm-license (app.license_secret_name), which the app stack "
        f"mounts: `az keyvault secret set --vault-name {VAULT} --name ppm-license --file ./rstudio-pm.lic`"]
    (tmp_path / "az.log").unlink()
    assert _findings(tmp_path, ALL_GOOD, stacks=["network", "data", "cluster"]) == []  # not asked without app
    assert not any("keyvault" in call for call in _az_calls(tmp_path))


def test_license_check_refused_by_the_vault_firewall_points_at_the_vnet_runner(tmp_path):
    fixtures = ["keyvault-secret-show-firewall", *ALL_GOOD]
    assert _findings(tmp_path, fixtures, stacks=["app"]) == [
        f"license secret: vault {VAULT} refused this machine's address (ForbiddenByFirewall): the vault has only a "
        "private endpoint, so this call must run inside the VNet: run the preflight on the runner in "
        "delivery.runner.subnet 10.40.10.0/27"]


# --------------------------------------------------------------------------- fixtures and Makefile


def test_every_fixture_records_its_command_and_source_and_is_used():
    used = Path(__file__).read_text()
    sidecars = sorted(FIXTURES.glob("*.yaml"))
    assert sidecars
    for sidecar in sidecars:
        meta = yaml.safe_load(sidecar.read_text())
        assert meta["command"].startswith("az ") and meta["command"].endswith(" --output json"), sidecar.name
        assert meta["source"] and meta["shape"] and isinstance(meta["exit"], int), sidecar.name
        assert ("stdout" in meta) != ("stderr" in meta), sidecar.name
        if "stdout" in meta:
            json.loads((FIXTURES / meta["stdout"]).read_text())
        assert f'"{sidecar.stem}"' in used, f"{sidecar.name} is used by no test"


@pytest.mark.skipif(subprocess.run(["which", "make"], capture_output=True).returncode != 0, reason="no make")
def test_make_preflight_passes_stacks_through():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    def dry(*args: str) -> str:
        result = subprocess.run(["make", "-n", "--no-print-directory", "preflight", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()[-1].rstrip()
    from constructs_lib.toolchain import selected

    venv = selected().venv  # the venv of the toolchain make runs on (TOOLCHAIN, as this session's)
    assert dry() == f"{venv}/bin/python scripts/preflight.py"
    assert dry("STACKS= network  data ") == f'{venv}/bin/python scripts/preflight.py --stacks "network data"'


def test_stacks_as_words_or_one_string_and_unknown_names(tmp_path):
    assert preflight.parse_stacks(["app", "network"]) == ["network", "app"]
    assert preflight.parse_stacks(["network data", "cluster,app"]) == ["network", "data", "cluster", "app"]
    result = _cli("--stacks", "network dta", env={"PATH": ""}, config=_config(tmp_path))
    assert result.returncode == 2
    assert "--stacks: unknown stack(s) 'dta'; allowed: state, network, data, cluster, app" in result.stderr
    with pytest.raises(ValueError, match="unknown stack"):
        preflight.run(["ghost"], "make deploy", env={"PATH": ""}, config_path=_config(tmp_path))


def test_a_missing_tls_certificate_gives_the_exact_import_command(tmp_path):
    """Reference: TLS on with the data vault's certificate, which must exist before app (the ingress serves it)."""
    fixtures = ["keyvault-certificate-show-notfound", *ALL_GOOD]
    assert _findings(tmp_path, fixtures, stacks=["app"]) == [
        f"TLS certificate: vault {VAULT} has no certificate ppm-tls (app.tls.certificate_name), which the ingress serves "
        f"for packages.corp.contoso.com: `az keyvault certificate import --vault-name {VAULT} --name ppm-tls --file "
        "./packages.pfx` (from the runner, as for the license)"]
