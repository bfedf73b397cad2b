"""A Helm provider for an Entra-ID-only AKS cluster: no kubeconfig, no key, no token in state.

Host and CA certificate come from an ``azurerm_kubernetes_cluster`` data source looked
up by name; credentials from ``kubelogin get-token`` at plan/apply time (exec plugin),
as the operator's Azure CLI login or a CI workload identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib.cdk import Fn
from constructs_lib.cdk.azurerm import DataAzurermKubernetesCluster
from constructs_lib.cdk.helm import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from constructs_lib.aks.props import AksClusterRef
from constructs_lib.validation import Problems

#: [MS] aks/kubelogin-authentication ("--server-id 6dae42f8-4368-4678-94ff-3960e28e3630"):
#: the well-known application id of the AKS Microsoft Entra server, the audience of every
#: token for an AKS-managed Entra ID cluster; [KL] azure.github.io/kubelogin/concepts/login-modes.
AKS_ENTRA_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
#: kubelogin modes this construct supports ([KL] concepts/login-modes/azure-cli, workload-identity).
LOGIN_MODES = ("azurecli", "workloadidentity")
#: client-go exec credential API that kubelogin speaks ([KL] concepts/exec-plugin).
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass(frozen=True, kw_only=True)
class AksHelmProviderProps:
    """Props of :class:`AksHelmProvider`.

    :param cluster: the AKS cluster (:meth:`constructs_lib.aks.AksCluster.ref`; may hold
        cross-stack tokens).
    :param login_mode: ``azurecli`` (default: the operator's ``az login``) or
        ``workloadidentity`` (CI: kubelogin reads AZURE_CLIENT_ID, AZURE_TENANT_ID and
        AZURE_FEDERATED_TOKEN_FILE from the environment Terraform runs in).
    :param alias: provider alias - none (the stack's default helm provider).
    """

    cluster: AksClusterRef
    login_mode: str = "azurecli"
    alias: str | None = None


class AksHelmProvider(Construct):
    """``helm`` provider (id ``Resource``) plus the ``azurerm_kubernetes_cluster`` data source it reads.

    Example::

        helm = AksHelmProvider(self, "helm", AksHelmProviderProps(
            cluster=aks.ref()))
        # then pass provider=helm.resource to the releases that deploy to this cluster
    """

    def __init__(self, scope: Construct, id: str, props: AksHelmProviderProps) -> None:
        problems = Problems("AksHelmProvider")
        problems.require(props.login_mode in LOGIN_MODES, "login_mode", props.login_mode,
                         "one of " + ", ".join(LOGIN_MODES))
        problems.raise_if_any()
        super().__init__(scope, id)
        self.cluster = DataAzurermKubernetesCluster(
            self, "cluster", name=props.cluster.name, resource_group_name=props.cluster.resource_group_name)
        # kube_config (user credentials) carries host and CA also when local accounts are
        # disabled; only kube_admin_config is empty then ([P] d/kubernetes_cluster).
        kube_config = self.cluster.kube_config.get(0)
        self.resource = HelmProvider(
            self, "Resource",
            alias=props.alias,
            kubernetes=HelmProviderKubernetes(
                host=kube_config.host,
                cluster_ca_certificate=Fn.base64decode(kube_config.cluster_ca_certificate),
                exec=HelmProviderKubernetesExec(
                    api_version=EXEC_API_VERSION,
                    command="kubelogin",
                    args=["get-token", "--login", props.login_mode, "--server-id", AKS_ENTRA_SERVER_APP_ID],
                ),
            ),
        )
