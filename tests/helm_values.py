"""Checks shared by the Package Manager tests: chart key paths and Kubernetes schemas.

- :func:`unknown_key_paths` walks release values against the chart's own values.yaml
  (the chart silently ignores unknown keys, so a typo would otherwise go unnoticed).
- :func:`schema_errors` validates manifests: core kinds with kubernetes-validate's
  strict schemas, SecretProviderClass with :data:`SECRET_PROVIDER_CLASS_SCHEMA`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import kubernetes_validate
import yaml

CHART_VALUES = Path(__file__).resolve().parent / "fixtures" / "rstudio-pm-0.20.4" / "values.yaml"
#: Oldest Kubernetes minor the schemas are checked against (AKS supported versions).
KUBERNETES_VERSION = "1.31"

#: Maps whose contents are free-form by design ([CH]): `config` becomes rstudio-pm.gcfg.
#: Keys whose chart default is an empty map or a list (pod.env, extraObjects,
#: podDisruptionBudget, ingress.annotations, ...) are leaves of the walk as well.
FREE_FORM = {("config",)}

_TOKEN = re.compile(r"\$\{[^}]*\}")


def chart_values() -> dict[str, Any]:
    return yaml.safe_load(CHART_VALUES.read_text())


def unknown_key_paths(values: Any, chart: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted key paths in ``values`` that the chart's values.yaml does not define.

    A chart key whose default is a non-empty map is walked into; any other chart key
    (scalar, null, list, empty map) accepts whatever is below it.
    """
    if path in FREE_FORM or not isinstance(values, dict):
        return
    for key, value in values.items():
        here = (*path, str(key))
        if not isinstance(chart, dict) or key not in chart:
            yield ".".join(here)
            continue
        default = chart[key]
        if isinstance(default, dict) and default:
            yield from unknown_key_paths(value, default, here)


def without_tokens(document: Any, placeholder: str = "placeholder") -> Any:
    """A copy with every Terraform interpolation ``${...}`` replaced by a plain placeholder."""
    if isinstance(document, dict):
        return {k: without_tokens(v, placeholder) for k, v in document.items()}
    if isinstance(document, list):
        return [without_tokens(v, placeholder) for v in document]
    if isinstance(document, str):
        return _TOKEN.sub(placeholder, document)
    return document


# secrets-store.csi.x-k8s.io/v1 SecretProviderClass, hand-written after the CRD's
# openAPIV3Schema in kubernetes-sigs/secrets-store-csi-driver
# (config/crd/bases/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml): spec.provider
# (string), spec.parameters (map of strings), spec.secretObjects[] {secretName, type, labels,
# annotations, data[] {objectName, key}}. Stricter than the CRD on purpose: unknown fields
# are errors (the API server would prune them silently) and the fields a sync needs are required.
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
SECRET_PROVIDER_CLASS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "secrets-store.csi.x-k8s.io/v1"},
        "kind": {"const": "SecretProviderClass"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"},
                "namespace": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
                "labels": _STRING_MAP,
                "annotations": _STRING_MAP,
            },
        },
        "spec": {
            "type": "object",
            "required": ["provider", "parameters"],
            "additionalProperties": False,
            "properties": {
                "provider": {"type": "string", "minLength": 1},
                "parameters": _STRING_MAP,
                "secretObjects": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["secretName", "type", "data"],
                        "additionalProperties": False,
                        "properties": {
                            "secretName": {"type": "string", "minLength": 1},
                            "type": {"type": "string", "minLength": 1},
                            "labels": _STRING_MAP,
                            "annotations": _STRING_MAP,
                            "data": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["objectName", "key"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "objectName": {"type": "string", "minLength": 1},
                                        "key": {"type": "string", "minLength": 1},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    """Schema violations of one manifest (empty list: valid). Tokens must be substituted first."""
    if manifest.get("kind") == "SecretProviderClass":
        validator = jsonschema.Draft202012Validator(SECRET_PROVIDER_CLASS_SCHEMA)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as err:
        return [f"{'/'.join(map(str, err.path))}: {err.message}"]
    return []


def pod_from_values(values: dict[str, Any]) -> dict[str, Any]:
    """A Pod carrying the pod-level fragments the values inject verbatim into the chart's
    Deployment (env, volumes, volumeMounts, lifecycle, terminationGracePeriodSeconds,
    topologySpreadConstraints), for a schema check."""
    pod = values.get("pod", {})
    container: dict[str, Any] = {
        "name": "rspm",
        "image": "posit/package-manager",
        "env": pod.get("env", []),
        "volumeMounts": pod.get("volumeMounts", []),
    }
    if "lifecycle" in pod:
        container["lifecycle"] = pod["lifecycle"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "rstudio-pm"},
        "spec": {
            "containers": [container],
            "terminationGracePeriodSeconds": pod.get("terminationGracePeriodSeconds", 120),
            "volumes": pod.get("volumes", []),
            "topologySpreadConstraints": values.get("topologySpreadConstraints", []),
        },
    }
