"""The `app` stack as synthesized from both shipped configs (session fixtures, one synth each).

Cross-stack values appear in the release as ``${data.terraform_remote_state...}``
interpolations; :func:`origin` follows each one to the data or cluster stack output it
reads and returns that output's expression, so the tests check *what* is wired, not
only that something is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from constructs_lib.azurerm_versions import federated_credential_identity
from config import load_config
from config.loader import ConfigError
from tests.conftest import CONFIGS, run_main
from tests.helm_values import chart_values, pod_from_values, schema_errors, unknown_key_paths, without_tokens

_REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-(\w+)\.outputs\.([^}]+)\}")


def origin(synth, expression: str) -> str:
    """The origin-stack output expression behind one remote-state interpolation."""
    m = _REMOTE.fullmatch(expression)
    assert m, f"not a single cross-stack reference: {expression}"
    stack, output = m.groups()
    return synth.stacks[stack]["output"][output]["value"]


def origins(synth, text: str) -> list[str]:
    return [synth.stacks[s]["output"][o]["value"] for s, o in _REMOTE.findall(text)]


@pytest.fixture
def cfg(any_synth):
    return load_config(CONFIGS[any_synth.name])


@pytest.fixture
def release(any_synth) -> dict[str, Any]:
    return any_synth.one("app", "helm_release")


@pytest.fixture
def values(release) -> dict[str, Any]:
    (document,) = release["values"]
    return yaml.safe_load(document)


def _is_hook(obj) -> bool:
    return "helm.sh/hook" in obj["metadata"].get("annotations", {})


def _extra(values, kind):
    """The chart-lifetime object of ``kind`` (not one of the bootstrap hook's)."""
    (found,) = [o for o in values["extraObjects"] if o["kind"] == kind and not _is_hook(o)]
    return found


def _hook(values, kind):
    """The bootstrap hook's object of ``kind``."""
    (found,) = [o for o in values["extraObjects"] if o["kind"] == kind and _is_hook(o)]
    return found


def _synced(spc) -> dict[str, dict[str, str]]:
    return {s["secretName"]: {d["key"]: d["objectName"] for d in s["data"]} for s in spc["spec"].get("secretObjects", [])}


def _vault_objects(spc) -> list[str]:
    return [yaml.safe_load(o)["objectName"] for o in yaml.safe_load(spc["spec"]["parameters"]["objects"])["array"]]


def _secret_resource(any_synth, expression: str) -> dict[str, Any]:
    """The data stack's azurerm_key_vault_secret behind a cross-stack ``...name`` reference."""
    name_expr = origin(any_synth, expression)
    m = re.fullmatch(r"\$\{azurerm_key_vault_secret\.([\w-]+)\.name\}", name_expr)
    assert m, name_expr
    return any_synth.resources("data", "azurerm_key_vault_secret")[m.group(1)]


# --- release -----------------------------------------------------------------------------------

def test_release_is_the_pinned_official_chart_in_its_namespace(release, cfg):
    assert (release["chart"], release["repository"]) == ("rstudio-pm", "https://helm.rstudio.com")
    assert release["version"] == cfg.app.chart_version == "0.20.4"
    assert release["namespace"] == cfg.app.namespace and release["create_namespace"] is True
    assert release["atomic"] is True and release["wait"] is True and release["cleanup_on_fail"] is True
    assert release["timeout"] >= 600


def test_nothing_goes_through_set(release):
    assert not {"set", "set_sensitive", "set_wo", "set_list"} & set(release)


def test_every_key_path_exists_in_the_chart(values):
    assert list(unknown_key_paths(values, chart_values())) == []


# --- high availability -------------------------------------------------------------------------

def test_replicas_spread_and_disruption_budget(values, cfg):
    assert values["replicas"] == cfg.app.replicas
    spread = {c["topologyKey"]: c for c in values["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}  # spread_across_zones default
    for constraint in spread.values():
        assert constraint["maxSkew"] == 1
        assert constraint["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "rstudio-pm"}}
        # [K8S] topology-spread-constraints: old and new ReplicaSets counted apart in rollouts.
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"  # one pod per node
    # Soft zones: minAvailable 2 plus surge pods under a hard zone rule can deadlock drains.
    assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "ScheduleAnyway"
    if cfg.app.replicas == 3:
        # An unready pod may always be evicted: it cannot block node drains and AKS upgrades.
        assert values["podDisruptionBudget"] == {"minAvailable": 2, "unhealthyPodEvictionPolicy": "AlwaysAllow"}
        assert "strategy" not in values  # the chart's surge rollout: maxSurge 100%, maxUnavailable 0
    else:  # small: one replica, no budget that would block node drains, no surge pod to fit
        assert cfg.app.replicas == 1 and "podDisruptionBudget" not in values
        assert values["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def test_resources_from_config_and_probes_on(values, cfg):
    r = cfg.app.resources
    assert values["resources"]["requests"] == {"enabled": True, "cpu": r.cpu_request, "memory": r.memory_request,
                                                     "ephemeralStorage": "2Gi"}
    assert values["resources"]["limits"] == {"enabled": True, "cpu": r.cpu_limit, "memory": r.memory_limit,
                                             "ephemeralStorage": "20Gi"}
    assert values["livenessProbe"]["enabled"] is True and values["startupProbe"]["enabled"] is True


def test_pods_fit_the_worker_nodes_during_an_upgrade(any_synth, values):
    # Read from the synthesized stacks, not the config: the node pool the cluster stack creates,
    # and the replicas, strategy and requests the release gives the chart.
    from config import azure_rules as az
    from config.rules import _cpu_cores, _memory_gib

    pool = any_synth.one("cluster", "azurerm_kubernetes_cluster")["default_node_pool"]
    vcpus, gib = az.VM_SIZES[pool["vm_size"]]
    replicas, nodes = values["replicas"], pool["node_count"]
    rolling = values.get("strategy", {}).get("rollingUpdate", {"maxSurge": "100%"})  # [CH] chart default
    surge = replicas if rolling["maxSurge"] == "100%" else rolling["maxSurge"]
    per_node = -(-replicas // nodes) + -(-surge // nodes)
    requests = values["resources"]["requests"]
    free_cpu = vcpus - az.aks_kube_reserved_cpu_millicores(vcpus) / 1000 - az.AKS_ADDON_ALLOWANCE_CPU
    free_gib = gib - az.aks_reserved_memory_gib(gib, pool["max_pods"], pool.get("orchestrator_version")) - az.AKS_ADDON_ALLOWANCE_GIB
    assert per_node * _cpu_cores(requests["cpu"]) <= free_cpu, (per_node, requests, free_cpu)
    assert per_node * _memory_gib(requests["memory"]) <= free_gib, (per_node, requests, free_gib)
    # Memory limits too: a surge must not let the pods promise the node more memory than it has.
    limits = values["resources"]["limits"]
    assert per_node * _memory_gib(limits["memory"]) <= free_gib, (per_node, limits, free_gib)


def test_pods_stop_gracefully_behind_the_ingress(values):
    pod = values["pod"]
    # The endpoint leaves the Service and the NGINX before the process gets SIGTERM: no 502s.
    assert pod["lifecycle"] == {"preStop": {"sleep": {"seconds": 10}}}
    assert pod["terminationGracePeriodSeconds"] >= 10 + 30


def test_sandboxing_follows_the_config(values, cfg):
    assert values["enableSandboxing"] is cfg.app.sandboxing is True  # both shipped configs: the chart default


# --- database ----------------------------------------------------------------------------------

def test_postgres_urls_point_at_the_data_stack_server_and_databases(any_synth, values, cfg):
    c = values["config"]
    assert c["Database"] == {"Provider": "postgres"}
    assert c["HTTP"] == {"Listen": ":4242"} and c["Metrics"] == {"Enabled": True}
    assert c["PostgresPool"] == {"MaxOpenConnections": cfg.postgres.max_open_connections}
    url = re.compile(r"postgres://([a-z_][a-z0-9_]*)@(\$\{[^}]+\}):5432/(\$\{[^}]+\})\?sslmode=require")
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    for key, database in (("URL", cfg.postgres.metadata_database), ("UsageDataURL", cfg.postgres.usage_database)):
        m = url.fullmatch(c["Postgres"][key])
        assert m, c["Postgres"][key]
        login = m.group(1)
        fqdn, db = (origin(any_synth, g) for g in m.groups()[1:])
        # Package Manager's own login, never the server's administrator.
        assert login == cfg.postgres.app_login != server["administrator_login"]
        assert re.fullmatch(r"\$\{azurerm_postgresql_flexible_server\.[\w-]+\.fqdn\}", fqdn)
        assert re.fullmatch(r"\$\{azurerm_postgresql_flexible_server_database\.[\w-]+\.name\}", db)
        resource = db[2:-1].split(".")[1]
        assert any_synth.resources("data", "azurerm_postgresql_flexible_server_database")[resource]["name"] == database


def test_passwords_come_from_the_key_vault_secret_of_the_data_stack(any_synth, values):
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in values["pod"]["env"]}
    assert set(env) == {"PACKAGEMANAGER_POSTGRES_PASSWORD", "PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD",
                        "PACKAGEMANAGER_ENCRYPTION_KEY"}
    spc = _extra(values, "SecretProviderClass")
    synced = _synced(spc)
    names = {var: _secret_resource(any_synth, synced[ref["name"]][ref["key"]])["name"] for var, ref in env.items()}
    assert names == {"PACKAGEMANAGER_POSTGRES_PASSWORD": "postgres-app-password",
                     "PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD": "postgres-app-password",
                     "PACKAGEMANAGER_ENCRYPTION_KEY": "ppm-encryption-key"}
    (volume,) = values["pod"]["volumes"]
    assert volume["csi"]["volumeAttributes"]["secretProviderClass"] == spc["metadata"]["name"]


def _identity_key(any_synth, expression: str, attribute: str) -> str:
    m = re.fullmatch(rf"\$\{{azurerm_user_assigned_identity\.([\w-]+)\.{attribute}\}}", expression)
    assert m, expression
    return m.group(1)


#: The argument that names a federated credential's identity on the azurerm in use (parent_id on 4.x,
#: user_assigned_identity_id on 5.x: constructs_lib.azurerm_versions).
IDENTITY_ARG = next(iter(federated_credential_identity("id", "rg")))


def _federation(any_synth, identity_key: str) -> dict[str, Any]:
    (fed,) = [f for f in any_synth.resources("app", "azurerm_federated_identity_credential").values()
              if f[IDENTITY_ARG] == f"${{azurerm_user_assigned_identity.{identity_key}.id}}"]
    return fed


@pytest.mark.parametrize("hook", [False, True], ids=["pods", "bootstrap-job"])
def test_secret_provider_classes_read_the_data_vault_by_workload_identity(any_synth, values, cfg, hook):
    spc = (_hook if hook else _extra)(values, "SecretProviderClass")
    assert spc["metadata"]["namespace"] == cfg.app.namespace
    params = spc["spec"]["parameters"]
    assert re.fullmatch(r"\$\{azurerm_key_vault\.[\w-]+\.name\}", origin(any_synth, params["keyvaultName"]))
    # [CSI-KV] workload-identity-mode: clientID and tenantID; no node-wide (VM) identity.
    assert re.fullmatch(r"\$\{azurerm_key_vault\.[\w-]+\.tenant_id\}", origin(any_synth, params["tenantID"]))
    assert not {"tenantId", "useVMManagedIdentity", "userAssignedIdentityID"} & set(params)
    assert params["usePodIdentity"] == "false"
    identity = _identity_key(any_synth, params["clientID"], "client_id")
    # The identity is federated to the service account of the pods that mount the class.
    service_account = (_hook(values, "Job")["spec"]["template"]["spec"]["serviceAccountName"] if hook
                       else values["serviceAccount"]["name"])
    fed = _federation(any_synth, identity)
    assert fed["subject"] == f"system:serviceaccount:{cfg.app.namespace}:{service_account}"


def test_federated_credentials_trust_the_cluster_issuer_for_the_release_service_accounts(any_synth, values, cfg):
    feds = any_synth.resources("app", "azurerm_federated_identity_credential")
    assert len(feds) == 2
    subjects = sorted(f["subject"] for f in feds.values())
    assert subjects == [f"system:serviceaccount:{cfg.app.namespace}:rstudio-pm",
                        f"system:serviceaccount:{cfg.app.namespace}:rstudio-pm-db-bootstrap"]
    for fed in feds.values():
        assert fed["audience"] == ["api://AzureADTokenExchange"]
        assert re.fullmatch(r"\$\{azurerm_kubernetes_cluster\.[\w-]+\.oidc_issuer_url\}", origin(any_synth, fed["issuer"]))
    # The chart's service account names the pods' identity; the pods opt into the webhook.
    sa = values["serviceAccount"]
    assert sa["create"] is True and sa["name"] == "rstudio-pm"
    client_id = sa["annotations"]["azure.workload.identity/client-id"]
    assert _federation(any_synth, _identity_key(any_synth, client_id, "client_id"))["subject"].endswith(":rstudio-pm")
    assert values["pod"]["labels"] == {"azure.workload.identity/use": "true"}


def test_license_is_the_configured_key_vault_secret(values, cfg):
    spc = _extra(values, "SecretProviderClass")
    synced = _synced(spc)
    license_file = values["license"]["file"]
    assert synced[license_file["secret"]] == {license_file["secretKey"]: cfg.app.license_secret_name}


_SECRET_SCOPE = re.compile(r"(\$\{[^}]+\})/secrets/(\$\{[^}]+\}|[A-Za-z0-9-]+)")


def _grants(any_synth) -> dict[str, set[str]]:
    """Secret names each identity (by its federated service account) may read, from the role assignments."""
    feds = {f[IDENTITY_ARG]: f["subject"].rsplit(":", 1)[1]
            for f in any_synth.resources("app", "azurerm_federated_identity_credential").values()}
    grants: dict[str, set[str]] = {}
    for key, role in any_synth.resources("app", "azurerm_role_assignment").items():
        if key.startswith("app-routing-"):  # the TLS certificate's reader (test_tls_certificate_...)
            continue
        assert role["role_definition_name"] == "Key Vault Secrets User"
        m = _SECRET_SCOPE.fullmatch(role["scope"])
        assert m, f"not a single secret's scope: {role['scope']}"
        assert re.fullmatch(r"\$\{azurerm_key_vault\.[\w-]+\.id\}", origin(any_synth, m.group(1)))
        # The data stack's secrets by reference; the license (put there by an operator) by its configured name.
        secret = _secret_resource(any_synth, m.group(2))["name"] if m.group(2).startswith("${") else m.group(2)
        identity = _identity_key(any_synth, role["principal_id"], "principal_id")
        grants.setdefault(feds[f"${{azurerm_user_assigned_identity.{identity}.id}}"], set()).add(secret)
    return grants


def test_each_identity_reads_exactly_its_secrets(any_synth, release, cfg):
    # Secret-scope assignments ([MS] key-vault/general/rbac-guide), never the vault; none for the
    # add-on's node-wide identity; the pods' identity never on the administrator password.
    assert _grants(any_synth) == {
        "rstudio-pm": {"postgres-app-password", cfg.app.license_secret_name, "ppm-encryption-key"},
        "rstudio-pm-db-bootstrap": {"postgres-admin-password", "postgres-app-password"},
    }
    assert "key_vault_secrets_provider" not in json.dumps(any_synth.resources("app", "azurerm_role_assignment"))
    # Helm runs only after a wait that starts when the grants exist (and restarts if one is replaced).
    (sleep_key, sleep), = any_synth.resources("app", "time_sleep").items()
    assert release["depends_on"] == [f"time_sleep.{sleep_key}"]
    grant_ids = {f"${{azurerm_role_assignment.{k}.id}}" for k in any_synth.resources("app", "azurerm_role_assignment")
                 if not k.startswith("app-routing-")}
    assert {v for k, v in sleep["triggers"].items() if k.startswith("key_vault_access")} == grant_ids
    assert int(sleep["create_duration"].rstrip("s")) >= 180
    assert "time" in any_synth.stacks["app"]["terraform"]["required_providers"]


def test_a_password_rotation_rolls_the_pods(values, cfg, any_synth):
    # The password reaches the pods as env vars, which a running container never re-reads: the
    # password version is a pod annotation (a new one is a rollout) and re-runs the wait, so the
    # CSI driver's 2-minute rotation has synced the new password before the new pods start.
    version = str(cfg.postgres.app_password_version)
    assert values["pod"]["annotations"] == {"ppm-aks-cdktf/secret-version": version}
    (sleep,) = any_synth.resources("app", "time_sleep").values()
    assert sleep["triggers"]["secret_version"] == version


# --- the database login bootstrap --------------------------------------------------------------

def test_the_bootstrap_job_is_a_helm_hook_that_mounts_the_admin_secret(any_synth, values, cfg):
    job = _hook(values, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    # Its ServiceAccount and SecretProviderClass are hooks too, created before it (lower weight).
    for kind in ("ServiceAccount", "SecretProviderClass"):
        other = _hook(values, kind)["metadata"]["annotations"]
        assert other["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(other["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])
    pod = job["spec"]["template"]["spec"]
    assert job["metadata"]["namespace"] == cfg.app.namespace
    assert pod["serviceAccountName"] == _hook(values, "ServiceAccount")["metadata"]["name"] == "rstudio-pm-db-bootstrap"
    (volume,) = pod["volumes"]
    spc = _hook(values, "SecretProviderClass")
    assert volume["csi"]["volumeAttributes"]["secretProviderClass"] == spc["metadata"]["name"]
    read = {_secret_resource(any_synth, o)["name"] for o in _vault_objects(spc)}
    assert read == {"postgres-admin-password", "postgres-app-password"}
    assert "secretObjects" not in spc["spec"], "the admin password never becomes a Kubernetes Secret"
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    server = any_synth.one("data", "azurerm_postgresql_flexible_server")
    assert re.fullmatch(r"\$\{azurerm_postgresql_flexible_server\.[\w-]+\.administrator_login\}",
                        origin(any_synth, env["PGUSER"]))
    assert env["PGSSLMODE"] == "require" and env["APP_LOGIN"] == cfg.postgres.app_login != server["administrator_login"]


def test_nothing_the_package_manager_pods_mount_references_the_admin_password(any_synth, values):
    admin = any_synth.resources("data", "azurerm_key_vault_secret")
    (admin_key,) = [k for k, s in admin.items() if s["name"] == "postgres-admin-password"]
    mounted = {v["csi"]["volumeAttributes"]["secretProviderClass"] for v in values["pod"]["volumes"] if "csi" in v}
    spcs = [o for o in values["extraObjects"] if o["kind"] == "SecretProviderClass" and o["metadata"]["name"] in mounted]
    assert spcs
    pods_side = json.dumps([values["pod"], values["license"], values["config"], spcs])
    assert all(origin(any_synth, ref) != f"${{azurerm_key_vault_secret.{admin_key}.name}}"
               for ref in re.findall(r"\$\{data\.terraform_remote_state[^}]+\}", pods_side))
    # ... while the bootstrap Job's class does reference it.
    hook_side = json.dumps(_hook(values, "SecretProviderClass"))
    assert any(origin(any_synth, ref) == f"${{azurerm_key_vault_secret.{admin_key}.name}}"
               for ref in re.findall(r"\$\{data\.terraform_remote_state[^}]+\}", hook_side))


@pytest.mark.parametrize("kind", ["Job", "ServiceAccount", "SecretProviderClass"])
def test_bootstrap_objects_pass_their_schemas(values, kind):
    assert schema_errors(without_tokens(_hook(values, kind))) == []


# --- storage -----------------------------------------------------------------------------------

def test_nfs_volume_is_the_data_stack_share_with_posit_mount_options(any_synth, values, cfg):
    pv = _extra(values, "PersistentVolume")
    spec = pv["spec"]
    attrs = spec["csi"]["volumeAttributes"]
    assert spec["csi"]["driver"] == "file.csi.azure.com" and attrs["protocol"] == "nfs"
    assert re.fullmatch(r"\$\{azurerm_storage_account\.[\w-]+\.name\}", origin(any_synth, attrs["storageAccount"]))
    assert re.fullmatch(r"\$\{azurerm_storage_account\.[\w-]+\.resource_group_name\}",
                        origin(any_synth, attrs["resourceGroup"]))
    assert re.fullmatch(r"\$\{azurerm_storage_share\.[\w-]+\.name\}", origin(any_synth, attrs["shareName"]))
    assert spec["persistentVolumeReclaimPolicy"] == "Retain"
    assert spec["mountOptions"] == ["nconnect=4", "noresvport", "actimeo=30", "lookupcache=pos"]
    assert spec["capacity"] == {"storage": f"{cfg.files.quota_gib}Gi"}
    share = any_synth.one("data", "azurerm_storage_share")
    assert share["quota"] == cfg.files.quota_gib


def test_shared_storage_claim_binds_only_to_the_nfs_volume(values, cfg):
    pv = _extra(values, "PersistentVolume")
    s = values["sharedStorage"]
    assert s["create"] is True and s["mount"] is True and s["accessModes"] == ["ReadWriteMany"]
    assert s["storageClassName"] == pv["spec"]["storageClassName"] != ""
    assert s["volumeName"] == pv["metadata"]["name"]
    assert pv["spec"]["claimRef"] == {"namespace": cfg.app.namespace, "name": s["name"]}
    # Kept like the chart's claim when Helm uninstalls (or rolls back a failed first install).
    assert pv["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    # Fixed at the smallest premium share: a bound static claim cannot be resized, so a request
    # that followed files.quota_gib would fail the Helm upgrade after every quota increase.
    assert s["requests"]["storage"] == "100Gi"
    assert pv["spec"]["capacity"]["storage"] == f"{cfg.files.quota_gib}Gi"
    assert cfg.files.quota_gib >= 100
    assert values["config"]["Server"]["DataDir"] == s["path"]


@pytest.mark.parametrize("kind", ["PersistentVolume", "SecretProviderClass", "NetworkPolicy"])
def test_extra_objects_pass_their_schemas(values, kind):
    assert schema_errors(without_tokens(_extra(values, kind))) == []


def test_pod_fragments_pass_the_pod_schema(values):
    assert schema_errors(without_tokens(pod_from_values(values))) == []


# --- ingress -----------------------------------------------------------------------------------

def test_ingress_is_the_app_routing_class_for_the_configured_host(values, cfg):
    ingress = values["ingress"]
    assert ingress["enabled"] is True
    assert ingress["ingressClassName"] == "webapprouting.kubernetes.azure.com"
    assert [h["host"] for h in ingress["hosts"]] == [cfg.app.hostname]
    # The upload limit from the config (both shipped configs: the 2g default; NGINX's own is 1m).
    assert ingress["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == cfg.app.max_upload_size
    assert cfg.app.max_upload_size == "2g"


def test_tls_is_on_in_the_reference_with_the_data_vaults_certificate(any_synth, values, cfg):
    """Reference: HTTPS with app.tls.certificate_name from the data stack's vault, read by the app-routing
    add-on's identity on that certificate only; small: plain HTTP by explicit choice."""
    ingress = values["ingress"]
    if not cfg.app.tls.enabled:
        assert "tls" not in ingress and "kubernetes.azure.com/tls-cert-keyvault-uri" not in ingress["annotations"]
        assert not [k for k in any_synth.resources("app", "azurerm_role_assignment") if k.startswith("app-routing-")]
        return
    assert ingress["tls"] == [{"hosts": [cfg.app.hostname], "secretName": "keyvault-rstudio-pm"}]
    uri = ingress["annotations"]["kubernetes.azure.com/tls-cert-keyvault-uri"]
    vault_uri, name = uri.split("}certificates/")
    assert name == cfg.app.tls.certificate_name
    assert origin(any_synth, vault_uri + "}").endswith(".vault_uri}")
    grants = {k: g for k, g in any_synth.resources("app", "azurerm_role_assignment").items() if k.startswith("app-routing-")}
    # The certificate's backing secret only: the add-on reads the certificate as a secret.
    assert {g["role_definition_name"]: g["scope"].rsplit("/", 2)[1:] for g in grants.values()} == {
        "Key Vault Secrets User": ["secrets", name]}
    for grant in grants.values():
        assert origin(any_synth, grant["principal_id"]).endswith(".web_app_routing[0].web_app_routing_identity[0].object_id}")


# --- network policy ----------------------------------------------------------------------------

def test_the_network_policy_fences_the_pods_to_the_configured_subnets(values, cfg):
    np = _extra(values, "NetworkPolicy")
    assert np["metadata"]["namespace"] == cfg.app.namespace
    (ingress,) = np["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 4242}]
    assert [peer["namespaceSelector"] for peer in ingress["from"]] == [
        {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}]
    by_cidr = {rule["to"][0]["ipBlock"]["cidr"]: sorted(p["port"] for p in rule["ports"])
               for rule in np["spec"]["egress"] if "ipBlock" in rule["to"][0]}
    assert by_cidr == {cfg.network.postgres_subnet: [5432], cfg.network.private_endpoints_subnet: [443, 2049],
                       "0.0.0.0/0": [443]}


# --- helm provider -----------------------------------------------------------------------------

def test_helm_provider_reaches_the_cluster_stack_cluster_with_kubelogin(any_synth, cfg):
    (provider,) = any_synth.stacks["app"]["provider"]["helm"]
    k8s = provider["kubernetes"]
    (name, cluster) = next(iter(any_synth.data_sources("app", "azurerm_kubernetes_cluster").items()))
    assert re.fullmatch(r"\$\{azurerm_kubernetes_cluster\.[\w-]+\.name\}", origin(any_synth, cluster["name"]))
    assert re.fullmatch(r"\$\{azurerm_resource_group\.[\w-]+\.name\}",
                        origin(any_synth, cluster["resource_group_name"]))
    assert k8s["host"] == f"${{data.azurerm_kubernetes_cluster.{name}.kube_config[0].host}}"
    assert k8s["exec"]["command"] == "kubelogin"
    assert k8s["exec"]["args"] == ["get-token", "--login", cfg.app.kubelogin_mode,
                                   "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]
    assert set(k8s) == {"host", "cluster_ca_certificate", "exec"}


# --- no secrets --------------------------------------------------------------------------------

_SECRET_EXPRESSION = re.compile(r"random_password|\.result\b|administrator_password|\.value\b|kube_admin_config"
                                r"|kube_config_raw|client_key|client_certificate|primary_access_key|connection_string")


def test_no_secret_reaches_the_app_stack(any_synth):
    app = any_synth.stacks["app"]
    text = json.dumps(app)
    assert not _SECRET_EXPRESSION.search(text)
    for rtype in ("random_password", "azurerm_key_vault_secret"):
        assert rtype not in app.get("resource", {}) and rtype not in app.get("data", {})
    # Everything read from the other stacks is a name, id, FQDN or client id - never a secret.
    read = origins(any_synth, text)
    assert read, "the app stack reads the data and cluster stacks"
    for expression in read:
        assert not _SECRET_EXPRESSION.search(expression), expression
    assert "sensitive" not in json.dumps(app.get("output", {}))


# --- config rules of the app section ----------------------------------------------------------

def _with_app(tmp_path, **tls) -> str:
    raw = yaml.safe_load(CONFIGS["reference"].read_text())
    raw["app"]["tls"] = tls
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.parametrize("tls, message", [
    ({"enabled": False, "key_vault_certificate_uri": "https://kv-certs.vault.azure.net/certificates/packages"},
     "app.tls.enabled"),
    ({"enabled": True, "certificate_name": "a b"}, "app.tls.certificate_name"),
    ({"enabled": True, "key_vault_certificate_uri": "https://example.com/packages"}, "app.tls.key_vault_certificate_uri"),
    ({"secret_name": "ppm-tls"}, "app.tls.secret_name"),
])
def test_tls_config_mistakes_are_refused(tmp_path, tls, message):
    with pytest.raises(ConfigError) as err:
        load_config(_with_app(tmp_path, **tls))
    assert message in str(err.value)


@pytest.mark.parametrize("login, message", [
    ("ppmadmin", "postgres.app_login: got 'ppmadmin'; a login other than postgres.admin_login (ppmadmin)"),
    ("azure_pg_admin", "postgres.app_login: got 'azure_pg_admin'; a name other than"),
    ("pg_ppm", "postgres.app_login: got 'pg_ppm'"),
])
def test_a_bad_app_login_exits_2_before_anything_is_written(tmp_path, login, message):
    raw = yaml.safe_load(CONFIGS["reference"].read_text())
    raw["postgres"]["app_login"] = login
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = run_main({"PPM_CONFIG": str(path), "CDKTF_OUTDIR": str(tmp_path / "out")})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_tls_with_a_certificate_is_accepted(tmp_path):
    cfg = load_config(_with_app(tmp_path, enabled=True,
                                key_vault_certificate_uri="https://kv-certs.vault.azure.net/certificates/packages"))
    assert cfg.app.tls.enabled
