"""The typed, immutable model of a host's network.

Everything a backend renders comes from here. No backend's spelling appears in
this module: names follow the kernel and iproute2 (table numbers, rule
priorities, route scopes), never `bond-slaves` or `TransmitHashPolicy`.

The model is built from a validated spec (build.py), then intent passes
(passes.py) turn gateways and uplinks into explicit routes and rules. After
the passes, `Network.routes` and `Network.rules` hold everything the kernel
should end up with, so every backend renders the same thing.

Collections are tuples in a canonical order (interfaces by name, routes and
rules by a sort key), so reordering keys in the spec never changes the output.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from typing import Literal, TypeVar

from . import addresses
from .errors import Location

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface
IPNetwork = IPv4Network | IPv6Network
Family = Literal[4, 6]

MAIN_TABLE = 254
RESERVED_TABLES = {0: "unspec", 253: "default", 254: "main", 255: "local"}
# The kernel's own `from all lookup main` rule; every rule we emit sorts before it.
MAIN_RULE_PRIORITY = 32766
# Metric the kernel gives a route added without one.
KERNEL_DEFAULT_METRIC: dict[Family, int] = {4: 0, 6: 1024}


class Kind(enum.StrEnum):
    ETHERNET = "ethernet"
    BOND = "bond"
    VLAN = "vlan"
    BRIDGE = "bridge"


class BondMode(enum.StrEnum):
    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    IEEE_802_3AD = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"


class RouteType(enum.StrEnum):
    UNICAST = "unicast"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"
    PROHIBIT = "prohibit"


class Scope(enum.StrEnum):
    GLOBAL = "global"
    LINK = "link"
    HOST = "host"


class Origin(enum.StrEnum):
    """Why a route or rule exists: written in the spec, or expanded from an intent."""

    SPEC = "spec"
    GATEWAY = "gateway"
    UPLINK = "uplink"


@dataclass(frozen=True, slots=True)
class Match:
    """How an interface is recognised. Absent fields do not take part."""

    name: str | None = None
    mac: str | None = None
    driver: str | None = None
    # Where `match:` was written, so a backend's error points at it.
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class BondOptions:
    """Kernel bonding options (Documentation/networking/bonding.rst names)."""

    mode: BondMode
    miimon: int | None = None
    updelay: int | None = None
    downdelay: int | None = None
    arp_interval: int | None = None
    arp_ip_targets: tuple[IPv4Address, ...] = ()
    xmit_hash_policy: str | None = None
    lacp_rate: str | None = None
    ad_select: str | None = None
    primary: str | None = None
    tlb_dynamic_lb: bool | None = None
    min_links: int | None = None
    # Where each option was written, so a backend's error points at its line.
    option_where: tuple[tuple[str, Location], ...] = field(default=(), compare=False)

    def where_of(self, option: str) -> Location | None:
        return dict(self.option_where).get(option)


@dataclass(frozen=True, slots=True)
class VlanOptions:
    id: int
    link: str


@dataclass(frozen=True, slots=True)
class BridgeOptions:
    stp: bool | None = None


@dataclass(frozen=True, slots=True)
class Address:
    address: IPInterface
    where: Location

    @property
    def family(self) -> Family:
        return 4 if self.address.version == 4 else 6


@dataclass(frozen=True, slots=True)
class Uplink:
    """The symmetric-routing intent on one interface (expanded by passes.py).
    `main_default`: the families whose main-table default route this uplink carries."""

    table: int
    main_default: frozenset[Family]
    priority: int
    where: Location


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    kind: Kind
    where: Location
    match: Match | None = None
    addresses: tuple[Address, ...] = ()
    gateways: tuple[tuple[IPAddress, Location], ...] = ()
    dhcp4: bool = False
    dhcp6: bool = False
    mtu: int | None = None
    dns_servers: tuple[IPAddress, ...] = ()
    dns_search: tuple[str, ...] = ()
    uplink: Uplink | None = None
    bond: BondOptions | None = None
    vlan: VlanOptions | None = None
    bridge: BridgeOptions | None = None
    # Bond or bridge members, by interface name (sorted).
    members: tuple[str, ...] = ()
    # The bond or bridge this interface is a member of, if any.
    controller: str | None = None

    @property
    def is_member(self) -> bool:
        return self.controller is not None

    # -- per address family: what every backend asks of an interface ------------------
    def addresses_of(self, family: Family) -> tuple[Address, ...]:
        return tuple(a for a in self.addresses if a.family == family)

    def dhcp(self, family: Family) -> bool:
        """Whether the family's addresses come from DHCP (DHCPv6 for IPv6)."""
        return self.dhcp4 if family == 4 else self.dhcp6

    def configured(self, family: Family) -> bool:
        """Whether the family carries IP configuration: static addresses or DHCP."""
        return self.dhcp(family) or any(a.family == family for a in self.addresses)

    def dns_servers_of(self, family: Family) -> tuple[IPAddress, ...]:
        return tuple(s for s in self.dns_servers if s.version == family)

    # -- what the host does on its own, decided once for every backend ---------------
    @property
    def accepts_ra(self) -> bool:
        """Router advertisements are taken only where DHCPv6 needs them (a DHCPv6
        client starts from an RA): a statically configured interface never gets RA
        routes or SLAAC addresses."""
        return self.dhcp6

    @property
    def ipv6_link_local(self) -> bool:
        """An IPv6 link-local address on every link that carries IP configuration, as
        the kernel itself would add; none on bond and bridge members. Never IPv4LL."""
        return not self.is_member


