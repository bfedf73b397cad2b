"""The arguments that differ between azurerm 4.x (cdktf) and 5.x (CDK Terrain), in one place.

Each construct whose resource changed between the two provider majors takes its arguments
from a function here, which asks :func:`constructs_lib.toolchain.azurerm_major` which major the
installed bindings generate for. :data:`AZURERM_5_CHANGES` lists every difference this
project's synthesized Terraform shows between the two; ``tests/test_toolchains.py`` fails on
any other difference, and docs/toolchains.md is the migration note built on it.

Source for each change: the azurerm "5.0 Upgrade Guide" [AZ5] (website/docs/guides/
5.0-upgrade-guide.html.markdown) and the resource schemas of the provider at v5.x [P5].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs_lib.toolchain import ToolchainError, azurerm_major, provider_class


@dataclass(frozen=True)
class ArgumentChange:
    """One argument of one resource type that azurerm 5 changed, as our synth output shows it."""

    #: Terraform resource type, e.g. ``azurerm_kubernetes_cluster``.
    resource_type: str
    #: The argument (a top-level key of the resource's JSON).
    argument: str
    #: ``removed`` (written on 4, not on 5), ``added`` (written on 5, not on 4).
    change: str
    #: Why, as the upgrade guide or schema says, and what the plan does about it.
    reason: str


AZURERM_5_CHANGES: tuple[ArgumentChange, ...] = (
    ArgumentChange("azurerm_private_dns_zone_virtual_network_link", "private_dns_zone_name", "removed",
                   "[AZ5] removed in favour of private_dns_zone_id (ForceNew, no state upgrader [P5]): a "
                   "refreshed plan reads it from the link's ID and shows no change; an unrefreshed one replaces"),
    ArgumentChange("azurerm_private_dns_zone_virtual_network_link", "resource_group_name", "removed",
                   "[AZ5] removed in favour of private_dns_zone_id (the zone's ID carries the group)"),
    ArgumentChange("azurerm_private_dns_zone_virtual_network_link", "private_dns_zone_id", "added",
                   "[AZ5] the zone, by ID"),
    ArgumentChange("azurerm_federated_identity_credential", "parent_id", "removed",
                   "[AZ5] removed in favour of user_assigned_identity_id; 5.x reads that from the credential's "
                   "ID on refresh, so a refreshed plan shows no change (an unrefreshed one would replace it)"),
    ArgumentChange("azurerm_federated_identity_credential", "resource_group_name", "removed",
                   "[P5] gone from the 5.x schema (the identity's ID carries the group)"),
    ArgumentChange("azurerm_federated_identity_credential", "user_assigned_identity_id", "added",
                   "[AZ5] the identity, by ID"),
    ArgumentChange("azurerm_kubernetes_cluster", "node_provisioning_profile", "added",
                   "[AZ5] the block is Required in 5.x; mode Manual is the API's default (node pools as "
                   "declared, no node auto-provisioning; default_node_pools defaults to Auto [P5]): no change, "
                   "or an in-place update"),
)


#: The azurerm majors this module knows; another one must be read against its upgrade guide first.
SUPPORTED_MAJORS = (4, 5)


def _major() -> int:
    major = azurerm_major()
    if major not in SUPPORTED_MAJORS:
        raise ToolchainError(f"azurerm {major}.x: constructs_lib.azurerm_versions knows the argument differences of "
                             f"azurerm {' and '.join(map(str, SUPPORTED_MAJORS))} only; read that major's upgrade "
                             f"guide and add its changes there")
    return major


def private_dns_link_zone(zone_id: str, zone_name: str, resource_group_name: str) -> dict[str, Any]:
    """How ``azurerm_private_dns_zone_virtual_network_link`` names its zone on the azurerm in use."""
    if _major() == 5:
        return {"private_dns_zone_id": zone_id}
    return {"private_dns_zone_name": zone_name, "resource_group_name": resource_group_name}


def federated_credential_identity(identity_id: str, resource_group_name: str) -> dict[str, Any]:
    """How ``azurerm_federated_identity_credential`` names its user-assigned identity on the azurerm in use."""
    if _major() == 5:
        return {"user_assigned_identity_id": identity_id}
    return {"parent_id": identity_id, "resource_group_name": resource_group_name}


def kubernetes_cluster_extras() -> dict[str, Any]:
    """Arguments ``azurerm_kubernetes_cluster`` needs on 5.x only (none on 4.x)."""
    if _major() == 5:
        # Not in the 4.x bindings, so not in constructs_lib.cdk.azurerm (typed against 4.x).
        profile = provider_class("azurerm", "kubernetes_cluster", "KubernetesClusterNodeProvisioningProfile")
        return {"node_provisioning_profile": profile(mode="Manual")}
    return {}
