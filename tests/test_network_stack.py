"""The network stack: VNet, subnets, NSGs, private DNS, tags."""

from __future__ import annotations

import ipaddress

from config import load_config
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
    assert set(subnets) == {"aks-nodes", "postgres", "private-endpoints"}
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
    assert len(nsgs) == len(subnets) == len(associations) == 3
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
    # Nothing but HTTPS is open to the Internet.
    internet = [r for r in rules if r.get("source_address_prefix") in ("Internet", "*", "0.0.0.0/0") and r["access"] == "Allow"]
    assert {r["destination_port_range"] for r in internet} <= {"443"}


def test_private_dns_zones_are_linked_to_the_vnet(any_synth):
    cfg = load_config(CONFIGS[any_synth.name])
    zones = any_synth.resources("network", "azurerm_private_dns_zone")
    names = {z["name"] for z in zones.values()}
    pg_zone = f"{cfg.environment}.private.postgres.database.azure.com"
    assert {"privatelink.file.core.windows.net", "privatelink.vaultcore.azure.net", pg_zone} <= names
    assert pg_zone.endswith(".postgres.database.azure.com")
    links = any_synth.resources("network", "azurerm_private_dns_zone_virtual_network_link")
    (vnet_key,) = any_synth.resources("network", "azurerm_virtual_network")
    linked_zones = {l["private_dns_zone_name"] for l in links.values()}
    assert linked_zones == {f"${{azurerm_private_dns_zone.{key}.name}}" for key in zones}
    assert all(l["virtual_network_id"] == f"${{azurerm_virtual_network.{vnet_key}.id}}" for l in links.values())
    assert all(l["registration_enabled"] is False for l in links.values())


def test_postgres_dns_zone_name_differs_from_the_server_name(any_synth):
    zones = {z["name"] for z in any_synth.resources("network", "azurerm_private_dns_zone").values()}
    servers = any_synth.resources("data", "azurerm_postgresql_flexible_server")
    for server in servers.values():
        assert server["name"] not in zones
        assert f"{server['name']}.postgres.database.azure.com" not in zones
