"""Props of :class:`constructs_lib.package_manager.PackageManagerRelease`, the chart's facts, and
validation (pure Python: no cdktf import, testable without synth).

Chart facts ([CH] rstudio/helm charts/rstudio-pm 0.20.4, values.yaml and templates):
``config`` becomes rstudio-pm.gcfg with values written unquoted; ``podDisruptionBudget``
is copied into the PDB spec; ``sharedStorage.storageClassName`` is only written when
truthy (unset means the cluster default class); ``extraObjects`` go through ``tpl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from constructs_lib.facts import (CHART_VERSION, DNS_LABEL, DNS_NAME, KEY_VAULT_CERTIFICATE_URI, KEY_VAULT_SECRET_NAME,
                                  NGINX_SIZE)
from constructs_lib.package_manager.bootstrap import POSTGRES_CLIENT_IMAGE, check_database_access
from constructs_lib.package_manager.manifests import NFS_MOUNT_OPTIONS
from constructs_lib.refs import KeyVaultRef, ManagedIdentityRef, NfsShareRef, PostgresTargetRef
from constructs_lib.quantity import CPU_EXAMPLES, MEMORY_EXAMPLES, parse_non_negative
from constructs_lib.validation import Problems, check_propagation_seconds, cidr_or_none, is_token

CHART = "rstudio-pm"
CHART_REPOSITORY = "https://helm.rstudio.com"
#: The claim's request: the smallest premium share ([MS] storage-files-planning: 100 GiB), so it
#: always fits the PV (capacity = quota) and never changes. A bound static claim cannot grow
#: ([K8S] persistent-volumes, "Expanding Persistent Volumes Claims"), and the request is only a
#: binding filter for a static NFS volume: the share's quota is what limits usage.
CLAIM_REQUEST_GIB = 100

_TOKEN = re.compile(r"\$\{[^}]*\}")
_DNS_LABEL = re.compile(DNS_LABEL)
_DNS_NAME = re.compile(DNS_NAME)
_SEMVER = re.compile(CHART_VERSION)
_KV_SECRET_NAME = re.compile(KEY_VAULT_SECRET_NAME)
_KV_CERT_URI = re.compile(KEY_VAULT_CERTIFICATE_URI)
_NGINX_SIZE = re.compile(NGINX_SIZE)
#: [K8S] PodDisruptionBudget spec.unhealthyPodEvictionPolicy.
UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")
#: Shutdown time the grace period must leave after the preStop sleep.
MIN_SHUTDOWN_SECONDS = 30


@dataclass(frozen=True, kw_only=True)
class PodResources:
    """Requests and limits of each Package Manager pod.

    Defaults size one pod per Standard_D8_v5 node (8 vCPU, 32 GiB) with room for a
    surge pod during rolling updates (two pods per node) and the add-ons' daemonsets:
    two pods fit the node with their memory *limits* too (2 x 12Gi within the ~27.7 GiB a
    D8_v5 leaves after the AKS reservation and the add-ons; config rule APP-003), so a
    surge never overcommits the node's memory.

    :param cpu_request: "2". :param cpu_limit: "6".
    :param memory_request: "8Gi". :param memory_limit: "12Gi".
    :param ephemeral_storage_request: "2Gi". :param ephemeral_storage_limit: "20Gi"
        (the chart's 200Mi default would evict pods that build packages in /tmp).
    Each request must not exceed its limit.
    """

    cpu_request: str = "2"
    cpu_limit: str = "6"
    memory_request: str = "8Gi"
    memory_limit: str = "12Gi"
    ephemeral_storage_request: str = "2Gi"
    ephemeral_storage_limit: str = "20Gi"


@dataclass(frozen=True, kw_only=True)
class PackageManagerReleaseProps:
    """Props of :class:`PackageManagerRelease`.

    :param chart_version: the ``rstudio-pm`` chart version, e.g. ``0.20.4`` (pinned).
    :param hostname: the DNS name users reach Package Manager at (ingress host).
    :param postgres: where the data goes (:meth:`constructs_lib.postgres.PostgresFlexibleServer.target`).
    :param share: the shared NFS storage (:meth:`constructs_lib.nfs_share.NfsFileShare.ref`).
    :param key_vault: the vault the passwords and license come from
        (:meth:`constructs_lib.key_vault.PrivateKeyVault.ref`).
    :param app_identity: the workload identity the Package Manager pods' Secrets Store CSI mount reads
        the vault as: a user-assigned identity federated to the release's service account
        (:class:`constructs_lib.workload_identity.WorkloadIdentity`, subject
        ``system:serviceaccount:<namespace>:<fullname>``). Granted "Key Vault Secrets User" on
        exactly the secrets the pods read (``postgres_password_secret_name``, ``license_secret_name``,
        ``encryption_key_secret_name``), never on the vault and never on the administrator password.
    :param bootstrap_identity: the workload identity of the bootstrap Job (federated to
        ``<fullname>-db-bootstrap``); granted "Key Vault Secrets User" on the administrator password
        secret and ``postgres_password_secret_name`` only. Must differ from ``app_identity``.
    :param postgres_password_secret_name: the Key Vault secret holding the password of
        ``postgres.login``, Package Manager's own least-privilege login (not the administrator's).
    :param postgres_admin_login: the server's administrator login, which only the bootstrap Job
        uses; ``postgres.login`` must differ from it (and from the reserved names).
    :param postgres_admin_password_secret_name: the Key Vault secret holding the administrator password.
    :param encryption_key_secret_name: the Key Vault secret holding Package Manager's encryption key
        (512 random bytes, hex), given to the pods as ``PACKAGEMANAGER_ENCRYPTION_KEY`` so every
        replica uses the same key - none: each first start on an empty share generates
        ``rstudio-pm.key`` (replicas may race).
    :param bootstrap_image: the PostgreSQL client image of the bootstrap Job -
        :data:`constructs_lib.package_manager.bootstrap.POSTGRES_CLIENT_IMAGE`; pin a digest here.
    :param license_secret_name: the Key Vault secret holding the license file, put there by an
        operator out of band - ``ppm-license``; pods stay in ContainerCreating until it exists.
    :param max_open_connections: ``PostgresPool.MaxOpenConnections`` per pod and pool - 50
        (the reference architecture's value). Each pod opens up to twice this.
    :param nfs_mount_options: NFS mount options - ``nconnect=4, noresvport, actimeo=30,
        lookupcache=pos`` ([SEED]). Changing them needs the pods restarted to take effect.
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
        ``secret_rotation_interval``; keep the wait above it). Bounds: :data:`constructs_lib.facts.RBAC_PROPAGATION_SECONDS`; 0: no wait. The stack
        needs a ``hashicorp/time`` provider (``TimeProvider``) when it waits.
    :param timeout_seconds: how long Helm waits for the rollout before rolling back - 900
        (above the startup probe's 600 s budget plus image pull and volume mounts).
    :param chart_repository: - ``https://helm.rstudio.com``.
    :param static_storage_class: ``storageClassName`` shared by the PV and the claim so
        they only match each other - ``ppm-static-nfs``; must not name a StorageClass that
        provisions volumes.
    :param keep_persistent_volume: annotate the static PV ``helm.sh/resource-policy: keep``,
        as the chart annotates its claim - True. Without it, the rollback of a failed atomic
        first install (or an uninstall) deletes the PV but keeps the claim, which is then
        ``Lost`` and blocks the next install's pods.
    :param unhealthy_pod_eviction_policy: the PodDisruptionBudget's
        ``unhealthyPodEvictionPolicy`` ([K8S] >= 1.27) - ``AlwaysAllow``: a pod that is not
        Ready may always be evicted, so one unready pod cannot block node drains and AKS
        upgrades; ``IfHealthyBudget`` is the Kubernetes default.
    :param pre_stop_sleep_seconds: the container's ``preStop`` ``sleep`` action (the
        Kubernetes lifecycle action, on by default since 1.30, GA in 1.34; no ``sleep``
        binary or shell needed in the image) - 10: the pod keeps serving while its endpoint
        is removed from the Service and the ingress NGINX, so rollouts and drains cause no
        502s. 0: no preStop hook.
    :param termination_grace_period_seconds: the pod's ``terminationGracePeriodSeconds`` -
        120 (the chart's default). It includes the preStop sleep, so it must exceed
        ``pre_stop_sleep_seconds`` by at least 30 s of shutdown time.
    :param max_upload_size: the ingress NGINX's request body limit (annotation
        ``nginx.ingress.kubernetes.io/proxy-body-size``; NGINX's default is 1m) - ``2g``.
        A number with an optional k, m or g suffix (any case); ``0`` means unlimited.
    :param sandboxing: the chart's ``enableSandboxing`` - True (the chart's default): Git
        builds run sandboxed, which needs the container's seccomp and AppArmor profiles
        ``Unconfined`` (the namespace can then enforce no Pod Security level above
        ``privileged``). False: ``RuntimeDefault`` profiles (Pod Security ``restricted``),
        and the chart sets ``PACKAGEMANAGER_GIT_ALLOWUNSANDBOXEDGITBUILDS=1``: Git builds
        run unsandboxed inside the Package Manager container.
    :param postgres_cidr: the PostgreSQL subnet - none. With ``private_endpoints_cidr``, a
        NetworkPolicy is added (ingress only from the application-routing NGINX to port
        4242; egress only to DNS, PostgreSQL, the private endpoints and HTTPS on the
        Internet). Both or neither.
    :param private_endpoints_cidr: the private-endpoints subnet (NFS share, Key Vault) - none.
    """

    chart_version: str
    hostname: str
    postgres: PostgresTargetRef
    share: NfsShareRef
    key_vault: KeyVaultRef
    app_identity: ManagedIdentityRef
    bootstrap_identity: ManagedIdentityRef
    postgres_password_secret_name: str
    postgres_admin_login: str
    postgres_admin_password_secret_name: str
    encryption_key_secret_name: str | None = None
    bootstrap_image: str = POSTGRES_CLIENT_IMAGE
    license_secret_name: str = "ppm-license"
    max_open_connections: int = 50
    nfs_mount_options: Sequence[str] = NFS_MOUNT_OPTIONS
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
    keep_persistent_volume: bool = True
    unhealthy_pod_eviction_policy: str = "AlwaysAllow"
    pre_stop_sleep_seconds: int = 10
    termination_grace_period_seconds: int = 120
    max_upload_size: str = "2g"
    sandboxing: bool = True
    postgres_cidr: str | None = None
    private_endpoints_cidr: str | None = None


def validate(props: PackageManagerReleaseProps) -> None:
    """Raise one :class:`PropsError` listing every problem with ``props``."""
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
    req(1 <= props.max_open_connections <= 1000, "max_open_connections", props.max_open_connections, "1 to 1000")
    # [CH] gcfg values are written unquoted: ';' or '#' would start a comment and cut the URL.
    for path, value in (("postgres.fqdn", pg.fqdn), ("postgres.login", pg.login),
                        ("postgres.metadata_database", pg.metadata_database),
                        ("postgres.usage_database", pg.usage_database)):
        literal = _TOKEN.sub("", value)
        if set(literal) & set(";# /?@:"):
            problems.add(path, value, "no ';', '#', spaces or URL delimiters (/ ? @ :): the value goes "
                         "unquoted into a postgres:// URL in rstudio-pm.gcfg")

    share = props.share
    if not is_token(share.quota_gib):
        req(isinstance(share.quota_gib, int) and share.quota_gib >= CLAIM_REQUEST_GIB, "share.quota_gib",
            share.quota_gib, f"a whole number of GiB, at least {CLAIM_REQUEST_GIB} (the smallest premium share; "
            f"the claim requests {CLAIM_REQUEST_GIB}Gi)")
    check_propagation_seconds(problems, "rbac_propagation_seconds", props.rbac_propagation_seconds)
    if props.secret_version is not None and not is_token(props.secret_version):
        req(bool(re.fullmatch(r"[0-9A-Za-z._-]{1,63}", str(props.secret_version))), "secret_version",
            props.secret_version, "a version such as 1 or 2024-06 (letters, digits, '.', '_', '-'; at most 63)")
    req(bool(props.nfs_mount_options), "nfs_mount_options", list(props.nfs_mount_options),
        "at least one mount option (the default list is Posit's)")

    secret_names = {"postgres_password_secret_name": props.postgres_password_secret_name,
                    "postgres_admin_password_secret_name": props.postgres_admin_password_secret_name,
                    "license_secret_name": props.license_secret_name}
    if props.encryption_key_secret_name is not None:
        secret_names["encryption_key_secret_name"] = props.encryption_key_secret_name
    for path, value in secret_names.items():
        req(is_token(value) or bool(_KV_SECRET_NAME.fullmatch(value)), path,
            value if is_token(value) or _KV_SECRET_NAME.fullmatch(value) else "<redacted>",
            "1-127 letters, digits and hyphens")
    check_database_access(problems, props, secret_names)

    req(props.unhealthy_pod_eviction_policy in UNHEALTHY_POD_EVICTION_POLICIES, "unhealthy_pod_eviction_policy",
        props.unhealthy_pod_eviction_policy, " or ".join(UNHEALTHY_POD_EVICTION_POLICIES))
    req(0 <= props.pre_stop_sleep_seconds <= 120, "pre_stop_sleep_seconds", props.pre_stop_sleep_seconds,
        "0 (no preStop hook) to 120")
    req(props.termination_grace_period_seconds >= props.pre_stop_sleep_seconds + MIN_SHUTDOWN_SECONDS,
        "termination_grace_period_seconds", props.termination_grace_period_seconds,
        f"at least pre_stop_sleep_seconds + {MIN_SHUTDOWN_SECONDS} "
        f"({props.pre_stop_sleep_seconds + MIN_SHUTDOWN_SECONDS}): the grace period includes the preStop sleep")
    req(bool(_NGINX_SIZE.fullmatch(str(props.max_upload_size))), "max_upload_size", props.max_upload_size,
        "an NGINX size: a number with an optional k, m or g suffix, e.g. 512m or 2g; 0 for no limit")
    if (props.postgres_cidr is None) != (props.private_endpoints_cidr is None):
        problems.add("private_endpoints_cidr" if props.private_endpoints_cidr is None else "postgres_cidr", None,
                     "postgres_cidr and private_endpoints_cidr together (the NetworkPolicy needs both), or neither")
    for path, value in (("postgres_cidr", props.postgres_cidr), ("private_endpoints_cidr", props.private_endpoints_cidr)):
        if value is not None and not is_token(value):
            req(cidr_or_none(value) is not None, path, value, "an IPv4 CIDR such as 10.40.8.0/27")

    r = props.resources
    for kind, request, limit, example in (
            ("cpu", r.cpu_request, r.cpu_limit, CPU_EXAMPLES),
            ("memory", r.memory_request, r.memory_limit, MEMORY_EXAMPLES),
            ("ephemeral_storage", r.ephemeral_storage_request, r.ephemeral_storage_limit, MEMORY_EXAMPLES)):
        parsed_request, parsed_limit = parse_non_negative(request), parse_non_negative(limit)
        req(parsed_request is not None, f"resources.{kind}_request", request, f"a Kubernetes quantity such as {example}")
        req(parsed_limit is not None, f"resources.{kind}_limit", limit, f"a Kubernetes quantity such as {example}")
        if parsed_request is not None and parsed_limit is not None:
            req(parsed_request <= parsed_limit, f"resources.{kind}_request", request,
                f"at most resources.{kind}_limit ({limit}); the API server rejects a request above its limit")
    problems.raise_if_any()
