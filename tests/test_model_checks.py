"""The builder's and the conflict pass's checks on what the kernel accepts: the
specs here are valid (the refused ones, with their messages, are in specs/invalid/),
so each test pins a case that a check must let through."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

import netcompile
from netcompile.model import MAIN_TABLE


def network(text: str) -> netcompile.Network:
    return netcompile.load_network(text.encode(), "spec.yaml")


def errors(text: str) -> list[str]:
    with pytest.raises(netcompile.SpecError) as caught:
        network(text)
    return [f"{d.path}: {d.message}" for d in caught.value.diagnostics]


def test_ipv6_subnet_router_anycast_is_a_gateway() -> None:
    # The prefix's first address: routers answer on it, and the kernel takes it.
    net = network('version: 1\ninterfaces:\n  eth0:\n    addresses: ["2001:db8:a::10/64"]\n'
                  '    gateways: ["2001:db8:a::"]\n')
    assert [r.gateway for r in net.routes] == [ip_address("2001:db8:a::")]


@pytest.mark.parametrize("address, gateway", [
    ("10.4.0.1/31", "10.4.0.0"), ("10.4.0.0/31", "10.4.0.1"), ("10.1.0.5/24", "10.1.0.254"),
])
def test_ipv4_hosts_at_the_ends_of_a_31_are_gateways(address: str, gateway: str) -> None:
    net = network(f"version: 1\ninterfaces:\n  eth0:\n    addresses: [{address}]\n"
                  f"    gateways: [{gateway}]\n")
    assert [str(r.gateway) for r in net.routes] == [gateway]


def test_a_gateway_on_one_interface_may_not_be_another_interfaces_address() -> None:
    assert errors("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n"
                  "  eth1:\n    addresses: [192.0.2.20/24]\n    gateways: [192.0.2.10]\n") == [
        "interfaces.eth1.gateways[0]: gateway 192.0.2.10 is an address of this host "
        "(at line 4, column 17)"]


ROUTES = """\
version: 1
tables: {isp-a: 100}
interfaces:
  eth0:
    addresses: [192.0.2.10/24, "2001:db8:a::10/64", 203.0.113.9/32]
    gateways: [192.0.2.1, "2001:db8:a::1"]
    uplink: {table: isp-a, default: true}
    routes:
