"""The kernel state a spec means, computed from the model alone.

This reads `Network` (interfaces, and the routes and rules the intent passes
produced) and says what `ip` must show afterwards, using kernel rules only (what
the kernel adds by itself for an address, its default metrics and scopes). It
never looks at a backend's output, so a backend that drops or bends something
shows up as a difference.
"""

from __future__ import annotations

from netcompile.model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_TABLE,
    Interface,
    Network,
    Route,
    RouteType,
    Rule,
)

from .state import Addr, KernelState, Link, RouteEntry, RuleEntry

# A veth's MTU when the spec sets none.
DEFAULT_MTU = 1500

# The rules every network namespace starts with (priority, table).
KERNEL_RULES: dict[int, tuple[tuple[int, int], ...]] = {
    4: ((0, 255), (32766, 254), (32767, 253)),
    6: ((0, 255), (32766, 254)),
}


def expected(network: Network) -> KernelState:
    configured = [i for i in network.interfaces if not i.is_member]
    links = {Link(i.name, True, i.mtu or DEFAULT_MTU) for i in network.interfaces}
    addresses = {Addr(i.name, str(a.address)) for i in configured for a in i.addresses}
    routes = {r for i in configured for r in _connected(i)}
    connected = {(r.device, r.destination) for r in routes}
    routes |= {_route(r, connected) for r in network.routes}
    rules = {RuleEntry(family, priority, None, None, None, None, None, table, "lookup")
             for family, defaults in KERNEL_RULES.items() for priority, table in defaults}
    rules |= {_rule(r) for r in network.rules}
    return KernelState(frozenset(links), frozenset(addresses), frozenset(routes),
                       frozenset(rules))


def without_config(network: Network) -> KernelState:
    """The server's interfaces before anything is applied: down, no address."""
    return KernelState(frozenset(Link(i.name, False, DEFAULT_MTU) for i in network.interfaces),
                       frozenset(), frozenset(), frozenset(
        RuleEntry(family, priority, None, None, None, None, None, table, "lookup")
        for family, defaults in KERNEL_RULES.items() for priority, table in defaults))


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
