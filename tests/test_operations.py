"""The upgrades docs/operations.md describes plan as in-place updates: only the expected argument changes.

Each upgrade is synthesized from the reference config with one value changed and compared with the session's
reference synth: every stack must be identical except the one argument of the one resource the upgrade is about,
at the same address (a new address, or a ForceNew argument, would be a replacement).
"""

from __future__ import annotations

from typing import Any

import pytest

from config import load_config
from tests.conftest import CONFIGS, STACKS, json_differences, synth_config


def _changed(reference, tmp_path, section: str, **update: Any) -> dict[str, list[tuple[str, ...]]]:
    cfg = load_config(CONFIGS["reference"])
    cfg = cfg.model_copy(update={section: getattr(cfg, section).model_copy(update=update)})
    upgraded = synth_config("reference", tmp_path / "upgraded", cfg)
    return {stack: [path for path, _ in json_differences(reference.stacks[stack], upgraded.stacks[stack])]
            for stack in STACKS}


def _one(changes: dict[str, list[tuple[str, ...]]]) -> tuple[str, tuple[str, ...]]:
    flat = [(stack, path) for stack, paths in changes.items() for path in paths]
    assert len(flat) == 1, flat
    return flat[0]


def test_a_postgres_major_upgrade_is_an_in_place_version_change(reference, tmp_path):
    """[P] azurerm_postgresql_flexible_server: `version` is not ForceNew (only a downgrade forces a new server)."""
    current = reference.one("data", "azurerm_postgresql_flexible_server")["version"]
    newer = str(int(current) + 1)
    stack, path = _one(_changed(reference, tmp_path, "postgres", version=newer))
    (name,) = reference.resources("data", "azurerm_postgresql_flexible_server")
    assert (stack, path) == ("data", ("resource", "azurerm_postgresql_flexible_server", name, "version"))


@pytest.mark.parametrize("bump", ["0.20.5", "0.21.0"])
def test_a_chart_bump_changes_only_the_release_version(reference, tmp_path, bump):
    stack, path = _one(_changed(reference, tmp_path, "app", chart_version=bump))
    (name,) = reference.resources("app", "helm_release")
    assert (stack, path) == ("app", ("resource", "helm_release", name, "version"))
