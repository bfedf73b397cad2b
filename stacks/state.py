"""The `state` stack: the remote-state backend the four stacks use, created once by `make bootstrap`.

It cannot keep its own state in the account it creates (that account does not exist
yet), so it has a local backend whose file lives *outside* the synth output directory
(synth replaces that directory wholesale). It is synthesized by ``bootstrap.py``, in its
own cdktf App (``cli.builders.build_state_app``), so the main app stays exactly network, data, cluster and app.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdk import Aspects, LocalBackend, TerraformOutput, TerraformStack
from constructs_lib.cdk.azurerm import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
)
from config.azure_rules import REGIONS_WITH_ZONES
from config.schema import EnvironmentConfig
from constructs_lib.policy import PolicyChecks
from constructs_lib.state_backend import StateBackend, StateBackendProps
from constructs_lib.tagging import RequiredTags
from stacks.base import require_terraform, with_runner_egress

STACK_ID = "state"


def state_allowed_ip_ranges(cfg: EnvironmentConfig) -> list[str]:
    """Who passes the state account's firewall: ``state.allowed_ip_ranges`` (else the API server's
    authorized ranges: the same operators), plus external runners' egress. Runners inside the VNet
    use the state account's private endpoint instead (the network stack's), which the firewall
    does not filter; the operators' ranges carry the first network apply, before that endpoint exists."""
    return with_runner_egress(cfg, list(cfg.state.allowed_ip_ranges or cfg.cluster.api_server.authorized_ip_ranges))


class StateStack(TerraformStack):
    """Resource group, storage account and container named in ``cfg.state``.

    :param local_state_path: where the local backend keeps this stack's own state, as the
        path Terraform sees from the stack's directory (relative or absolute).
    """

    def __init__(self, scope: Construct, cfg: EnvironmentConfig, local_state_path: str) -> None:
        super().__init__(scope, STACK_ID)
        require_terraform(self)
        LocalBackend(self, path=local_state_path)
        AzurermProvider(
            self, "azurerm",
            features=[AzurermProviderFeatures(
                resource_group=[AzurermProviderFeaturesResourceGroup(prevent_deletion_if_contains_resources=True)],
                # Configure the account through ARM only: no data-plane probing of a key-less,
                # firewalled account that may not be reachable yet ([P] storage_account resource:
                # queue_properties/static_website are refused when this is false; we set neither).
                storage=[AzurermProviderFeaturesStorage(data_plane_available=False)],
            )],
            # Shared keys are off on the account: any data-plane call must use Entra ID [P] provider docs.
            storage_use_azuread=True,
            subscription_id=cfg.subscription_id,
        )
        self.backend = StateBackend(self, "state-backend", StateBackendProps(
            resource_group_name=cfg.state.resource_group,
            location=cfg.location,
            storage_account_name=cfg.state.storage_account,
            container_name=cfg.state.container,
            allowed_ip_ranges=state_allowed_ip_ranges(cfg),
            # Zone- and geo-redundant where the region has zones, else geo-redundant.
            replication_type="GZRS" if cfg.location in REGIONS_WITH_ZONES else "GRS",
        ))
        # Grants go to the configured principals, never to "whoever runs this" (a grant that follows
        # the caller is replaced, and revoked for the previous one, each time someone else applies).
        for principal in cfg.delivery.deployer_principal_ids:
            self.backend.grant_state_access(f"deployer-{principal}", principal,
                                            description="State read, write and lock for a deploying identity")
        # Plans read state (terraform plan -lock=false): reading, never writing or leasing.
        for principal in cfg.delivery.plan_principal_ids:
            self.backend.grant_state_access(f"plan-{principal}", principal, read_only=True,
                                            description="State read for a plan-only identity (pull requests)")
        TerraformOutput(self, "storage_account_id", value=self.backend.id,
                        description="Grant Storage Blob Data Contributor on this scope to every deploying identity.")
        TerraformOutput(self, "container_name", value=self.backend.container.name)
        Aspects.of(self).add(RequiredTags(cfg.tags))
        Aspects.of(self).add(PolicyChecks(required_tags=cfg.tags.keys()))  # last, as in stacks/base.py
