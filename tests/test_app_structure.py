"""App-wide structure: four stacks, remote state per stack, dependencies, tags."""

from __future__ import annotations

import importlib

import pytest

from config import load_config
from tests.conftest import CONFIGS, STACKS


def test_exactly_the_four_stacks(any_synth):
    assert set(any_synth.manifest["stacks"]) == set(STACKS)


def test_manifest_records_the_cross_stack_dependencies(any_synth):
    deps = {name: set(meta["dependencies"]) for name, meta in any_synth.manifest["stacks"].items()}
    assert deps["network"] == set()
    assert deps["data"] == {"network"}
    assert deps["cluster"] == {"network"}
    assert deps["app"] == {"cluster", "data"}


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_has_its_own_azuread_backend(any_synth, stack):
    cfg = load_config(CONFIGS[any_synth.name])
    backend = any_synth.stacks[stack]["terraform"]["backend"]
    assert list(backend) == ["azurerm"]
    assert backend["azurerm"] == {
        "resource_group_name": cfg.state.resource_group,
        "storage_account_name": cfg.state.storage_account,
        "container_name": cfg.state.container,
        "key": f"{cfg.environment}/{stack}.tfstate",
        "use_azuread_auth": True,
    }


def test_consumers_read_state_through_remote_state_without_secrets(any_synth):
    for stack in ("data", "cluster", "app"):
        remote = any_synth.stacks[stack].get("data", {}).get("terraform_remote_state", {})
        assert remote, f"{stack} reads no remote state"
        for block in remote.values():
            assert block["backend"] == "azurerm"
            cfg = block["config"]
            assert cfg["use_azuread_auth"] is True
            assert not {"access_key", "sas_token", "client_secret", "client_certificate_password"} & set(cfg)


def _binding_class(resource_type: str):
    name = resource_type.removeprefix("azurerm_")
    from constructs_lib.toolchain import selected

    module = importlib.import_module(f"{selected().package('azurerm')}.{name}")
    return getattr(module, "".join(p[:1].upper() + p[1:] for p in name.split("_")))


def test_every_taggable_azurerm_resource_carries_the_config_tags(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    checked = 0
    for stack, doc in any_synth.stacks.items():
        for rtype, resources in doc.get("resource", {}).items():
            if not rtype.startswith("azurerm_") or not hasattr(_binding_class(rtype), "tags_input"):
                continue
            for key, resource in resources.items():
                checked += 1
                tags = resource.get("tags", {})
                missing = {k: v for k, v in cfg.tags.items() if tags.get(k) != v}
                assert not missing, f"{stack}: {rtype}.{key} lacks tags {missing}"
    assert checked >= 10
