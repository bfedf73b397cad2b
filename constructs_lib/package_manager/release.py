"""The :class:`PackageManagerRelease` construct: one ``helm_release`` of the official ``rstudio-pm``
chart (id ``Resource``) whose ``values`` is one plain YAML document (readable in cdk.tf.json
and in plan diffs; cross-stack values appear in it as ``${...}`` interpolations), plus the
Key Vault role for the Secrets Store CSI identity and the wait for it.

Props and validation: :mod:`constructs_lib.package_manager.props`; the values:
:mod:`constructs_lib.package_manager.values`.
"""

from __future__ import annotations

from cdktf import ITerraformDependable, TerraformProvider
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_time.sleep import Sleep
from constructs import Construct

from constructs_lib.package_manager.props import CHART, PackageManagerReleaseProps, validate
from constructs_lib.package_manager.values import ReleaseNames, chart_values, values_yaml
from constructs_lib.rbac import grant_role, propagation_wait

#: Built-in role that reads secret contents ([MS] key-vault/general/rbac-guide).
KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"


class PackageManagerRelease(Construct):
    """``helm_release`` (id ``Resource``) of ``rstudio-pm``, plus the Key Vault role for the CSI identity.

    Example::

        PackageManagerRelease(self, "package-manager", PackageManagerReleaseProps(
            chart_version="0.20.4", hostname="packages.example.com",
            postgres=server.target(metadata_database="packagemanager", usage_database="packagemanager_usage"),
            share=files.ref(), key_vault=vault.ref(), secrets_identity=aks.secrets_provider_identity(),
            postgres_password_secret_name=password_secret.name))

    Attributes: ``resource`` (the release), ``values`` (the values as a dict),
    ``key_vault_access`` (the role assignment), ``key_vault_access_ready`` (the ``time_sleep``
    the release waits for; None with ``rbac_propagation_seconds=0``), ``fullname``, ``persistent_volume_name``,
    ``claim_name``, ``secret_provider_class_name``, ``postgres_secret_name``, ``license_secret_name``.
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
        self.license_secret_name = names.license_secret
        self.values = chart_values(props)

        self.key_vault_access = grant_role(
            self, "key-vault-secrets-user", target_scope=props.key_vault.id, role=KEY_VAULT_SECRETS_USER,
            principal_id=props.secrets_identity.object_id,
            principal_type="ServicePrincipal",  # managed identities are service principals
            description="Secrets Store CSI add-on identity reads the Package Manager secrets")
        # Helm installs as soon as the grant exists; the pods' CSI mounts would then meet a
        # 403 until it propagates. Triggers: a replaced grant waits again, and so does a new
        # secret_version (the CSI rotation syncs the new value into the Secret within its
        # 2-minute poll, before the rollout that the annotation starts).
        triggers = {"key_vault_access": self.key_vault_access.id}
        if props.secret_version is not None:
            triggers["secret_version"] = str(props.secret_version)
        self.key_vault_access_ready: Sleep | None = propagation_wait(
            self, "key-vault-access-propagation", seconds=props.rbac_propagation_seconds, triggers=triggers)
        wait_for: list[ITerraformDependable] = [self.key_vault_access_ready or self.key_vault_access]
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
            provider=provider,
        )

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def namespace(self) -> str:
        return self.props.namespace