@dataclass(frozen=True, slots=True)
class Route:
    """One route, in the kernel's terms. `interface` owns it (the device, or for
    blackhole/unreachable/prohibit routes, the link whose configuration carries it)."""

    interface: str
    destination: IPNetwork
    table: int
    metric: int
    where: Location
    origin: Origin = Origin.SPEC
    gateway: IPAddress | None = None
    on_link: bool = False
    scope: Scope | None = None
    source: IPAddress | None = None
    type: RouteType = RouteType.UNICAST
    # The key path of the spec value it comes from (`interfaces.eth0.routes[1]`), for
    # messages whose caret points at `where`.
    path: str = field(default="", compare=False)

    @property
    def family(self) -> Family:
        return 4 if self.destination.version == 4 else 6

    @property
    def is_default(self) -> bool:
        return self.destination.prefixlen == 0


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy routing rule. `interface` owns it: backends that attach rules to
    a link (networkd, NetworkManager, ifupdown) put it in that link's configuration.
    A spec rule has no owner until passes.assign_rule_owners gives it one."""

    family: Family
    priority: int
    table: int
    where: Location
    interface: str | None = None
    origin: Origin = Origin.SPEC
    source: IPNetwork | None = None
    destination: IPNetwork | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None
    fwmask: int | None = None

    def selector(self) -> tuple[object, ...]:
        """What the rule matches on; two rules with the same priority and selector clash."""
        return (self.family, self.source, self.destination, self.iif, self.oif,
                self.fwmark, self.fwmask)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    number: int
    where: Location


@dataclass(frozen=True, slots=True)
class Network:
    """The whole host. `source_name` is the spec's file name, for file headers."""

    source_name: str
    interfaces: tuple[Interface, ...]
    tables: tuple[Table, ...] = ()
    routes: tuple[Route, ...] = ()
    rules: tuple[Rule, ...] = ()
    _by_name: dict[str, Interface] = field(default_factory=dict, compare=False, repr=False)
    # Routes and rules by owner, so that a backend's per-interface lookups stay linear
    # in the spec's size; init=False, so that `replace` builds them anew.
    _routes_by: dict[str, tuple[Route, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False)
    _rules_by: dict[str, tuple[Rule, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update((i.name, i) for i in self.interfaces)

    def interface(self, name: str) -> Interface:
        return self._by_name[name]

    def routes_of(self, interface: str) -> tuple[Route, ...]:
        if not self._routes_by:  # built on first use: the passes replace the model often
            self._routes_by.update(_group(self.routes))
        return self._routes_by.get(interface, ())

    def rules_of(self, interface: str) -> tuple[Rule, ...]:
        if not self._rules_by:
            self._rules_by.update(_group(self.rules))
        return self._rules_by.get(interface, ())

    def table_name(self, number: int) -> str | None:
        for table in self.tables:
            if table.number == number:
                return table.name
        return None


_Owned = TypeVar("_Owned", "Route", "Rule")


def _group(items: tuple[_Owned, ...]) -> dict[str, tuple[_Owned, ...]]:
    """`items` by owning interface, each group in the original order."""
    groups: dict[str, list[_Owned]] = {}
    for item in items:
        if item.interface is not None:
            groups.setdefault(item.interface, []).append(item)
    return {name: tuple(group) for name, group in groups.items()}


def route_sort_key(route: Route) -> tuple[object, ...]:
    return (route.interface, route.family, route.table, route.destination.prefixlen == 0,
            int(route.destination.network_address), route.destination.prefixlen,
            route.metric, addresses.text(route.gateway) if route.gateway else "",
            route.type.value)


def rule_sort_key(rule: Rule) -> tuple[object, ...]:
    return (rule.priority, rule.family,
            addresses.text(rule.source) if rule.source else "",
            addresses.text(rule.destination) if rule.destination else "",
            rule.iif or "", rule.oif or "", rule.fwmark or 0, rule.table)
