"""References: what a construct in one stack hands to a construct in another (the AWS CDK idiom
of passing ``IDatabaseCluster`` rather than copies of its attributes). Pure Python.

Each is returned by its producer (``PostgresFlexibleServer.target()``, ``NfsFileShare.ref()``,
``PrivateKeyVault.ref()``, ``AksCluster.ref()``, ``AksCluster.secrets_provider_identity()``).
Values may be cdktf tokens; where a consumer in another stack uses one, cdktf turns it into a
cross-stack output and remote-state lookup. None of them carries a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class PostgresTargetRef:
    """Where an application keeps its data on an existing server (:meth:`PostgresFlexibleServer.target`).
    Values may be tokens.

    :param fqdn: the server's FQDN.
    :param login: the login the application connects as.
    :param metadata_database: the application's main database.
    :param usage_database: a second database for usage data (Package Manager keeps it apart).
    :param port: 5432 (default).
    """

    fqdn: str
    login: str
    metadata_database: str
    usage_database: str
    port: int = 5432


@dataclass(frozen=True, kw_only=True)
class NfsShareRef:
    """What a consumer needs to mount an existing Azure Files NFS share (:meth:`NfsFileShare.ref`).

    :param resource_group_name: the storage account's resource group (may be a token).
    :param storage_account_name: the account name (may be a token).
    :param share_name: the share name (may be a token).
    :param quota_gib: the share's quota in GiB, a plain number (or a number token): sizes the
        PersistentVolume.
    """

    resource_group_name: str
    storage_account_name: str
    share_name: str
    quota_gib: int | float


@dataclass(frozen=True, kw_only=True)
class KeyVaultRef:
    """What a consumer needs of an existing vault (:meth:`PrivateKeyVault.ref`). Values may be tokens.

    :param id: the vault's resource id (scope for role assignments).
    :param name: the vault's name.
    :param tenant_id: the Entra tenant that authenticates requests to it.
    """

    id: str
    name: str
    tenant_id: str


@dataclass(frozen=True, kw_only=True)
class AksClusterRef:
    """What a consumer in another stack needs to reach a cluster (:meth:`AksCluster.ref`). May be tokens.

    :param name: the cluster's name.
    :param resource_group_name: its resource group.
    """

    name: str
    resource_group_name: str


@dataclass(frozen=True, kw_only=True)
class ManagedIdentityRef:
    """A managed identity as its consumers see it. May be tokens.

    :param client_id: what a workload authenticates as (e.g. a SecretProviderClass's identity).
    :param object_id: its principal (object) id, the subject of role assignments.
    :param federated_credential_id: the federated identity credential that lets a Kubernetes service
        account sign in as it - none (identities that are not federated). Consumers wait for it before
        starting pods that use it.
    """

    client_id: str
    object_id: str
    federated_credential_id: str | None = None
