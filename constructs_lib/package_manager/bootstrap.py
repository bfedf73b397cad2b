"""The least-privilege database login of Package Manager and the Helm hook that maintains it (pure Python).

Package Manager connects as its own login (``postgres.login`` of the props, e.g. ``ppm``), never as the
server administrator. A Kubernetes Job, run by Helm before every install and upgrade
(``helm.sh/hook: pre-install,pre-upgrade``), connects as the administrator and, idempotently:

1. creates the login if it does not exist and sets its password (``ALTER ROLE ... PASSWORD``) from
   the Key Vault secret, with ``NOCREATEDB NOCREATEROLE`` (never superuser, never a member of any role,
   ``azure_pg_admin`` included: the Job fails if it is);
2. lets the administrator act as the login (``GRANT <login> TO CURRENT_USER``: on PostgreSQL 16 the
   creator of a role only holds ADMIN OPTION on it, and ``ALTER DATABASE ... OWNER TO`` needs the
   right to ``SET ROLE`` to the new owner ([PG] sql-alterdatabase));
3. makes the login the owner of both Package Manager databases, and in each moves the schemas,
   tables, views, sequences, routines and enum/range types the administrator owns (those of a release
   that connected as the administrator) to the login;
4. checks that the login may create objects in ``public``: from PostgreSQL 15 the ``public`` schema
   is owned by ``pg_database_owner``, the role that owns the current database ([PG] 15 release notes,
   ddl-schemas "The Public Schema"), so owning the database is what grants it; before 15 every role
   has CREATE on ``public``.

The Job has its own service account, its own workload identity (granted *Key Vault Secrets User* on
the administrator password secret and the login's password secret only) and its own
SecretProviderClass, which syncs no Kubernetes Secret: the two passwords exist only as files in the
Job's CSI volume. The Package Manager pods never mount that class.

Everything here ends up in the chart's ``extraObjects``, which the chart renders with ``tpl``
([CH] templates/extra-objects.yaml), and inside a Terraform string: the script must contain
neither ``{{`` nor ``${`` nor ``%{`` (tests check).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from constructs_lib.facts import POSTGRES_RESERVED_LOGINS
from constructs_lib.package_manager.manifests import SECRET_PROVIDER_CLASS_API, SECRETS_STORE_CSI_DRIVER
from constructs_lib.validation import Problems, is_token

if TYPE_CHECKING:
    from constructs_lib.package_manager.props import PackageManagerReleaseProps

#: A small PostgreSQL client image (psql 16 speaks to servers 13-17), pinned by digest: the Job holds the
#: administrator password, so a mutable tag would hand it to whoever can move the tag. The digest is the
#: postgres:16-alpine image as several public projects pin it (it could not be resolved here, offline);
#: check it, or pin your own mirror in ACR: ``docker buildx imagetools inspect postgres:16-alpine``.
POSTGRES_CLIENT_IMAGE = ("docker.io/library/postgres:16-alpine"
                         "@sha256:57c72fd2a128e416c7fcc499958864df5301e940bca0a56f58fddf30ffc07777")
#: The ``postgres`` user of the Alpine-based image (uid/gid 70).
POSTGRES_CLIENT_UID = 70

#: [WI] azure.github.io/azure-workload-identity: the service account annotation naming the identity,
#: and the pod label that opts a pod into the mutating webhook.
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
#: [WI] the audience of the service account tokens a federated credential accepts.
WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange"

#: [HELM] helm.sh/docs/topics/charts_hooks.
HOOK = "helm.sh/hook"
HOOK_WEIGHT = "helm.sh/hook-weight"
HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
HOOK_EVENTS = "pre-install,pre-upgrade"

#: File names of the two passwords in the Job's CSI volume (``objectAlias``).
ADMIN_PASSWORD_FILE = "admin-password"
APP_PASSWORD_FILE = "app-password"
MOUNT_PATH = "/mnt/secrets-store"
BOOTSTRAP_SUFFIX = "db-bootstrap"


def service_account_names(fullname: str) -> tuple[str, str]:
    """The service accounts of the Package Manager pods and of the bootstrap Job; the subjects of
    their federated credentials are ``system:serviceaccount:<namespace>:<name>``."""
    return fullname, f"{fullname}-{BOOTSTRAP_SUFFIX}"


def federated_subject(namespace: str, service_account: str) -> str:
    """[WI] the ``sub`` claim of a service account token issued by the cluster's OIDC issuer."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def _per_database(variable: str) -> str:
    return f"""
\\connect :"{variable}"
SELECT set_config('ppm_bootstrap.app_login', :'app_login', false) AS app_login \\gset
-- What the administrator owns here (a release that connected as the administrator created it) moves to the login.
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, :'app_login')
  FROM pg_namespace n
 WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) \\gexec
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, :'app_login')
  FROM pg_class c
 WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                            AND d.deptype IN ('a', 'i')) \\gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'app_login')
  FROM pg_proc p
 WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) \\gexec
SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, :'app_login')
  FROM pg_type t
 WHERE t.typowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND t.typtype IN ('e', 'r') \\gexec
DO $$
DECLARE
  login text := current_setting('ppm_bootstrap.app_login');
BEGIN
  -- PostgreSQL 15+: public is owned by pg_database_owner, i.e. by the owner of this database.
  IF NOT has_schema_privilege(login, 'public', 'CREATE') THEN
    RAISE EXCEPTION 'login % cannot create objects in schema public of database %', login, current_database();
  END IF;
  IF (SELECT datdba FROM pg_database WHERE datname = current_database())
     <> (SELECT oid FROM pg_roles WHERE rolname = login) THEN
    RAISE EXCEPTION 'login % does not own database %', login, current_database();
  END IF;
END
$$;
"""


