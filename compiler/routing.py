"""The kernel's routing state that a model means: every rule (the kernel's own
included) and every route of every table (the prefix routes the kernel adds for an
address, and the local table's entries for the host's own addresses, included).

`explain` walks these as the kernel does; `verify` compares them with a live host.
What the kernel adds by itself follows iproute2 and the kernel: for each address a
prefix route in main (none for /32 and /128; IPv4 `scope link src ADDRESS`, IPv6
metric 256) and a `local` route in table local; a namespace starts with the rules
0 (local), 32766 (main) and, for IPv4, 32767 (default); loopback holds 127.0.0.0/8
and ::1.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .errors import Location
from .model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_RULE_PRIORITY,
    MAIN_TABLE,
    Family,
    IPAddress,
    IPNetwork,
    Network,
    Route,
    RouteType,
    Rule,
)

LOCAL_TABLE = 255
DEFAULT_TABLE = 253
LOOPBACK = "lo"
# The kernel's metric for an IPv6 prefix route it adds for an address.
IPV6_PREFIX_METRIC = 256
ALL_MASK = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class KernelRule:
    family: Family
    priority: int
    table: int
    source: IPNetwork | None = None
    destination: IPNetwork | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None
    fwmask: int | None = None
    # Where the spec asks for it; None for the kernel's own rules.
    where: Location | None = None

    @property
    def mask(self) -> int:
        """The kernel's mask: all bits when a mark is given without one; a rule with
        mark 0 and no mask matches every mark."""
        if self.fwmask is not None:
            return self.fwmask
        return ALL_MASK if self.fwmark else 0


@dataclass(frozen=True, slots=True)
class KernelRoute:
    family: Family
    table: int
    type: str  # unicast, local, blackhole, unreachable, prohibit
    destination: IPNetwork
    device: str | None
    metric: int
    gateway: IPAddress | None = None
    source: IPAddress | None = None  # preferred source
    scope: str = "global"
    on_link: bool = False
    # What makes it: "spec" (the model's route), "address" (the kernel, for an address)
    origin: str = "spec"
    where: Location | None = None


@dataclass(frozen=True, slots=True)
class HostAddress:
    interface: str
    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface
    where: Location | None


@dataclass(frozen=True, slots=True)
class RoutingState:
    addresses: tuple[HostAddress, ...]
    rules: tuple[KernelRule, ...]  # in the kernel's order: by priority
    routes: tuple[KernelRoute, ...]

    def local(self, address: IPAddress) -> bool:
        return any(a.address.ip == address for a in self.addresses) or (
            address.is_loopback)

    def addresses_on(self, interface: str, family: Family) -> list[HostAddress]:
        return [a for a in self.addresses
                if a.interface == interface and a.address.version == family]


KERNEL_RULES: dict[Family, tuple[tuple[int, int], ...]] = {
    4: ((0, LOCAL_TABLE), (MAIN_RULE_PRIORITY, MAIN_TABLE), (MAIN_RULE_PRIORITY + 1,
                                                            DEFAULT_TABLE)),
    6: ((0, LOCAL_TABLE), (MAIN_RULE_PRIORITY, MAIN_TABLE)),
}
_LOOPBACK_ADDRESSES = (ipaddress.IPv4Interface("127.0.0.1/8"), ipaddress.IPv6Interface("::1/128"))


def _kernel_rules() -> list[KernelRule]:
    return [KernelRule(family, priority, table)
            for family, rules in KERNEL_RULES.items() for priority, table in rules]


def _rule(rule: Rule) -> KernelRule:
    return KernelRule(rule.family, rule.priority, rule.table, rule.source, rule.destination,
                      rule.iif, rule.oif, rule.fwmark, rule.fwmask, rule.where)


def _route(route: Route) -> KernelRoute:
    unicast = route.type == RouteType.UNICAST
    if route.family == 6:
        scope = "global"
    elif route.scope is not None:
        scope = route.scope.value
    else:  # what `ip route add` picks
        scope = "link" if unicast and route.gateway is None else "global"
    return KernelRoute(route.family, route.table, route.type.value, route.destination,
                       route.interface if unicast else None,
                       # The kernel stores an IPv6 route's metric 0 as its default, 1024.
                       route.metric or KERNEL_DEFAULT_METRIC[route.family],
                       route.gateway, route.source, scope, route.on_link, "spec", route.where)


def state(network: Network) -> RoutingState:
    """The rules and routes the kernel holds once the spec is applied."""
    addresses = [HostAddress(i.name, a.address, a.where)
                 for i in network.interfaces if not i.is_member for a in i.addresses]
    routes: list[KernelRoute] = []
    for host in addresses:
        ip = host.address
        family: Family = 4 if ip.version == 4 else 6
        routes.append(KernelRoute(family, LOCAL_TABLE, "local", _host(ip.ip), host.interface,
                                  0, source=ip.ip, scope="host", origin="address",
                                  where=host.where))
        if ip.network.prefixlen == ip.max_prefixlen:
            continue
        v4 = family == 4
        routes.append(KernelRoute(family, MAIN_TABLE, "unicast", ip.network, host.interface,
                                  0 if v4 else IPV6_PREFIX_METRIC,
                                  source=ip.ip if v4 else None,
                                  scope="link" if v4 else "global", origin="address",
                                  where=host.where))
    for loopback in _LOOPBACK_ADDRESSES:
        lo_family: Family = 4 if loopback.version == 4 else 6
        routes.append(KernelRoute(lo_family, LOCAL_TABLE, "local", loopback.network, LOOPBACK,
                                  0, source=loopback.ip, scope="host", origin="loopback"))
    routes += [_route(r) for r in network.routes]
    rules = sorted([*_kernel_rules(), *(_rule(r) for r in network.rules)],
                   key=lambda r: (r.priority, r.family))
    loop = [HostAddress(LOOPBACK, a, None) for a in _LOOPBACK_ADDRESSES]
    return RoutingState((*addresses, *loop), tuple(rules), tuple(routes))


def _host(address: IPAddress) -> IPNetwork:
    return ipaddress.ip_network(address)
