"""The network stack: VNet, subnets, NSGs, private DNS, tags."""

from __future__ import annotations

import ipaddress
import json

import pytest
import yaml

from constructs_lib.azurerm_versions import private_dns_link_zone
from config import ConfigError, load_config, parse_config
from tests.conftest import CONFIGS


def _by_name(resources):
    return {r["name"]: r for r in resources.values()}


def test_one_vnet_with_the_configured_address_space(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    vnet = any_synth.one("network", "azurerm_virtual_network")
    assert vnet["address_space"] == [cfg.network.address_space]
    assert vnet["name"] == f"vnet-{cfg.environment}"


def test_subnets_have_the_configured_prefixes(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    subnets = _by_name(any_synth.resources("network", "azurerm_subnet"))
    runner = cfg.delivery.runner
    assert set(subnets) == {"aks-nodes", "postgres", "private-endpoints"} | ({"runners"} if runner.location == "vnet" else set())
    if runner.location == "vnet":
        assert subnets["runners"]["address_prefixes"] == [runner.subnet]
    assert subnets["aks-nodes"]["address_prefixes"] == [cfg.network.aks_nodes_subnet]
    assert subnets["postgres"]["address_prefixes"] == [cfg.network.postgres_subnet]
    assert subnets["private-endpoints"]["address_prefixes"] == [cfg.network.private_endpoints_subnet]
    space = ipaddress.ip_network(cfg.network.address_space)
    nets = [ipaddress.ip_network(s["address_prefixes"][0]) for s in subnets.values()]
    assert all(n.subnet_of(space) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_postgres_subnet_is_delegated_and_at_least_a_slash_28(any_synth):
    subnet = _by_name(any_synth.resources("network", "azurerm_subnet"))["postgres"]
    assert subnet["delegation"][0]["service_delegation"]["name"] == "Microsoft.DBforPostgreSQL/flexibleServers"
    assert ipaddress.ip_network(subnet["address_prefixes"][0]).prefixlen <= 28


def test_private_endpoint_subnet_enforces_nsg_on_endpoints(any_synth):
    subnet = _by_name(any_synth.resources("network", "azurerm_subnet"))["private-endpoints"]
    assert subnet["private_endpoint_network_policies"] == "Enabled"
    assert "delegation" not in subnet


def test_every_subnet_is_associated_with_its_own_nsg(any_synth):
    subnets = any_synth.resources("network", "azurerm_subnet")
    nsgs = any_synth.resources("network", "azurerm_network_security_group")
    associations = any_synth.resources("network", "azurerm_subnet_network_security_group_association")
    assert len(nsgs) == len(subnets) == len(associations) >= 3
    subnet_refs = {a["subnet_id"] for a in associations.values()}
    nsg_refs = {a["network_security_group_id"] for a in associations.values()}
    assert subnet_refs == {f"${{azurerm_subnet.{key}.id}}" for key in subnets}
    assert nsg_refs == {f"${{azurerm_network_security_group.{key}.id}}" for key in nsgs}


def test_nsg_rules_allow_only_what_each_tier_needs(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    rules = list(any_synth.resources("network", "azurerm_network_security_rule").values())
    aks = cfg.network.aks_nodes_subnet

    def find(name, nsg_suffix):
        matches = [r for r in rules if r["name"] == name and nsg_suffix in r["network_security_group_name"]]
        assert len(matches) == 1, (name, nsg_suffix)
        return matches[0]

    pg = find("allow-postgres-from-aks", "nsg-postgres")
    assert (pg["destination_port_range"], pg["source_address_prefix"], pg["access"]) == ("5432", aks, "Allow")
    nfs = find("allow-nfs-from-aks", "nsg-private-endpoints")
    assert (nfs["destination_port_range"], nfs["source_address_prefix"]) == ("2049", aks)
    https = find("allow-https-ingress", "nsg-aks-nodes")
    assert https["destination_port_range"] == "443" and https["direction"] == "Inbound"
    for suffix in ("nsg-postgres", "nsg-private-endpoints"):
        deny = find("deny-vnet-inbound", suffix)
        assert (deny["access"], deny["source_address_prefix"], deny["priority"]) == ("Deny", "VirtualNetwork", 4000)
    # Nothing but HTTPS is ever open to the Internet (the shipped configs open nothing to it at all).
    internet = [r for r in rules if r["access"] == "Allow" and any(
        p.lower() in ("internet", "*", "any", "0.0.0.0/0") for p in _sources(r))]
    assert {r["destination_port_range"] for r in internet} <= {"443"}


def _sources(rule) -> list[str]:
    return [rule["source_address_prefix"]] if "source_address_prefix" in rule else rule["source_address_prefixes"]


def _rules(tf: dict, nsg_suffix: str) -> dict[str, dict]:
    """The NSG rules of one subnet's NSG, by rule name."""
    return {r["name"]: r for r in tf["resource"]["azurerm_network_security_rule"].values()
            if f"{nsg_suffix}_" in r["network_security_group_name"]}


def test_ingress_rules_target_the_load_balancer_ip_not_the_node_subnet(any_synth):
    """AKS's public Standard LB uses floating IP: packets keep the LB's public IP as destination,
    so a destination of the node subnet prefix would never match them."""
    cfg = load_config(CONFIGS[any_synth.name])
    ingress = _rules(any_synth.stacks["network"], "nsg-aks-nodes")
    assert ingress["allow-https-ingress"]["destination_address_prefix"] == "*"
    assert ingress["allow-https-ingress"]["destination_port_range"] == "443"
    assert _sources(ingress["allow-https-ingress"]) == cfg.network.ingress_allowed_sources
    for rule in ingress.values():
        assert rule.get("destination_address_prefix") == "*", rule["name"]


def test_plain_http_is_open_only_while_tls_is_off_and_only_to_the_configured_sources(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    ingress = _rules(any_synth.stacks["network"], "nsg-aks-nodes")
    if cfg.app.tls.enabled:  # reference: HTTPS only, port 80 closed
        assert set(ingress) == {"allow-https-ingress"}
        return
    assert set(ingress) == {"allow-https-ingress", "allow-http-ingress"}  # small: plain HTTP by explicit choice
    http = ingress["allow-http-ingress"]
    assert (http["destination_port_range"], http["access"], http["protocol"], http["priority"]) == ("80", "Allow", "Tcp", 110)
    assert _sources(http) == cfg.network.ingress_allowed_sources == ["203.0.113.0/24"]


def test_shipped_configs_let_only_the_aks_nodes_and_the_runners_reach_the_private_endpoints(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    assert cfg.network.management_sources == []
    endpoints = _rules(any_synth.stacks["network"], "nsg-private-endpoints")
    expected = {"allow-nfs-from-aks", "allow-https-from-aks", "deny-vnet-inbound"}
    if cfg.delivery.runner.location == "vnet":  # the runners write the vault secret and read state over 443
        expected.add("allow-https-from-runners")
        runners = endpoints["allow-https-from-runners"]
        assert (runners["source_address_prefix"], runners["destination_port_range"]) == (cfg.delivery.runner.subnet, "443")
    assert set(endpoints) == expected


def test_vnet_runners_leave_through_a_nat_gateway_and_reach_the_state_privately(reference):
    cfg = load_config(CONFIGS["reference"])
    net = reference.stacks["network"]["resource"]
    subnets = _by_name(net["azurerm_subnet"])
    (runner_key,) = [k for k, v in net["azurerm_subnet"].items() if v["name"] == "runners"]
    assert subnets["runners"]["default_outbound_access_enabled"] is False  # no implicit egress: the NAT is it
    (nat_key, nat), = net["azurerm_nat_gateway"].items()
    (association,) = net["azurerm_subnet_nat_gateway_association"].values()
    assert association == {**association, "subnet_id": f"${{azurerm_subnet.{runner_key}.id}}",
                           "nat_gateway_id": f"${{azurerm_nat_gateway.{nat_key}.id}}"}
    (pip_key, pip), = net["azurerm_public_ip"].items()
    assert (pip["sku"], pip["allocation_method"]) == ("Standard", "Static")
    # Pinned in the first configured zone, both of them: zones force replacement and are not computed.
    assert pip["zones"] == nat["zones"] == [cfg.zones[0]]
    (link,) = net["azurerm_nat_gateway_public_ip_association"].values()
    assert link["public_ip_address_id"] == f"${{azurerm_public_ip.{pip_key}.id}}"
    # The runners resolve the state account's blob endpoint to a private address in the VNet.
    blob_zone = next(k for k, z in net["azurerm_private_dns_zone"].items() if z["name"] == "privatelink.blob.core.windows.net")
    (endpoint,) = [e for e in net["azurerm_private_endpoint"].values()
                   if e["private_service_connection"]["subresource_names"] == ["blob"]]
    assert endpoint["private_service_connection"]["private_connection_resource_id"].endswith(
        f"/resourceGroups/{cfg.state.resource_group}/providers/Microsoft.Storage/storageAccounts/{cfg.state.storage_account}")
    assert endpoint["private_dns_zone_group"]["private_dns_zone_ids"] == [f"${{azurerm_private_dns_zone.{blob_zone}.id}}"]


def test_external_runners_get_no_runner_subnet_nat_or_state_endpoint(small):
    net = small.stacks["network"]["resource"]
    assert "runners" not in _by_name(net["azurerm_subnet"])
    assert not {"azurerm_nat_gateway", "azurerm_public_ip"} & set(net)
    assert all(e["private_service_connection"]["subresource_names"] != ["blob"]
               for e in net.get("azurerm_private_endpoint", {}).values())


def test_default_outbound_access_is_off_except_on_the_delegated_postgres_subnet(any_synth):
    subnets = _by_name(any_synth.resources("network", "azurerm_subnet"))
    # The managed service owns its delegated subnet: its outbound needs are Azure's to decide.
    assert subnets["postgres"]["default_outbound_access_enabled"] is True  # explicit: the managed service decides
    assert subnets["aks-nodes"]["default_outbound_access_enabled"] is False
    assert subnets["private-endpoints"]["default_outbound_access_enabled"] is False


# --- a variant the shipped configs don't cover: TLS on, public ingress, management sources ----------

MANAGEMENT = ["10.50.0.0/24", "192.168.10.0/24"]


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> dict:
    """The network stack alone, for reference.yaml with TLS on, Internet ingress and management sources."""
    from constructs_lib.cdk import App
    from constructs_lib.toolchain import app_context

    from stacks.network import NetworkStack

    data = yaml.safe_load(CONFIGS["reference"].read_text())
    data["network"].update(ingress_allowed_sources=["Internet"], management_sources=MANAGEMENT)
    data["app"]["tls"] = {"enabled": True, "key_vault_certificate_uri": "https://kv-certs.vault.azure.net/certificates/ppm"}
    cfg = parse_config(data, "variant.yaml")
    outdir = tmp_path_factory.mktemp("network-variant")
    app = App(context=app_context(), outdir=str(outdir))
    NetworkStack(app, cfg)
    app.synth()
    return json.loads((outdir / "stacks" / "network" / "cdk.tf.json").read_text())


def test_with_tls_on_only_https_is_open_even_to_the_internet(variant):
    ingress = _rules(variant, "nsg-aks-nodes")
    assert set(ingress) == {"allow-https-ingress"}
    https = ingress["allow-https-ingress"]
    assert (https["destination_port_range"], https["destination_address_prefix"], https["source_address_prefix"]) == (
        "443", "*", "Internet")


def test_management_sources_reach_the_private_endpoints_on_https_before_the_deny(variant):
    endpoints = _rules(variant, "nsg-private-endpoints")
    management = endpoints["allow-https-from-management"]
    assert management["source_address_prefixes"] == MANAGEMENT
    assert (management["destination_port_range"], management["protocol"], management["access"]) == ("443", "Tcp", "Allow")
    assert management["destination_address_prefix"] == "10.40.9.0/27"  # the private-endpoints subnet
    assert management["priority"] < endpoints["deny-vnet-inbound"]["priority"]
    assert len({r["priority"] for r in endpoints.values()}) == len(endpoints)


def test_http_open_to_the_internet_without_tls_is_refused():
    data = yaml.safe_load(CONFIGS["reference"].read_text())
    data["app"]["tls"] = {"enabled": False}
    for sources in (["Internet"], ["*"], ["AzureCloud"], ["203.0.113.0/24", "0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"]):
        data["network"]["ingress_allowed_sources"] = sources
        with pytest.raises(ConfigError) as err:
            parse_config(data, "bad.yaml")
        assert any(line.startswith("network.ingress_allowed_sources: got") and "enable TLS" in line
                   and "restrict the sources" in line for line in err.value.problems), err.value.problems
    data["app"]["tls"] = {"enabled": True, "key_vault_certificate_uri": "https://kv-certs.vault.azure.net/certificates/ppm"}
    assert parse_config(data, "ok.yaml").network.ingress_allowed_sources[-1] == "128.0.0.0/1"  # fine with TLS on


def test_management_sources_must_be_cidrs():
    data = yaml.safe_load(CONFIGS["reference"].read_text())
    data["network"]["management_sources"] = ["10.50.0.1/24"]
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert any("network.management_sources[0]: got '10.50.0.1/24'" in line for line in err.value.problems), err.value.problems


def test_private_dns_zones_are_linked_to_the_vnet(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    zones = any_synth.resources("network", "azurerm_private_dns_zone")
    names = {z["name"] for z in zones.values()}
    pg_zone = f"{cfg.environment}.private.postgres.database.azure.com"
    assert {"privatelink.file.core.windows.net", "privatelink.vaultcore.azure.net", pg_zone} <= names
    assert pg_zone.endswith(".postgres.database.azure.com")
    links = any_synth.resources("network", "azurerm_private_dns_zone_virtual_network_link")
    (vnet_key,) = any_synth.resources("network", "azurerm_virtual_network")
    # the zone by name (azurerm 4.x) or by ID (5.x): constructs_lib.azurerm_versions.private_dns_link_zone
    zone_args = private_dns_link_zone("ID", "NAME", "RG")
    (zone_arg, zone_attr), = [(arg, value.lower()) for arg, value in zone_args.items() if value != "RG"]
    linked_zones = {l[zone_arg] for l in links.values()}
    assert linked_zones == {f"${{azurerm_private_dns_zone.{key}.{zone_attr}}}" for key in zones}
    assert all(l["virtual_network_id"] == f"${{azurerm_virtual_network.{vnet_key}.id}}" for l in links.values())
    assert all(l["registration_enabled"] is False for l in links.values())


def test_postgres_dns_zone_name_differs_from_the_server_name(any_synth):
    zones = {z["name"] for z in any_synth.resources("network", "azurerm_private_dns_zone").values()}
    servers = any_synth.resources("data", "azurerm_postgresql_flexible_server")
    for server in servers.values():
        assert server["name"] not in zones
        assert f"{server['name']}.postgres.database.azure.com" not in zones
