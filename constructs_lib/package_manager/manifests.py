"""Kubernetes manifests as plain dicts: the Azure Files NFS PersistentVolume and the
Key Vault SecretProviderClass that :class:`constructs_lib.package_manager.PackageManagerRelease`
puts into the chart's ``extraObjects``.

Pure Python (no cdktf import): values may be cdktf tokens (``${...}`` strings), which
end up as Terraform interpolations inside the release's YAML values. Tests validate
the output against the Kubernetes schemas (kubernetes-validate) and the CRD.
"""

from __future__ import annotations

from typing import Mapping, Sequence


#: [SEED] Posit's AKS reference architecture; [CSI] the driver passes mountOptions to mount.nfs
#: and adds vers=4,minorversion=1,sec=sys itself.
NFS_MOUNT_OPTIONS: tuple[str, ...] = ("nconnect=4", "noresvport", "actimeo=30", "lookupcache=pos")

#: [CSI] kubernetes-sigs/azurefile-csi-driver: the Azure Files CSI driver name.
AZURE_FILES_CSI_DRIVER = "file.csi.azure.com"
#: [CSI] kubernetes-sigs/secrets-store-csi-driver: the Secrets Store CSI driver name.
SECRETS_STORE_CSI_DRIVER = "secrets-store.csi.k8s.io"
SECRET_PROVIDER_CLASS_API = "secrets-store.csi.x-k8s.io/v1"
#: [HELM] helm.sh/docs "Tell Helm Not To Uninstall a Resource": an uninstall (and the uninstall an
#: atomic install does after a failure) leaves a resource with this annotation in place.
HELM_RESOURCE_POLICY = "helm.sh/resource-policy"

#: [AR] Azure/aks-app-routing-operator (pkg/config DefaultNs; pkg/manifests nginx.go, common.go):
#: the namespace of the managed NGINX pods and labels every one of them carries (the default
#: controller's pods also carry ``app: nginx``).
APP_ROUTING_NAMESPACE = "app-routing-system"
APP_ROUTING_NGINX_POD_LABELS: dict[str, str] = {
    "app.kubernetes.io/component": "ingress-controller",
    "app.kubernetes.io/managed-by": "aks-app-routing-operator",
}
#: [K8S] the label of the cluster DNS pods (CoreDNS on AKS) in kube-system.
CLUSTER_DNS_POD_LABELS: dict[str, str] = {"k8s-app": "kube-dns"}
#: RFC 1918 private ranges: the Internet rule of the NetworkPolicy excludes them.
PRIVATE_RANGES: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
#: Well-known ports the pods talk to: DNS, PostgreSQL, NFS, HTTPS.
DNS_PORT, POSTGRES_PORT, NFS_PORT, HTTPS_PORT = 53, 5432, 2049, 443


def _namespace(name: str) -> dict:
    # [K8S] every namespace carries kubernetes.io/metadata.name (immutable, set by the API server).
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def _tcp(*ports: int) -> list[dict]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def package_manager_network_policy(
    *,
    name: str,
    namespace: str,
    pod_labels: dict[str, str],
    app_port: int,
    postgres_cidr: str,
    private_endpoints_cidr: str,
) -> dict:
    """A NetworkPolicy for the Package Manager pods (Cilium enforces standard NetworkPolicy).

    Ingress: only ``app_port`` and only from the application-routing NGINX pods (the metrics
    port stays closed). Egress: cluster DNS (53 UDP/TCP), PostgreSQL (5432 to its subnet),
    the private endpoints (2049 NFS, 443 Key Vault), and 443 to the Internet (the package
    sources Package Manager mirrors) except the private ranges. Everything else is denied.
    """
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": dict(pod_labels)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{"namespaceSelector": _namespace(APP_ROUTING_NAMESPACE),
                          "podSelector": {"matchLabels": dict(APP_ROUTING_NGINX_POD_LABELS)}}],
                "ports": _tcp(app_port),
            }],
            "egress": [
                {"to": [{"namespaceSelector": _namespace("kube-system"),
                         "podSelector": {"matchLabels": dict(CLUSTER_DNS_POD_LABELS)}}],
                 "ports": [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}]},
                {"to": [{"ipBlock": {"cidr": postgres_cidr}}], "ports": _tcp(POSTGRES_PORT)},
                {"to": [{"ipBlock": {"cidr": private_endpoints_cidr}}], "ports": _tcp(NFS_PORT, HTTPS_PORT)},
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                 "ports": _tcp(HTTPS_PORT)},
            ],
        },
    }


