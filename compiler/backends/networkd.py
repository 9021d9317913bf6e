"""systemd-networkd: .link, .netdev and .network units under /etc/systemd/network.

A translation table from the model to systemd 252's keys (systemd.network(5),
systemd.netdev(5), systemd.link(5), networkd.conf(5)). Files, in the order
networkd and udev read them:

- `10-<name>.link`: only for an ethernet device recognised by MAC address or
  driver alone (its kernel name is unknown): udev gives it the spec's name, so
  everything else can refer to it by that name.
- `20-<name>.netdev`: every bond, VLAN and bridge.
- `30-<name>.network`: every interface, members included (`Bond=`/`Bridge=`).
- `etc/systemd/networkd.conf.d/netcompile.conf`: `RouteTable=name:number` for the
  spec's tables, so networkctl and the journal can name them. Units refer to
  tables by number only: an unknown table name in a unit is merely a warning
  and the route or rule silently does not exist.

What networkd does on its own beyond the spec is turned off deliberately:
router advertisements are ignored unless the interface asks for DHCPv6
(`IPv6AcceptRA=no`), so a static interface never takes RA routes or SLAAC
addresses; IPv4 link-local addressing is off; bond and bridge members get no
link-local address at all. See docs/backends/networkd.md.

What systemd 252 cannot express is refused at the spec line that asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import addresses, templating
from ..model import (
    BondOptions,
    Interface,
    IPAddress,
    IPNetwork,
    Kind,
    Network,
    Route,
    RouteType,
    Rule,
    Scope,
)
from ..options import RenderOptions
from ..output import OutputFile
from . import udev
from .base import Refusals

NAME = "networkd"
UNIT_DIR = "etc/systemd/network"
CONF_DROPIN = "etc/systemd/networkd.conf.d/netcompile.conf"

# File name prefixes: networkd reads .netdev then .network files, each sorted by name
# across /etc, /run and /lib; the first match wins. (.link files: udev.py.)
PREFIX = {"netdev": 20, "network": 30}

# Interface kind -> [NetDev] Kind= (ethernet devices exist already: no .netdev).
NETDEV_KINDS: dict[Kind, str] = {Kind.BOND: "bond", Kind.VLAN: "vlan", Kind.BRIDGE: "bridge"}

# BondOptions field -> [Bond] key, for plain values. Durations (milliseconds in the
# model) are in BOND_DURATIONS; `primary` goes to the member's .network
# (PrimarySlave=yes); `arp_ip_targets` and `tlb_dynamic_lb` are spelled below.
BOND_VALUES: dict[str, str] = {
    "xmit_hash_policy": "TransmitHashPolicy",
    "lacp_rate": "LACPTransmitRate",
    "ad_select": "AdSelect",
    "min_links": "MinLinks",
}
BOND_DURATIONS: dict[str, str] = {
    "miimon": "MIIMonitorSec",
    "updelay": "UpDelaySec",
    "downdelay": "DownDelaySec",
    "arp_interval": "ARPIntervalSec",
}
BOND_ARP_TARGETS = "ARPIPTargets"
BOND_TLB_DYNAMIC_LB = "DynamicTransmitLoadBalancing"

# Transmit hash policies systemd 252 knows (bond-util.c); the kernel's
# `vlan+srcmac` (Linux 5.12) came to networkd later.
XMIT_HASH_POLICIES = frozenset({"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4"})

# [Route] Type= and Scope= take iproute2's words, which are the model's values.
ROUTE_TYPES: dict[RouteType, str] = {t: t.value for t in RouteType}
SCOPES: dict[Scope, str] = {s: s.value for s in Scope}

FAMILIES: dict[int, str] = {4: "ipv4", 6: "ipv6"}

# DHCP= from (dhcp4, dhcp6).
DHCP: dict[tuple[bool, bool], str] = {
    (False, False): "no",
    (True, False): "ipv4",
    (False, True): "ipv6",
    (True, True): "yes",
}

# [Network] LinkLocalAddressing= from Interface.ipv6_link_local (never IPv4LL).
LINK_LOCAL: dict[bool, str] = {True: "ipv6", False: "no"}

# networkd's FirewallMark= takes mark and mask in 1..4294967295.
FWMARK_MIN = 1


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def milliseconds(value: int) -> str:
    return f"{value}ms"


def prefix(network: IPNetwork) -> str:
    return addresses.text(network)


def address(value: IPAddress) -> str:
    return addresses.text(value)


@dataclass
class Section:
    """One [Name] section: keys in the order written, values already spelled."""

    name: str
    keys: list[tuple[str, str]] = field(default_factory=list)

    def add(self, key: str, value: str | None) -> None:
        if value is not None:
            self.keys.append((key, value))


class Networkd:
    name = NAME
    owns = (f"{UNIT_DIR}/*", "etc/systemd/networkd.conf.d/*")

    def render(self, network: Network, options: RenderOptions,
               refusals: Refusals) -> list[OutputFile]:
        return _Renderer(network, refusals).files()


BACKEND = Networkd()


class _Renderer:
    def __init__(self, network: Network, refusals: Refusals):
        self.network = network
        self.refusals = refusals
        # VLANs by parent interface, for the parent's VLAN= lines.
        self.vlans: dict[str, list[str]] = {}
        for interface in network.interfaces:
            if interface.vlan is not None:
                self.vlans.setdefault(interface.vlan.link, []).append(interface.name)

    # -- files ---------------------------------------------------------------------
    def files(self) -> list[OutputFile]:
        result: list[OutputFile] = []
        for interface in self.network.interfaces:
            link = udev.rename_link(interface)
            if link is not None:
                result.append(link)
            if interface.kind in NETDEV_KINDS:
                result.append(self.netdev_file(interface))
            result.append(self.network_file(interface))
        conf = self.conf_dropin()
        if conf is not None:
            result.append(conf)
        return result

    def unit(self, kind: str, interface: Interface, sections: list[Section]) -> OutputFile:
        path = f"{UNIT_DIR}/{PREFIX[kind]}-{interface.name}.{kind}"
        content = templating.render(NAME, "unit.j2", sections=[s for s in sections if s.keys])
        return OutputFile(path, content)

    # -- .netdev ---------------------------------------------------------------------
    def netdev_file(self, interface: Interface) -> OutputFile:
        netdev = Section("NetDev", [("Name", interface.name),
                                    ("Kind", NETDEV_KINDS[interface.kind])])
        sections = [netdev]
        if interface.bond is not None:
            sections.append(self.bond_section(interface, interface.bond))
        if interface.vlan is not None:
            sections.append(Section("VLAN", [("Id", str(interface.vlan.id))]))
        if interface.bridge is not None and interface.bridge.stp is not None:
            sections.append(Section("Bridge", [("STP", yes_no(interface.bridge.stp))]))
        return self.unit("netdev", interface, sections)

    def bond_section(self, interface: Interface, bond: BondOptions) -> Section:
        section = Section("Bond", [("Mode", bond.mode.value)])
        if bond.xmit_hash_policy is not None and bond.xmit_hash_policy not in XMIT_HASH_POLICIES:
            self.refusals.refuse(
                bond.where_of("xmit_hash_policy") or interface.where,
                f"bond transmit hash policy {bond.xmit_hash_policy} on {interface.name} "
                "(systemd 252 knows " + ", ".join(sorted(XMIT_HASH_POLICIES)) + ")",
                "choose one of those, or use the networkmanager or ifupdown backend")
        for attr, key in BOND_DURATIONS.items():
            value = getattr(bond, attr)
            section.add(key, None if value is None else milliseconds(value))
        if bond.arp_ip_targets:
            section.add(BOND_ARP_TARGETS, " ".join(address(a) for a in bond.arp_ip_targets))
        for attr, key in BOND_VALUES.items():
            value = getattr(bond, attr)
            section.add(key, None if value is None else str(value))
        if bond.tlb_dynamic_lb is not None:
            section.add(BOND_TLB_DYNAMIC_LB, yes_no(bond.tlb_dynamic_lb))
        return section

    # -- .network --------------------------------------------------------------------
    def network_file(self, interface: Interface) -> OutputFile:
        sections = [self.match_section(interface)]
        if interface.mtu is not None:
            sections.append(Section("Link", [("MTUBytes", str(interface.mtu))]))
        sections.append(self.network_section(interface))
        if interface.takes_dhcp_mtu:  # networkd's default is to ignore it
            sections.append(Section("DHCPv4", [("UseMTU", "yes")]))
        sections.extend(self.route_section(route)
                        for route in self.network.routes_of(interface.name))
        sections.extend(self.rule_section(rule) for rule in self.network.rules_of(interface.name))
        return self.unit("network", interface, sections)

    def match_section(self, interface: Interface) -> Section:
        """Always the spec's name (the kernel's, or the one the .link gives); a MAC
        or driver the spec asks for is checked too. The permanent MAC, because a
        bond changes its members' current MAC."""
        section = Section("Match", [("Name", interface.name)])
        match = interface.match
        if match is not None:
            udev.refuse_rename_by_name(interface, self.refusals)
            section.add("PermanentMACAddress", match.mac)
            section.add("Driver", match.driver)
        return section

    def network_section(self, interface: Interface) -> Section:
        section = Section("Network")
        if interface.is_member:
            controller = self.network.interface(interface.controller or "")
            section.add("Bond" if controller.kind == Kind.BOND else "Bridge", controller.name)
            if controller.bond is not None and controller.bond.primary == interface.name:
                section.add("PrimarySlave", "yes")
        else:
            for entry in interface.addresses:
                section.add("Address", addresses.text(entry.address))
            section.add("DHCP", DHCP[(interface.dhcp4, interface.dhcp6)])
            for server in interface.dns_servers:
                section.add("DNS", address(server))
            if interface.dns_search:
                section.add("Domains", " ".join(interface.dns_search))
        section.add("LinkLocalAddressing", LINK_LOCAL[interface.ipv6_link_local])
        section.add("IPv6AcceptRA", yes_no(interface.accepts_ra))
        for vlan in sorted(self.vlans.get(interface.name, [])):
            section.add("VLAN", vlan)
        return section

    def route_section(self, route: Route) -> Section:
        section = Section("Route")
        section.add("Destination", prefix(route.destination))
        if route.type != RouteType.UNICAST:
            section.add("Type", ROUTE_TYPES[route.type])
        if route.gateway is not None:
            section.add("Gateway", address(route.gateway))
        if route.on_link:
            section.add("GatewayOnLink", "yes")
        if route.scope is not None:  # IPv4 only: the spec refuses a scope on IPv6
            section.add("Scope", SCOPES[route.scope])
        if route.source is not None:
            section.add("PreferredSource", address(route.source))
        section.add("Table", str(route.table))
        section.add("Metric", str(route.metric))
        return section

    def rule_section(self, rule: Rule) -> Section:
        section = Section("RoutingPolicyRule")
        section.add("Family", FAMILIES[rule.family])
        if rule.source is not None:
            section.add("From", prefix(rule.source))
        if rule.destination is not None:
            section.add("To", prefix(rule.destination))
        section.add("IncomingInterface", rule.iif)
        section.add("OutgoingInterface", rule.oif)
        if rule.fwmark is not None:
            section.add("FirewallMark", self.fwmark(rule, rule.fwmark, rule.fwmask))
        section.add("Priority", str(rule.priority))
        section.add("Table", str(rule.table))
        return section

    def fwmark(self, rule: Rule, mark: int, mask: int | None) -> str:
        shown = f"{mark:#x}" + ("" if mask is None else f"/{mask:#x}")
        if mask is not None and mask < FWMARK_MIN:
            # No backend helps here: the kernel ignores the mark under a mask of 0.
            self.refusals.refuse(
                rule.where, f"the firewall mark {shown}: a mask of 0 matches every packet "
                "(networkd's FirewallMark= takes mark and mask from 1 to 4294967295)",
                "drop `fwmark:` if every packet is meant, or give the bits to compare")
        elif mark < FWMARK_MIN:
            # netplan writes networkd's key and refuses mark 0 too; NetworkManager and
            # ifupdown give the kernel the mark with its mask, which matches mark 0.
            self.refusals.refuse(
                rule.where, f"the firewall mark {shown} (networkd's FirewallMark= takes "
                "mark and mask from 1 to 4294967295)",
                "match a non-zero mark, or use the networkmanager or ifupdown backend")
        return str(mark) if mask is None else f"{mark}/{mask}"

    # -- networkd.conf drop-in ---------------------------------------------------------
    def conf_dropin(self) -> OutputFile | None:
        if not self.network.tables:
            return None
        pairs = " ".join(f"{t.name}:{t.number}"
                         for t in sorted(self.network.tables, key=lambda t: t.number))
        content = templating.render(NAME, "unit.j2",
                                    sections=[Section("Network", [("RouteTable", pairs)])])
        return OutputFile(CONF_DROPIN, content)

