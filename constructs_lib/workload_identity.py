"""A user-assigned managed identity federated to one Kubernetes service account (AKS workload identity).

The cluster needs ``oidc_issuer_enabled`` and ``workload_identity_enabled`` (as
:class:`constructs_lib.aks.AksCluster` sets them). Arguments of ``azurerm_federated_identity_credential``
as in hashicorp/terraform-provider-azurerm v4.55.0
(internal/services/managedidentity/federated_identity_credential_resource.go): ``name`` (ForceNew),
``resource_group_name``, ``parent_id`` (a user-assigned identity id, ForceNew), ``issuer``,
``subject``, ``audience`` (a list, at most one item); all required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from constructs import Construct

from constructs_lib.cdk.azurerm import FederatedIdentityCredential, UserAssignedIdentity
from constructs_lib.azurerm_versions import federated_credential_identity
from constructs_lib.facts import DNS_LABEL
from constructs_lib.refs import ManagedIdentityRef
from constructs_lib.validation import Problems, is_token

#: [WI] azure.github.io/azure-workload-identity (and [MS] aks/workload-identity-deploy-cluster):
#: the audience of the projected service account tokens Entra ID exchanges.
WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange"
_DNS_LABEL = re.compile(DNS_LABEL)
#: [MS] managed identity names: 3-128 letters, digits, '-' and '_', starting with a letter or digit.
_IDENTITY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}")


@dataclass(frozen=True, kw_only=True)
class WorkloadIdentityProps:
    """Props of :class:`WorkloadIdentity`.

    :param name: the identity's name (the federated credential is named after the service account).
    :param resource_group_name: its resource group. :param location: its region.
    :param oidc_issuer_url: the cluster's OIDC issuer (``AksCluster.oidc_issuer_url``; may be a token).
    :param namespace: the service account's namespace. :param service_account_name: its name.
    :param tags: - none.
    """

    name: str
    resource_group_name: str
    location: str
    oidc_issuer_url: str
    namespace: str
    service_account_name: str
    tags: Mapping[str, str] = field(default_factory=dict)


class WorkloadIdentity(Construct):
    """``azurerm_user_assigned_identity`` (id ``Resource``) and its ``azurerm_federated_identity_credential``
    (id ``federation``) for ``system:serviceaccount:<namespace>:<service account>``.

    Example::

        identity = WorkloadIdentity(self, "ppm-identity", WorkloadIdentityProps(
            name="id-ppm", resource_group_name=rg, location="eastus2",
            oidc_issuer_url=cluster.aks.oidc_issuer_url, namespace="posit-package-manager",
            service_account_name="rstudio-pm"))
        identity.ref()  # ManagedIdentityRef(client_id=..., object_id=...)
    """

    def __init__(self, scope: Construct, id: str, props: WorkloadIdentityProps) -> None:
        problems = Problems("WorkloadIdentity")
        problems.require(is_token(props.name) or bool(_IDENTITY_NAME.fullmatch(props.name)), "name", props.name,
                         "3-128 letters, digits, '-' and '_', starting with a letter or digit")
        for path, value in (("namespace", props.namespace), ("service_account_name", props.service_account_name)):
            problems.require(is_token(value) or bool(_DNS_LABEL.fullmatch(value)), path, value, "an RFC 1123 label")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.props = props
        self.subject = f"system:serviceaccount:{props.namespace}:{props.service_account_name}"
        self.resource = UserAssignedIdentity(
            self, "Resource", name=props.name, resource_group_name=props.resource_group_name,
            location=props.location, tags=dict(props.tags) or None)
        self.federation = FederatedIdentityCredential(
            self, "federation",
            name=f"{props.namespace}-{props.service_account_name}",
            **federated_credential_identity(self.resource.id, props.resource_group_name),
            issuer=props.oidc_issuer_url,
            subject=self.subject,
            audience=[WORKLOAD_IDENTITY_AUDIENCE],
        )

    @property
    def client_id(self) -> str:
        return self.resource.client_id

    @property
    def principal_id(self) -> str:
        return self.resource.principal_id

    def ref(self) -> ManagedIdentityRef:
        """``client_id`` for the workload (service account annotation, SecretProviderClass ``clientID``),
        ``object_id`` for role assignments."""
        return ManagedIdentityRef(client_id=self.resource.client_id, object_id=self.resource.principal_id,
                                  federated_credential_id=self.federation.id)