def azure_files_nfs_persistent_volume(
    *,
    name: str,
    storage_class_name: str,
    resource_group_name: str,
    storage_account_name: str,
    share_name: str,
    capacity: str,
    claim_namespace: str,
    claim_name: str,
    mount_options: Sequence[str] = NFS_MOUNT_OPTIONS,
    keep_on_uninstall: bool = False,
) -> dict:
    """A static PersistentVolume for an existing Azure Files NFS share.

    ``keep_on_uninstall`` adds ``helm.sh/resource-policy: keep`` (as the chart does on its
    claim), so a Helm uninstall, or the rollback of a failed atomic first install, leaves the
    volume in place and the kept claim stays bound to it.

    ``claimRef`` reserves the volume for exactly one claim ([K8S] persistent-volumes
    "Reserving a PersistentVolume"); the claim names it back through ``volumeName``
    and the same ``storageClassName``, so neither side can bind anything else.
    Mounting an NFS share needs no storage account key or Azure role ([MS] aks
    create-volume-azure-files: "Mounting NFS file shares doesn't require key-based
    authentication"; [CSI] docs/workload-identity-static-pv-mount.md: "NFS mount does
    not need credentials").
    """
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, **({"annotations": {HELM_RESOURCE_POLICY: "keep"}} if keep_on_uninstall else {})},
        "spec": {
            "capacity": {"storage": capacity},
            "accessModes": ["ReadWriteMany"],
            "volumeMode": "Filesystem",
            # Deleting the claim (or the release) must never delete the share's data.
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": storage_class_name,
            "claimRef": {"namespace": claim_namespace, "name": claim_name},
            "mountOptions": list(mount_options),
            "csi": {
                "driver": AZURE_FILES_CSI_DRIVER,
                "readOnly": False,
                # [CSI]/[MS]: unique in the cluster; the driver's own format {rg}#{account}#{share}.
                "volumeHandle": f"{resource_group_name}#{storage_account_name}#{share_name}",
                "volumeAttributes": {
                    "resourceGroup": resource_group_name,
                    "storageAccount": storage_account_name,
                    "shareName": share_name,
                    "protocol": "nfs",
                },
            },
        },
    }


def key_vault_secret_provider_class(
    *,
    name: str,
    namespace: str,
    key_vault_name: str,
    tenant_id: str,
    identity_client_id: str,
    synced_secrets: Mapping[str, Mapping[str, str]],
) -> dict:
    """A SecretProviderClass for the AKS Key Vault provider add-on, syncing into Secrets.

    ``synced_secrets`` maps a Kubernetes Secret name to ``{key in that Secret: Key Vault
    secret name}``. The Secrets are created (and kept in step) by the driver only while
    a pod mounts a CSI volume that names this class ([CSI-KV] sync-with-k8s-secrets).

    Access is through workload identity ([CSI-KV] identity-access-modes/workload-identity-mode,
    [MS] aks csi-secrets-store-identity-access): ``identity_client_id`` is a user-assigned identity
    federated to the service account of the pods that mount the class (``clientID``, and
    ``tenantID``, not the deprecated ``tenantId``); it needs "Key Vault Secrets User" on each secret.
    No ``useVMManagedIdentity``: the node-wide add-on identity is not used.
    """
    # In the order given, each once: the names are usually tokens, whose text (and so any sort of it)
    # depends on how many tokens the process made before, which would reorder the list between runs.
    vault_objects = list(dict.fromkeys(kv_name for keys in synced_secrets.values() for kv_name in keys.values()))
    # The provider reads `objects` as YAML whose `array` items are YAML documents again;
    # written out in the documented literal-block layout so it reads like the docs.
    objects = "array:\n" + "".join(
        f"  - |\n    objectName: {obj}\n    objectType: secret\n" for obj in vault_objects)
    return {
        "apiVersion": SECRET_PROVIDER_CLASS_API,
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "provider": "azure",
            "parameters": {
                "usePodIdentity": "false",
                "clientID": identity_client_id,
                "keyvaultName": key_vault_name,
                "tenantID": tenant_id,
                "objects": objects,
            },
            "secretObjects": [
                {
                    "secretName": secret_name,
                    "type": "Opaque",
                    "data": [{"objectName": kv_name, "key": key} for key, kv_name in keys.items()],
                }
                for secret_name, keys in synced_secrets.items()
            ],
        },
    }
