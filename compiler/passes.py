"""Intent passes: pure functions Network -> Network, applied in order.

After them, `Network.routes` and `Network.rules` list everything the kernel
should hold, each owned by an interface, so backends only translate.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import replace

from .addresses import host_network
from .errors import Diagnostic, SpecError
from .loader import dotted
from .model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_TABLE,
    Family,
    Interface,
    IPNetwork,
    Network,
    Origin,
    Route,
    Rule,
    Scope,
    route_sort_key,
    rule_sort_key,
)


def gateway_routes(network: Network) -> Network:
    """`gateways:` on an interface that is not an uplink: a default route in main."""
    added = [
        _default_route(interface, index, MAIN_TABLE, Origin.GATEWAY)
        for interface in network.interfaces if interface.uplink is None
        for index in range(len(interface.gateways))
    ]
    return replace(network, routes=network.routes + tuple(added))


def uplink_routing(network: Network) -> Network:
    """Symmetric source-based routing. For each uplink address: the connected route
    and the default route into the uplink's table, and a `from <address>` rule to
    that table, so replies leave by the interface the request came in on. An uplink
    whose `default:` names a family also gets the main table's default route of it."""
    routes: list[Route] = []
    rules: list[Rule] = []
    for interface in network.interfaces:
        uplink = interface.uplink
        if uplink is None:
            continue
        connected_seen = set()
        for index, address in enumerate(interface.addresses):
            prefix = address.address.network
            if prefix not in connected_seen:
                connected_seen.add(prefix)
                # Only packets `from` this uplink's addresses reach its table, so the
                # source is chosen already. IPv4 keeps the usual `src` (as `ip` and the
                # kernel's own prefix route show it); on IPv6 a preferred source only
                # races the address becoming usable (NetworkManager's first attempt
                # fails with "Invalid argument" and the route arrives late).
                v4 = address.family == 4
                routes.append(Route(
                    interface=interface.name, destination=prefix, table=uplink.table,
                    metric=KERNEL_DEFAULT_METRIC[address.family], where=address.where,
                    origin=Origin.UPLINK, scope=Scope.LINK if v4 else None,
                    source=address.address.ip if v4 else None,
                    path=_path(interface, "addresses", index)))
            host = host_network(address.address.ip)
            rules.append(Rule(
                family=address.family, priority=uplink.priority, table=uplink.table,
                interface=interface.name, where=address.where, origin=Origin.UPLINK,
                source=host))
        for index, (gateway, _) in enumerate(interface.gateways):
            routes.append(_default_route(interface, index, uplink.table, Origin.UPLINK))
            if gateway.version in uplink.main_default:
                routes.append(_default_route(interface, index, MAIN_TABLE, Origin.UPLINK))
    return replace(network, routes=network.routes + tuple(routes),
                   rules=network.rules + tuple(rules))


def assign_rule_owners(network: Network) -> Network:
    """Backends that attach rules to a link need an owner for each spec rule, and
    NetworkManager keeps a rule only on a link whose IP configuration of the rule's
    family is on. The owner is the rule's `iif`, else its `oif`, else the first
    interface (by name) with routes of the rule's family in the rule's table, else
    the first interface configured for the family (addresses or DHCP), else the first
    interface with routes in the table, else the first that is not a bond or bridge
    member."""
    in_table: dict[tuple[int, Family], set[str]] = {}
    for route in network.routes:
        in_table.setdefault((route.table, route.family), set()).add(route.interface)
    configurable = [i for i in network.interfaces if not i.is_member]

    def owner(rule: Rule) -> str:
        if rule.iif or rule.oif:
            return rule.iif or rule.oif or ""
        carriers = in_table.get((rule.table, rule.family))
        if carriers:
            return min(carriers)
        for interface in configurable:
            if interface.configured(rule.family):
                return interface.name
        other = in_table.get((rule.table, 4 if rule.family == 6 else 6))
        if other:
            return min(other)
        return configurable[0].name if configurable else network.interfaces[0].name

    return replace(network, rules=tuple(
        rule if rule.interface is not None else replace(rule, interface=owner(rule))
        for rule in network.rules))


def canonical_order(network: Network) -> Network:
    """Sort routes and rules so that reordering the spec never changes the output."""
    return replace(network, routes=tuple(sorted(network.routes, key=route_sort_key)),
                   rules=tuple(sorted(network.rules, key=rule_sort_key)))


def check_conflicts(network: Network) -> Network:
    """What only shows once intents are expanded: two routes the kernel cannot hold
    side by side, two rules with the same priority and selector."""
    problems = _route_conflicts(network)
    rules: dict[tuple[object, ...], Rule] = {}
    for rule in network.rules:
        first_rule = rules.setdefault((rule.priority, *rule.selector()), rule)
        if first_rule is not rule:
            problems.append(Diagnostic(
                rule.where, "rules",
                f"a second rule with priority {rule.priority} and the same selector "
                f"(the first comes from {first_rule.where.brief})",
                "give one of them another priority, or drop one"))
    if problems:
        raise SpecError(problems)
    return network


PASSES: tuple[Callable[[Network], Network], ...] = (
    gateway_routes,
    uplink_routing,
    assign_rule_owners,
    canonical_order,
    check_conflicts,
)


def expand(network: Network, passes: Iterable[Callable[[Network], Network]] = PASSES) -> Network:
    for apply in passes:
        network = apply(network)
    return network


# The default destinations, parsed once (a thousand uplinks made 2,000 of each).
_ANY: dict[Family, IPNetwork] = {4: ipaddress.ip_network("0.0.0.0/0"),
                                 6: ipaddress.ip_network("::/0")}


