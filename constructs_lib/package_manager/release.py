"""The :class:`PackageManagerRelease` construct: one ``helm_release`` of the official ``rstudio-pm``
chart (id ``Resource``) whose ``values`` is one plain YAML document (readable in cdk.tf.json
and in plan diffs; cross-stack values appear in it as ``${...}`` interpolations), plus the
Key Vault roles of its two workload identities, each scoped to single secrets, and the wait for them.

Azure RBAC on Key Vault honours assignments at secret scope
(``<vault id>/secrets/<name>``; [MS] key-vault/general/rbac-guide, "Secret scope role
assignment"), and ``azurerm_role_assignment.scope`` takes any resource id
(hashicorp/terraform-provider-azurerm v4.55.0 internal/services/authorization/role_assignment_resource.go:
``azure.ValidateResourceID`` among the accepted forms).

Props and validation: :mod:`constructs_lib.package_manager.props`; the values:
:mod:`constructs_lib.package_manager.values`.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk import ITerraformDependable, TerraformProvider
from constructs_lib.cdk.azurerm import RoleAssignment
from constructs_lib.cdk.helm import Release
from constructs_lib.cdk.time import Sleep
from constructs_lib.package_manager.props import CHART, PackageManagerReleaseProps, validate
from constructs_lib.package_manager.values import ReleaseNames, chart_values, values_yaml
from constructs_lib.rbac import grant_role, propagation_wait

#: Built-in role that reads secret contents ([MS] key-vault/general/rbac-guide).
KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"


def secret_scope(key_vault_id: str, secret_name: str) -> str:
    """The ARM scope of one Key Vault secret: ``<vault id>/secrets/<name>`` ([MS] rbac-guide)."""
    return f"{key_vault_id}/secrets/{secret_name}"


class PackageManagerRelease(Construct):
    """``helm_release`` (id ``Resource``) of ``rstudio-pm``, plus secret-scoped Key Vault roles for its identities.

    Example::

        PackageManagerRelease(self, "package-manager", PackageManagerReleaseProps(
            chart_version="0.20.4", hostname="packages.example.com",
            postgres=server.target(metadata_database="packagemanager", usage_database="packagemanager_usage",
                                   login="ppm"),
            share=files.ref(), key_vault=vault.ref(),
            app_identity=app_identity.ref(), bootstrap_identity=bootstrap_identity.ref(),
            postgres_password_secret_name=app_password_secret.name,
            postgres_admin_login=server.administrator_login,
            postgres_admin_password_secret_name=admin_password_secret.name))

    Attributes: ``resource`` (the release), ``values`` (the values as a dict),
    ``key_vault_grants`` (the role assignments by id: ``app-<secret>`` and ``bootstrap-<secret>``,
    where ``<secret>`` is ``postgres-password``, ``license``, ``encryption-key`` or ``admin-password``),
    ``key_vault_access_ready`` (the ``time_sleep``
    the release waits for; None with ``rbac_propagation_seconds=0``), ``fullname``, ``persistent_volume_name``,
    ``claim_name``, ``secret_provider_class_name``, ``postgres_secret_name``, ``license_secret_name``,
    ``service_account_name`` and ``bootstrap_service_account_name`` (the subjects their identities
    must be federated to: :func:`constructs_lib.package_manager.bootstrap.service_account_names`).
    """

    def __init__(self, scope: Construct, id: str, props: PackageManagerReleaseProps, *,
                 provider: TerraformProvider | None = None) -> None:
        validate(props)
        super().__init__(scope, id)
        self.props = props
        names = ReleaseNames.of(props)
        self.fullname = names.fullname
        self.claim_name = names.claim
        self.persistent_volume_name = names.persistent_volume
        self.secret_provider_class_name = names.secret_provider_class
        self.postgres_secret_name = names.postgres_secret
        self.service_account_name = names.service_account
        self.bootstrap_service_account_name = names.bootstrap_service_account
        self.license_secret_name = names.license_secret
        self.values = chart_values(props)

        # Least privilege: each identity reads exactly its secrets (secret-scope assignments), the
        # pods never the administrator password; no grant to the add-on's node-wide identity.
        reads = {
            "app": (props.app_identity, "Package Manager pods read", {
                "postgres-password": props.postgres_password_secret_name,
                "license": props.license_secret_name,
                **({"encryption-key": props.encryption_key_secret_name}
                   if props.encryption_key_secret_name is not None else {}),
            }),
            "bootstrap": (props.bootstrap_identity, "Database login bootstrap Job reads", {
                "admin-password": props.postgres_admin_password_secret_name,
                "postgres-password": props.postgres_password_secret_name,
            }),
        }
        self.key_vault_grants: dict[str, RoleAssignment] = {}
        for who, (identity, purpose, secrets) in reads.items():
            for what, secret_name in secrets.items():
                self.key_vault_grants[f"{who}-{what}"] = grant_role(
                    self, f"key-vault-secrets-user-{who}-{what}", target_scope=secret_scope(props.key_vault.id, secret_name),
                    role=KEY_VAULT_SECRETS_USER, principal_id=identity.object_id,
                    principal_type="ServicePrincipal",  # managed identities are service principals
                    description=f"{purpose} the Key Vault secret {what}")
        # Helm installs as soon as the grants exist; the CSI mounts would then meet a 403 until
        # they propagate. Triggers: a replaced grant waits again, and so does a new
        # secret_version (the CSI rotation syncs the new value into the Secret within its
        # 2-minute poll, before the rollout that the annotation starts).
        triggers = {f"key_vault_access_{gid}": g.id for gid, g in self.key_vault_grants.items()}
        # The pods and the hook Job sign in through their identities' federated credentials: a new or
        # replaced credential must exist (and propagate) before Helm starts them, or the CSI mounts fail.
        for purpose, identity in (("app", props.app_identity), ("bootstrap", props.bootstrap_identity)):
            if identity.federated_credential_id:
                triggers[f"federation_{purpose}"] = identity.federated_credential_id
        if props.secret_version is not None:
            triggers["secret_version"] = str(props.secret_version)
        self.key_vault_access_ready: Sleep | None = propagation_wait(
            self, "key-vault-access-propagation", seconds=props.rbac_propagation_seconds, triggers=triggers)
        wait_for: list[ITerraformDependable] = (
            [self.key_vault_access_ready] if self.key_vault_access_ready else list(self.key_vault_grants.values()))
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
            # The hook Job and the pods can only start once their identities may read their secrets.
            depends_on=wait_for,
            provider=provider,
        )

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def namespace(self) -> str:
        return self.props.namespace
