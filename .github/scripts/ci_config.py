#!/usr/bin/env python3
"""What the plan and deploy workflows read from the environment's config file, before they pick a runner.

    python .github/scripts/ci_config.py [CONFIG] [--require-kubelogin-mode MODE]

CONFIG defaults to $PPM_CONFIG. Prints one JSON object, {"config": ..., "labels": [...],
"kubelogin_mode": ...}, and, inside GitHub Actions, writes the same three to $GITHUB_OUTPUT (``labels``
as compact JSON, for ``runs-on: ${{ fromJSON(needs.config.outputs.labels) }}``; ``config``, the path,
so the plan/deploy job's PPM_CONFIG comes from the same one place).

- ``labels``: ``delivery.github_runner_labels``, a non-empty list of runner labels (the same pattern
  config/schema.py accepts); when the key is absent, the schema's default [self-hosted, ppm].
- ``kubelogin_mode``: ``app.kubelogin_mode`` (schema default ``azurecli``). With
  ``--require-kubelogin-mode workloadidentity`` any other mode is an error: in CI there is no
  ``az login`` whose token could carry the Helm provider through a long apply.

Runs with nothing but Python and PyYAML (the workflows' first job has no project set-up); the full
validation is config/loader.py's, which `make plan` / `make deploy` run next. tests/test_workflows.py
checks that the defaults and the label pattern here stay equal to config/schema.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

#: config/schema.py DeliveryConfig.github_runner_labels default.
DEFAULT_LABELS = ["self-hosted", "ppm"]
#: config/schema.py AppConfig.kubelogin_mode default.
DEFAULT_KUBELOGIN_MODE = "azurecli"
#: config/schema.py RunnerLabel.
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")
KUBELOGIN_MODES = ("azurecli", "workloadidentity")


class ConfigProblem(Exception):
    """The config cannot drive the workflow; the message says what to change."""


def read(path: Path) -> dict[str, Any]:
    """``{"config": ..., "labels": [...], "kubelogin_mode": ...}`` of one config file, or ConfigProblem."""
    if any(c in str(path) for c in "\r\n"):
        raise ConfigProblem(f"{str(path)!r}: a config path cannot contain a line break")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigProblem(f"{path}: cannot read it ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        raise ConfigProblem(f"{path}: not valid YAML ({err})") from None
    if not isinstance(doc, dict):
        raise ConfigProblem(f"{path}: expected a mapping at the top level")
    delivery = doc.get("delivery")
    if not isinstance(delivery, dict):
        raise ConfigProblem(f"{path}: the `delivery` section is missing (config/reference.yaml shows one)")
    labels = delivery.get("github_runner_labels", DEFAULT_LABELS)
    if not isinstance(labels, list) or not labels:
        raise ConfigProblem(f"{path}: delivery.github_runner_labels must be a non-empty list, e.g. [self-hosted, ppm]")
    for label in labels:
        if not isinstance(label, str) or not LABEL.fullmatch(label):
            raise ConfigProblem(f"{path}: delivery.github_runner_labels: {label!r} is not a runner label "
                                "(letters, digits, '.', '_', ':', '/', '-'; no spaces or commas)")
    app = doc.get("app")
    mode = app.get("kubelogin_mode", DEFAULT_KUBELOGIN_MODE) if isinstance(app, dict) else DEFAULT_KUBELOGIN_MODE
    if mode not in KUBELOGIN_MODES:
        raise ConfigProblem(f"{path}: app.kubelogin_mode must be one of {', '.join(KUBELOGIN_MODES)}; got {mode!r}")
    return {"config": str(path), "labels": list(labels), "kubelogin_mode": mode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=os.environ.get("PPM_CONFIG"),
                        help="the environment file (default: $PPM_CONFIG)")
    parser.add_argument("--require-kubelogin-mode", choices=KUBELOGIN_MODES,
                        help="fail unless app.kubelogin_mode is this")
    args = parser.parse_args(argv)
    if not args.config:
        print("::error::no config file: pass one or set PPM_CONFIG", file=sys.stderr)
        return 2
    try:
        result = read(Path(args.config))
        if args.require_kubelogin_mode and result["kubelogin_mode"] != args.require_kubelogin_mode:
            raise ConfigProblem(
                f"{args.config}: app.kubelogin_mode is {result['kubelogin_mode']!r}; this workflow needs "
                f"`app.kubelogin_mode: {args.require_kubelogin_mode}` (the Helm provider's kubelogin signs in "
                "with the job's OIDC token; there is no `az login` in CI: docs/review.md)")
    except ConfigProblem as err:
        print(f"::error::{err}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as out:
            out.write(f"config={result['config']}\n")
            out.write(f"labels={json.dumps(result['labels'], separators=(',', ':'))}\n")
            out.write(f"kubelogin_mode={result['kubelogin_mode']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
