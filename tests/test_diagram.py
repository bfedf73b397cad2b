"""docs/architecture.md is drawn from the synth (tools/docs/diagram.py) and kept current.

The gate is in tests/test_docs.py (every generator's check mode): a change to the stacks that
changes the drawing fails there until `make docs` is run and the new file committed, so the pull
request shows the architecture change. These tests check that the drawing says what the synth says.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tools.docs import diagram


@pytest.fixture(scope="module")
def drawn(synths) -> dict[str, str]:
    return {name: diagram.render(s.outdir) for name, s in synths.items()}


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, re.S)


def node_id(stack: str, rtype: str, name: str) -> str:
    return diagram.Ref(stack, rtype, name).node_id


def test_rendering_is_deterministic(reference, tmp_path):
    """Same synth, stacks listed in another order in the manifest: byte-identical output."""
    copy = tmp_path / "out"
    shutil.copytree(reference.outdir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["stacks"] = dict(reversed(list(manifest["stacks"].items())))
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=3))
    assert diagram.render(copy) == diagram.render(reference.outdir)


def test_every_stack_is_a_subgraph_and_every_dependency_an_edge(any_synth, drawn):
    chart = mermaid_blocks(drawn[any_synth.name])[0]
    for stack, meta in any_synth.manifest["stacks"].items():
        assert f"subgraph stack_{stack}[" in chart
        for dep in meta["dependencies"]:
            assert f"stack_{dep} ==>|deploy before| stack_{stack}" in chart
    edges = re.findall(r"==>", chart)
    assert len(edges) == sum(len(m["dependencies"]) for m in any_synth.manifest["stacks"].values())


def test_mermaid_is_well_formed(any_synth, drawn):
    for block in mermaid_blocks(drawn[any_synth.name]):
        lines = block.splitlines()
        assert lines[0].startswith("flowchart ")
        assert sum(1 for x in lines if x.strip().startswith("subgraph ")) == sum(1 for x in lines if x.strip() == "end")
        declared = re.findall(r"^\s*(?:subgraph )?([A-Za-z0-9_]+)\[\"", block, re.M)
        assert len(declared) == len(set(declared)), "duplicate node or subgraph id"
        for label in re.findall(r"\[\"(.*?)\"\]", block):
            assert '"' not in label and "${" not in label, label
        for src, dst in re.findall(r"^\s*([A-Za-z0-9_]+) (?:-\.->|-\. \".*?\" \.->|==>\|[^|]*\|) ([A-Za-z0-9_]+)$",
                                   block, re.M):
            assert src in declared and dst in declared, (src, dst)
        for chain in re.findall(r"^\s*(\w+(?: ~~~ \w+)+)$", block, re.M):
            assert set(chain.split(" ~~~ ")) <= set(declared), chain


def test_main_resources_are_drawn_with_their_key_settings(any_synth, drawn):
    chart = mermaid_blocks(drawn[any_synth.name])[0]

    def label(stack: str, rtype: str, name: str) -> str:
        found = re.search(rf"{node_id(stack, rtype, name)}\[\"(.*?)\"\]", chart)
        assert found, f"{stack}/{rtype}/{name} is not drawn"
        return found.group(1)

    seen = set()
    for stack, body in any_synth.stacks.items():
        for rtype in sorted(diagram.NODES) + ["azurerm_virtual_network"]:
            for name, r in body.get("resource", {}).get(rtype, {}).items():
                seen.add(rtype)
                text = label(stack, rtype, name)
                assert str(r["name"]) in text
                if rtype == "azurerm_kubernetes_cluster":
                    pool = r["default_node_pool"]
                    assert f"{pool['node_count']} × {pool['vm_size']}" in text
                    assert f"zones {', '.join(sorted(pool['zones']))}" in text
                if rtype == "azurerm_postgresql_flexible_server":
                    assert r["sku_name"] in text and f"{r['storage_mb'] // 1024} GiB" in text
                    if r.get("high_availability"):
                        ha = diagram._first(r["high_availability"])
                        assert (f"primary zone {r['zone']}, standby zone {ha['standby_availability_zone']}"
                                in text.replace("&num;", "#"))
                if rtype == "azurerm_storage_share":
                    assert f"{r['quota']} GiB" in text
                if rtype == "helm_release":
                    assert f"chart {r['chart']} {r['version']}" in text
                if rtype == "azurerm_subnet":
                    assert r["address_prefixes"][0] in text
    # the architecture's backbone, whichever helper's stack holds it
    assert {"azurerm_subnet", "azurerm_private_dns_zone", "azurerm_postgresql_flexible_server",
            "azurerm_storage_share", "azurerm_key_vault", "azurerm_kubernetes_cluster", "helm_release"} <= seen


def test_cross_stack_references_become_edges(reference, drawn):
    """Every drawn resource that reads a remote-state output of a drawn resource gets an edge to it."""
    chart = mermaid_blocks(drawn["reference"])[0]
    drawn_types = set(diagram.NODES) | {"azurerm_virtual_network"}
    expected = set()
    for stack, body in reference.stacks.items():
        remote = body.get("data", {}).get("terraform_remote_state", {})
        for rtype in drawn_types:
            for name, r in body.get("resource", {}).get(rtype, {}).items():
                text = json.dumps({k: v for k, v in r.items() if k != "depends_on"})
                for data_name, output in re.findall(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)", text):
                    key = remote[data_name]["config"]["key"]
                    origin = next(s for s, b in reference.stacks.items()
                                  if b["terraform"]["backend"]["azurerm"]["key"] == key)
                    value = reference.stacks[origin]["output"][output]["value"]
                    target = re.match(r"\$\{([a-z_]+)\.([\w-]+)\.", value)
                    if target and target.group(1) in drawn_types:
                        expected.add((node_id(stack, rtype, name), node_id(origin, *target.groups())))
    assert len(expected) >= 3, "the reference architecture has cross-stack references between drawn resources"
    for src, dst in sorted(expected):
        assert re.search(rf"^\s*{src} -\.(?: \"[^\"]*\" \.)?-> {dst}$", chart, re.M), f"no edge {src} -> {dst}"


def test_zone_chart_places_what_the_synth_places(any_synth, drawn):
    zones_chart = mermaid_blocks(drawn[any_synth.name])[1]
    blocks = dict(re.findall(r"subgraph (zone_\w+)\[\"[^\"]*\"\]\n(.*?)\n\s*end", zones_chart, re.S))
    aks = next(iter(any_synth.resources("cluster", "azurerm_kubernetes_cluster").values()))
    for z in aks["default_node_pool"]["zones"]:
        assert f"AKS {aks['name']}: nodes of pool" in blocks[f"zone_{z}"]
    pg = next(iter(any_synth.resources("data", "azurerm_postgresql_flexible_server").values()))
    assert f"PostgreSQL {pg['name']} primary" in blocks[f"zone_{pg['zone']}"]
    ha = pg.get("high_availability")
    if ha:
        standby = diagram._first(ha)["standby_availability_zone"]
        assert f"PostgreSQL {pg['name']} standby" in blocks[f"zone_{standby}"]
    else:
        assert "standby" not in zones_chart
    account = next(iter(any_synth.resources("data", "azurerm_storage_account").values()))
    assert f"{account['name']} ({account['account_replication_type']}" in blocks["zone_redundant"]
    all_zones = set(aks["default_node_pool"]["zones"]) | {pg["zone"]}
    assert {k for k in blocks if k != "zone_redundant"} == {f"zone_{z}" for z in all_zones}


def test_the_two_configs_draw_differently(drawn):
    assert drawn["small"] != drawn["reference"]
    assert "availability zone 3" in drawn["reference"] and "availability zone 3" not in drawn["small"]


def test_inventory_counts_every_resource(any_synth, drawn):
    table = drawn[any_synth.name].split("## Resources per stack", 1)[1]
    rows = {m[0]: m[1] for m in re.findall(r"^\| `([\w]+)` \| (.*) \|$", table, re.M)}
    order = diagram.load(any_synth.outdir).order
    for stack, body in any_synth.stacks.items():
        for rtype, items in body.get("resource", {}).items():
            cells = [c.strip() for c in rows[rtype].split("|")]
            assert cells[order.index(stack)] == str(len(items))


def test_check_mode_reports_a_stale_file(reference, tmp_path, capsys):
    target = tmp_path / "architecture.md"
    target.write_text("stale\n")
    args = ["--outdir", str(reference.outdir), "--output", str(target)]
    assert diagram.main([*args, "--check"]) == 1
    assert "is stale: run `make docs`" in capsys.readouterr().err
    assert target.read_text() == "stale\n"
    assert diagram.main(args) == 0
    assert diagram.main([*args, "--check"]) == 0
