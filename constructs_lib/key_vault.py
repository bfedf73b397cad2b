"""A private Key Vault: RBAC authorization, purge protection, private endpoint, public access off."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from constructs import Construct

from constructs_lib.cdk import ITerraformDependable, TerraformResourceLifecycle
from constructs_lib.cdk.azurerm import KeyVault as KeyVaultResource, KeyVaultNetworkAcls, KeyVaultSecret, RoleAssignment
from constructs_lib.cdk.time import Sleep
from constructs_lib.diagnostics import Diagnostics
from constructs_lib.facts import KEY_VAULT_NAME, KEY_VAULT_SECRET_NAME, KEY_VAULT_SOFT_DELETE_DAYS
from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointSpec
from constructs_lib.rbac import grant_role, propagation_wait
from constructs_lib.refs import KeyVaultRef
from constructs_lib.validation import Problems, check_propagation_seconds, is_public_ipv4, is_token

_NAME = re.compile(KEY_VAULT_NAME)
_SECRET_NAME = re.compile(KEY_VAULT_SECRET_NAME)


@dataclass(frozen=True, kw_only=True)
class KeyVaultProps:
    """Props of :class:`PrivateKeyVault`.

    :param name: vault name, 3-24 letters, digits and hyphens, globally unique. Changing it
        replaces the vault (and a soft-deleted vault keeps its name reserved for the retention period).
    :param resource_group_name: its resource group.
    :param location: Azure region.
    :param tenant_id: Entra ID tenant that authenticates requests to the vault.
    :param private_endpoint: where the vault's private endpoint (``vault`` sub-resource) goes;
        its zone is ``privatelink.vaultcore.azure.net``.
    :param sku_name: ``standard`` (default) or ``premium`` (HSM-backed keys).
    :param soft_delete_retention_days: 7-90; default 90. Azure fixes it at creation: changing it later
        fails at apply.
    :param allowed_ip_ranges: public IPv4 addresses or CIDRs allowed through the vault firewall -
        none: public network access is disabled and the data plane is reachable only through the
        private endpoint. When set, public access is enabled with default action Deny, no bypass
        for Azure services, and only these addresses.
    :param log_analytics_workspace_id: send audit logs and metrics there - no diagnostics.
    :param rbac_propagation_seconds: how long each :meth:`add_secret` waits (a ``time_sleep``,
        hashicorp/time provider) after the vault's grants and private endpoint are created, before
        writing the secret - 120. A new role assignment takes a while to reach Key Vault (writes
        fail with ``403 ForbiddenByRbac`` until it has: hashicorp/terraform-provider-azurerm#23927),
        and the endpoint's A record can appear in the private DNS zone after the endpoint reports
        done (hashicorp/terraform-provider-azurerm#18659). Bounds: :data:`constructs_lib.facts.RBAC_PROPAGATION_SECONDS`; 0: no wait (and no time provider needed). With a wait, the stack
        needs a ``TimeProvider`` (``constructs_lib.cdk.time``); cdktf says so at synth.
    :param prevent_destroy: ``lifecycle.prevent_destroy`` on the vault - True.
    :param tags: - none (a tagging Aspect may add them).
    """

    name: str
    resource_group_name: str
    location: str
    tenant_id: str
    private_endpoint: PrivateEndpointSpec
    sku_name: str = "standard"
    soft_delete_retention_days: int = 90
    allowed_ip_ranges: Sequence[str] = ()
    log_analytics_workspace_id: str | None = None
    rbac_propagation_seconds: int = 120
    prevent_destroy: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class PrivateKeyVault(Construct):
    """``azurerm_key_vault`` (id ``Resource``) in RBAC mode with purge protection and soft delete,
    its private endpoint (``private_endpoint``) and optional diagnostics.

    Access is granted with :meth:`grant` (Azure RBAC role assignments scoped to the vault);
    secrets written by Terraform go through :meth:`add_secret`, which waits for the grants and
    the private endpoint made so far (data-plane calls need both), then a further
    ``rbac_propagation_seconds`` (``time_sleep``, so add a ``TimeProvider`` to the stack) for the
    role assignments and the endpoint's DNS record to take effect.

    Example::

        vault = PrivateKeyVault(self, "key-vault", KeyVaultProps(
            name="kv-dev-1a2b3c4d", resource_group_name=rg, location="eastus2", tenant_id=tenant,
            private_endpoint=PrivateEndpointSpec(subnet_id=pe_subnet, private_dns_zone_id=kv_zone)))
        vault.grant("deployer", principal_id=me.object_id, role="Key Vault Secrets Officer")
        vault.add_secret("db-password", name="db-password", value_wo=password.result, value_wo_version=1)
    """

    def __init__(self, scope: Construct, id: str, props: KeyVaultProps) -> None:
        _validate(props)
        super().__init__(scope, id)
        self.props = props
        ranges = list(props.allowed_ip_ranges)
        self.resource = KeyVaultResource(
            self, "Resource",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            tenant_id=props.tenant_id,
            sku_name=props.sku_name,
            rbac_authorization_enabled=True,  # Azure RBAC, no access policies [P] (4.x name)
            purge_protection_enabled=True,    # a deleted vault or secret can be recovered, never purged early
            soft_delete_retention_days=props.soft_delete_retention_days,
            public_network_access_enabled=bool(ranges),
            network_acls=KeyVaultNetworkAcls(default_action="Deny", bypass="None", ip_rules=ranges or None),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.prevent_destroy),
            tags=dict(props.tags) or None,
        )
        self.private_endpoint = PrivateEndpoint.attach(
            self, spec=props.private_endpoint, name=f"pe-{props.name}", target_resource_id=self.resource.id,
            subresource_name="vault", resource_group_name=props.resource_group_name, location=props.location,
            tags=props.tags)
        self.diagnostics = Diagnostics.attach(self, target_resource_id=self.resource.id,
                                              log_analytics_workspace_id=props.log_analytics_workspace_id)
        self.role_assignments: dict[str, RoleAssignment] = {}
        self.secrets: dict[str, KeyVaultSecret] = {}
        #: The ``time_sleep`` each secret waits on, by secret id (none when the wait is 0).
        self.secret_waits: dict[str, Sleep] = {}

    def grant(self, id: str, *, principal_id: str, role: str, principal_type: str | None = None) -> RoleAssignment:
        """Assign a built-in role (e.g. ``Key Vault Secrets User``) to a principal, scoped to this vault.

        :param id: construct id, unique within this vault (``grant-<id>``).
        :param principal_type: ``User``, ``Group`` or ``ServicePrincipal`` - detected by Azure.
        """
        problems = Problems("PrivateKeyVault.grant")
        problems.require(role.startswith("Key Vault "), "role", role,
                         "a Key Vault data-plane role such as 'Key Vault Secrets User' or 'Key Vault Secrets Officer'")
        problems.require(id not in self.role_assignments, "id", id, "an id not used by another grant on this vault")
        problems.raise_if_any()
        assignment = grant_role(self, f"grant-{id}", target_scope=self.resource.id, role=role,
                                principal_id=principal_id, principal_type=principal_type)
        self.role_assignments[id] = assignment
        return assignment

    def add_secret(self, id: str, *, name: str, value_wo: str, value_wo_version: int,
                   content_type: str = "password") -> KeyVaultSecret:
        """A secret whose value is write-only: Terraform sends it and keeps it out of state and plan.

        The value is (re)written only when ``value_wo_version`` changes (Terraform >= 1.11). The
        secret waits for every grant made so far and the private endpoint, then for
        ``rbac_propagation_seconds`` (a ``time_sleep`` with id ``secret-<id>-wait``, re-run
        when one of those grants or the endpoint is replaced), so the first apply can write it.

        :param content_type: a hint for readers - ``password``.
        """
        problems = Problems("PrivateKeyVault.add_secret")
        problems.require(is_token(name) or bool(_SECRET_NAME.fullmatch(name)), "name", name,
                         "1-127 letters, digits and hyphens")
        problems.require(isinstance(value_wo_version, int) and value_wo_version >= 1, "value_wo_version",
                         value_wo_version, "an integer >= 1; increase it to write a new value")
        problems.require(bool(value_wo), "value_wo", "<empty>", "a value (normally a reference such as random_password.result)")
        problems.require(id not in self.secrets, "id", id, "an id not used by another secret in this vault")
        problems.raise_if_any()
        depends: list[ITerraformDependable] = [*self.role_assignments.values(), self.private_endpoint.resource]
        # RBAC propagation (hashicorp/terraform-provider-azurerm#23927) and private DNS registration
        # (hashicorp/terraform-provider-azurerm#18659) both lag behind the resources Terraform sees
        # as created; nothing in Azure can be polled for either.
        wait = propagation_wait(
            self, f"secret-{id}-wait", seconds=self.props.rbac_propagation_seconds,
            triggers={**{f"grant-{gid}": a.id for gid, a in self.role_assignments.items()},
                      "private-endpoint": self.private_endpoint.id},
            depends_on=depends,
        )
        if wait is not None:
            self.secret_waits[id] = wait
            depends = [wait]
        secret = KeyVaultSecret(
            self, f"secret-{id}",
            key_vault_id=self.resource.id,
            name=name,
            value_wo=value_wo,
            value_wo_version=value_wo_version,
            content_type=content_type,
            depends_on=depends,
        )
        self.secrets[id] = secret
        return secret

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def vault_uri(self) -> str:
        return self.resource.vault_uri

    def ref(self) -> KeyVaultRef:
        """A reference for constructs in other stacks (becomes cross-stack outputs where used)."""
        return KeyVaultRef(id=self.resource.id, name=self.resource.name, tenant_id=self.resource.tenant_id)


def _validate(props: KeyVaultProps) -> None:
    problems = Problems("PrivateKeyVault")
    problems.require(is_token(props.name) or bool(_NAME.fullmatch(props.name)), "name", props.name,
                     "3-24 letters, digits and single hyphens, starting with a letter, ending with a letter or digit")
    problems.require(props.sku_name in ("standard", "premium"), "sku_name", props.sku_name, "'standard' or 'premium'")
    lo, hi = KEY_VAULT_SOFT_DELETE_DAYS
    problems.require(lo <= props.soft_delete_retention_days <= hi, "soft_delete_retention_days",
                     props.soft_delete_retention_days, f"{lo} to {hi} days")
    check_propagation_seconds(problems, "rbac_propagation_seconds", props.rbac_propagation_seconds)
    for value in props.allowed_ip_ranges:
        problems.require(is_public_ipv4(value), "allowed_ip_ranges", value,
                         "public IPv4 addresses or CIDRs such as 203.0.113.7 or 203.0.113.0/24 "
                         "(private addresses reach the vault through its private endpoint)")
    problems.raise_if_any()
