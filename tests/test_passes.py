"""The intent passes, checked on the model directly (no backend involved)."""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_network

import netcompile
from netcompile.model import MAIN_TABLE, Origin, Scope


def network(text: str) -> netcompile.Network:
    return netcompile.load_network(text.encode(), "spec.yaml")


TWO_UPLINKS = """\
version: 1
tables: {isp-a: 100, isp-b: 101}
interfaces:
  eth0:
    addresses: [192.0.2.10/24, "2001:db8:a::10/64"]
    gateways: [192.0.2.1, "2001:db8:a::1"]
    uplink: {table: isp-a, default: true}
  eth1:
    addresses: [198.51.100.10/24]
    gateways: [198.51.100.1]
    uplink: {table: isp-b, priority: 2000}
"""


def test_uplink_fills_its_table_with_connected_and_default_routes() -> None:
    net = network(TWO_UPLINKS)
    table_b = [(str(r.destination), r.gateway, r.scope, r.source)
               for r in net.routes if r.table == 101]
    assert table_b == [
        ("198.51.100.0/24", None, Scope.LINK, ip_address("198.51.100.10")),
        ("0.0.0.0/0", ip_address("198.51.100.1"), None, None),
    ]
    assert all(r.interface == "eth1" and r.origin == Origin.UPLINK
               for r in net.routes if r.table == 101)


def test_uplink_covers_both_families() -> None:
    net = network(TWO_UPLINKS)
    table_a = {(r.family, str(r.destination)) for r in net.routes if r.table == 100}
    assert table_a == {(4, "192.0.2.0/24"), (4, "0.0.0.0/0"),
                       (6, "2001:db8:a::/64"), (6, "::/0")}
    v6_connected = next(r for r in net.routes if str(r.destination) == "2001:db8:a::/64")
    assert v6_connected.scope is None and v6_connected.metric == 1024
    assert v6_connected.source is None


def test_one_from_rule_per_address_with_deterministic_priority() -> None:
    net = network(TWO_UPLINKS)
    rules = [(r.family, str(r.source), r.table, r.priority, r.interface) for r in net.rules]
    assert rules == [
        (4, "192.0.2.10/32", 100, 1000, "eth0"),
        (6, "2001:db8:a::10/128", 100, 1000, "eth0"),
        (4, "198.51.100.10/32", 101, 2000, "eth1"),
    ]
    assert all(r.priority < 32766 for r in net.rules)


def test_only_the_default_uplink_holds_the_main_default_route() -> None:
    net = network(TWO_UPLINKS)
    main_defaults = [(r.interface, r.gateway) for r in net.routes
                     if r.table == MAIN_TABLE and r.is_default]
    assert main_defaults == [("eth0", ip_address("192.0.2.1")),
                             ("eth0", ip_address("2001:db8:a::1"))]


SPLIT_DEFAULTS = """\
version: 1
tables: {isp-a: 100, isp-b: 101}
interfaces:
  eth0:
    addresses: [192.0.2.10/24, "2001:db8:a::10/64"]
    gateways: [192.0.2.1, "2001:db8:a::1"]
    uplink: {table: isp-a, default: ipv6}
  eth1:
    addresses: [198.51.100.10/24, "2001:db8:b::10/64"]
    gateways: [198.51.100.1, "2001:db8:b::1"]
    uplink: {table: isp-b, default: [ipv4]}
"""


def test_default_names_the_families_an_uplink_carries() -> None:
    net = network(SPLIT_DEFAULTS)
    main_defaults = [(r.interface, str(r.gateway)) for r in net.routes
                     if r.table == MAIN_TABLE and r.is_default]
    assert main_defaults == [("eth0", "2001:db8:a::1"), ("eth1", "198.51.100.1")]


def test_default_true_carries_each_family_the_uplink_has_a_gateway_for() -> None:
    """eth1 (IPv4 only) carries the IPv4 default; the host's IPv6 way out is DHCPv6
    (with router advertisements) on eth2, so the spec is complete without one."""
    net = network(TWO_UPLINKS.replace("{table: isp-a, default: true}", "{table: isp-a}")
                  .replace("priority: 2000", "priority: 2000, default: true")
                  + "  eth2: {dhcp6: true}\n")
    main_defaults = [(r.interface, r.family) for r in net.routes
                     if r.table == MAIN_TABLE and r.is_default]
    assert main_defaults == [("eth1", 4)]


def test_plain_gateways_become_main_default_routes() -> None:
    net = network("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n"
                  "    gateways: [192.0.2.1]\n")
    assert [(r.table, str(r.destination), str(r.gateway), r.origin) for r in net.routes] == [
        (MAIN_TABLE, "0.0.0.0/0", "192.0.2.1", Origin.GATEWAY)]
    assert net.rules == ()


