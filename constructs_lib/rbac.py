"""Azure role grants, and the wait that lets a new grant take effect before anything relies on it.

Every construct that grants a role uses :func:`grant_role`; every construct whose next step
needs the grant in force (writing a Key Vault secret, Helm calling the Kubernetes API, pods
mounting Key Vault secrets) follows it with :func:`propagation_wait`, whose bounds
:func:`constructs_lib.validation.check_propagation_seconds` checks. Azure honours a new role
assignment only after it has propagated, and nothing can be polled for that (sources at
:data:`constructs_lib.facts.RBAC_PROPAGATION_SECONDS`; hashicorp/terraform-provider-azurerm#23927).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from constructs_lib.cdk import ITerraformDependable
from constructs_lib.cdk.azurerm import RoleAssignment
from constructs_lib.cdk.time import Sleep
from constructs import Construct



def grant_role(scope: Construct, id: str, *, target_scope: str, role: str, principal_id: str,
               principal_type: str | None = None, description: str | None = None,
               skip_service_principal_aad_check: bool | None = None) -> RoleAssignment:
    """``azurerm_role_assignment`` of the built-in ``role`` to ``principal_id`` on ``target_scope``.

    :param principal_type: ``User``, ``Group`` or ``ServicePrincipal`` - detected by Azure.
        Managed identities are ``ServicePrincipal``.
    :param skip_service_principal_aad_check: set for an identity created in the same apply
        (Entra ID replication lag) - the provider's default.
    """
    return RoleAssignment(
        scope, id,
        scope=target_scope,
        role_definition_name=role,
        principal_id=principal_id,
        principal_type=principal_type,
        description=description,
        skip_service_principal_aad_check=skip_service_principal_aad_check,
    )


def propagation_wait(scope: Construct, id: str, *, seconds: int, triggers: Mapping[str, str],
                     depends_on: Sequence[ITerraformDependable] | None = None) -> Sleep | None:
    """A ``time_sleep`` of ``seconds`` that runs again whenever a trigger changes (e.g. a grant is
    replaced); None for ``seconds == 0``. The stack needs a ``hashicorp/time`` provider
    (``constructs_lib.cdk.time.TimeProvider``) when it waits; cdktf says so at synth."""
    if not seconds:
        return None
    return Sleep(scope, id, create_duration=f"{seconds}s", triggers=dict(triggers),
                 depends_on=list(depends_on) if depends_on else None)