#: The psql script of the Job: idempotent (every statement either creates what is missing or sets a
#: value to what it must be), variables ``app_login``, ``metadata_db``, ``usage_db``; it reads the
#: login's password from the mounted file with a psql backtick, so it never appears in a process list.
BOOTSTRAP_SQL = f"""\\set ON_ERROR_STOP on
SELECT set_config('ppm_bootstrap.app_login', :'app_login', false) AS app_login \\gset
SELECT format('CREATE ROLE %I LOGIN', :'app_login')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_login') \\gexec
ALTER ROLE :"app_login" WITH LOGIN NOCREATEDB NOCREATEROLE;
-- The password is sent only when the login does not already sign in with it (a new login or a rotation):
-- a statement that carries it could reach the server log (log_statement ddl/all, a failing statement).
\\if :set_password
\\set app_password `cat {MOUNT_PATH}/{APP_PASSWORD_FILE}`
ALTER ROLE :"app_login" PASSWORD :'app_password';
\\unset app_password
\\endif
-- PostgreSQL 16: the creator holds only ADMIN OPTION on the role; ALTER DATABASE ... OWNER TO needs SET ROLE.
GRANT :"app_login" TO CURRENT_USER;
ALTER DATABASE :"metadata_db" OWNER TO :"app_login";
ALTER DATABASE :"usage_db" OWNER TO :"app_login";
DO $$
DECLARE
  login text := current_setting('ppm_bootstrap.app_login');
  r pg_roles%ROWTYPE;
BEGIN
  SELECT * INTO r FROM pg_roles WHERE rolname = login;
  IF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls THEN
    RAISE EXCEPTION 'login % has a privileged attribute (SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS)', login;
  END IF;
  IF EXISTS (SELECT FROM pg_auth_members m WHERE m.member = r.oid) THEN
    RAISE EXCEPTION 'login % is a member of another role (e.g. azure_pg_admin): revoke it', login;
  END IF;
END
$$;
{_per_database("metadata_db")}{_per_database("usage_db")}"""

#: The container's shell script: the administrator password only as PGPASSWORD of psql, from the file.
BOOTSTRAP_SH = f"""set_password=on
if PGUSER="$APP_LOGIN" PGDATABASE="$METADATA_DB" PGPASSWORD="$(cat {MOUNT_PATH}/{APP_PASSWORD_FILE})" \\
    psql -X -q -t -c 'SELECT 1' >/dev/null 2>&1; then
  set_password=off  # the login exists and already signs in with this password
fi
PGPASSWORD="$(cat {MOUNT_PATH}/{ADMIN_PASSWORD_FILE})"
export PGPASSWORD
psql -X -q -v app_login="$APP_LOGIN" -v metadata_db="$METADATA_DB" -v usage_db="$USAGE_DB" \\
  -v set_password="$set_password" <<'SQL'
{BOOTSTRAP_SQL}SQL
"""


