"""The kernel state a spec means, computed from the model alone.

This reads `Network` (interfaces, and the routes and rules the intent passes
produced) and says what `ip` must show afterwards, using kernel rules only (what
the kernel adds by itself for an address, its default metrics and scopes). It
never looks at a backend's output, so a backend that drops or bends something
shows up as a difference.

Two things come from the lab rather than the spec: what its DHCP servers lease
(an address and a default route via the server, at the DHCP route metric every
backend uses), and the kernel's defaults for what nobody configures.
"""

from __future__ import annotations

from collections.abc import Mapping

from netcompile.model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_TABLE,
    Interface,
    Network,
    Route,
    RouteType,
    Rule,
)

from .daemons import Lease
from .state import Addr, KernelState, Link, RouteEntry, RuleEntry, Sysctl

# A veth's MTU when the spec sets none.
DEFAULT_MTU = 1500

# The rules every network namespace starts with (priority, table).
KERNEL_RULES: dict[int, tuple[tuple[int, int], ...]] = {
    4: ((0, 255), (32766, 254), (32767, 253)),
    6: ((0, 255), (32766, 254)),
}


# The metric of the default route a DHCP lease gives (networkd's and
# NetworkManager's DHCP route metric, which the other backends are set to).
DHCP_ROUTE_METRIC = 1024

# A new interface's settings in a new namespace (the kernel's defaults).
KERNEL_SYSCTLS = {"ipv6/accept_ra": 1, "ipv6/autoconf": 1, "ipv6/forwarding": 0,
                  "ipv4/forwarding": 0}
# What every backend leaves on a configured interface that does not ask for
# router advertisements: none accepted, no forwarding. (autoconf is compared only
# where accept_ra lets advertisements in; see kernelstate.py.)
CONFIGURED_SYSCTLS = {"ipv6/accept_ra": 0, "ipv6/forwarding": 0, "ipv4/forwarding": 0}


def expected(network: Network, leases: Mapping[str, Lease] | None = None) -> KernelState:
    """`leases`: what the lab's DHCP servers give each dhcp4 interface (by default,
    what the lab's topology for `network` serves)."""
    if leases is None:
        leases = _lab_leases(network)
    configured = [i for i in network.interfaces if not i.is_member]
    links = {Link(i.name, True, _mtu(i, leases.get(i.name))) for i in network.interfaces}
    addresses = {Addr(i.name, str(a.address)) for i in configured for a in i.addresses}
    addresses |= {Addr(name, str(lease.address)) for name, lease in leases.items()}
    routes = {r for i in configured for r in _connected(i)}
    routes |= {r for name, lease in leases.items() for r in _leased(name, lease)}
    connected = {(r.device, r.destination) for r in routes}
    routes |= {_route(r, connected) for r in network.routes}
    rules = {RuleEntry(family, priority, None, None, None, None, None, table, "lookup")
             for family, defaults in KERNEL_RULES.items() for priority, table in defaults}
    rules |= {_rule(r) for r in network.rules}
    sysctls = {Sysctl(i.name, name, value) for i in configured if not i.accepts_ra
               for name, value in CONFIGURED_SYSCTLS.items()}
    return KernelState(frozenset(links), frozenset(addresses), frozenset(routes),
                       frozenset(rules), frozenset(sysctls))


def _mtu(interface: Interface, lease: Lease | None) -> int:
    """The spec's MTU, else the one the DHCP server offers, else the veth's."""
    if interface.mtu is not None:
        return interface.mtu
    if interface.takes_dhcp_mtu and lease is not None and lease.mtu is not None:
        return lease.mtu
    return DEFAULT_MTU


def without_config(network: Network) -> KernelState:
    """The server's interfaces before anything is applied: down, no address, the
    kernel's own rules and settings."""
    return KernelState(frozenset(Link(i.name, False, DEFAULT_MTU) for i in network.interfaces),
                       frozenset(), frozenset(), frozenset(
        RuleEntry(family, priority, None, None, None, None, None, table, "lookup")
        for family, defaults in KERNEL_RULES.items() for priority, table in defaults),
                       frozenset(Sysctl(i.name, name, value) for i in network.interfaces
                                 for name, value in KERNEL_SYSCTLS.items()))


def _lab_leases(network: Network) -> dict[str, Lease]:
    if not any(i.dhcp4 for i in network.interfaces):
        return {}
    from .topology import plan  # the lab's wiring decides what its servers lease

    return plan(network, "nclab-plan-expect").leases()


def _leased(interface: str, lease: Lease) -> list[RouteEntry]:
    """The prefix route of the leased address (metric not compared) and the
    default route via the DHCP server."""
    return [RouteEntry(4, MAIN_TABLE, "unicast", str(lease.address.network), None, interface,
                       "link", str(lease.address.ip), None, False),
            RouteEntry(4, MAIN_TABLE, "unicast", "0.0.0.0/0", str(lease.router.ip), interface,
                       "global", None, DHCP_ROUTE_METRIC, False)]


def _connected(interface: Interface) -> list[RouteEntry]:
    """The prefix route the kernel adds to main for each address (none for /32, /128).
    Its metric is not compared (see kernelstate.py)."""
    routes = []
    for address in interface.addresses:
        ip = address.address
        if ip.network.prefixlen == ip.max_prefixlen:
            continue
        v4 = ip.version == 4
        routes.append(RouteEntry(ip.version, MAIN_TABLE, "unicast", str(ip.network), None,
                                 interface.name, "link" if v4 else "global",
                                 str(ip.ip) if v4 else None, None, False))
    return routes


def _route(route: Route, connected: set[tuple[str | None, str]]) -> RouteEntry:
    unicast = route.type == RouteType.UNICAST
    if route.family == 6:
        scope = "global"  # IPv6 routes carry no scope
    elif route.scope is not None:
        scope = route.scope.value
    else:
        # What `ip route add` picks: link for a direct unicast route, else global.
        scope = "link" if unicast and route.gateway is None else "global"
    # The kernel stores metric 0 of an IPv6 route as its default, 1024.
    metric: int | None = route.metric or KERNEL_DEFAULT_METRIC[route.family]
    destination = str(route.destination)
    device = route.interface if unicast else None
    if route.table == MAIN_TABLE and route.gateway is None and (device, destination) in connected:
        metric = None
    return RouteEntry(route.family, route.table, route.type.value, destination,
                      None if route.gateway is None else str(route.gateway), device, scope,
                      None if route.source is None else str(route.source), metric,
                      route.on_link)


def _rule(rule: Rule) -> RuleEntry:
    fwmark = None
    if rule.fwmark is not None:
        fwmark = f"{rule.fwmark:#x}/{(rule.fwmask if rule.fwmask is not None else 0xFFFFFFFF):#x}"
    return RuleEntry(rule.family, rule.priority,
                     None if rule.source is None else str(rule.source),
                     None if rule.destination is None else str(rule.destination),
                     rule.iif, rule.oif, fwmark, rule.table, "lookup")
