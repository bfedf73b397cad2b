"""The chart values of a :class:`constructs_lib.package_manager.PackageManagerRelease`: a pure
function from its props (no cdktf, no synth), so values can be tested and diffed on their own.

The values wire the ``rstudio-pm`` chart to:

- PostgreSQL: ``Postgres.URL`` / ``Postgres.UsageDataURL`` without password; both
  passwords come from a Kubernetes Secret that the Secrets Store CSI driver syncs from
  Key Vault (a SecretProviderClass in ``extraObjects``, mounted by the pod).
- The license file: a Key Vault secret synced the same way, given to ``license.file.secret``.
- Shared storage: a static Azure Files NFS PersistentVolume in ``extraObjects`` and a
  ReadWriteMany claim that can bind to nothing else. The PV's capacity is the share quota
  (mutable on a PV); the claim requests a fixed 100Gi, because a bound *static* claim cannot
  be resized ([K8S] persistent-volumes "Expanding Persistent Volumes Claims": only volumes of
  a StorageClass with allowVolumeExpansion), so a request that followed the quota would make
  every quota increase a failed Helm upgrade.
- The application-routing ingress (NGINX add-on), optionally with a Key Vault certificate.

Rollouts: the pods' topology spread counts old and new ReplicaSets apart
(``matchLabelKeys: [pod-template-hash]``); a single replica is replaced in place (no surge
pod to fit); ``secret_version`` is a pod annotation, so a database password rotation rolls the
pods (they read the password from env vars, which a running container never re-reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import yaml

from constructs_lib.facts import APP_ROUTING_INGRESS_CLASS
from constructs_lib.package_manager.manifests import (
    SECRETS_STORE_CSI_DRIVER,
    azure_files_nfs_persistent_volume,
    key_vault_secret_provider_class,
    package_manager_network_policy,
)
from constructs_lib.package_manager.bootstrap import (
    WORKLOAD_IDENTITY_CLIENT_ID,
    WORKLOAD_IDENTITY_USE,
    bootstrap_objects,
    service_account_names,
)
from constructs_lib.package_manager.props import CHART, CLAIM_REQUEST_GIB, PackageManagerReleaseProps
from constructs_lib.refs import PostgresTargetRef
from constructs_lib.validation import is_token

#: [MS] aks/app-routing-dns-ssl: annotation naming the Key Vault certificate the add-on serves;
#: the add-on syncs it into the Secret ``keyvault-<ingress name>``, which ``tls`` must name.
APP_ROUTING_TLS_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri"
#: [CH] Package Manager reads these for the two database connections' passwords.
POSTGRES_PASSWORD_ENV = "PACKAGEMANAGER_POSTGRES_PASSWORD"
POSTGRES_USAGE_PASSWORD_ENV = "PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD"
#: Where the chart mounts shared storage, and Package Manager's data directory on it ([CH] HA).
DATA_DIR = "/var/lib/rstudio-pm"
SECRETS_MOUNT_PATH = "/mnt/secrets-store"
#: [CH] the chart's default key of the license file inside ``license.file.secret``.
LICENSE_KEY = "license.lic"
POSTGRES_PASSWORD_KEY = "password"
#: [PPM] admin guide appendix/encryption: the key (``rspm encrypt generate``'s output) as an env var.
ENCRYPTION_KEY_ENV = "PACKAGEMANAGER_ENCRYPTION_KEY"
ENCRYPTION_KEY_KEY = "rstudio-pm.key"
#: Pod annotation carrying ``secret_version``: changing it changes the pod template (rollout).
SECRET_VERSION_ANNOTATION = "ppm-aks-cdktf/secret-version"
#: [K8S] topology-spread-constraints: the label Deployments put on each ReplicaSet's pods.
POD_TEMPLATE_HASH = "pod-template-hash"
#: [MS] aks/app-routing-nginx-configuration "Custom max body size" (ingress-nginx annotation;
#: NGINX's client_max_body_size, 1m by default).
PROXY_BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
#: [CH] the container port (config HTTP.Listen) the ingress reaches; the metrics port is 2112.
APP_PORT = 4242


def chart_fullname(release_name: str, chart: str = CHART) -> str:
    """The chart's ``rstudio-pm.fullname`` helper: the release name if it contains the chart name."""
    name = release_name if chart in release_name else f"{release_name}-{chart}"
    return name[:63].rstrip("-")