def test_two_addresses_in_one_prefix_share_one_connected_route() -> None:
    net = network("version: 1\ntables: {a: 100}\ninterfaces:\n  eth0:\n"
                  "    addresses: [192.0.2.10/24, 192.0.2.11/24]\n    gateways: [192.0.2.1]\n"
                  "    uplink: {table: a, default: true}\n")
    connected = [r for r in net.routes if r.table == 100 and not r.is_default]
    assert len(connected) == 1
    assert [str(r.source) for r in net.rules] == ["192.0.2.10/32", "192.0.2.11/32"]


def test_spec_rule_is_owned_by_its_iif_or_a_link_with_routes_in_its_table() -> None:
    net = network("""\
version: 1
tables: {t: 100}
interfaces:
  eth0:
    addresses: [192.0.2.10/24]
  eth1:
    addresses: [198.51.100.10/24]
    routes: [{to: 10.0.0.0/8, via: 198.51.100.1, table: t}]
rules:
  - {iif: eth0, table: t, priority: 10, family: ipv4}
  - {to: 10.0.0.0/8, table: t, priority: 20}
""")
    assert [(r.priority, r.interface) for r in net.rules] == [(10, "eth0"), (20, "eth1")]


def test_reordering_the_spec_does_not_change_the_model() -> None:
    reordered = TWO_UPLINKS.replace("tables: {isp-a: 100, isp-b: 101}",
                                    "tables: {isp-b: 101, isp-a: 100}")
    eth0, eth1 = reordered.split("  eth0:\n")[1].split("  eth1:\n")
    reordered = reordered.split("  eth0:\n")[0] + "  eth1:\n" + eth1 + "  eth0:\n" + eth0
    assert reordered != TWO_UPLINKS
    a, b = network(TWO_UPLINKS), network(reordered)
    assert without_locations(a) == without_locations(b)


def without_locations(net: netcompile.Network) -> str:
    """The model's content with every spec position left out."""
    return re.sub(r"Location\([^)]*\)", "", repr(
        (net.interfaces, net.tables, net.routes, net.rules)))


def test_expansion_keeps_spec_locations() -> None:
    net = network(TWO_UPLINKS)
    # eth1's connected route points at its address (line 9), its default at the gateway.
    assert {(str(r.destination), r.where.line) for r in net.routes if r.interface == "eth1"} == {
        ("198.51.100.0/24", 9), ("0.0.0.0/0", 10)}
    assert ip_network("198.51.100.0/24") in {r.destination for r in net.routes}


def test_a_rule_goes_to_an_interface_configured_for_its_family() -> None:
    """a0 holds only IPv6 and b0 takes IPv4 from DHCP: an IPv4 rule whose table has
    no routes belongs to b0, where NetworkManager keeps it (ipv4.method=auto), not to
    a0, whose IPv4 is disabled."""
    spec = """\
version: 1
tables: {t: 100}
interfaces:
  a0: {addresses: ["2001:db8::2/64"]}
  b0: {dhcp4: true}
rules:
  - {from: 10.0.0.2/32, table: t, priority: 100}
"""
    net = network(spec)
    assert [r.interface for r in net.rules] == ["b0"]
    files = netcompile.render(net, "networkmanager")
    keyfile = next(f.content for f in files if f.path.endswith("/b0.nmconnection"))
    assert "routing-rule1=priority 100 from 10.0.0.2/32 table 100" in keyfile


def test_a_rule_prefers_the_interface_with_routes_of_its_family_in_its_table() -> None:
    spec = """\
version: 1
tables: {t: 100}
interfaces:
  a0:
    addresses: ["2001:db8::2/64"]
    routes: [{to: "2001:db8:1::/48", via: "2001:db8::1", table: t}]
  b0:
    addresses: [192.0.2.2/24]
    routes: [{to: 10.0.0.0/8, via: 192.0.2.1, table: t}]
rules:
  - {from: 10.0.0.2/32, table: t, priority: 100}
  - {from: "2001:db8::2/128", table: t, priority: 100}
"""
    owners = {r.family: r.interface for r in network(spec).rules}
    assert owners == {4: "b0", 6: "a0"}


def test_the_model_carries_no_backend_choice() -> None:
    """`netplan:` is a render option beside the model, not part of the host."""
    plain = netcompile.load_spec_bytes(TWO_UPLINKS.encode(), "spec.yaml")
    chosen = netcompile.load_spec_bytes(
        (TWO_UPLINKS + 'netplan: {renderer: NetworkManager, version: "1.2"}\n').encode(),
        "spec.yaml")
    assert plain.network == chosen.network
    assert chosen.options.netplan.renderer is netcompile.NetplanRenderer.NETWORK_MANAGER
    assert chosen.options.netplan.version == (1, 2)
    netplan_file = next(f for f in netcompile.render(chosen.network, "netplan", chosen.options)
                        if f.path.startswith("etc/netplan/"))
    assert "renderer: NetworkManager" in netplan_file.content
    default_file = next(f for f in netcompile.render(chosen.network, "netplan")
                        if f.path.startswith("etc/netplan/"))
    assert "renderer: networkd" in default_file.content
