"""netplan: one YAML file, /etc/netplan/90-netcompile.yaml, with an explicit renderer.

A translation table from the model to netplan 0.106's keys. The spec's `netplan:`
chooses the renderer (networkd by default) and the netplan version it targets.
netplan's NetworkManager renderer drops `routing-policy` before netplan 1.2, and
also route scopes, the gateway of a scope-link route, every IPv4 and IPv6 method
choice and the prefix-route metric: rules and routes it would lose are refused, the
methods and metrics are set through `networkmanager: passthrough`.

What the targeted netplan release cannot say is refused at the spec line that asks
for it, each gap tied to the releases it applies to (`Releases` below); see
docs/backends/netplan.md for the list and why each one is a gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import templating
from ..errors import Location
from ..model import (
    BondOptions,
    Family,
    Interface,
    IPNetwork,
    Kind,
    Network,
    Route,
    RouteType,
    Rule,
    Scope,
)
from ..options import NetplanRenderer, RenderOptions
from ..output import OutputFile
from . import networkd, nm_semantics, udev
from .base import Refusals

NAME = "netplan"
PATH = "etc/netplan/90-netcompile.yaml"
# netplan warns when its YAML is readable by others.
MODE = 0o600

Version = tuple[int, int]
# The latest netplan release whose source the ranges below were read from. A later
# release is taken to behave as this one until someone reads it.
LATEST_CHECKED: Version = (1, 2)


def release(version: Version) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True, slots=True)
class Releases:
    """The netplan releases a behaviour applies to, for messages and checks alike:
    those before `until`, those from `since` on, or (neither) every release. A gap
    is never bounded on both sides so far."""

    since: Version | None = None
    until: Version | None = None

    def cover(self, version: Version) -> bool:
        return ((self.since is None or version >= self.since)
                and (self.until is None or version < self.until))

    def __str__(self) -> str:
        if self.until is not None:
            return f"netplan before {release(self.until)}"
        if self.since is not None:
            return f"netplan {release(self.since)} to {release(LATEST_CHECKED)}"
        return f"every netplan release up to {release(LATEST_CHECKED)}"


# Each gap, checked against netplan's git history and its source at each release
# tag (src/parse.c, networkd.c, nm.c, types-internal.h):
# networkd.c writes Table= and FirewallMark= with %d, in every release so far.
SIGNED_TABLE_AND_MARK = Releases()
# Metric= and NetworkManager's route metric with %d until 0.107 (8f733b2b).
SIGNED_METRIC = Releases(until=(0, 107))
# NETPLAN_METRIC_UNSPEC is G_MAXUINT and NETPLAN_IP_RULE_FW_MARK_UNSPEC is 0: the
# largest metric and mark 0 mean "not set" and are not written, in every release.
METRIC_UNSET = Releases()
MARK_ZERO_UNSET = Releases()
# parse.c: "global unicast route must include both a 'to' and 'via' IP", in every
# release; before 0.104 (095710a0) every route without `scope:` was global, so one
# without `via` needs `scope: link` written out.
GLOBAL_NEEDS_VIA = Releases()
SCOPE_LINK_BY_DEFAULT_SINCE: Version = (0, 104)
# No bond parameter for tlb_dynamic_lb in any release.
NO_TLB_DYNAMIC_LB = Releases()
# The NetworkManager renderer (nm.c): stops on non-unicast routes in every release
# (8096e4b1); stops on any scope but global before 0.104, and from 0.104 on
# (e205f060) writes no scope and no gateway for a non-global one; drops
# `routing-policy` before 1.2 (d3754780); has `networkmanager: passthrough` from
# 0.102 on (2263a134).
NM_UNICAST_ONLY = Releases()
NM_SCOPE_STOPS = Releases(until=(0, 104))
NM_SCOPE_DROPPED = Releases(since=(0, 104))
NM_RULES_DROPPED = Releases(until=(1, 2))
NM_NO_PASSTHROUGH = Releases(until=(0, 102))
NM_HINT = ("use `netplan: {renderer: networkd}`, or the networkmanager backend")
NM_UNDER = ", under netplan's NetworkManager renderer"

# Interface kind -> the top-level netplan section holding it (in file order).
SECTIONS: dict[Kind, str] = {
    Kind.ETHERNET: "ethernets",
    Kind.BOND: "bonds",
    Kind.VLAN: "vlans",
    Kind.BRIDGE: "bridges",
}

# BondOptions field -> netplan `parameters:` key (`mode:` takes the kernel's names,
# which are BondMode's values). Durations are milliseconds in
# both. None: netplan has no key for it (NO_TLB_DYNAMIC_LB).
BOND_PARAMETERS: dict[str, str | None] = {
    "miimon": "mii-monitor-interval",
    "updelay": "up-delay",
    "downdelay": "down-delay",
    "arp_interval": "arp-interval",
    "arp_ip_targets": "arp-ip-targets",
    "xmit_hash_policy": "transmit-hash-policy",
    "lacp_rate": "lacp-rate",
    "ad_select": "ad-select",
    "primary": "primary",
    "min_links": "min-links",
    "tlb_dynamic_lb": None,
}

# netplan passes transmit-hash-policy through to networkd's TransmitHashPolicy=,
# which knows only these; anything else networkd ignores with a warning.
NETWORKD_HASH_POLICIES = tuple(sorted(networkd.XMIT_HASH_POLICIES))

# netplan spells route types and scopes as iproute2 does: the model's values.
ROUTE_TYPES: dict[RouteType, str] = {t: t.value for t in RouteType}
SCOPES: dict[Scope, str] = {s: s.value for s in Scope}

# `link-local:` from Interface.ipv6_link_local (never IPv4LL).
LINK_LOCAL: dict[bool, str] = {True: "[ipv6]", False: "[]"}


# netplan prints some unsigned values as signed ints (SIGNED_*): anything above this
# comes out negative in the files it writes.
NETPLAN_INT_MAX = 2**31 - 1
# The metric netplan reads as "not set" (METRIC_UNSET).
NETPLAN_METRIC_UNSET = 2**32 - 1
FWMASK_ALL = 0xFFFFFFFF

OTHER_BACKENDS = "use the networkd or networkmanager backend"

# A plain YAML scalar that no YAML 1.1 or 1.2 reader takes for anything but a string.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.+/-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}


def scalar(text: str) -> str:
    """A string as a YAML scalar: plain when unambiguous, else double-quoted
    (addresses, MACs, `802.3ad`, names such as `yes` or `0x1`)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def boolean(value: bool) -> str:
    return "true" if value else "false"