@dataclass(frozen=True)
class ReleaseNames:
    """Names of the Kubernetes objects a release owns (from the chart's fullname)."""

    fullname: str
    claim: str
    persistent_volume: str
    secret_provider_class: str
    postgres_secret: str
    encryption_key_secret: str
    service_account: str
    bootstrap_service_account: str
    license_secret: str

    @classmethod
    def of(cls, props: PackageManagerReleaseProps) -> "ReleaseNames":
        fullname = chart_fullname(props.release_name)
        return cls(
            fullname=fullname,
            claim=f"{fullname}-shared-storage",
            # PersistentVolumes are cluster-scoped: the namespace keeps the name unique.
            persistent_volume=f"{props.namespace}-{fullname}-shared-storage",
            secret_provider_class=f"{fullname}-key-vault",
            # Not "<fullname>-license": the chart creates that Secret itself when license.key is set.
            postgres_secret=f"{fullname}-kv-postgres",
            encryption_key_secret=f"{fullname}-kv-encryption-key",
            service_account=service_account_names(fullname)[0],
            bootstrap_service_account=service_account_names(fullname)[1],
            license_secret=f"{fullname}-kv-license",
        )


def postgres_url(postgres: PostgresTargetRef, database: str) -> str:
    """``postgres://<login>@<fqdn>:<port>/<db>?sslmode=require``: no password in the URL.

    ``require`` (encrypted, server certificate not verified), not ``verify-full``: that Package
    Manager's image trusts Azure's chain (DigiCert Global Root G2 / Microsoft RSA Root Certificate
    Authority 2017) could not be shown. The image's Dockerfile for the tag the chart pulls
    (``ubuntu-24.04``) is not in rstudio/rstudio-docker-products (only ``ubuntu2204``, whose base
    installs ``ca-certificates``), and Package Manager is closed source, so whether its Go driver
    verifies against the system pool or wants ``sslrootcert`` is unknown. The server enforces TLS
    (``require_secure_transport``) and is reachable only inside the VNet. docs/app.md, "TLS to PostgreSQL".
    """
    return f"postgres://{postgres.login}@{postgres.fqdn}:{postgres.port}/{database}?sslmode=require"


class _ValuesDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so embedded YAML stays readable in plan diffs;
    no anchors/aliases (a shared dict is written out each time)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ValuesDumper.add_representer(str, _str_representer)


def values_yaml(values: Mapping[str, Any]) -> str:
    """One YAML document; no line folding (a folded line could split a ``${...}``)."""
    return yaml.dump(dict(values), Dumper=_ValuesDumper, sort_keys=False, width=1 << 20, default_flow_style=False)


