"""Posit Package Manager on AKS through the official ``rstudio-pm`` Helm chart, highly available.

One ``helm_release`` (id ``Resource``) whose ``values`` is one plain YAML document
(readable in cdk.tf.json and in plan diffs; cross-stack values appear in it as
``${...}`` interpolations). It wires the chart to:

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

Chart facts ([CH] rstudio/helm charts/rstudio-pm 0.20.4, values.yaml and templates):
``config`` becomes rstudio-pm.gcfg with values written unquoted; ``podDisruptionBudget``
is copied into the PDB spec; ``sharedStorage.storageClassName`` is only written when
truthy (unset means the cluster default class); ``extraObjects`` go through ``tpl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import yaml
from cdktf import TerraformProvider, Token
from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_time.sleep import Sleep
from constructs import Construct

from constructs_lib.k8s_manifests import (
    NFS_MOUNT_OPTIONS,
    SECRETS_STORE_CSI_DRIVER,
    azure_files_nfs_persistent_volume,
    key_vault_secret_provider_class,
)
from constructs_lib.validation import Problems, is_token

CHART = "rstudio-pm"
CHART_REPOSITORY = "https://helm.rstudio.com"
#: [MS] aks/app-routing: the ingress class of the managed NGINX (application routing add-on).
APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com"
#: [MS] aks/app-routing-dns-ssl: annotation naming the Key Vault certificate the add-on serves;
#: the add-on syncs it into the Secret ``keyvault-<ingress name>``, which ``tls`` must name.
APP_ROUTING_TLS_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri"
#: Built-in role that reads secret contents ([MS] key-vault/general/rbac-guide).
KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"
#: [CH] Package Manager reads these for the two database connections' passwords.
POSTGRES_PASSWORD_ENV = "PACKAGEMANAGER_POSTGRES_PASSWORD"
POSTGRES_USAGE_PASSWORD_ENV = "PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD"
#: Where the chart mounts shared storage, and Package Manager's data directory on it ([CH] HA).
DATA_DIR = "/var/lib/rstudio-pm"
SECRETS_MOUNT_PATH = "/mnt/secrets-store"
#: [CH] the chart's default key of the license file inside ``license.file.secret``.
LICENSE_KEY = "license.lic"
POSTGRES_PASSWORD_KEY = "password"
#: The claim's request: the smallest premium share ([MS] storage-files-planning: 100 GiB), so it
#: always fits the PV (capacity = quota) and never changes. A bound static claim cannot grow
#: ([K8S] persistent-volumes, "Expanding Persistent Volumes Claims"), and the request is only a
#: binding filter for a static NFS volume: the share's quota is what limits usage.
CLAIM_REQUEST_GIB = 100
#: Pod annotation carrying ``secret_version``: changing it changes the pod template (rollout).
SECRET_VERSION_ANNOTATION = "ppm-aks-cdktf/secret-version"
#: [K8S] topology-spread-constraints: the label Deployments put on each ReplicaSet's pods.
POD_TEMPLATE_HASH = "pod-template-hash"

_TOKEN = re.compile(r"\$\{[^}]*\}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_SEMVER = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_KV_SECRET_NAME = re.compile(r"[0-9A-Za-z-]{1,127}")
_KV_CERT_URI = re.compile(r"https://[0-9A-Za-z-]{3,24}\.vault\.azure\.net/certificates/[0-9A-Za-z-]{1,127}(/[0-9a-f]{32})?")
_CPU = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m?)")
_MEMORY = re.compile(r"([0-9]+)(Ki|Mi|Gi|Ti)?")
_MEMORY_UNITS = {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}


@dataclass(frozen=True, kw_only=True)
class PostgresTarget:
    """Where Package Manager keeps its metadata and usage data.

    :param fqdn: the server's FQDN (may be a token).
    :param login: the login Package Manager connects as (may be a token).
    :param metadata_database: database for ``Postgres.URL``.
    :param usage_database: database for ``Postgres.UsageDataURL``; Package Manager keeps
        usage data apart ([CH] Postgres.UsageDataURL).
    :param max_open_connections: ``PostgresPool.MaxOpenConnections`` per pod and pool - 50
        (the reference architecture's value). Each pod opens up to twice this.
    :param port: 5432 (default).
    """

    fqdn: str
    login: str
    metadata_database: str
    usage_database: str
    max_open_connections: int = 50
    port: int = 5432


@dataclass(frozen=True, kw_only=True)
class NfsShare:
    """An existing Azure Files NFS share (Premium FileStorage account).

    :param resource_group_name: the storage account's resource group.
    :param storage_account_name: the account name.
    :param share_name: the share name.
    :param quota_gib: the share's quota in GiB, at least 100 (premium shares): the PV's
        capacity (a number or a number token). The claim requests a fixed 100Gi.
    :param mount_options: NFS mount options - ``nconnect=4, noresvport, actimeo=30,
        lookupcache=pos`` ([SEED]). Changing them needs the pods restarted to take effect.
    """

    resource_group_name: str
    storage_account_name: str
    share_name: str
    quota_gib: int | float
    mount_options: Sequence[str] = NFS_MOUNT_OPTIONS


@dataclass(frozen=True, kw_only=True)
class KeyVaultSecrets:
    """The Key Vault the pods read their secrets from, and who reads them.

    :param key_vault_id: the vault's resource id (scope of the role assignment).
    :param key_vault_name: the vault's name.
    :param tenant_id: the vault's Entra tenant.
    :param identity_client_id: client id of the cluster's Key Vault secrets provider
        (add-on) identity, which the CSI driver authenticates as.
    :param identity_object_id: that identity's object (principal) id; it is granted
        "Key Vault Secrets User" on the vault.
    :param postgres_password_secret_name: secret holding the PostgreSQL password.
    :param license_secret_name: secret holding the license file, put there by an operator
        out of band; pods stay in ContainerCreating until it exists.
    """

    key_vault_id: str
    key_vault_name: str
    tenant_id: str
    identity_client_id: str
    identity_object_id: str
    postgres_password_secret_name: str
    license_secret_name: str


@dataclass(frozen=True, kw_only=True)
class PodResources:
    """Requests and limits of each Package Manager pod.

    Defaults size one pod per Standard_D8_v5 node (8 vCPU, 32 GiB) with room for a
    surge pod during rolling updates (two pods per node) and the add-ons' daemonsets.

    :param cpu_request: "2". :param cpu_limit: "6".
    :param memory_request: "8Gi". :param memory_limit: "16Gi".
    :param ephemeral_storage_request: "2Gi". :param ephemeral_storage_limit: "20Gi"
        (the chart's 200Mi default would evict pods that build packages in /tmp).
    Each request must not exceed its limit.
    """

    cpu_request: str = "2"
    cpu_limit: str = "6"
    memory_request: str = "8Gi"
    memory_limit: str = "16Gi"
    ephemeral_storage_request: str = "2Gi"
    ephemeral_storage_limit: str = "20Gi"


@dataclass(frozen=True, kw_only=True)
class PackageManagerReleaseProps:
    """Props of :class:`PackageManagerRelease`.

    :param chart_version: the ``rstudio-pm`` chart version, e.g. ``0.20.4`` (pinned).
    :param hostname: the DNS name users reach Package Manager at (ingress host).
    :param postgres: the database connection (:class:`PostgresTarget`).
    :param share: the shared NFS storage (:class:`NfsShare`).
    :param key_vault: where the passwords and license come from (:class:`KeyVaultSecrets`).
    :param namespace: Kubernetes namespace, created by Helm - ``posit-package-manager``.
        Changing it reinstalls the release (new claim; the PV is reserved per claim).
    :param release_name: Helm release name - ``rstudio-pm`` (then every object is named
        ``rstudio-pm``). RFC 1123 label, at most 53 characters. Changing it reinstalls.
    :param replicas: pod count - 3. Pods are spread one per node (``DoNotSchedule``), so
        the cluster needs at least this many schedulable nodes. Upgrades use the chart's
        strategy (``maxSurge 100%``, ``maxUnavailable 0``: room for a second pod per node);
        a single replica is replaced instead (``maxSurge 0``, ``maxUnavailable 1``: a short
        outage, but an upgrade never needs a second pod's room).
    :param spread_across_zones: also spread pods evenly across availability zones
        (``topology.kubernetes.io/zone``, ``ScheduleAnyway``) - True. Soft on purpose: with
        ``minAvailable`` and surge upgrades a hard zone rule can leave a pod with no node during
        drains ([K8S] topology-spread-constraints). The node rule stays ``DoNotSchedule``.
    :param min_available: PodDisruptionBudget ``minAvailable`` - ``replicas - 1`` (two of
        three pods stay up during node drains); no PDB for a single replica (a PDB that
        allows no eviction blocks node drains and AKS upgrades). 1 to ``replicas - 1``.
    :param tls_certificate_uri: Key Vault certificate URI that the application-routing
        add-on serves for ``hostname`` - none (HTTP only at the ingress). The add-on's
        identity needs read access to that vault (see README).
    :param resources: pod requests and limits - :class:`PodResources` defaults.
    :param secret_version: generation of the secrets the pods read as environment variables
        (e.g. the database password's version) - none. Written to the pod annotation
        ``ppm-aks-cdktf/secret-version``: changing it rolls the pods, which then read the new
        value (a running container never re-reads env vars). It also re-runs the wait below,
        so the Secrets Store CSI driver has synced the new value before the rollout.
    :param rbac_propagation_seconds: a ``time_sleep`` between the Key Vault grant and the
        release (re-run when the grant is replaced or ``secret_version`` changes) - 180: an
        Azure role assignment takes minutes to be honoured ([MS] key-vault/general/rbac-guide),
        and the CSI driver's rotation polls every 2 minutes (the cluster's
        ``secret_rotation_interval``; keep the wait above it). 0 to 1800; 0: no wait. The stack
        needs a ``hashicorp/time`` provider (``TimeProvider``) when it waits.
    :param timeout_seconds: how long Helm waits for the rollout before rolling back - 900
        (above the startup probe's 600 s budget plus image pull and volume mounts).
    :param chart_repository: - ``https://helm.rstudio.com``.
    :param static_storage_class: ``storageClassName`` shared by the PV and the claim so
        they only match each other - ``ppm-static-nfs``; must not name a StorageClass that
        provisions volumes.
    :param provider: the helm provider - the stack's default one.
    """

    chart_version: str
    hostname: str
    postgres: PostgresTarget
    share: NfsShare
    key_vault: KeyVaultSecrets
    namespace: str = "posit-package-manager"
    release_name: str = "rstudio-pm"
    replicas: int = 3
    spread_across_zones: bool = True
    min_available: int | None = None
    tls_certificate_uri: str | None = None
    resources: PodResources = field(default_factory=PodResources)
    secret_version: int | str | None = None
    rbac_propagation_seconds: int = 180
    timeout_seconds: int = 900
    chart_repository: str = CHART_REPOSITORY
    static_storage_class: str = "ppm-static-nfs"
    provider: TerraformProvider | None = None


def chart_fullname(release_name: str, chart: str = CHART) -> str:
    """The chart's ``rstudio-pm.fullname`` helper: the release name if it contains the chart name."""
    name = release_name if chart in release_name else f"{release_name}-{chart}"
    return name[:63].rstrip("-")


def postgres_url(postgres: PostgresTarget, database: str) -> str:
    """``postgres://<login>@<fqdn>:<port>/<db>?sslmode=require``: no password in the URL."""
    return f"postgres://{postgres.login}@{postgres.fqdn}:{postgres.port}/{database}?sslmode=require"


def _without_tokens(value: str) -> str:
    return _TOKEN.sub("", value)


def _cpu(value: str) -> float | None:
    m = _CPU.fullmatch(value)
    return None if not m else float(m.group(1)) / (1000 if m.group(2) else 1)


def _memory(value: str) -> int | None:
    m = _MEMORY.fullmatch(value)
    return None if not m else int(m.group(1)) * _MEMORY_UNITS[m.group(2)]


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


class PackageManagerRelease(Construct):
    """``helm_release`` (id ``Resource``) of ``rstudio-pm``, plus the Key Vault role for the CSI identity.

    Example::

        PackageManagerRelease(self, "package-manager", PackageManagerReleaseProps(
            chart_version="0.20.4", hostname="packages.example.com",
            postgres=PostgresTarget(fqdn=..., login="ppmadmin", metadata_database="packagemanager",
                                    usage_database="packagemanager_usage"),
            share=NfsShare(resource_group_name=..., storage_account_name=..., share_name="ppm-data", quota_gib=1000),
            key_vault=KeyVaultSecrets(key_vault_id=..., key_vault_name=..., tenant_id=..., identity_client_id=...,
                                      identity_object_id=..., postgres_password_secret_name="postgres-admin-password",
                                      license_secret_name="ppm-license")))

    Attributes: ``resource`` (the release), ``values`` (the values as a dict),
    ``key_vault_access`` (the role assignment), ``key_vault_access_ready`` (the ``time_sleep``
    the release waits for; None with ``rbac_propagation_seconds=0``), ``fullname``, ``persistent_volume_name``,
    ``claim_name``, ``secret_provider_class_name``, ``postgres_secret_name``, ``license_secret_name``.
    """

    def __init__(self, scope: Construct, id: str, props: PackageManagerReleaseProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        self.fullname = chart_fullname(props.release_name)
        self.claim_name = f"{self.fullname}-shared-storage"
        # PersistentVolumes are cluster-scoped: the namespace keeps the name unique.
        self.persistent_volume_name = f"{props.namespace}-{self.fullname}-shared-storage"
        self.secret_provider_class_name = f"{self.fullname}-key-vault"
        # Not "<fullname>-license": the chart creates that Secret itself when license.key is set.
        self.postgres_secret_name = f"{self.fullname}-kv-postgres"
        self.license_secret_name = f"{self.fullname}-kv-license"
        self.values = self._values()

        kv = props.key_vault
        self.key_vault_access = RoleAssignment(
            self, "key-vault-secrets-user",
            scope=kv.key_vault_id,
            role_definition_name=KEY_VAULT_SECRETS_USER,
            principal_id=kv.identity_object_id,
            principal_type="ServicePrincipal",  # managed identities are service principals
            description="Secrets Store CSI add-on identity reads the Package Manager secrets",
        )
        # Helm installs as soon as the grant exists; the pods' CSI mounts would then meet a
        # 403 until it propagates. Triggers: a replaced grant waits again, and so does a new
        # secret_version (the CSI rotation syncs the new value into the Secret within its
        # 2-minute poll, before the rollout that the annotation starts).
        self.key_vault_access_ready: Sleep | None = None
        wait_for: list = [self.key_vault_access]
        if props.rbac_propagation_seconds:
            triggers = {"key_vault_access": self.key_vault_access.id}
            if props.secret_version is not None:
                triggers["secret_version"] = str(props.secret_version)
            self.key_vault_access_ready = Sleep(
                self, "key-vault-access-propagation",
                create_duration=f"{props.rbac_propagation_seconds}s",
                triggers=triggers,
            )
            wait_for = [self.key_vault_access_ready]
        self.resource = Release(
            self, "Resource",
            name=props.release_name,
            chart=CHART,
            repository=props.chart_repository,
            version=props.chart_version,
            namespace=props.namespace,
            create_namespace=True,
            # A failed install or upgrade rolls back (atomic implies wait) and removes what it
            # created; pods must be Ready before Terraform reports success.
            atomic=True,
            cleanup_on_fail=True,
            wait=True,
            timeout=props.timeout_seconds,
            max_history=10,
            lint=True,
            values=[values_yaml(self.values)],
            # The pods can only start once the CSI identity may read the vault.
            depends_on=wait_for,
            provider=props.provider,
        )

    # ------------------------------------------------------------------ values
    def _values(self) -> dict[str, Any]:
        p = self.props
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
                "PostgresPool": {"MaxOpenConnections": p.postgres.max_open_connections},
            },
            "pod": {
                "env": [
                    _secret_env(POSTGRES_PASSWORD_ENV, self.postgres_secret_name, POSTGRES_PASSWORD_KEY),
                    # The same login for the usage database ([CH] UsageDataURL): same password.
                    _secret_env(POSTGRES_USAGE_PASSWORD_ENV, self.postgres_secret_name, POSTGRES_PASSWORD_KEY),
                ],
                # Mounting the CSI volume is what makes the driver fetch and sync the Secrets.
                "volumes": [{
                    "name": "key-vault-secrets",
                    "csi": {
                        "driver": SECRETS_STORE_CSI_DRIVER,
                        "readOnly": True,
                        "volumeAttributes": {"secretProviderClass": self.secret_provider_class_name},
                    },
                }],
                "volumeMounts": [{"name": "key-vault-secrets", "mountPath": SECRETS_MOUNT_PATH, "readOnly": True}],
            },
            "license": {"file": {"secret": self.license_secret_name, "secretKey": LICENSE_KEY}},
            "sharedStorage": {
                "create": True,
                "mount": True,
                "name": self.claim_name,
                "path": DATA_DIR,
                "storageClassName": p.static_storage_class,
                "volumeName": self.persistent_volume_name,
                "accessModes": ["ReadWriteMany"],
                # Fixed, not the quota: a bound static claim cannot be resized (see CLAIM_REQUEST_GIB).
                "requests": {"storage": f"{CLAIM_REQUEST_GIB}Gi"},
            },
            "ingress": self._ingress(),
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
                    name=self.persistent_volume_name,
                    storage_class_name=p.static_storage_class,
                    resource_group_name=p.share.resource_group_name,
                    storage_account_name=p.share.storage_account_name,
                    share_name=p.share.share_name,
                    capacity=capacity,
                    claim_namespace=p.namespace,
                    claim_name=self.claim_name,
                    mount_options=p.share.mount_options,
                ),
                key_vault_secret_provider_class(
                    name=self.secret_provider_class_name,
                    namespace=p.namespace,
                    key_vault_name=p.key_vault.key_vault_name,
                    tenant_id=p.key_vault.tenant_id,
                    identity_client_id=p.key_vault.identity_client_id,
                    synced_secrets={
                        self.postgres_secret_name: {POSTGRES_PASSWORD_KEY: p.key_vault.postgres_password_secret_name},
                        self.license_secret_name: {LICENSE_KEY: p.key_vault.license_secret_name},
                    },
                ),
            ],
        }
        min_available = p.min_available if p.min_available is not None else p.replicas - 1
        if min_available >= 1:
            values["podDisruptionBudget"] = {"minAvailable": min_available}
        if p.replicas == 1:
            # [CH] the chart's default (maxSurge 100%, maxUnavailable 0) needs room for a
            # second pod on every upgrade; one replica is not highly available anyway.
            values["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
        if p.secret_version is not None:
            values["pod"]["annotations"] = {SECRET_VERSION_ANNOTATION: str(p.secret_version)}
        return values

    def _ingress(self) -> dict[str, Any]:
        p = self.props
        ingress: dict[str, Any] = {
            "enabled": True,
            "ingressClassName": APP_ROUTING_INGRESS_CLASS,
            "hosts": [{"host": p.hostname, "paths": [{"path": "/", "pathType": "Prefix"}]}],
        }
        if p.tls_certificate_uri:
            ingress["annotations"] = {APP_ROUTING_TLS_ANNOTATION: p.tls_certificate_uri}
            # The add-on writes the certificate to "keyvault-<ingress name>" ([MS] app-routing-dns-ssl).
            ingress["tls"] = [{"hosts": [p.hostname], "secretName": f"keyvault-{self.fullname}"}]
        return ingress

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def namespace(self) -> str:
        return self.props.namespace


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _gib(quota: int | float) -> str:
    """Kubernetes quantity for a GiB count; a number token becomes a string token."""
    if is_token(quota):
        return f"{Token.as_string(quota)}Gi"
    return f"{int(quota)}Gi"


def _validate(props: PackageManagerReleaseProps) -> None:
    problems = Problems("PackageManagerRelease")
    req = problems.require
    req(bool(_SEMVER.fullmatch(props.chart_version)), "chart_version", props.chart_version,
        "a pinned chart version such as 0.20.4")
    req(bool(_DNS_NAME.fullmatch(props.hostname)), "hostname", props.hostname,
        "a lowercase fully qualified DNS name such as packages.example.com")
    req(bool(_DNS_LABEL.fullmatch(props.namespace)), "namespace", props.namespace,
        "an RFC 1123 label: lowercase letters, digits, '-', at most 63 characters")
    req(bool(_DNS_LABEL.fullmatch(props.release_name)) and len(props.release_name) <= 53, "release_name",
        props.release_name, "an RFC 1123 label of at most 53 characters (Helm's limit)")
    req(bool(_DNS_LABEL.fullmatch(props.static_storage_class)), "static_storage_class", props.static_storage_class,
        "an RFC 1123 label")
    req(1 <= props.replicas <= 50, "replicas", props.replicas, "1 to 50")
    if props.min_available is not None:
        req(1 <= props.min_available < props.replicas, "min_available", props.min_available,
            f"1 to replicas - 1 ({props.replicas - 1}); a budget of every replica blocks node drains; "
            "leave unset for the default")
    req(300 <= props.timeout_seconds <= 3600, "timeout_seconds", props.timeout_seconds,
        "300 to 3600 (pulls, volume mounts and the first start take minutes)")
    if props.tls_certificate_uri is not None:
        req(bool(_KV_CERT_URI.fullmatch(props.tls_certificate_uri)), "tls_certificate_uri", props.tls_certificate_uri,
            "a Key Vault certificate URI https://<vault>.vault.azure.net/certificates/<name>[/<version>]")

    pg = props.postgres
    req(1 <= pg.max_open_connections <= 1000, "postgres.max_open_connections", pg.max_open_connections, "1 to 1000")
    # [CH] gcfg values are written unquoted: ';' or '#' would start a comment and cut the URL.
    for path, value in (("postgres.fqdn", pg.fqdn), ("postgres.login", pg.login),
                        ("postgres.metadata_database", pg.metadata_database),
                        ("postgres.usage_database", pg.usage_database)):
        literal = _without_tokens(value)
        if set(literal) & set(";# /?@:"):
            problems.add(path, value, "no ';', '#', spaces or URL delimiters (/ ? @ :): the value goes "
                         "unquoted into a postgres:// URL in rstudio-pm.gcfg")

    share = props.share
    if not is_token(share.quota_gib):
        req(isinstance(share.quota_gib, int) and share.quota_gib >= CLAIM_REQUEST_GIB, "share.quota_gib",
            share.quota_gib, f"a whole number of GiB, at least {CLAIM_REQUEST_GIB} (the smallest premium share; "
            f"the claim requests {CLAIM_REQUEST_GIB}Gi)")
    req(0 <= props.rbac_propagation_seconds <= 1800, "rbac_propagation_seconds", props.rbac_propagation_seconds,
        "0 to 1800 (0: no wait)")
    if props.secret_version is not None and not is_token(props.secret_version):
        req(bool(re.fullmatch(r"[0-9A-Za-z._-]{1,63}", str(props.secret_version))), "secret_version",
            props.secret_version, "a version such as 1 or 2024-06 (letters, digits, '.', '_', '-'; at most 63)")
    req(bool(share.mount_options), "share.mount_options", list(share.mount_options),
        "at least one mount option (the default list is Posit's)")

    kv = props.key_vault
    for path, value in (("key_vault.postgres_password_secret_name", kv.postgres_password_secret_name),
                        ("key_vault.license_secret_name", kv.license_secret_name)):
        req(bool(_KV_SECRET_NAME.fullmatch(value)), path, value, "1-127 letters, digits and hyphens")

    r = props.resources
    for kind, parse, request, limit, example in (
            ("cpu", _cpu, r.cpu_request, r.cpu_limit, "2 or 500m"),
            ("memory", _memory, r.memory_request, r.memory_limit, "8Gi"),
            ("ephemeral_storage", _memory, r.ephemeral_storage_request, r.ephemeral_storage_limit, "2Gi")):
        parsed_request, parsed_limit = parse(request), parse(limit)
        req(parsed_request is not None, f"resources.{kind}_request", request, f"a Kubernetes quantity such as {example}")
        req(parsed_limit is not None, f"resources.{kind}_limit", limit, f"a Kubernetes quantity such as {example}")
        if parsed_request is not None and parsed_limit is not None:
            req(parsed_request <= parsed_limit, f"resources.{kind}_request", request,
                f"at most resources.{kind}_limit ({limit}); the API server rejects a request above its limit")
    problems.raise_if_any()
