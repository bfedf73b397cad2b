"""PackageManagerRelease and AksHelmProvider on throwaway stacks with literal props.

Each case builds a tiny App (one stack: azurerm + helm providers, the construct) and
runs ``app.synth()``; assertions read the synthesized cdk.tf.json and parse the
release's ``values`` YAML. The four-stack wiring is tested in test_app_stack.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from constructs_lib.cdk import App, TerraformStack, TerraformVariable
from constructs_lib.toolchain import app_context

from constructs_lib.aks.helm import AKS_ENTRA_SERVER_APP_ID, AksHelmProvider, AksHelmProviderProps
from constructs_lib.package_manager.manifests import NFS_MOUNT_OPTIONS
from constructs_lib.package_manager.props import PackageManagerReleaseProps, PodResources, validate
from constructs_lib.package_manager.release import PackageManagerRelease
from constructs_lib.package_manager.values import chart_fullname
from constructs_lib.refs import AksClusterRef, KeyVaultRef, ManagedIdentityRef, NfsShareRef, PostgresTargetRef
from constructs_lib.validation import PropsError
from tests.helm_values import chart_values, pod_from_values, schema_errors, unknown_key_paths, without_tokens

CERT_URI = "https://kv-certs.vault.azure.net/certificates/packages"


def _props(**changes: Any) -> PackageManagerReleaseProps:
    base = PackageManagerReleaseProps(
        chart_version="0.20.4",
        hostname="packages.example.com",
        postgres=PostgresTargetRef(fqdn="psql-t.postgres.database.azure.com", login="ppm",
                                   metadata_database="packagemanager", usage_database="packagemanager_usage"),
        share=NfsShareRef(resource_group_name="rg-data", storage_account_name="stppmdata", share_name="ppm-data",
                          quota_gib=1000),
        key_vault=KeyVaultRef(
            id="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/"
               "Microsoft.KeyVault/vaults/kv-ppm",
            name="kv-ppm", tenant_id="11111111-1111-1111-1111-111111111111"),
        app_identity=ManagedIdentityRef(client_id="22222222-2222-2222-2222-222222222222",
                                        object_id="33333333-3333-3333-3333-333333333333"),
        bootstrap_identity=ManagedIdentityRef(client_id="44444444-4444-4444-4444-444444444444",
                                              object_id="55555555-5555-5555-5555-555555555555"),
        postgres_password_secret_name="postgres-app-password",
        postgres_admin_login="ppmadmin",
        postgres_admin_password_secret_name="postgres-admin-password",
        encryption_key_secret_name="ppm-encryption-key",
    )
    return dataclasses.replace(base, **changes)


class Synthesized:
    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        releases = doc["resource"]["helm_release"]
        assert len(releases) == 1
        self.release = next(iter(releases.values()))
        documents = self.release["values"]
        assert len(documents) == 1, "one YAML document"
        self.values = yaml.safe_load(documents[0])

    def extra(self, kind: str, *, hook: bool = False) -> dict[str, Any]:
        """The one object of ``kind`` among the chart-lifetime objects (or, ``hook=True``, the bootstrap hook's)."""
        found = [o for o in self.values["extraObjects"]
                 if o["kind"] == kind and ("helm.sh/hook" in o["metadata"].get("annotations", {})) == hook]
        assert len(found) == 1, kind
        return found[0]

    def grants(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Role assignments by (principal, scope)."""
        return {(r["principal_id"], r["scope"]): r for r in self.doc["resource"]["azurerm_role_assignment"].values()}


def _synth(outdir: Path, props: PackageManagerReleaseProps | None = None, *, token_quota: bool = False,
           login_mode: str = "azurecli") -> Synthesized:
    from constructs_lib.cdk.azurerm import AzurermProvider
    from constructs_lib.cdk.time import TimeProvider

    app = App(context=app_context(), outdir=str(outdir))
    stack = TerraformStack(app, "t")
    AzurermProvider(stack, "azurerm", features=[{}])
    TimeProvider(stack, "time")
    helm = AksHelmProvider(stack, "helm", AksHelmProviderProps(
        cluster=AksClusterRef(name="aks-t", resource_group_name="rg-cluster"), login_mode=login_mode))
    props = props or _props()
    if token_quota:
        quota = TerraformVariable(stack, "quota", type="number").number_value
        props = dataclasses.replace(props, share=dataclasses.replace(props.share, quota_gib=quota))
    PackageManagerRelease(stack, "ppm", props, provider=helm.resource)
    app.synth()
    return Synthesized(json.loads((outdir / "stacks" / "t" / "cdk.tf.json").read_text()))


@pytest.fixture(scope="module")
def default(tmp_path_factory) -> Synthesized:
    return _synth(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def with_tls(tmp_path_factory) -> Synthesized:
    return _synth(tmp_path_factory.mktemp("tls"), _props(tls_certificate_uri=CERT_URI))


# --- the chart contract --------------------------------------------------------------------

@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Synthesized:
    return _synth(tmp_path_factory.mktemp("single"), _props(replicas=1, secret_version=2))


@pytest.mark.parametrize("case", ["default", "with_tls", "single"])
def test_every_key_path_exists_in_the_chart_values(case, request):
    values = request.getfixturevalue(case).values
    assert list(unknown_key_paths(values, chart_values())) == []


def test_the_key_path_walk_catches_typos_and_accepts_free_form_maps():
    chart = chart_values()
    bad = {"sharedStorage": {"volumename": "x"}, "ingres": {}, "resources": {"requests": {"cpus": "1"}},
           "config": {"AnySection": {"AnyKey": 1}}, "pod": {"env": [{"name": "X"}]},
           "podDisruptionBudget": {"minAvailable": 2}}
    assert sorted(unknown_key_paths(bad, chart)) == ["ingres", "resources.requests.cpus", "sharedStorage.volumename"]


def test_values_are_one_plain_yaml_document_without_anchors(with_tls):
    text = with_tls.release["values"][0]
    assert "yamlencode" not in text and "&id" not in text and "*id" not in text
    # A Postgres URL stays on one line (no folding), so interpolations never split.
    assert any(line.strip().startswith("URL: postgres://") and line.endswith("sslmode=require")
               for line in text.splitlines())


def test_no_set_or_sensitive_values_are_used(default):
    assert not {"set", "set_sensitive", "set_wo", "set_list"} & set(default.release)


# --- release settings ------------------------------------------------------------------------

def test_release_is_pinned_atomic_and_waits(default):
    r = default.release
    assert (r["chart"], r["repository"], r["version"]) == ("rstudio-pm", "https://helm.rstudio.com", "0.20.4")
    assert (r["name"], r["namespace"], r["create_namespace"]) == ("rstudio-pm", "posit-package-manager", True)
    assert r["atomic"] is True and r["wait"] is True and r["cleanup_on_fail"] is True
    assert r["timeout"] == 900 and r["max_history"] == 10


def test_the_release_waits_for_the_key_vault_grant_to_propagate(default):
    # Given the grant is made in the same apply, when Helm installs at once the CSI mounts meet
    # a 403 until the grant propagates: the release depends on a wait triggered by the grant.
    grant_keys = set(default.doc["resource"]["azurerm_role_assignment"])
    (sleep_key, sleep), = default.doc["resource"]["time_sleep"].items()
    assert default.release["depends_on"] == [f"time_sleep.{sleep_key}"]
    assert sleep["create_duration"] == "180s"
    assert set(sleep["triggers"].values()) == {f"${{azurerm_role_assignment.{k}.id}}" for k in grant_keys}


def test_without_a_wait_the_release_depends_on_the_grant_itself(tmp_path):
    doc = _synth(tmp_path, _props(rbac_propagation_seconds=0)).doc
    grant_keys = list(doc["resource"]["azurerm_role_assignment"])
    assert "time_sleep" not in doc["resource"]
    (release,) = doc["resource"]["helm_release"].values()
    assert sorted(release["depends_on"]) == sorted(f"azurerm_role_assignment.{k}" for k in grant_keys)


def test_a_secret_version_rolls_the_pods_and_reruns_the_wait(tmp_path):
    synth = _synth(tmp_path, _props(secret_version=3))
    # The chart copies pod.annotations into the pod template: a new version is a rollout.
    assert synth.values["pod"]["annotations"] == {"ppm-aks-cdktf/secret-version": "3"}
    (sleep,) = synth.doc["resource"]["time_sleep"].values()
    assert sleep["triggers"]["secret_version"] == "3"
    assert int(sleep["create_duration"].rstrip("s")) > 120  # above the CSI rotation poll (2m)


def test_no_annotation_without_a_secret_version(default):
    assert "annotations" not in default.values["pod"]


def test_each_identity_gets_key_vault_secrets_user_on_exactly_its_secrets(default):
    p = _props()
    vault = p.key_vault.id
    app, job = p.app_identity.object_id, p.bootstrap_identity.object_id
    assert set(default.grants()) == {
        (app, f"{vault}/secrets/postgres-app-password"), (app, f"{vault}/secrets/ppm-license"),
        (app, f"{vault}/secrets/ppm-encryption-key"),
        (job, f"{vault}/secrets/postgres-admin-password"), (job, f"{vault}/secrets/postgres-app-password"),
    }
    for role in default.grants().values():
        assert role["role_definition_name"] == "Key Vault Secrets User"
        assert role["principal_type"] == "ServicePrincipal"
        assert role["scope"] != vault  # never the whole vault


# --- high availability -----------------------------------------------------------------------

def test_replicas_spread_over_hosts_and_zones_with_a_budget_of_two(default):
    v = default.values
    assert v["replicas"] == 3
    selector = {"matchLabels": {"app.kubernetes.io/name": "rstudio-pm"}}
    # One per node, hard; zones soft (a hard zone rule with minAvailable 2 and surge pods can
    # stall drains); old and new ReplicaSets spread apart during rollouts ([K8S] >= 1.27).
    assert v["topologySpreadConstraints"] == [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": selector, "matchLabelKeys": ["pod-template-hash"]},
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": selector, "matchLabelKeys": ["pod-template-hash"]},
    ]
    # An unready pod may always be evicted: it cannot block node drains and AKS upgrades.
    assert v["podDisruptionBudget"] == {"minAvailable": 2, "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    assert "strategy" not in v  # the chart's surge strategy: maxSurge 100%, maxUnavailable 0


def test_zone_spread_can_be_turned_off_and_a_single_replica_gets_no_budget(tmp_path):
    v = _synth(tmp_path, _props(replicas=1, spread_across_zones=False)).values
    assert v["replicas"] == 1
    assert [c["topologyKey"] for c in v["topologySpreadConstraints"]] == ["kubernetes.io/hostname"]
    assert "podDisruptionBudget" not in v
    # No room is needed for a surge pod: the one pod is replaced.
    assert v["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def test_explicit_min_available_is_used(tmp_path):
    assert _synth(tmp_path, _props(replicas=5, min_available=3, unhealthy_pod_eviction_policy="IfHealthyBudget")
                  ).values["podDisruptionBudget"] == {"minAvailable": 3, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}


def test_the_budget_is_a_valid_pdb_spec_as_the_chart_writes_it(default):
    # [CH] poddisruptionbudget.yaml: selector, then podDisruptionBudget copied into spec verbatim.
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "rstudio-pm"},
           "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "rstudio-pm"}},
                    **default.values["podDisruptionBudget"]}}
    assert schema_errors(pdb) == []
    # The schema knows the field (policy/v1, Kubernetes >= 1.27) and only that spelling; its value
    # is an enum the construct checks itself (the OpenAPI schema does not list the values).
    pdb["spec"]["unhealthyPodEvictionPolicies"] = pdb["spec"].pop("unhealthyPodEvictionPolicy")
    assert schema_errors(pdb)


def test_resources_and_probes(default):
    v = default.values
    assert v["resources"] == {
        "requests": {"enabled": True, "cpu": "2", "memory": "8Gi", "ephemeralStorage": "2Gi"},
        "limits": {"enabled": True, "cpu": "6", "memory": "12Gi", "ephemeralStorage": "20Gi"},
    }
    assert v["livenessProbe"] == {"enabled": True}
    assert v["startupProbe"] == {"enabled": True, "failureThreshold": 60}


def test_a_pre_stop_sleep_keeps_serving_while_the_endpoint_is_removed(default, tmp_path):
    pod = default.values["pod"]
    # The lifecycle sleep action: no sleep binary or shell needed in the image.
    assert pod["lifecycle"] == {"preStop": {"sleep": {"seconds": 10}}}
    assert pod["terminationGracePeriodSeconds"] == 120 >= 10 + 30
    none = _synth(tmp_path, _props(pre_stop_sleep_seconds=0, termination_grace_period_seconds=60)).values["pod"]
    assert "lifecycle" not in none and none["terminationGracePeriodSeconds"] == 60


# --- sandboxing ------------------------------------------------------------------------------

def test_sandboxing_is_the_charts_enable_sandboxing(default, tmp_path):
    # [CH] true: seccomp/AppArmor Unconfined (Pod Security privileged); false: RuntimeDefault.
    assert default.values["enableSandboxing"] is True
    assert chart_values()["enableSandboxing"] is True
    assert _synth(tmp_path, _props(sandboxing=False)).values["enableSandboxing"] is False


# --- network policy --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fenced(tmp_path_factory) -> Synthesized:
    return _synth(tmp_path_factory.mktemp("fenced"),
                  _props(postgres_cidr="10.40.8.0/27", private_endpoints_cidr="10.40.9.0/27"))


def test_no_network_policy_without_the_subnets(default):
    assert not [o for o in default.values["extraObjects"] if o["kind"] == "NetworkPolicy"]


def test_the_network_policy_admits_only_the_app_routing_nginx_on_the_app_port(fenced):
    np = fenced.extra("NetworkPolicy")
    assert np["metadata"] == {"name": "rstudio-pm", "namespace": "posit-package-manager"}
    # [CH] rstudio-pm.selectorLabels: this release's pods only.
    assert np["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "rstudio-pm",
                                                         "app.kubernetes.io/instance": "rstudio-pm"}}
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (rule,) = np["spec"]["ingress"]
    assert rule["from"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "ingress-controller",
                                        "app.kubernetes.io/managed-by": "aks-app-routing-operator"}},
    }]
    assert rule["ports"] == [{"protocol": "TCP", "port": 4242}]  # not the metrics port 2112
    assert fenced.values["config"]["HTTP"]["Listen"] == ":4242"


def test_the_network_policy_lets_out_only_dns_database_endpoints_and_https(fenced):
    egress = fenced.extra("NetworkPolicy")["spec"]["egress"]
    allowed = {(peer.get("ipBlock", {}).get("cidr") or "dns", port["protocol"], port["port"])
               for rule in egress for peer in rule["to"] for port in rule["ports"]}
    assert allowed == {
        ("dns", "UDP", 53), ("dns", "TCP", 53),
        ("10.40.8.0/27", "TCP", 5432),
        ("10.40.9.0/27", "TCP", 2049), ("10.40.9.0/27", "TCP", 443),
        ("0.0.0.0/0", "TCP", 443),
    }
    (dns,) = egress[0]["to"]
    assert dns == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    (internet,) = egress[-1]["to"]
    assert internet["ipBlock"]["except"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


def test_the_network_policy_is_a_valid_kubernetes_object(fenced):
    np = fenced.extra("NetworkPolicy")
    assert schema_errors(np) == []
    bad = without_tokens(np)
    bad["spec"]["ingress"][0]["ports"][0]["protocol"] = 4242
    bad["spec"]["egres"] = []
    assert schema_errors(bad)


# --- database and secrets --------------------------------------------------------------------

def test_postgres_config_has_urls_without_password_and_the_pool_size(default):
    c = default.values["config"]
    assert c["Database"] == {"Provider": "postgres"}
    assert c["Postgres"] == {
        "URL": "postgres://ppm@psql-t.postgres.database.azure.com:5432/packagemanager?sslmode=require",
        "UsageDataURL": "postgres://ppm@psql-t.postgres.database.azure.com:5432/packagemanager_usage"
                        "?sslmode=require",
    }
    assert c["PostgresPool"] == {"MaxOpenConnections": 50}
    assert c["HTTP"] == {"Listen": ":4242"} and c["Metrics"] == {"Enabled": True}
    assert c["Server"] == {"DataDir": default.values["sharedStorage"]["path"]}
    for section in c.values():
        for value in section.values():
            assert not {";", "#"} & set(str(value)), "gcfg values are unquoted"


def test_both_passwords_come_from_the_synced_secret(default):
    v = default.values
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in v["pod"]["env"]}
    ref = {"name": "rstudio-pm-kv-postgres", "key": "password"}
    assert env == {"PACKAGEMANAGER_POSTGRES_PASSWORD": ref, "PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD": ref,
                   "PACKAGEMANAGER_ENCRYPTION_KEY": {"name": "rstudio-pm-kv-encryption-key", "key": "rstudio-pm.key"}}
    spc = default.extra("SecretProviderClass")
    synced = {s["secretName"]: {d["key"]: d["objectName"] for d in s["data"]} for s in spc["spec"]["secretObjects"]}
    # The app login's password, never the administrator's.
    assert synced["rstudio-pm-kv-postgres"] == {"password": "postgres-app-password"}
    assert synced["rstudio-pm-kv-encryption-key"] == {"rstudio-pm.key": "ppm-encryption-key"}


def test_the_pod_mounts_the_secret_provider_class_so_the_sync_happens(default):
    v = default.values
    (volume,) = v["pod"]["volumes"]
    assert volume["csi"] == {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                             "volumeAttributes": {"secretProviderClass": "rstudio-pm-key-vault"}}
    assert v["pod"]["volumeMounts"] == [{"name": volume["name"], "mountPath": "/mnt/secrets-store", "readOnly": True}]
    spc = default.extra("SecretProviderClass")
    assert spc["metadata"] == {"name": "rstudio-pm-key-vault", "namespace": "posit-package-manager"}
    params = spc["spec"]["parameters"]
    kv = _props().key_vault
    assert spc["spec"]["provider"] == "azure"
    # [CSI-KV] workload-identity-mode: clientID and tenantID (not the deprecated tenantId), no VM identity.
    assert params["keyvaultName"] == kv.name and params["tenantID"] == kv.tenant_id
    assert params["clientID"] == _props().app_identity.client_id
    assert params["usePodIdentity"] == "false"
    assert not {"useVMManagedIdentity", "userAssignedIdentityID", "tenantId"} & set(params)
    objects = yaml.safe_load(params["objects"])["array"]
    assert sorted(yaml.safe_load(o)["objectName"] for o in objects) == [
        "postgres-app-password", "ppm-encryption-key", "ppm-license"]
    assert all(yaml.safe_load(o)["objectType"] == "secret" for o in objects)


def test_vault_objects_keep_the_given_order_not_the_token_text_order():
    """Names are tokens (``${TfToken[TOKEN.12]}``): their text depends on how many tokens the process made
    before, so sorting by it reordered the list between synths. The order is the order given, each once."""
    from constructs_lib.package_manager.manifests import key_vault_secret_provider_class

    spc = key_vault_secret_provider_class(
        name="n", namespace="ns", key_vault_name="kv", tenant_id="t", identity_client_id="c",
        synced_secrets={"a": {"password": "${TfToken[TOKEN.99]}"},
                        "b": {"key": "${TfToken[TOKEN.100]}", "again": "${TfToken[TOKEN.99]}"}})
    objects = yaml.safe_load(spc["spec"]["parameters"]["objects"])["array"]
    assert [yaml.safe_load(o)["objectName"] for o in objects] == ["${TfToken[TOKEN.99]}", "${TfToken[TOKEN.100]}"]


def test_license_file_comes_from_its_own_synced_secret(default):
    v = default.values
    assert v["license"] == {"file": {"secret": "rstudio-pm-kv-license", "secretKey": "license.lic"}}
    spc = default.extra("SecretProviderClass")
    synced = {s["secretName"]: {d["key"]: d["objectName"] for d in s["data"]} for s in spc["spec"]["secretObjects"]}
    # Its own Secret: the license volume mounts every key of it, and the password must not be there.
    assert synced["rstudio-pm-kv-license"] == {"license.lic": "ppm-license"}


# --- workload identity and the database login bootstrap ---------------------------------------

def test_the_chart_service_account_names_the_pods_identity_and_the_pods_opt_in(default):
    v = default.values
    assert v["serviceAccount"] == {"create": True, "name": "rstudio-pm", "annotations": {
        "azure.workload.identity/client-id": _props().app_identity.client_id}}
    assert v["pod"]["labels"] == {"azure.workload.identity/use": "true"}


def test_the_bootstrap_job_is_a_hook_with_its_own_identity_and_class(default):
    job = default.extra("Job", hook=True)
    sa = default.extra("ServiceAccount", hook=True)
    spc = default.extra("SecretProviderClass", hook=True)
    assert job["metadata"]["annotations"] == {
        "helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-10",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}
    for obj in (sa, spc):  # created first, kept between runs
        assert obj["metadata"]["annotations"]["helm.sh/hook-weight"] == "-20"
        assert obj["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"] == _props().bootstrap_identity.client_id
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"] == "rstudio-pm-db-bootstrap"
    params = spc["spec"]["parameters"]
    assert params["clientID"] == _props().bootstrap_identity.client_id and "useVMManagedIdentity" not in params
    objects = {yaml.safe_load(o)["objectName"]: yaml.safe_load(o)["objectAlias"]
               for o in yaml.safe_load(params["objects"])["array"]}
    assert objects == {"postgres-admin-password": "admin-password", "postgres-app-password": "app-password"}
    assert "secretObjects" not in spc["spec"]  # files only: no Kubernetes Secret holds the admin password
    (volume,) = pod["volumes"]
    assert volume["csi"]["volumeAttributes"] == {"secretProviderClass": spc["metadata"]["name"]}
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PGUSER"] == "ppmadmin" and env["APP_LOGIN"] == "ppm" and env["PGSSLMODE"] == "require"
    assert (env["METADATA_DB"], env["USAGE_DB"]) == ("packagemanager", "packagemanager_usage")
    assert container["image"].startswith("docker.io/library/postgres:16-alpine")


def test_the_package_manager_pods_never_mount_the_admin_password(default):
    v = default.values
    mounted = {vol["csi"]["volumeAttributes"]["secretProviderClass"] for vol in v["pod"]["volumes"] if "csi" in vol}
    classes = [o for o in v["extraObjects"] if o["kind"] == "SecretProviderClass" and o["metadata"]["name"] in mounted]
    assert classes and "postgres-admin-password" not in json.dumps([v["pod"], v["license"], v["config"], classes])


def test_the_bootstrap_script_is_idempotent_and_survives_tpl_and_terraform(default):
    from constructs_lib.package_manager.bootstrap import BOOTSTRAP_SH, BOOTSTRAP_SQL

    script = default.extra("Job", hook=True)["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert script == BOOTSTRAP_SH and BOOTSTRAP_SQL in script
    # extraObjects go through tpl ([CH]); the values are a Terraform string: no template syntax.
    assert not [s for s in ("{{", "${", "%{") if s in script]
    sql = BOOTSTRAP_SQL
    # Creates only what is missing; every other statement sets a value to what it must be.
    assert "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_login') \\gexec" in sql
    assert "CREATE ROLE" not in sql.replace("format('CREATE ROLE", "")
    assert 'ALTER ROLE :"app_login" WITH LOGIN NOCREATEDB NOCREATEROLE;' in sql
    # The password is sent only when the login does not already sign in with it (no statement carrying it
    # on every upgrade, where log_statement or a failing statement could put it in the server log).
    assert "\\if :set_password\n\\set app_password `cat" in sql
    assert "ALTER ROLE :\"app_login\" PASSWORD :'app_password';\n\\unset app_password\n\\endif" in sql
    assert 'PGUSER="$APP_LOGIN"' in script and "set_password=off" in script and '-v set_password="$set_password"' in script
    assert 'ALTER DATABASE :"metadata_db" OWNER TO :"app_login";' in sql
    assert 'ALTER DATABASE :"usage_db" OWNER TO :"app_login";' in sql
    for forbidden in ("SUPERUSER", "CREATEDB ", "CREATEROLE ", "azure_pg_admin TO", "GRANT azure_pg_admin"):
        assert f" {forbidden}" not in sql.replace("NOCREATEDB NOCREATEROLE", "")
    assert sql.count("has_schema_privilege(login, 'public', 'CREATE')") == 2  # both databases checked
    assert "pg_auth_members" in sql  # refuses a login that is a member of any role (azure_pg_admin...)
    assert "cat /mnt/secrets-store/app-password" in sql and "cat /mnt/secrets-store/admin-password" in script


@pytest.mark.parametrize("kind", ["Job", "ServiceAccount", "SecretProviderClass"])
def test_bootstrap_objects_are_valid_kubernetes_objects(default, kind):
    assert schema_errors(without_tokens(default.extra(kind, hook=True))) == []


@pytest.mark.parametrize("changes, field, message", [
    ({"postgres": PostgresTargetRef(fqdn="h.example.com", login="ppmadmin", metadata_database="m",
                                    usage_database="u")},
     "postgres.login", "a login other than the server's administrator (ppmadmin)"),
    ({"postgres": PostgresTargetRef(fqdn="h.example.com", login="azure_pg_admin", metadata_database="m",
                                    usage_database="u")}, "postgres.login", "a login other than"),
    ({"postgres_password_secret_name": "Xk29sLq8ZpW3mN7vRt5y"}, "postgres_password_secret_name",
     "the NAME of a Key Vault secret"),
    ({"encryption_key_secret_name": "0616a5a7445f4c0b8b9f31a840f22a152f7621c5c9cc1febcb9f647183193c8e!"},
     "encryption_key_secret_name", "the NAME of a Key Vault secret"),
    ({"postgres_password_secret_name": "postgres-admin-password"}, "postgres_password_secret_name",
     "not the administrator's"),
    ({"bootstrap_identity": ManagedIdentityRef(client_id="22222222-2222-2222-2222-222222222222", object_id="x")},
     "bootstrap_identity", "an identity other than app_identity"),
])
def test_the_admin_login_or_a_literal_password_is_refused(changes, field, message):
    with pytest.raises(PropsError) as err:
        validate(_props(**changes))
    assert any(p.startswith(f"{field}:") and message in p for p in err.value.problems), err.value.problems
    assert "Xk29sLq8ZpW3mN7vRt5y" not in str(err.value) and "0616a5a7" not in str(err.value)  # never echoed


# --- shared storage --------------------------------------------------------------------------

def test_nfs_persistent_volume_matches_the_share(default):
    pv = default.extra("PersistentVolume")
    spec = pv["spec"]
    assert spec["csi"]["driver"] == "file.csi.azure.com"
    assert spec["csi"]["volumeAttributes"] == {"resourceGroup": "rg-data", "storageAccount": "stppmdata",
                                               "shareName": "ppm-data", "protocol": "nfs"}
    assert spec["csi"]["volumeHandle"] == "rg-data#stppmdata#ppm-data"
    assert spec["persistentVolumeReclaimPolicy"] == "Retain"
    assert spec["mountOptions"] == ["nconnect=4", "noresvport", "actimeo=30", "lookupcache=pos"]
    assert list(NFS_MOUNT_OPTIONS) == spec["mountOptions"]
    assert spec["capacity"] == {"storage": "1000Gi"}
    assert spec["accessModes"] == ["ReadWriteMany"]


def test_the_volume_is_kept_like_the_claim_when_helm_uninstalls(default, tmp_path):
    # The chart's claim carries helm.sh/resource-policy: keep; the PV must too, or the rollback of a
    # failed atomic first install deletes the PV and leaves the kept claim Lost.
    assert chart_values()["sharedStorage"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert default.extra("PersistentVolume")["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    unkept = _synth(tmp_path, _props(keep_persistent_volume=False)).extra("PersistentVolume")
    assert "annotations" not in unkept["metadata"]


def test_the_claim_can_bind_only_to_that_volume(default):
    pv = default.extra("PersistentVolume")
    s = default.values["sharedStorage"]
    assert s["create"] is True and s["mount"] is True
    assert s["accessModes"] == ["ReadWriteMany"]
    # A class is set (unset would mean the cluster default, Azure Disk) and equals the PV's.
    assert s["storageClassName"] and s["storageClassName"] == pv["spec"]["storageClassName"]
    assert s["volumeName"] == pv["metadata"]["name"]
    assert pv["spec"]["claimRef"] == {"namespace": "posit-package-manager", "name": s["name"]}


def test_the_claim_requests_a_fixed_100gi_while_the_volume_has_the_quota(tmp_path, default):
    # A bound static claim cannot be resized: if its request followed the quota, raising the
    # quota would make the Helm upgrade fail. The PV's capacity (mutable) follows the quota.
    assert default.values["sharedStorage"]["requests"] == {"storage": "100Gi"}
    assert default.extra("PersistentVolume")["spec"]["capacity"] == {"storage": "1000Gi"}
    bigger = _synth(tmp_path, _props(share=dataclasses.replace(_props().share, quota_gib=2048)))
    assert bigger.values["sharedStorage"]["requests"] == {"storage": "100Gi"}
    assert bigger.extra("PersistentVolume")["spec"]["capacity"] == {"storage": "2048Gi"}


def test_a_quota_token_becomes_an_interpolated_capacity(tmp_path):
    synth = _synth(tmp_path, token_quota=True)
    capacity = synth.extra("PersistentVolume")["spec"]["capacity"]["storage"]
    assert capacity == "${var.quota}Gi"
    assert synth.values["sharedStorage"]["requests"]["storage"] == "100Gi"


# --- ingress ---------------------------------------------------------------------------------

def test_ingress_uses_app_routing_without_tls_by_default(default):
    ingress = default.values["ingress"]
    assert ingress == {
        "enabled": True,
        "ingressClassName": "webapprouting.kubernetes.azure.com",
        "hosts": [{"host": "packages.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        # NGINX's own limit is 1m: package uploads would get 413 without it.
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "2g"},
    }


@pytest.mark.parametrize("size", ["512m", "4G", "0", "1048576"])
def test_the_upload_limit_is_the_ingress_body_size(tmp_path, size):
    ingress = _synth(tmp_path, _props(max_upload_size=size)).values["ingress"]
    assert ingress["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == size


def test_tls_serves_the_key_vault_certificate(with_tls):
    ingress = with_tls.values["ingress"]
    assert ingress["annotations"] == {"kubernetes.azure.com/tls-cert-keyvault-uri": CERT_URI,
                                      "nginx.ingress.kubernetes.io/proxy-body-size": "2g"}
    assert ingress["tls"] == [{"hosts": ["packages.example.com"], "secretName": "keyvault-rstudio-pm"}]


# --- schemas ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["PersistentVolume", "SecretProviderClass"])
def test_extra_objects_are_valid_kubernetes_objects(default, kind):
    assert schema_errors(without_tokens(default.extra(kind))) == []


def test_pod_fragments_are_valid_pod_spec_parts(default):
    assert schema_errors(pod_from_values(default.values)) == []
    bad = pod_from_values(default.values)
    bad["spec"]["topologySpreadConstraints"][0]["matchLabelKey"] = ["pod-template-hash"]
    assert schema_errors(bad)  # the strict schema knows matchLabelKeys, and only that spelling


def test_the_schema_checks_catch_mistakes(default):
    pv = without_tokens(default.extra("PersistentVolume"))
    pv["spec"]["persistentVolumeReclaimPolicy"] = 1
    pv["spec"]["csi"]["volumeAtributes"] = {}
    assert schema_errors(pv)
    spc = without_tokens(default.extra("SecretProviderClass"))
    spc["spec"]["secretObjects"][0]["data"][0].pop("key")
    spc["spec"]["parameter"] = {}
    assert len(schema_errors(spc)) == 2


# --- naming ----------------------------------------------------------------------------------

def test_a_release_name_without_the_chart_name_prefixes_every_object(tmp_path):
    assert chart_fullname("ppm") == "ppm-rstudio-pm" and chart_fullname("rstudio-pm") == "rstudio-pm"
    v = _synth(tmp_path, _props(release_name="ppm", namespace="team-a")).values
    assert v["sharedStorage"]["name"] == "ppm-rstudio-pm-shared-storage"
    assert v["sharedStorage"]["volumeName"] == "team-a-ppm-rstudio-pm-shared-storage"
    assert v["license"]["file"]["secret"] == "ppm-rstudio-pm-kv-license"


# --- validation ------------------------------------------------------------------------------

def test_every_invalid_prop_is_reported_at_once():
    props = _props(
        chart_version="latest", hostname="Packages", namespace="Team_A", replicas=3, min_available=3,
        tls_certificate_uri="https://example.com/cert", timeout_seconds=30,
        postgres=PostgresTargetRef(fqdn="h", login="admin;x", metadata_database="db#1", usage_database="u"),
        max_open_connections=0,
        share=NfsShareRef(resource_group_name="rg", storage_account_name="st", share_name="s", quota_gib=0),
        resources=PodResources(cpu_request="8", cpu_limit="6", memory_request="lots"),
        rbac_propagation_seconds=-1, secret_version="v 2",
    )
    with pytest.raises(PropsError) as err:
        PackageManagerRelease(TerraformStack(App(context=app_context()), "s"), "ppm", props)
    fields = [p.split(":", 1)[0] for p in err.value.problems]
    assert fields == [
        "chart_version", "hostname", "namespace", "min_available", "timeout_seconds", "tls_certificate_uri",
        "max_open_connections", "postgres.login", "postgres.metadata_database", "share.quota_gib",
        "rbac_propagation_seconds", "secret_version", "resources.cpu_request", "resources.memory_request",
    ]
    assert "a budget of every replica blocks node drains" in str(err.value)
    assert "unquoted" in str(err.value)
    assert "at least 100 (the smallest premium share; the claim requests 100Gi)" in str(err.value)


def test_every_invalid_new_prop_is_reported_at_once():
    props = _props(max_upload_size="2GB", unhealthy_pod_eviction_policy="Always", pre_stop_sleep_seconds=-1,
                   termination_grace_period_seconds=20, postgres_cidr="10.40.8.0/33")
    with pytest.raises(PropsError) as err:
        validate(props)
    fields = [p.split(":", 1)[0] for p in err.value.problems]
    assert fields == ["unhealthy_pod_eviction_policy", "pre_stop_sleep_seconds", "termination_grace_period_seconds",
                      "max_upload_size", "private_endpoints_cidr", "postgres_cidr"]
    assert "an NGINX size: a number with an optional k, m or g suffix" in str(err.value)
    assert "postgres_cidr and private_endpoints_cidr together" in str(err.value)


def test_tokens_are_not_judged():
    props = _props(postgres=PostgresTargetRef(fqdn="${TfToken[TOKEN.1]}", login="${TfToken[TOKEN.2]}",
                                              metadata_database="${TfToken[TOKEN.3]}", usage_database="u"))
    validate(props)  # no PropsError


# --- helm provider ---------------------------------------------------------------------------

def test_helm_provider_uses_kubelogin_and_the_cluster_data_source(default):
    (provider,) = default.doc["provider"]["helm"]
    k8s = provider["kubernetes"]
    (name, data) = next(iter(default.doc["data"]["azurerm_kubernetes_cluster"].items()))
    assert (data["name"], data["resource_group_name"]) == ("aks-t", "rg-cluster")
    assert k8s["host"] == f"${{data.azurerm_kubernetes_cluster.{name}.kube_config[0].host}}"
    assert k8s["cluster_ca_certificate"] == (
        f"${{base64decode(data.azurerm_kubernetes_cluster.{name}.kube_config[0].cluster_ca_certificate)}}")
    assert k8s["exec"] == {"api_version": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
                           "args": ["get-token", "--login", "azurecli", "--server-id", AKS_ENTRA_SERVER_APP_ID]}
    assert AKS_ENTRA_SERVER_APP_ID == "6dae42f8-4368-4678-94ff-3960e28e3630"
    assert not {"config_path", "token", "client_key", "client_certificate", "password"} & set(k8s)


def test_helm_provider_workload_identity_mode(tmp_path):
    (provider,) = _synth(tmp_path, login_mode="workloadidentity").doc["provider"]["helm"]
    assert provider["kubernetes"]["exec"]["args"][:3] == ["get-token", "--login", "workloadidentity"]


def test_helm_provider_refuses_an_unknown_login_mode():
    with pytest.raises(PropsError, match="login_mode: got 'devicecode'"):
        AksHelmProvider(TerraformStack(App(context=app_context()), "s"), "helm", AksHelmProviderProps(
            cluster=AksClusterRef(name="a", resource_group_name="b"), login_mode="devicecode"))
