"""Every checkov skip of the project, one record each, and the stacks it applies to.

This is the only place a skip is declared. ``.checkov.yaml`` holds just the global settings;
tests/support/checkov_all.py gives each stack ``--skip-check`` with only the ids whose record
names that stack, so a skip meant for the state account does not hide the same finding on the
NFS account in the data stack. docs/policy.md and README's skip table are generated from
:data:`SKIPS` (tools/docs/policy_doc.py).

tests/test_checkov_skip_scope.py reruns checkov without any skip and fails when a skipped check
fails in a stack its record does not name, or when a record names a stack where its check
passes anyway (the skip suppresses nothing there: remove the stack, or the record).

    python -m policy.checkov_skips STACK   # that stack's ids, comma-separated (for checkov --skip-check)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

#: Stacks a skip may name: the four of main.py and bootstrap.py's ``state``.
STACKS = ("network", "data", "cluster", "app", "state")
#: The most skips the project accepts (tests/test_checkov.py): fix the constructs instead.
MAX_SKIPS = 14
#: Words a reason needs at least (tests/test_checkov.py).
MIN_REASON_WORDS = 5


@dataclass(frozen=True)
class Skip:
    """One checkov check this design cannot pass, and where.

    :param check_id: checkov's id, e.g. ``CKV_AZURE_59``.
    :param stacks: the stacks it is skipped in (and only those).
    :param reason: why the design cannot pass it (at least five words).
    :param control: the compensating control, or how to make the check pass.
    """

    check_id: str
    stacks: tuple[str, ...]
    reason: str
    control: str


SKIPS: tuple[Skip, ...] = (
    # state stack (make bootstrap; docs/delivery.md)
    Skip("CKV_AZURE_59", ("state",),
         "state account: operators and CI reach it over the public endpoint behind an IP firewall",
         "state account firewall default Deny with an IP allow-list; Entra ID only (shared keys off); RBAC per identity"),
    Skip("CKV2_AZURE_33", ("state",),
         "state account exists before any VNet, so no private endpoint can exist yet",
         "state account firewall default Deny with an IP allow-list; Entra ID only; RBAC per identity"),
    Skip("CKV2_AZURE_1", ("state", "data"),
         "a customer-managed key needs a Key Vault and key: the state account exists before any vault, "
         "and the NFS account would need a customer key and rotation process",
         "Microsoft-managed keys plus infrastructure (double) encryption on the state account; "
         "platform-managed keys on the NFS account, which has no public network access (private endpoint only)"),
    Skip("CKV_AZURE_33", ("state",),
         "state account has no queues; queue logging needs the legacy keyed data plane",
         "shared keys off; the account has no queues"),
    Skip("CKV2_AZURE_21", ("state",),
         "passes only with legacy storage insights, which require the shared key we disable",
         "blob versioning and soft delete; add a diagnostic setting to a workspace if read audit is needed"),
    # cluster stack (docs/cluster.md)
    Skip("CKV_AZURE_226", ("cluster",),
         "reference size Standard_D8_v5 has no local disk to hold an ephemeral OS disk",
         "managed OS disk with encryption at host"),
    Skip("CKV_AZURE_117", ("cluster",),
         "CMK needs a customer Key Vault and key; set cluster.disk_encryption_set_id to pass",
         "platform keys + encryption at host; set cluster.disk_encryption_set_id to pass"),
    Skip("CKV_AZURE_232", ("cluster",),
         "reference design runs add-ons on its three workers; cluster.system_pool separates them",
         "set cluster.system_pool to pass (CriticalAddonsOnly system pool)"),
    Skip("CKV_AZURE_115", ("cluster",),
         "public API server limited by authorized_ip_ranges; cluster.api_server.private_cluster passes",
         "API server restricted by authorized IP ranges (CKV_AZURE_6 passes); "
         "cluster.api_server.private_cluster: true passes"),
    # data stack (docs/data.md)
    Skip("CKV_AZURE_206", ("data",),
         "premium NFS shares offer only LRS or ZRS, never geo-replication",
         "ZRS across three zones; share soft delete 7 days; prevent_destroy"),
    Skip("CKV2_AZURE_38", ("data",),
         "check logic fails for FileStorage; share soft delete is set in share_properties",
         "share_properties.retention_policy.days = 7 is set"),
    Skip("CKV2_AZURE_57", ("data",),
         "PostgreSQL is VNet-injected (delegated subnet), which excludes private endpoints by design",
         "no public access; NSG allows 5432 from the node subnet only"),
    Skip("CKV_AZURE_136", ("data",),
         "geo backup alone gives no regional recovery: the NFS share cannot leave the region",
         "config choice postgres.geo_redundant_backup (decide at creation); zone-redundant HA; 7-35 day PITR"),
    Skip("CKV_AZURE_41", ("data",),
         "a fixed secret expiry date would silently lapse; rotation bumps postgres.password_version",
         "rotation by postgres.password_version; vault audit logs to Log Analytics"),
)


def skips_for(stack: str) -> tuple[str, ...]:
    """The check ids skipped in ``stack``, in record order (empty for a stack no record names)."""
    if stack not in STACKS:
        raise ValueError(f"unknown stack {stack!r}; one of {', '.join(STACKS)}")
    return tuple(s.check_id for s in SKIPS if stack in s.stacks)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in STACKS:
        print(f"usage: python -m policy.checkov_skips {{{','.join(STACKS)}}}", file=sys.stderr)
        return 2
    print(",".join(skips_for(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