%s
"""


@pytest.mark.parametrize("routes", [
    # The same destination in other tables or with other (stored) metrics.
    ["{to: 10.0.0.0/8, via: 192.0.2.254}", "{to: 10.0.0.0/8, via: 192.0.2.253, metric: 1}",
     "{to: 10.0.0.0/8, via: 192.0.2.254, table: isp-a}",
     "{to: 10.0.0.0/8, type: blackhole, table: 7}"],
    ['{to: "2001:db8:f::/48", metric: 0}', '{to: "2001:db8:f::/48", metric: 1023}'],
    # An uplink's connected route, and the kernel's prefix route, at another metric.
    ["{to: 192.0.2.0/24, table: isp-a, metric: 5}", "{to: 192.0.2.0/24, metric: 10}",
     '{to: "2001:db8:a::/64"}', '{to: "2001:db8:a::/64", table: isp-a, metric: 256}'],
    # The kernel adds no prefix route for an IPv4 /32.
    ["{to: 203.0.113.9/32}"],
    # A default route in main beside the uplink's, at another metric.
    ["{to: default, via: 192.0.2.2, metric: 100}",
     '{to: default, via: "2001:db8:a::2", metric: 0, table: 7}'],
])
def test_routes_the_kernel_holds_side_by_side_pass(routes: list[str]) -> None:
    net = network(ROUTES % "\n".join(f"      - {r}" for r in routes))
    assert sum(r.path.startswith("interfaces.eth0.routes[") for r in net.routes) == len(routes)


def test_an_ipv6_metric_0_clashes_with_1024_in_any_table() -> None:
    spec = ROUTES % ('      - {to: "2001:db8:f::/48", metric: 0, table: 7}\n'
                     '      - {to: "2001:db8:f::/48", via: "2001:db8:a::2", table: 7}')
    assert errors(spec) == [
        "interfaces.eth0.routes[1]: a second IPv6 route to 2001:db8:f::/48 in table 7 with "
        "metric 1024 (an IPv6 metric 0 is 1024 to the kernel): a route of eth0 "
        "(first at line 9, column 9: a route of eth0)"]


def test_the_model_keeps_the_metric_the_spec_wrote() -> None:
    # Backends write the spec's 0; only the comparison uses the kernel's 1024.
    net = network(ROUTES % '      - {to: "2001:db8:f::/48", metric: 0}')
    assert [r.metric for r in net.routes if str(r.destination) == "2001:db8:f::/48"] == [0]


def test_a_conflict_is_reported_at_the_later_place_whatever_the_interface_order() -> None:
    for first, second in (("eth0", "eth1"), ("eth1", "eth0")):
        spec = (f"version: 1\ninterfaces:\n  {first}:\n    addresses: [192.0.2.10/24]\n"
                f"    routes: [{{to: 10.0.0.0/8, via: 192.0.2.1}}]\n"
                f"  {second}:\n    addresses: [198.51.100.10/24]\n"
                f"    routes: [{{to: 10.0.0.0/8, via: 198.51.100.1}}]\n")
        assert errors(spec) == [
            f"interfaces.{second}.routes[0]: a second IPv4 route to 10.0.0.0/8 in table main "
            f"(254) with metric 0: a route of {second} (first at line 5, column 14: "
            f"a route of {first})"]


def test_expanded_routes_name_the_key_they_come_from() -> None:
    net = network(ROUTES % "      - {to: 10.0.0.0/8, via: 192.0.2.254}")
    paths = {(r.table, str(r.destination)): r.path for r in net.routes}
    assert paths == {
        (100, "192.0.2.0/24"): "interfaces.eth0.addresses[0]",
        (100, "2001:db8:a::/64"): "interfaces.eth0.addresses[1]",
        (100, "203.0.113.9/32"): "interfaces.eth0.addresses[2]",
        (100, "0.0.0.0/0"): "interfaces.eth0.gateways[0]",
        (100, "::/0"): "interfaces.eth0.gateways[1]",
        (MAIN_TABLE, "0.0.0.0/0"): "interfaces.eth0.gateways[0]",
        (MAIN_TABLE, "::/0"): "interfaces.eth0.gateways[1]",
        (MAIN_TABLE, "10.0.0.0/8"): "interfaces.eth0.routes[0]",
    }


@pytest.mark.parametrize("interface", [
    "addresses: [192.0.2.10/24, \"2001:db8:a::10/64\"]\n    mtu: 1280",
    "dhcp6: true\n    mtu: 1280",
    "addresses: [192.0.2.10/24]\n    dhcp6: false\n    mtu: 68",
])
def test_mtu_at_ipv6s_minimum_or_without_ipv6_passes(interface: str) -> None:
    net = network(f"version: 1\ninterfaces:\n  eth0:\n    {interface}\n")
    assert net.interface("eth0").mtu in (68, 1280)


def test_a_bridge_port_keeps_its_own_mtu() -> None:
    # Unlike a bond, a bridge leaves its ports' MTU alone (and takes the least of them).
    net = network("version: 1\ninterfaces:\n  br0:\n    type: bridge\n    members: [eth0]\n"
                  "  eth0:\n    mtu: 9000\n")
    assert net.interface("eth0").mtu == 9000


@pytest.mark.parametrize("fwmark, mark, mask", [
    ('"4294967295/0xffffffff"', 0xFFFFFFFF, 0xFFFFFFFF), ('"0"', 0, None), ('"0x0/0"', 0, 0),
    ('"10/0x0000ffff"', 10, 0xFFFF), ("4294967295", 0xFFFFFFFF, None),
])
def test_fwmarks_within_32_bits_pass(fwmark: str, mark: int, mask: int | None) -> None:
    net = network("version: 1\ninterfaces: {eth0: {addresses: [192.0.2.10/24]}}\n"
                  f"rules: [{{family: ipv4, fwmark: {fwmark}, priority: 10, table: main}}]\n")
    assert [(r.fwmark, r.fwmask) for r in net.rules] == [(mark, mask)]