def network_text(prefix: IPNetwork) -> str:
    return scalar(prefix.with_prefixlen)


# netplan's own DHCP route metric (100) differs from networkd's: spell out networkd's
# so both backends configure the same host. `use-mtu` as the model decides
# (Interface.takes_dhcp_mtu).
def dhcp_overrides(interface: Interface) -> str:
    return f"{{route-metric: 1024, use-mtu: {boolean(interface.takes_dhcp_mtu)}}}"


Pairs = list[tuple[str, str]]


@dataclass
class InterfaceView:
    """One interface's netplan block; every value is already spelled YAML."""

    name: str
    settings: Pairs = field(default_factory=list)
    match: Pairs = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    parameters: Pairs = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    dns_servers: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    routes: list[Pairs] = field(default_factory=list)
    rules: list[Pairs] = field(default_factory=list)
    passthrough: Pairs = field(default_factory=list)


class Netplan:
    name = NAME
    owns = ("etc/netplan/*",)

    def render(self, network: Network, options: RenderOptions,
               refusals: Refusals) -> list[OutputFile]:
        return _Renderer(network, options, refusals).render()


BACKEND = Netplan()


class _Renderer:
    def __init__(self, network: Network, options: RenderOptions, refusals: Refusals):
        self.network = network
        self.refusals = refusals
        self.options = options.netplan
        self.version = release(self.options.version)
        self.nm = self.options.renderer is NetplanRenderer.NETWORK_MANAGER
        # Where netplan's numbers end up, for the messages about them.
        self.reader = "NetworkManager" if self.nm else "networkd"

    def unsupported(self, where: Location, what: str, hint: str = OTHER_BACKENDS) -> None:
        self.refusals.refuse(where, what, hint)

    # -- interfaces ------------------------------------------------------------------
    def interface(self, interface: Interface) -> InterfaceView:
        view = InterfaceView(name=scalar(interface.name))
        if interface.match is not None:
            # set-name becomes a .link file matching OriginalName=, the kernel's name;
            # for the name the device has already, that file would only replace
            # 99-default.link (and turn Wake-on-LAN off), so none is asked for.
            udev.refuse_rename_by_name(interface, self.refusals)
            view.match = self.match(interface)
            if interface.match.name != interface.name:
                view.settings.append(("set-name", scalar(interface.name)))
        view.members = [scalar(m) for m in interface.members]
        if interface.bond is not None:
            view.parameters = self.bond(interface, interface.bond)
        if interface.kind is Kind.BRIDGE:
            # netplan documents STP as on by default (and its NetworkManager renderer
            # turns it on); the kernel's default, which the other backends keep, is off.
            stp = interface.bridge.stp if interface.bridge is not None else None
            view.parameters = [("stp", boolean(bool(stp)))]
        if interface.vlan is not None:
            view.settings += [("id", str(interface.vlan.id)),
                              ("link", scalar(interface.vlan.link))]
        if interface.mtu is not None:
            view.settings.append(("mtu", str(interface.mtu)))
        view.settings.append(("link-local", LINK_LOCAL[interface.ipv6_link_local]))
        view.settings.append(("accept-ra", boolean(interface.accepts_ra)))
        if not interface.is_member:
            view.settings += [("dhcp4", boolean(interface.dhcp4)),
                              ("dhcp6", boolean(interface.dhcp6))]
            # netplan demands the same overrides for both families when both are on.
            if interface.dhcp4 or interface.dhcp6:
                overrides = dhcp_overrides(interface)
                view.settings += [("dhcp4-overrides", overrides),
                                  ("dhcp6-overrides", overrides)]
        view.addresses = [scalar(a.address.with_prefixlen) for a in interface.addresses]
        view.dns_servers = [scalar(str(a)) for a in interface.dns_servers]
        view.dns_search = [scalar(s) for s in interface.dns_search]
        view.routes = [self.route(r) for r in self.network.routes_of(interface.name)]
        view.rules = [self.rule(r) for r in self.network.rules_of(interface.name)]
        if self.nm:
            view.passthrough = self.nm_interface(interface)
        return view

    # -- under the NetworkManager renderer -------------------------------------------------
    def nm_interface(self, interface: Interface) -> Pairs:
        """Refuse what NetworkManager would lose on this interface; set through
        passthrough the keyfile settings netplan's renderer would choose otherwise
        than the networkmanager backend (nm_semantics)."""
        nm_semantics.refuse_lost(self.network, interface, self.refusals, NM_UNDER)
        if interface.is_member:
            return []  # NetworkManager keeps no IP settings on a port
        pairs: Pairs = []
        for family in (4, 6):
            pairs += self.nm_family(interface, family)
        pairs.append(("ipv6.addr-gen-mode", "eui64"))
        return pairs

    @staticmethod
    def nm_family(interface: Interface, family: Family) -> Pairs:
        """netplan writes method=auto and the DHCP route metric itself; for static
        addresses it leaves the prefix-route metric to NetworkManager's default, and
        for an unconfigured family it writes no method at all."""
        if interface.dhcp(family):
            return []
        if interface.addresses_of(family):
            metric = nm_semantics.prefix_route_metric(interface, family)
            return [(f"ipv{family}.route-metric", scalar(str(metric)))]
        return [(f"ipv{family}.method", nm_semantics.method(interface, family))]

    def nm_route(self, route: Route, scope: Scope | None) -> None:
        """`scope` is the one written: explicit before 0.104 for a route without `via`."""
        version = self.options.version
        if route.type is not RouteType.UNICAST:
            self.unsupported(route.where, f"a route of type {route.type.value} under netplan's "
                             f"NetworkManager renderer ({NM_UNICAST_ONLY} stops: "
                             "\"NetworkManager only supports unicast routes\")", NM_HINT)
        elif scope in (Scope.LINK, Scope.HOST) and NM_SCOPE_STOPS.cover(version):
            since = release(NM_SCOPE_DROPPED.since or LATEST_CHECKED)
            hint = (f"target netplan {since} or later with `netplan: {{version: \"{since}\"}}`, "
                    f"{NM_HINT}" if scope is Scope.LINK and route.gateway is None else NM_HINT)
            self.unsupported(route.where, f"a route in scope {scope.value} under netplan's "
                             f"NetworkManager renderer, for netplan {self.version} "
                             f"({NM_SCOPE_STOPS} stops: \"NetworkManager does not support "
                             "setting a scope for routes\")", hint)
        elif scope is Scope.LINK and route.gateway is not None:
            self.unsupported(route.where, "a route with `via` in scope link under netplan's "
                             f"NetworkManager renderer ({NM_SCOPE_DROPPED} writes it without "
                             "its gateway, as a route straight onto the link)",
                             f"drop `scope: link`, or {NM_HINT}")
        elif scope is Scope.HOST:
            self.unsupported(route.where, "a route in scope host under netplan's "
                             f"NetworkManager renderer ({NM_SCOPE_DROPPED} writes no scope, "
                             "so NetworkManager gives the route scope link)", NM_HINT)

    def nm_rule(self, rule: Rule) -> None:
        if NM_RULES_DROPPED.cover(self.options.version):
            self.unsupported(rule.where, "a routing rule under netplan's NetworkManager "
                             f"renderer, for netplan {self.version} (netplan's NetworkManager "
                             "renderer drops `routing-policy` before netplan 1.2, without "
                             "a word)",
                             "use `netplan: {renderer: networkd}`, target netplan >= 1.2 "
                             "with `netplan: {version: \"1.2\"}`, or the networkmanager "
                             "backend")

    def match(self, interface: Interface) -> Pairs:
        assert interface.match is not None
        pairs: Pairs = []
        if interface.match.name is not None:
            pairs.append(("name", scalar(interface.match.name)))
        if interface.match.mac is not None:
            pairs.append(("macaddress", scalar(interface.match.mac.lower())))
        if interface.match.driver is not None:
            pairs.append(("driver", scalar(interface.match.driver)))
        return pairs

    def bond(self, interface: Interface, bond: BondOptions) -> Pairs:
        pairs: Pairs = [("mode", scalar(bond.mode.value))]
        for attribute, key in BOND_PARAMETERS.items():
            value = getattr(bond, attribute)
            if value is None or value == ():
                continue
            if key is None:
                self.unsupported(bond.where_of(attribute) or interface.where,
                                 f"bond option `{attribute}` on {interface.name} "
                                 f"({NO_TLB_DYNAMIC_LB} lacks such a bond parameter)")
                continue
            if attribute == "xmit_hash_policy" and value not in NETWORKD_HASH_POLICIES:
                self.unsupported(bond.where_of(attribute) or interface.where,
                                 f"bond transmit hash policy {value} on "
                                 f"{interface.name} (netplan hands it to systemd 252's "
                                 "networkd, which knows only "
                                 f"{', '.join(NETWORKD_HASH_POLICIES)})",
                                 "choose one of those, or use the networkmanager or "
                                 "ifupdown backend")
                continue
            if isinstance(value, bool):
                text = boolean(value)
            elif isinstance(value, int):
                text = str(value)
            elif isinstance(value, tuple):
                text = flow(scalar(str(v)) for v in value)
            else:
                text = scalar(str(value))
            pairs.append((key, text))
        return pairs

    # -- routes and rules ----------------------------------------------------------------
    def route(self, route: Route) -> Pairs:
        if not self.nm:  # the NetworkManager renderer writes table= unsigned
            self.check_signed(route.where, "route table", route.table)
        self.check_metric(route)
        scope = route.scope
        if (route.type is RouteType.UNICAST and route.gateway is None
                and route.scope is Scope.GLOBAL and GLOBAL_NEEDS_VIA.cover(self.options.version)):
            self.unsupported(route.where, "a unicast route without `via` in scope global "
                             f"({GLOBAL_NEEDS_VIA} rejects it: \"global unicast route must "
                             "include both a 'to' and 'via' IP\")",
                             f"give it a gateway, drop `scope: global`, or {OTHER_BACKENDS}")
        elif (scope is None and route.type is RouteType.UNICAST and route.gateway is None
                and self.options.version < SCOPE_LINK_BY_DEFAULT_SINCE):
            scope = Scope.LINK  # what netplan 0.104 and later assume, and networkd does
        if self.nm:
            self.nm_route(route, scope)
        pairs: Pairs = [("to", network_text(route.destination))]
        if route.gateway is not None:
            pairs.append(("via", scalar(str(route.gateway))))
        if route.on_link:
            pairs.append(("on-link", "true"))
        if route.type is not RouteType.UNICAST:
            pairs.append(("type", ROUTE_TYPES[route.type]))
        if scope is not None:
            pairs.append(("scope", SCOPES[scope]))
        if route.source is not None:
            pairs.append(("from", scalar(str(route.source))))
        pairs += [("table", str(route.table)), ("metric", str(route.metric))]
        return pairs

    def rule(self, rule: Rule) -> Pairs:
        if rule.source is None and rule.destination is None:
            family = "0.0.0.0/0" if rule.family == 4 else "::/0"
            self.unsupported(rule.where, "a rule with neither `from` nor `to` (netplan's "
                             "routing-policy demands one)",
                             f"add `from: {family}`, which matches every source")
        for key, value in (("iif", rule.iif), ("oif", rule.oif)):
            if value is not None:
                self.unsupported(rule.where, f"a rule matching on `{key}` (netplan's "
                                 "routing-policy has no interface selector)")
        if rule.fwmask is not None and rule.fwmask != FWMASK_ALL:
            self.unsupported(rule.where, f"the fwmark mask {rule.fwmask:#x} (netplan's "
                             "`mark` takes a plain value, no mask)")
        if rule.fwmark == 0 and MARK_ZERO_UNSET.cover(self.options.version):
            self.unsupported(rule.where, f"fwmark 0 ({MARK_ZERO_UNSET} drops `mark: 0` from "
                             "the rule without a word)")
        elif rule.fwmark is not None and not self.nm:
            self.check_signed(rule.where, "fwmark", rule.fwmark)
        if not self.nm:  # the NetworkManager renderer (1.2 on) writes rules unsigned
            self.check_signed(rule.where, "rule table", rule.table)
        if self.nm:
            self.nm_rule(rule)
        pairs: Pairs = []
        if rule.source is not None:
            pairs.append(("from", network_text(rule.source)))
        if rule.destination is not None:
            pairs.append(("to", network_text(rule.destination)))
        if rule.fwmark:
            pairs.append(("mark", str(rule.fwmark)))
        pairs += [("table", str(rule.table)), ("priority", str(rule.priority))]
        return pairs

    def check_signed(self, where: Location, what: str, value: int) -> None:
        """A table or mark in the networkd files netplan writes."""
        if value > NETPLAN_INT_MAX and SIGNED_TABLE_AND_MARK.cover(self.options.version):
            self.unsupported(where, f"{what} {value} ({SIGNED_TABLE_AND_MARK} writes values "
                             f"above {NETPLAN_INT_MAX} as negative numbers, which networkd "
                             "rejects)",
                             f"use a value up to {NETPLAN_INT_MAX}, or {OTHER_BACKENDS}")

    def check_metric(self, route: Route) -> None:
        version = self.options.version
        signed = SIGNED_METRIC.cover(version)
        limit = NETPLAN_INT_MAX if signed else NETPLAN_METRIC_UNSET - 1
        if route.metric == NETPLAN_METRIC_UNSET and METRIC_UNSET.cover(version):
            self.unsupported(route.where, f"route metric {route.metric} ({METRIC_UNSET} "
                             "takes it for \"no metric\" and writes none, so the route gets "
                             f"{self.reader}'s default metric)",
                             f"use a value up to {limit}, or {OTHER_BACKENDS}")
        elif route.metric > NETPLAN_INT_MAX and signed:
            fixed = release(SIGNED_METRIC.until or LATEST_CHECKED)
            loss = ("which networkd rejects" if not self.nm
                    else "and NetworkManager drops the route")
            self.unsupported(route.where, f"route metric {route.metric}, for netplan "
                             f"{self.version} ({SIGNED_METRIC} writes metrics above "
                             f"{NETPLAN_INT_MAX} as negative numbers, {loss})",
                             f"use a value up to {limit}, target netplan {fixed} or later "
                             f"with `netplan: {{version: \"{fixed}\"}}`, or {OTHER_BACKENDS}")

    # -- the file --------------------------------------------------------------------------
    def render(self) -> list[OutputFile]:
        if self.nm and NM_NO_PASSTHROUGH.cover(self.options.version):
            since = release(NM_NO_PASSTHROUGH.until or LATEST_CHECKED)
            self.unsupported(self.options.where or self.network.interfaces[0].where,
                             f"the NetworkManager renderer for netplan {self.version} "
                             f"({NM_NO_PASSTHROUGH} has no `networkmanager: passthrough`, "
                             "which sets the IP methods and metrics the renderer would "
                             "choose otherwise)",
                             f"target netplan {since} or later, use `netplan: {{renderer: "
                             "networkd}`, or the networkmanager backend")
        sections = []
        for kind, key in SECTIONS.items():
            views = [self.interface(i) for i in self.network.interfaces if i.kind is kind]
            if views:
                sections.append({"key": key, "interfaces": views})
        content = templating.render(NAME, "netplan.yaml.j2",
                                    renderer=self.options.renderer.value, sections=sections)
        return [OutputFile(PATH, content, MODE)]
