"""The duplicate-route check asks what the kernel would answer: for each spec here,
every route the passes expand is added with `ip route add` (as ifupdown does) in a
lab namespace holding the spec's addresses, and the routes the kernel refuses with
"File exists" must be exactly the ones `check_conflicts` reports."""

from __future__ import annotations

import pytest

from netcompile import SpecError, build, passes, schema
from netcompile.errors import Location
from netcompile.loader import load_bytes
from netcompile.model import Network, Route, RouteType

from .procs import ns_run, run
from .topology import new_prefix

CASES = {
    # IPv4: one destination in one table is one route, whatever the device,
    # gateway, type or scope; another metric or table makes another route.
    "ipv4-keys": """\
version: 1
interfaces:
  eth0:
    addresses: [192.0.2.10/24, 203.0.113.9/32]
    routes:
      - {to: 10.0.0.0/8, via: 192.0.2.1}
      - {to: 10.0.0.0/8, via: 192.0.2.1, metric: 5}
      - {to: 10.0.0.0/8, via: 192.0.2.2, table: 7}
      - {to: 172.16.0.0/12, type: blackhole}
      - {to: 192.0.2.0/24, metric: 3}
      - {to: 203.0.113.9/32}
  eth1:
    addresses: [198.51.100.10/24]
    routes:
      - {to: 10.0.0.0/8, via: 198.51.100.1}
      - {to: 172.16.0.0/12, scope: link}
      - {to: 172.16.0.0/12, type: unreachable, table: 7}
      - {to: 192.0.2.0/24}
      - {to: 10.0.0.0/8, type: prohibit, table: 7, metric: 1}
""",
    # IPv6 alike, with metric 0 stored as 1024 and the kernel's prefix routes at 256.
    "ipv6-keys": """\
version: 1
interfaces:
  eth0:
    addresses: ["2001:db8:a::10/64"]
    routes:
      - {to: "2001:db8:f::/48", via: "2001:db8:a::1", metric: 0}
      - {to: "2001:db8:f::/48", via: "2001:db8:a::1", metric: 1023}
      - {to: "2001:db8:e::/48", type: blackhole, table: 7}
      - {to: "2001:db8:a::/64"}
      - {to: "2001:db8:b::/64", metric: 256}
  eth1:
    addresses: ["2001:db8:b::10/64"]
    routes:
      - {to: "2001:db8:f::/48", via: "2001:db8:b::1"}
      - {to: "2001:db8:e::/48", table: 7}
      - {to: "2001:db8:e::/48", table: 8, metric: 0}
""",
    # Routes the passes expand: a copy of an uplink's connected route, and a plain
    # gateway beside the uplink that carries main's default route.
    "expanded": """\
version: 1
tables: {isp-a: 100}
interfaces:
  eth0:
    addresses: [192.0.2.10/24, "2001:db8:a::10/64"]
    gateways: [192.0.2.1, "2001:db8:a::1"]
    uplink: {table: isp-a, default: true}
    routes:
      - {to: 192.0.2.0/24, table: isp-a}
      - {to: "2001:db8:a::/64", table: isp-a, metric: 0}
      - {to: 192.0.2.0/24, table: isp-a, metric: 9}
  eth1:
    addresses: [198.51.100.10/24, "2001:db8:b::10/64"]
    gateways: [198.51.100.1]
    routes:
      - {to: default, via: "2001:db8:b::1", metric: 1}
""",
}


def _unchecked(text: str) -> Network:
    """The expanded model, without the conflict pass."""
    spec = load_bytes(text.encode(), "spec.yaml")
    schema.validate(spec)
    expand = tuple(p for p in passes.PASSES if p is not passes.check_conflicts)
    return passes.expand(build.build(spec), expand)


def _reported(network: Network) -> set[Location]:
    try:
        passes.check_conflicts(network)
    except SpecError as error:
        return {d.where for d in error.diagnostics}
    return set()


def _ip_route_add(route: Route) -> list[str]:
    """`ip route add` for `route`, as the ifupdown backend spells it."""
    argv = ["ip", f"-{route.family}", "route", "add"]
    if route.type != RouteType.UNICAST:
        argv.append(route.type.value)
    argv.append(route.destination.with_prefixlen)
    if route.gateway is not None:
        argv += ["via", str(route.gateway)]
    if route.type == RouteType.UNICAST:
        argv += ["dev", route.interface]
    argv += ["table", str(route.table), "metric", str(route.metric)]
    if route.scope is not None:
        argv += ["scope", route.scope.value]
    if route.source is not None:
        argv += ["src", str(route.source)]
    return argv


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_kernel_refuses_exactly_the_routes_the_check_reports(name: str) -> None:
    network = _unchecked(CASES[name])
    reported = _reported(network)
    ns = f"{new_prefix()}-routes"
    run(["ip", "netns", "add", ns])
    try:
        for key in ("all", "default"):
            ns_run(ns, ["sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0"])
        for index, interface in enumerate(network.interfaces):
            ns_run(ns, ["ip", "link", "add", interface.name, "type", "veth",
                        "peer", "name", f"peer{index}"])
            ns_run(ns, ["ip", "link", "set", f"peer{index}", "up"])
            ns_run(ns, ["ip", "link", "set", interface.name, "up"])
            for address in interface.addresses:
                ns_run(ns, ["ip", "address", "add", address.address.with_prefixlen,
                            "dev", interface.name, *(["nodad"] if address.family == 6 else [])])
        refused: set[Location] = set()
        # In source order, as the check reads them: the later of two is refused.
        for route in sorted(network.routes, key=lambda r: (r.where.line, r.where.column)):
            result = ns_run(ns, _ip_route_add(route), check=False)
            if result.returncode != 0:
                assert "File exists" in result.stderr, (route, result.stderr)
                refused.add(route.where)
    finally:
        run(["ip", "netns", "del", ns], check=False)
    assert refused, "each case holds routes the kernel refuses"
    assert len(refused) < len(network.routes), "and routes it takes"
    assert reported == refused
