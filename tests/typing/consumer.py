"""A library user's code, type-checked by tests/test_public_api.py (never imported or run).

Each line that mypy must flag ends in ``# E: <error code>[, <error code>...]`` (one code per
expected error); each ``reveal_type`` ends in ``# R: <text the revealed type must contain>``.
mypy (``--strict``) reports a wrong argument type on the argument's line and a wrong keyword on
the call's first line; the markers sit where mypy reports. mypy must report
exactly these errors and nothing else: a name exported as ``Any`` (e.g. if the
``TYPE_CHECKING`` imports of ``constructs_lib/__init__.py`` regress) would make the ``# E:``
lines pass silently, and the test fails on the missing errors.
"""

from __future__ import annotations

from constructs_lib.cdk import App, TerraformStack

import constructs_lib
from constructs_lib import (
    AksCluster,
    AksClusterRef,
    AksHelmProviderProps,
    KeyVaultRef,
    ManagedIdentityRef,
    NfsFileShare,
    NfsFileShareProps,
    PackageManagerRelease,
    PackageManagerReleaseProps,
    PostgresTargetRef,
    PrivateEndpointSpec,
)

stack = TerraformStack(App(), "consumer")
endpoint = PrivateEndpointSpec(subnet_id="subnet-id", private_dns_zone_id="zone-id")
rg, region, name = "rg", "eastus2", "stexample"

# A correct call: no error.
good = NfsFileShareProps(account_name=name, resource_group_name=rg, location=region, share_name="data",
                         quota_gib=100, private_endpoint=endpoint)
files = NfsFileShare(stack, "files", good)
reveal_type(files.share)  # R: cdktf_cdktf_provider_azurerm.storage_share.StorageShare

# mypy reports a wrong argument type on the argument's line, a wrong keyword on the call's first line.
NfsFileShareProps(account_name=name, resource_group_name=rg, location=region, share_name="data",
                  quota_gib="100", private_endpoint=endpoint)  # E: arg-type
NfsFileShareProps(account_name=name, resource_group_name=rg, location=region, share_name="data",  # E: call-arg
                  quota_gib=100, private_endpoint=endpoint, replicaton="LRS")  # misspelt; replication has a default
NfsFileShareProps(account_name=name, resource_group_name=rg, location=region, share_name="data",
                  quota_gib=100, private_endpoint=endpoint, replication="GRS")  # E: arg-type
# The 0.1.0 spelling of the private endpoint (two ids instead of a PrivateEndpointSpec).
NfsFileShareProps(account_name=name, resource_group_name=rg, location=region, share_name="data",  # E: call-arg, call-arg
                  quota_gib=100, private_endpoint_subnet_id="subnet-id", private_dns_zone_id="zone-id")

# Names removed in 0.2.0 are gone, also for the type checker; the subpackages export nothing
# themselves (constructs_lib is the one public namespace).
constructs_lib.PostgresTarget  # E: attr-defined
from constructs_lib import KeyVaultSecrets  # noqa: E402  # E: attr-defined
constructs_lib.NfsFileShareProp  # E: attr-defined
from constructs_lib.aks import AksClusterProps  # noqa: E402  # E: attr-defined

# Frozen dataclasses: attributes are read-only.
good.quota_gib = 200  # E: misc

# Producers return the reference types; the references are typed too.
reveal_type(files.ref())  # R: constructs_lib.refs.NfsShareRef
reveal_type(files.ref().quota_gib)  # R: int | float
AksHelmProviderProps(cluster=AksClusterRef(name="aks", resource_group_name="rg"))
AksHelmProviderProps(cluster="aks")  # E: arg-type

# The lazy exports are the real classes, not Any.
reveal_type(constructs_lib.PostgresFlexibleServer)  # R: -> constructs_lib.postgres.PostgresFlexibleServer
reveal_type(constructs_lib.POLICY_RULES)  # R: constructs_lib.policy
reveal_type(AksCluster.secrets_provider_identity)  # R: -> constructs_lib.refs.ManagedIdentityRef

# The helm provider is an argument of the construct, not of its props (0.2.0).
props = PackageManagerReleaseProps(
    chart_version="0.20.4", hostname="packages.example.com",
    postgres=PostgresTargetRef(fqdn="db.example.com", login="ppm", metadata_database="ppm", usage_database="usage"),
    share=files.ref(), key_vault=KeyVaultRef(id="kv-id", name="kv", tenant_id="tenant"),
    app_identity=ManagedIdentityRef(client_id="client", object_id="object"),
    bootstrap_identity=ManagedIdentityRef(client_id="client-2", object_id="object-2"),
    postgres_password_secret_name="postgres-app-password", postgres_admin_login="ppmadmin",
    postgres_admin_password_secret_name="postgres-admin-password")
PackageManagerRelease(stack, "ppm", props, provider=None)
PackageManagerReleaseProps(chart_version="0.20.4", hostname="packages.example.com",  # E: call-arg
                           postgres=props.postgres, share=props.share, key_vault=props.key_vault,
                           app_identity=props.app_identity, bootstrap_identity=props.bootstrap_identity,
                           postgres_password_secret_name="pw", postgres_admin_login="ppmadmin",
                           postgres_admin_password_secret_name="postgres-admin-password",
                           provider=None)  # the 0.1.0 place of the helm provider