def bootstrap_objects(*, fullname: str, namespace: str, image: str, postgres_fqdn: str, postgres_port: int | str,
                      admin_login: str, app_login: str, metadata_database: str, usage_database: str,
                      key_vault_name: str, tenant_id: str, identity_client_id: str,
                      admin_password_secret_name: str, app_password_secret_name: str) -> list[dict[str, Any]]:
    """The hook's ServiceAccount, SecretProviderClass and Job (weights -20, -20, -10: Helm creates the
    first two before the Job; all before the chart's own objects)."""
    _, service_account = service_account_names(fullname)
    name = service_account
    spc_name = f"{fullname}-{BOOTSTRAP_SUFFIX}-key-vault"
    kept = {HOOK: HOOK_EVENTS, HOOK_WEIGHT: "-20", HOOK_DELETE_POLICY: "before-hook-creation"}
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": BOOTSTRAP_SUFFIX}
    objects = "array:\n" + "".join(
        f"  - |\n    objectName: {kv}\n    objectType: secret\n    objectAlias: {alias}\n"
        for kv, alias in ((admin_password_secret_name, ADMIN_PASSWORD_FILE),
                          (app_password_secret_name, APP_PASSWORD_FILE)))
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": {
                **kept, WORKLOAD_IDENTITY_CLIENT_ID: identity_client_id}},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": SECRET_PROVIDER_CLASS_API,
            "kind": "SecretProviderClass",
            "metadata": {"name": spc_name, "namespace": namespace, "annotations": dict(kept)},
            # No secretObjects: the passwords stay files in the Job's volume, never a Kubernetes Secret.
            "spec": {"provider": "azure", "parameters": workload_identity_parameters(
                key_vault_name=key_vault_name, tenant_id=tenant_id, client_id=identity_client_id, objects=objects)},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": {
                HOOK: HOOK_EVENTS, HOOK_WEIGHT: "-10",
                # A failed Job stays for `kubectl logs` until the next attempt replaces it.
                HOOK_DELETE_POLICY: "before-hook-creation,hook-succeeded"}},
            "spec": {
                "backoffLimit": 3,
                "activeDeadlineSeconds": 600,
                "template": {
                    "metadata": {"labels": {**labels, WORKLOAD_IDENTITY_USE: "true"}},
                    "spec": {
                        "serviceAccountName": service_account,
                        "automountServiceAccountToken": False,
                        "restartPolicy": "Never",
                        "securityContext": {"runAsNonRoot": True, "runAsUser": POSTGRES_CLIENT_UID,
                                            "runAsGroup": POSTGRES_CLIENT_UID,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [{
                            "name": "psql",
                            "image": image,
                            "command": ["/bin/sh", "-euc", BOOTSTRAP_SH],
                            "env": [
                                {"name": "PGHOST", "value": postgres_fqdn},
                                {"name": "PGPORT", "value": str(postgres_port)},
                                {"name": "PGUSER", "value": admin_login},
                                {"name": "PGDATABASE", "value": "postgres"},
                                {"name": "PGSSLMODE", "value": "require"},
                                {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                                {"name": "PGAPPNAME", "value": name},
                                {"name": "APP_LOGIN", "value": app_login},
                                {"name": "METADATA_DB", "value": metadata_database},
                                {"name": "USAGE_DB", "value": usage_database},
                            ],
                            "volumeMounts": [{"name": "key-vault-secrets", "mountPath": MOUNT_PATH, "readOnly": True}],
                            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}},
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                          "limits": {"cpu": "500m", "memory": "256Mi"}},
                        }],
                        "volumes": [{"name": "key-vault-secrets", "csi": {
                            "driver": SECRETS_STORE_CSI_DRIVER, "readOnly": True,
                            "volumeAttributes": {"secretProviderClass": spc_name}}}],
                    },
                },
            },
        },
    ]


def workload_identity_parameters(*, key_vault_name: str, tenant_id: str, client_id: str, objects: str) -> dict[str, str]:
    """[CSI-KV] configurations/identity-access-modes/workload-identity-mode: ``clientID`` of the identity
    federated to the pod's service account, and ``tenantID`` (``tenantId`` is the deprecated spelling)."""
    return {
        "usePodIdentity": "false",
        "clientID": client_id,
        "keyvaultName": key_vault_name,
        "tenantID": tenant_id,
        "objects": objects,
    }


def _looks_like_a_password(value: str) -> bool:
    """A Key Vault secret *name* is words and hyphens; mixed case with digits and no hyphen, or any
    character a name cannot hold, is a value pasted where a name belongs."""
    if any(not (c.isalnum() or c == "-") for c in value):
        return True
    has = (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value))
    return len(value) >= 16 and all(has) and "-" not in value


def check_database_access(problems: Problems, props: "PackageManagerReleaseProps",
                          secret_names: Mapping[str, str]) -> None:
    """Validation of the login, the secret names and the identities (called by ``validate``)."""
    login, admin = props.postgres.login, props.postgres_admin_login
    if not is_token(login):
        problems.require(login not in POSTGRES_RESERVED_LOGINS, "postgres.login", login,
                         "a login other than " + ", ".join(sorted(POSTGRES_RESERVED_LOGINS)))
        problems.require(not login.startswith("pg_"), "postgres.login", login, "a name not starting with pg_ (reserved)")
    problems.require(login != admin, "postgres.login", login,
                     f"a login other than the server's administrator ({admin}): Package Manager connects as its own "
                     "least-privilege login, which the bootstrap Job creates")
    for path, value in secret_names.items():
        if not is_token(value) and _looks_like_a_password(value):
            problems.add(path, "<redacted>", "the NAME of a Key Vault secret (letters, digits, hyphens), never a "
                         "password or key itself: values reach the pods only from Key Vault")
    app_secret, admin_secret = props.postgres_password_secret_name, props.postgres_admin_password_secret_name
    problems.require(app_secret != admin_secret, "postgres_password_secret_name", app_secret,
                     "the secret of postgres.login's password, not the administrator's "
                     f"(postgres_admin_password_secret_name {admin_secret}): the pods must never read it")
    problems.require(props.app_identity.client_id != props.bootstrap_identity.client_id, "bootstrap_identity",
                     props.bootstrap_identity.client_id,
                     "an identity other than app_identity: only the bootstrap Job may read the administrator password")