def chart_values(p: PackageManagerReleaseProps) -> dict[str, Any]:
    """The chart values for ``p``: a plain dict (values may hold tokens); no cdktf needed."""
    names = ReleaseNames.of(p)
    capacity = _gib(p.share.quota_gib)
    selector = {"matchLabels": {"app.kubernetes.io/name": CHART}}
    # [K8S] topology-spread-constraints: matchLabelKeys (Kubernetes >= 1.27) adds each pod's
    # pod-template-hash to the selector, so during a rollout the old and the new ReplicaSet
    # are each spread on their own instead of the surge pods being judged against old ones.
    spread = [{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector,
        "matchLabelKeys": [POD_TEMPLATE_HASH],
    }]
    if p.spread_across_zones:
        # Soft: with minAvailable and surge upgrades, a hard zone rule can leave an evicted
        # or surge pod with no eligible node (e.g. a zone's only node draining) and stall
        # drains; the scheduler still prefers the least-loaded zone.
        spread.append({
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector,
            "matchLabelKeys": [POD_TEMPLATE_HASH],
        })
    r = p.resources
    values: dict[str, Any] = {
        "replicas": p.replicas,
        "topologySpreadConstraints": spread,
        "config": {
            "HTTP": {"Listen": ":4242"},
            "Metrics": {"Enabled": True},
            "Server": {"DataDir": DATA_DIR},
            "Database": {"Provider": "postgres"},
            "Postgres": {
                "URL": postgres_url(p.postgres, p.postgres.metadata_database),
                "UsageDataURL": postgres_url(p.postgres, p.postgres.usage_database),
            },
            "PostgresPool": {"MaxOpenConnections": p.max_open_connections},
        },
        "pod": {
            "env": [
                _secret_env(POSTGRES_PASSWORD_ENV, names.postgres_secret, POSTGRES_PASSWORD_KEY),
                # The same login for the usage database ([CH] UsageDataURL): same password.
                _secret_env(POSTGRES_USAGE_PASSWORD_ENV, names.postgres_secret, POSTGRES_PASSWORD_KEY),
                # One key for every replica ([PPM] appendix/encryption): none would make each first
                # start on an empty share generate rstudio-pm.key, replicas racing.
                *([_secret_env(ENCRYPTION_KEY_ENV, names.encryption_key_secret, ENCRYPTION_KEY_KEY)]
                  if p.encryption_key_secret_name is not None else []),
            ],
            # [WI] opts the pods into the workload identity webhook (labels are copied to the pod template).
            "labels": {WORKLOAD_IDENTITY_USE: "true"},
            # Mounting the CSI volume is what makes the driver fetch and sync the Secrets.
            "volumes": [{
                "name": "key-vault-secrets",
                "csi": {
                    "driver": SECRETS_STORE_CSI_DRIVER,
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": names.secret_provider_class},
                },
            }],
            "volumeMounts": [{"name": "key-vault-secrets", "mountPath": SECRETS_MOUNT_PATH, "readOnly": True}],
            # [CH] copied into the pod spec; it includes the preStop sleep below.
            "terminationGracePeriodSeconds": p.termination_grace_period_seconds,
        },
        # [CH] Unconfined seccomp/AppArmor for sandboxed Git builds, or RuntimeDefault without.
        "enableSandboxing": p.sandboxing,
        "license": {"file": {"secret": names.license_secret, "secretKey": LICENSE_KEY}},
        "sharedStorage": {
            "create": True,
            "mount": True,
            "name": names.claim,
            "path": DATA_DIR,
            "storageClassName": p.static_storage_class,
            "volumeName": names.persistent_volume,
            "accessModes": ["ReadWriteMany"],
            # Fixed, not the quota: a bound static claim cannot be resized (see CLAIM_REQUEST_GIB).
            "requests": {"storage": f"{CLAIM_REQUEST_GIB}Gi"},
        },
        "ingress": _ingress(p, names),
        "resources": {
            "requests": {"enabled": True, "cpu": r.cpu_request, "memory": r.memory_request,
                         "ephemeralStorage": r.ephemeral_storage_request},
            "limits": {"enabled": True, "cpu": r.cpu_limit, "memory": r.memory_limit,
                       "ephemeralStorage": r.ephemeral_storage_limit},
        },
        # Restart a hung pod; give a first start (schema migrations) up to 60 x 10 s.
        "livenessProbe": {"enabled": True},
        "startupProbe": {"enabled": True, "failureThreshold": 60},
        "extraObjects": [
            azure_files_nfs_persistent_volume(
                name=names.persistent_volume,
                storage_class_name=p.static_storage_class,
                resource_group_name=p.share.resource_group_name,
                storage_account_name=p.share.storage_account_name,
                share_name=p.share.share_name,
                capacity=capacity,
                claim_namespace=p.namespace,
                claim_name=names.claim,
                mount_options=p.nfs_mount_options,
                keep_on_uninstall=p.keep_persistent_volume,
            ),
            key_vault_secret_provider_class(
                name=names.secret_provider_class,
                namespace=p.namespace,
                key_vault_name=p.key_vault.name,
                tenant_id=p.key_vault.tenant_id,
                identity_client_id=p.app_identity.client_id,
                synced_secrets={
                    names.postgres_secret: {POSTGRES_PASSWORD_KEY: p.postgres_password_secret_name},
                    names.license_secret: {LICENSE_KEY: p.license_secret_name},
                    **({names.encryption_key_secret: {ENCRYPTION_KEY_KEY: p.encryption_key_secret_name}}
                       if p.encryption_key_secret_name is not None else {}),
                },
            ),
            # The login bootstrap (a pre-install/pre-upgrade hook): the only reader of the admin password.
            *bootstrap_objects(
                fullname=names.fullname, namespace=p.namespace, image=p.bootstrap_image,
                postgres_fqdn=p.postgres.fqdn, postgres_port=p.postgres.port,
                admin_login=p.postgres_admin_login, app_login=p.postgres.login,
                metadata_database=p.postgres.metadata_database, usage_database=p.postgres.usage_database,
                key_vault_name=p.key_vault.name, tenant_id=p.key_vault.tenant_id,
                identity_client_id=p.bootstrap_identity.client_id,
                admin_password_secret_name=p.postgres_admin_password_secret_name,
                app_password_secret_name=p.postgres_password_secret_name,
            ),
        ],
        # [CH] templates/serviceaccount.yaml: the pods' service account, federated to app_identity.
        "serviceAccount": {
            "create": True,
            "name": names.service_account,
            "annotations": {WORKLOAD_IDENTITY_CLIENT_ID: p.app_identity.client_id},
        },
    }
    if p.pre_stop_sleep_seconds:
        # [K8S] container-lifecycle-hooks: the sleep action (no binary needed in the image). The
        # pod keeps serving while the endpoint removal reaches kube-proxy/Cilium and the NGINX.
        values["pod"]["lifecycle"] = {"preStop": {"sleep": {"seconds": p.pre_stop_sleep_seconds}}}
    if p.postgres_cidr is not None and p.private_endpoints_cidr is not None:
        values["extraObjects"].append(package_manager_network_policy(
            name=names.fullname,
            namespace=p.namespace,
            # [CH] rstudio-pm.selectorLabels: only this release's pods.
            pod_labels={"app.kubernetes.io/name": CHART, "app.kubernetes.io/instance": p.release_name},
            app_port=APP_PORT,
            postgres_cidr=p.postgres_cidr,
            private_endpoints_cidr=p.private_endpoints_cidr,
        ))
    min_available = p.min_available if p.min_available is not None else p.replicas - 1
    if min_available >= 1:
        # [CH] copied into the PDB spec verbatim; unhealthyPodEvictionPolicy needs Kubernetes >= 1.27.
        values["podDisruptionBudget"] = {"minAvailable": min_available,
                                         "unhealthyPodEvictionPolicy": p.unhealthy_pod_eviction_policy}
    if p.replicas == 1:
        # [CH] the chart's default (maxSurge 100%, maxUnavailable 0) needs room for a
        # second pod on every upgrade; one replica is not highly available anyway.
        values["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    if p.secret_version is not None:
        values["pod"]["annotations"] = {SECRET_VERSION_ANNOTATION: str(p.secret_version)}
    return values

def _ingress(p: PackageManagerReleaseProps, names: ReleaseNames) -> dict[str, Any]:
    ingress: dict[str, Any] = {
        "enabled": True,
        "ingressClassName": APP_ROUTING_INGRESS_CLASS,
        "hosts": [{"host": p.hostname, "paths": [{"path": "/", "pathType": "Prefix"}]}],
        # Package and blob uploads: NGINX refuses bodies above 1m by default (413).
        "annotations": {PROXY_BODY_SIZE_ANNOTATION: str(p.max_upload_size)},
    }
    if p.tls_certificate_uri:
        ingress["annotations"][APP_ROUTING_TLS_ANNOTATION] = p.tls_certificate_uri
        # The add-on writes the certificate to "keyvault-<ingress name>" ([MS] app-routing-dns-ssl).
        ingress["tls"] = [{"hosts": [p.hostname], "secretName": f"keyvault-{names.fullname}"}]
    return ingress


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _gib(quota: int | float) -> str:
    """Kubernetes quantity for a GiB count; a number token becomes a string token."""
    if is_token(quota):
        from constructs_lib.cdk import Token  # only for a token, which only exists inside a cdktf app anyway

        return f"{Token.as_string(quota)}Gi"
    return f"{int(quota)}Gi"
