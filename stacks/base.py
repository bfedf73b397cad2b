"""What every stack of the app shares: remote state, the azurerm provider, required tags."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk import Aspects, AzurermBackend, TerraformStack
from constructs_lib.cdk.azurerm import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
    AzurermProviderFeaturesResourceGroup,
)
from config.schema import EnvironmentConfig
from constructs_lib.alert_rules import AlertThresholds, MetricAlertSpec
from constructs_lib.alerts import MetricAlert, MetricAlertProps
from constructs_lib.facts import MIN_TERRAFORM_VERSION
from constructs_lib.naming import Names
from constructs_lib.policy import PolicyChecks
from constructs_lib.tagging import RequiredTags


#: facts.MIN_TERRAFORM_VERSION: an older Terraform then stops at init with this constraint instead
#: of failing mid-plan.
REQUIRED_TERRAFORM = f">= {MIN_TERRAFORM_VERSION}"


def require_terraform(stack: TerraformStack) -> None:
    """``terraform.required_version`` of a stack (cdktf has no setting for it: an override)."""
    stack.add_override("terraform.required_version", REQUIRED_TERRAFORM)


def with_runner_egress(cfg: EnvironmentConfig, ranges: list[str]) -> list[str]:
    """``ranges`` plus external runners' egress (``delivery.runner.egress_cidrs``), each once: what a public
    firewall (state account, Key Vault, API server) must admit. VNet runners come in through private
    endpoints or, for the API server, their NAT gateway's address (stacks/cluster.py)."""
    runner = cfg.delivery.runner
    egress = runner.egress_cidrs if runner.location == "external" else []
    return list(ranges) + [cidr for cidr in egress if cidr not in ranges]


def names_for(cfg: EnvironmentConfig) -> Names:
    """The environment's names; the salt is the state storage account's name, itself globally
    unique, so two deployments with the same ``environment`` get different global names."""
    return Names(environment=cfg.environment, salt=cfg.state.storage_account)


class PpmStack(TerraformStack):
    """A stack with its own azurerm remote state (Entra ID auth, no keys) and provider.

    The backend config is copied into every consumer's ``terraform_remote_state``
    block by cdktf cross-stack references, which is why it holds no secret.
    """

    def __init__(self, scope: Construct, stack_id: str, cfg: EnvironmentConfig) -> None:
        super().__init__(scope, stack_id)
        self.cfg = cfg
        self.names = names_for(cfg)
        require_terraform(self)
        AzurermBackend(
            self,
            resource_group_name=cfg.state.resource_group,
            storage_account_name=cfg.state.storage_account,
            container_name=cfg.state.container,
            key=self.names.state_key(stack_id),
            use_azuread_auth=True,
        )
        self.azurerm = AzurermProvider(
            self,
            "azurerm",
            features=[AzurermProviderFeatures(
                # Never purge a soft-deleted vault or secret on destroy: the DB password lives there.
                key_vault=[AzurermProviderFeaturesKeyVault(
                    purge_soft_delete_on_destroy=False,
                    purge_soft_deleted_secrets_on_destroy=False,
                    recover_soft_deleted_key_vaults=True,
                    recover_soft_deleted_secrets=True,
                )],
                resource_group=[AzurermProviderFeaturesResourceGroup(prevent_deletion_if_contains_resources=True)],
            )],
            storage_use_azuread=True,  # data-plane calls with Entra ID: shared keys can stay off
            subscription_id=cfg.subscription_id,  # unset: ARM_SUBSCRIPTION_ID (azurerm 4.x needs one of them)
        )
        Aspects.of(self).add(RequiredTags(cfg.tags))
        # Policy last: on each node cdktf runs aspects in the order added, so the checks see the
        # tags RequiredTags set (and every add_override) as they land in cdk.tf.json.
        Aspects.of(self).add(PolicyChecks(required_tags=cfg.tags.keys()))


def alert_thresholds(cfg: EnvironmentConfig) -> AlertThresholds:
    """The config's ``alerts.thresholds`` as the props the default rule sets take."""
    return AlertThresholds(**cfg.alerts.thresholds.model_dump())


def add_alerts(stack: PpmStack, resource_group_name: str, target_resource_id: str, action_group_id: str,
               specs: list[MetricAlertSpec]) -> dict[str, MetricAlert]:
    """One :class:`MetricAlert` per spec, construct id ``alert-<key>``, named ``alert-<env>-<key>``."""
    return {spec.key: MetricAlert(stack, f"alert-{spec.key}", MetricAlertProps(
        name=stack.names.resource("alert", spec.key), resource_group_name=resource_group_name,
        target_resource_id=target_resource_id, action_group_id=action_group_id, spec=spec)) for spec in specs}
