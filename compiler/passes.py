"""Intent passes: pure functions Network -> Network, applied in order.

After them, `Network.routes` and `Network.rules` list everything the kernel
should hold, each owned by an interface, so backends only translate.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import replace

from .addresses import host_network
from .errors import Diagnostic, Location, SpecError
from .model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_TABLE,
    Family,
    Interface,
    IPAddress,
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
        _default_route(interface, gateway, where, MAIN_TABLE, Origin.GATEWAY)
        for interface in network.interfaces if interface.uplink is None
        for gateway, where in interface.gateways
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
        for address in interface.addresses:
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
                    source=address.address.ip if v4 else None))
            host = host_network(address.address.ip)
            rules.append(Rule(
                family=address.family, priority=uplink.priority, table=uplink.table,
                interface=interface.name, where=address.where, origin=Origin.UPLINK,
                source=host))
        for gateway, where in interface.gateways:
            routes.append(_default_route(interface, gateway, where, uplink.table, Origin.UPLINK))
            if gateway.version in uplink.main_default:
                routes.append(_default_route(interface, gateway, where, MAIN_TABLE,
                                             Origin.UPLINK))
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
    """What only shows once intents are expanded: two default routes in one table
    with the same metric, two rules with the same priority and selector."""
    problems: list[Diagnostic] = []
    defaults: dict[tuple[Family, int, int], Route] = {}
    for route in network.routes:
        if not route.is_default:
            continue
        key = (route.family, route.table, route.metric)
        first = defaults.setdefault(key, route)
        if first is not route:
            problems.append(Diagnostic(
                route.where, "routes",
                f"a second IPv{route.family} default route in table {_table(network, route.table)}"
                f" with metric {route.metric} (the first comes from {first.where.brief})",
                "give one of them another metric, or drop one"))
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


def _default_route(interface: Interface, gateway: IPAddress, where: Location, table: int,
                   origin: Origin) -> Route:
    family: Family = 4 if gateway.version == 4 else 6
    return Route(interface=interface.name,
                 destination=_ANY[family],
                 table=table, metric=KERNEL_DEFAULT_METRIC[family], where=where,
                 origin=origin, gateway=gateway)


def _table(network: Network, number: int) -> str:
    name = "main" if number == MAIN_TABLE else network.table_name(number)
    return f"{name} ({number})" if name else str(number)