def _default_route(interface: Interface, index: int, table: int, origin: Origin) -> Route:
    """The default route via the interface's `index`th gateway."""
    gateway, where = interface.gateways[index]
    family: Family = 4 if gateway.version == 4 else 6
    return Route(interface=interface.name,
                 destination=_ANY[family],
                 table=table, metric=KERNEL_DEFAULT_METRIC[family], where=where,
                 origin=origin, gateway=gateway,
                 path=_path(interface, "gateways", index))


def _path(interface: Interface, key: str, index: int) -> str:
    return dotted(("interfaces", interface.name, key, index))


# The metric the kernel gives the prefix route of an address it is given (IPv4
# fib_add_ifaddr, IPv6 addrconf's IP6_RT_PRIO_ADDRCONF); every backend keeps it for
# static addresses.
PREFIX_ROUTE_METRIC: dict[Family, int] = {4: 0, 6: 256}


def kernel_metric(route: Route) -> int:
    """The metric the kernel stores: an IPv6 route added with metric 0 gets 1024
    (ip6_route_info_create). The model keeps the spec's 0, which every backend writes
    and the kernel reads the same way; only comparisons need the stored value."""
    return route.metric or KERNEL_DEFAULT_METRIC[route.family]


def _prefix_routes(network: Network) -> dict[tuple[object, ...], tuple[Route, str]]:
    """The route the kernel adds to main for each static address (none for an IPv4
    /32), keyed as in `_route_conflicts`, with the address it comes from."""
    routes: dict[tuple[object, ...], tuple[Route, str]] = {}
    for interface in network.interfaces:
        for index, address in enumerate(interface.addresses):
            prefix = address.address.network
            if prefix.version == 4 and prefix.prefixlen == 32:
                continue
            route = Route(interface=interface.name, destination=prefix, table=MAIN_TABLE,
                          metric=PREFIX_ROUTE_METRIC[address.family], where=address.where,
                          path=_path(interface, "addresses", index))
            routes.setdefault(_route_key(route), (route, address.address.with_prefixlen))
    return routes


def _route_key(route: Route) -> tuple[object, ...]:
    """What makes two routes one to the kernel (tried with `ip route add` on both
    families): table, destination and stored metric. Neither the device, the gateway,
    the type, the scope nor the preferred source tells them apart: the second `ip route
    add` fails with "File exists" (networkd and NetworkManager replace the first)."""
    return (route.table, route.destination, kernel_metric(route))


def _route_conflicts(network: Network) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    kernel = _prefix_routes(network)
    seen: dict[tuple[object, ...], Route] = {}
    # In source order, so that "first" is the earlier place in the spec.
    for route in sorted(network.routes, key=lambda r: (r.where.line, r.where.column)):
        key = _route_key(route)
        if key in kernel:
            prefix_route, address = kernel[key]
            problems.append(_kernel_duplicate(network, route, prefix_route, address))
            continue
        first = seen.setdefault(key, route)
        if first is not route:
            problems.append(_duplicate(network, route, first))
    return problems


def _target(network: Network, *routes: Route) -> str:
    """The kernel's identity of `routes` (all alike), in words."""
    route = routes[0]
    what = "default route" if route.is_default else f"route to {route.destination}"
    normalised = (" (an IPv6 metric 0 is 1024 to the kernel)"
                  if any(r.family == 6 and r.metric == 0 for r in routes) else "")
    return (f"IPv{route.family} {what} in table {_table(network, route.table)} "
            f"with metric {kernel_metric(route)}{normalised}")


def _duplicate(network: Network, route: Route, first: Route) -> Diagnostic:
    if route.origin == Origin.SPEC and first.origin == Origin.SPEC:
        hint = "give one of them another metric, or drop one"
    elif Origin.SPEC in (route.origin, first.origin):
        hint = "give the one under `routes:` another metric, or drop one of them"
    else:
        hint = (f"remove {_removal(route)} or {_removal(first)}; a further default route "
                "goes under `routes:` with `to: default`, `via` and its own `metric`")
    return Diagnostic(
        route.where, route.path,
        f"a second {_target(network, route, first)}: "
        f"{_describe(route)} (first at {first.where.brief}: {_describe(first)})", hint)


def _kernel_duplicate(network: Network, route: Route, prefix_route: Route,
                      address: str) -> Diagnostic:
    if route.origin == Origin.SPEC:
        hint = "drop it, or give it another metric"
    else:
        hint = f"give the address at {prefix_route.where.brief} its real prefix length"
    return Diagnostic(
        route.where, route.path,
        f"{_describe(route)} duplicates the {_target(network, route)} that the kernel "
        f"adds for the address {address} (at {prefix_route.where.brief})", hint)


def _describe(route: Route) -> str:
    """Where a route comes from, in the spec's words."""
    if route.origin == Origin.GATEWAY:
        return f"{route.interface}'s gateway"
    if route.origin == Origin.UPLINK:
        if not route.is_default:
            return f"{route.interface}'s connected route in its uplink table"
        if route.table == MAIN_TABLE:
            return f"{route.interface}'s gateway with uplink `default: true`"
        return f"{route.interface}'s gateway in its uplink table"
    return f"a route of {route.interface}"


def _removal(route: Route) -> str:
    """What to take out of the spec so that an expanded route goes away."""
    if route.origin == Origin.UPLINK and route.is_default and route.table == MAIN_TABLE:
        return f"`default: true` from {route.interface}'s uplink"
    return _describe(route)


def _table(network: Network, number: int) -> str:
    name = "main" if number == MAIN_TABLE else network.table_name(number)
    return f"{name} ({number})" if name else str(number)
