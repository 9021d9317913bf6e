"""netplan: one YAML file, /etc/netplan/90-netcompile.yaml, with an explicit renderer.

A translation table from the model to netplan 0.106's keys. The spec's `netplan:`
chooses the renderer (networkd by default) and the netplan version it targets.
netplan's NetworkManager renderer drops `routing-policy` before netplan 1.2, and in
0.106 also route scopes, the gateway of a scope-link route, every IPv4 and IPv6
method choice and the prefix-route metric: rules and routes it would lose are
refused, the methods and metrics are set through `networkmanager: passthrough`.

What netplan 0.106 cannot say is refused at the spec line that asks for it; see
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

# netplan's NetworkManager renderer writes `routing-policy` into keyfiles from 1.2 on;
# `networkmanager: passthrough` exists from 0.102 on.
NM_RULES_SINCE = (1, 2)
NM_PASSTHROUGH_SINCE = (0, 102)
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
# both. None: netplan 0.106 has no key for it (there is no tlb-dynamic-lb).
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

# netplan's own DHCP defaults (route metric 100, the server's MTU taken) differ from
# networkd's; spell out networkd's so both backends configure the same host.
DHCP_OVERRIDES = "{route-metric: 1024, use-mtu: false}"

# netplan 0.106 keeps table, metric and mark in a signed int: anything above this
# comes out negative (or, at 2^32-1, as "unset") in the networkd files it writes.
NETPLAN_INT_MAX = 2**31 - 1
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
        self.nm = self.options.renderer is NetplanRenderer.NETWORK_MANAGER

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
                view.settings += [("dhcp4-overrides", DHCP_OVERRIDES),
                                  ("dhcp6-overrides", DHCP_OVERRIDES)]
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

    def nm_route(self, route: Route) -> None:
        if route.type is not RouteType.UNICAST:
            self.unsupported(route.where, f"a route of type {route.type.value} under netplan's "
                             "NetworkManager renderer (netplan 0.106 stops: \"NetworkManager "
                             "only supports unicast routes\")", NM_HINT)
        elif route.scope is Scope.LINK and route.gateway is not None:
            self.unsupported(route.where, "a route with `via` in scope link under netplan's "
                             "NetworkManager renderer (netplan 0.106 writes it without its "
                             "gateway, as a route straight onto the link)",
                             f"drop `scope: link`, or {NM_HINT}")
        elif route.scope is Scope.HOST:
            self.unsupported(route.where, "a route in scope host under netplan's "
                             "NetworkManager renderer (netplan 0.106 writes no scope, so "
                             "NetworkManager gives the route scope link)", NM_HINT)

    def nm_rule(self, rule: Rule) -> None:
        if self.options.version < NM_RULES_SINCE:
            version = ".".join(map(str, self.options.version))
            self.unsupported(rule.where, "a routing rule under netplan's NetworkManager "
                             f"renderer, for netplan {version} (netplan's NetworkManager "
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
                                 f"bond option `{attribute}` on "
                                 f"{interface.name} (netplan 0.106 has no such bond parameter)")
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
        self.check_int(route.where, "route table", route.table)
        self.check_int(route.where, "route metric", route.metric)
        if (route.type is RouteType.UNICAST and route.gateway is None
                and route.scope is Scope.GLOBAL):
            self.unsupported(route.where, "a unicast route without `via` in scope global "
                             "(netplan 0.106 rejects it: \"global unicast route must include "
                             "both a 'to' and 'via' IP\")",
                             f"give it a gateway, drop `scope: global`, or {OTHER_BACKENDS}")
        if self.nm:
            self.nm_route(route)
        pairs: Pairs = [("to", network_text(route.destination))]
        if route.gateway is not None:
            pairs.append(("via", scalar(str(route.gateway))))
        if route.on_link:
            pairs.append(("on-link", "true"))
        if route.type is not RouteType.UNICAST:
            pairs.append(("type", ROUTE_TYPES[route.type]))
        if route.scope is not None:
            pairs.append(("scope", SCOPES[route.scope]))
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
        if rule.fwmark == 0:
            self.unsupported(rule.where, "fwmark 0 (netplan 0.106 drops `mark: 0` from "
                             "the rule without a word)")
        elif rule.fwmark is not None:
            self.check_int(rule.where, "fwmark", rule.fwmark)
        self.check_int(rule.where, "rule table", rule.table)
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

    def check_int(self, where: Location, what: str, value: int) -> None:
        if value > NETPLAN_INT_MAX:
            self.unsupported(where, f"{what} {value} (netplan 0.106 writes values above "
                             f"{NETPLAN_INT_MAX} as negative numbers, which networkd rejects)",
                             f"use a value up to {NETPLAN_INT_MAX}, or {OTHER_BACKENDS}")

    # -- the file --------------------------------------------------------------------------
    def render(self) -> list[OutputFile]:
        if self.nm and self.options.version < NM_PASSTHROUGH_SINCE:
            version = ".".join(map(str, self.options.version))
            self.unsupported(self.options.where or self.network.interfaces[0].where,
                             f"the NetworkManager renderer for netplan {version} (netplan "
                             "before 0.102 has no `networkmanager: passthrough`, which sets "
                             "the IP methods and metrics the renderer would choose otherwise)",
                             "target netplan 0.102 or later, use `netplan: {renderer: "
                             "networkd}`, or the networkmanager backend")
        sections = []
        for kind, key in SECTIONS.items():
            views = [self.interface(i) for i in self.network.interfaces if i.kind is kind]
            if views:
                sections.append({"key": key, "interfaces": views})
        content = templating.render(NAME, "netplan.yaml.j2",
                                    renderer=self.options.renderer.value, sections=sections)
        return [OutputFile(PATH, content, MODE)]
