"""The `state` stack: the remote-state backend the four stacks use, created once by `make bootstrap`.

It cannot keep its own state in the account it creates (that account does not exist
yet), so it has a local backend whose file lives *outside* the synth output directory
(synth replaces that directory wholesale). It is synthesized by ``bootstrap.py``, in its
own cdktf App (``cli.builders.build_state_app``), so the main app stays exactly network, data, cluster and app.
"""

from __future__ import annotations

from cdktf import Aspects, LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktf_cdktf_provider_azurerm.provider import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
)
from constructs import Construct

from config.azure_rules import REGIONS_WITH_ZONES
from config.schema import EnvironmentConfig
from constructs_lib.policy import PolicyChecks
from constructs_lib.state_backend import StateBackend, StateBackendProps
from constructs_lib.tagging import RequiredTags

STACK_ID = "state"


def state_allowed_ip_ranges(cfg: EnvironmentConfig) -> list[str]:
    """``state.allowed_ip_ranges``, else the API server's authorized ranges (same operators and CI)."""
    return list(cfg.state.allowed_ip_ranges or cfg.cluster.api_server.authorized_ip_ranges)


class StateStack(TerraformStack):
    """Resource group, storage account and container named in ``cfg.state``.

    :param local_state_path: where the local backend keeps this stack's own state, as the
        path Terraform sees from the stack's directory (relative or absolute).
    """

    def __init__(self, scope: Construct, cfg: EnvironmentConfig, local_state_path: str) -> None:
        super().__init__(scope, STACK_ID)
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
        # Whoever bootstraps can deploy right after: Storage Blob Data Contributor for them.
        # CI identities get the same role by hand (docs/delivery.md).
        caller = DataAzurermClientConfig(self, "caller")
        self.backend.grant_state_access("bootstrap-caller-blob-data", caller.object_id,
                                        description="State read/write for the identity that ran make bootstrap")
        TerraformOutput(self, "storage_account_id", value=self.backend.id,
                        description="Grant Storage Blob Data Contributor on this scope to every deploying identity.")
        TerraformOutput(self, "container_name", value=self.backend.container.name)
        Aspects.of(self).add(RequiredTags(cfg.tags))
        Aspects.of(self).add(PolicyChecks(required_tags=cfg.tags.keys()))  # last, as in stacks/base.py
