"""NetworkManager keyfiles (NetworkManager 1.42 spelling).

One connection profile per interface, etc/NetworkManager/system-connections/<name>.nmconnection
(mode 0600: NetworkManager ignores keyfiles readable by others). The profile's uuid is
a UUIDv5 of the interface name, so compiling twice gives the same bytes.

Choices that make the kernel end up as with the networkd backend:
- IPv4: `manual` with static addresses, `auto` with dhcp4, else `disabled`.
  IPv6: `manual` with static addresses, `auto` (RA + DHCPv6) with dhcp6, else
  `link-local` (an fe80:: address, as the kernel and networkd give every link).
  So a statically configured interface never takes routes from router advertisements.
- `route-metric` is the metric NetworkManager gives the prefix routes of addresses:
  the kernel's own (IPv4 0, IPv6 256) for static addresses, networkd's DHCP/RA default
  (1024) when the family uses DHCP. Every route carries its metric explicitly.
- `never-default=true` on static families: the only default routes are the explicit
  ones the passes computed, never one NetworkManager derives by itself.
- Every route and rule names its table by number; `route-table` stays unset, so
  NetworkManager manages only its own routes (no full sync of foreign routes).
- `addr-gen-mode=eui64`: the link-local address the kernel and networkd would choose,
  independent of the host's NetworkManager.conf.
- Bridges get `stp=false` unless the spec turns STP on: the kernel's default, while
  NetworkManager's own default is on.
- NetworkManager cannot rename a device. An interface matched by MAC, driver or another
  kernel name also gets a systemd .link file that udev applies to name it after the
  spec; the profile then matches both the name and the MAC/driver.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .. import templating
from ..model import (
    BondOptions,
    Family,
    Interface,
    Kind,
    Network,
    Route,
    RouteType,
    Rule,
    Scope,
)
from ..options import RenderOptions
from ..output import OutputFile
from . import nm_semantics, udev
from .base import Refusals

NAME = "networkmanager"

CONNECTIONS_DIR = "etc/NetworkManager/system-connections"
KEYFILE_MODE = 0o600

# Fixed namespace for connection uuids: uuid5(NAMESPACE, interface name).
NAMESPACE = uuid.UUID("27b0f278-0070-4c75-95ab-bd2f79006572")

# Kind -> [connection] type=.
CONNECTION_TYPE: dict[Kind, str] = {
    Kind.ETHERNET: "ethernet",
    Kind.BOND: "bond",
    Kind.VLAN: "vlan",
    Kind.BRIDGE: "bridge",
}

# Controller kind -> [connection] slave-type= of its ports (1.42 writes master=/slave-type=;
# controller=/port-type= are not known to nmcli 1.42).
PORT_TYPE: dict[Kind, str] = {
    Kind.BOND: "bond",
    Kind.BRIDGE: "bridge",
}

# Bond option -> [bond] key (NetworkManager uses the kernel's sysfs names; `mode`
# takes the kernel's mode names, which are BondMode's values).
BOND_KEYS: dict[str, str] = {
    "miimon": "miimon",
    "updelay": "updelay",
    "downdelay": "downdelay",
    "arp_interval": "arp_interval",
    "arp_ip_targets": "arp_ip_target",
    "xmit_hash_policy": "xmit_hash_policy",
    "lacp_rate": "lacp_rate",
    "ad_select": "ad_select",
    "primary": "primary",
    "tlb_dynamic_lb": "tlb_dynamic_lb",
    "min_links": "min_links",
}

# Scope -> route option scope= (a number; IPv4 only in NetworkManager).
SCOPE_NUMBER: dict[Scope, int] = {Scope.GLOBAL: 0, Scope.LINK: 253, Scope.HOST: 254}

# RouteType -> route option type= (unicast is the default and is not written).
ROUTE_TYPE: dict[RouteType, str | None] = {
    RouteType.UNICAST: None,
    RouteType.BLACKHOLE: "blackhole",
    RouteType.UNREACHABLE: "unreachable",
    RouteType.PROHIBIT: "prohibit",
}

# Family -> keyfile section, "any address" for family-only rules.
SECTION: dict[Family, str] = {4: "ipv4", 6: "ipv6"}
ANY: dict[Family, str] = {4: "0.0.0.0/0", 6: "::/0"}
NO_GATEWAY: dict[Family, str] = {4: "0.0.0.0", 6: "::"}


@dataclass
class Section:
    name: str
    entries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, key: str, value: object) -> None:
        self.entries.append((key, _spell(value)))


class NetworkManager:
    name = NAME
    # NetworkManager cannot rename a device: it ships udev .link files for that, and
    # owns nothing else beside networkd's units.
    owns = (f"{CONNECTIONS_DIR}/*", f"{udev.LINK_DIR}/*.link")

    def render(self, network: Network, options: RenderOptions,
               refusals: Refusals) -> list[OutputFile]:
        files: list[OutputFile] = []
        for interface in network.interfaces:
            files.append(_connection_file(network, interface, refusals))
            link = udev.rename_link(interface)
            if link is not None:
                files.append(link)
            udev.refuse_rename_by_name(interface, refusals)
        return files


BACKEND = NetworkManager()


def connection_uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


# -- one connection profile -------------------------------------------------------------

def _connection_file(network: Network, interface: Interface,
                     refusals: Refusals) -> OutputFile:
    nm_semantics.refuse_lost(network, interface, refusals)
    sections = [_connection_section(network, interface)]
    sections += [s for s in (_ethernet_section(interface), _match_section(interface),
                             _bond_section(interface), _vlan_section(interface),
                             _bridge_section(interface)) if s is not None]
    if not interface.is_member:
        sections += [_ip_section(network, interface, family, refusals) for family in (4, 6)]
    content = templating.render(NAME, "connection.nmconnection.j2", sections=sections)
    return OutputFile(f"{CONNECTIONS_DIR}/{interface.name}.nmconnection", content,
                      KEYFILE_MODE)


def _connection_section(network: Network, interface: Interface) -> Section:
    section = Section("connection")
    section.add("id", interface.name)
    section.add("uuid", connection_uuid(interface.name))
    section.add("type", CONNECTION_TYPE[interface.kind])
    section.add("interface-name", interface.name)
    section.add("autoconnect", True)
    if interface.controller is not None:
        section.add("master", interface.controller)
        section.add("slave-type", PORT_TYPE[network.interface(interface.controller).kind])
    return section


def _ethernet_section(interface: Interface) -> Section | None:
    """[ethernet] carries the MTU of every kind, and the MAC an ethernet device is matched by."""
    section = Section("ethernet")
    if interface.match is not None and interface.match.mac is not None:
        section.add("mac-address", interface.match.mac.upper())
    if interface.mtu is not None:
        section.add("mtu", interface.mtu)
    if interface.kind == Kind.ETHERNET or section.entries:
        return section
    return None


def _match_section(interface: Interface) -> Section | None:
    if interface.match is None or interface.match.driver is None:
        return None
    section = Section("match")
    section.add("driver", f"{interface.match.driver};")
    return section


def _bond_section(interface: Interface) -> Section | None:
    if interface.bond is None:
        return None
    section = Section("bond")
    section.add("mode", interface.bond.mode.value)
    for option, key in BOND_KEYS.items():
        value = getattr(interface.bond, option)
        if value is None or value == ():
            continue
        section.add(key, _bond_value(interface.bond, option, value))
    return section


def _bond_value(bond: BondOptions, option: str, value: object) -> str:
    if option == "arp_ip_targets":
        return ",".join(str(target) for target in bond.arp_ip_targets)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _vlan_section(interface: Interface) -> Section | None:
    if interface.vlan is None:
        return None
    section = Section("vlan")
    section.add("id", interface.vlan.id)
    section.add("parent", interface.vlan.link)
    return section


def _bridge_section(interface: Interface) -> Section | None:
    if interface.kind != Kind.BRIDGE:
        return None
    stp = interface.bridge.stp if interface.bridge is not None else None
    section = Section("bridge")
    section.add("stp", bool(stp))
    return section


# -- IP configuration --------------------------------------------------------------------

def _ip_section(network: Network, interface: Interface, family: Family,
                refusals: Refusals) -> Section:
    """One family's settings. What NetworkManager would refuse or drop here has been
    refused already (nm_semantics.refuse_lost) and is left out."""
    section = Section(SECTION[family])
    method = nm_semantics.method(interface, family)
    configured = interface.configured(family)
    if family == 6:
        section.add("addr-gen-mode", "eui64")
    section.add("method", method)
    for index, address in enumerate(interface.addresses_of(family), start=1):
        section.add(f"address{index}", address.address.with_prefixlen)
    if configured:
        section.add("route-metric", nm_semantics.prefix_route_metric(interface, family))
    if method == "manual":
        section.add("never-default", True)
    servers = interface.dns_servers_of(family)
    if servers and configured:
        section.add("dns", "".join(f"{s};" for s in servers))
    if interface.dns_search and nm_semantics.carries_search(interface, family):
        section.add("dns-search", "".join(f"{d};" for d in interface.dns_search))
    if not configured and family == 4:
        return section  # routes and rules here are refused: ipv4.method=disabled
    routes = [r for r in network.routes_of(interface.name) if r.family == family]
    for index, route in enumerate(routes, start=1):
        line, options = _route(route, refusals)
        section.add(f"route{index}", line)
        if options:
            section.add(f"route{index}_options", options)
    rules = [r for r in network.rules_of(interface.name) if r.family == family]
    for index, rule in enumerate(rules, start=1):
        section.add(f"routing-rule{index}", _rule(rule))
    return section


def _route(route: Route, refusals: Refusals) -> tuple[str, str]:
    """routeN=dest,gateway,metric (the unspecified address when there is no gateway:
    keyfile reads `dest,metric` as a bad gateway and drops the route), and
    routeN_options=key=value,... with the keys sorted."""
    gateway = route.gateway if route.gateway is not None else NO_GATEWAY[route.family]
    line = f"{route.destination.with_prefixlen},{gateway},{route.metric}"
    options: dict[str, str] = {"table": str(route.table)}
    if route.on_link:
        if route.gateway is None:
            refusals.refuse(route.where, "on_link on a route without a gateway "
                            "(NetworkManager ignores the onlink flag there)",
                            "remove `on_link:` or add `via:`")
        options["onlink"] = "true"
    if route.scope is not None:  # IPv4 only: the spec refuses a scope on IPv6
        options["scope"] = str(SCOPE_NUMBER[route.scope])
    if route.source is not None:
        options["src"] = str(route.source)
    route_type = ROUTE_TYPE[route.type]
    if route_type is not None:
        options["type"] = route_type
    return line, ",".join(f"{key}={value}" for key, value in sorted(options.items()))


def _rule(rule: Rule) -> str:
    """`priority P [from X] [to Y] [iif N] [oif N] [fwmark M/MASK] table T`; a rule
    with neither from nor to says its family with `from 0.0.0.0/0` or `from ::/0`."""
    words = [f"priority {rule.priority}"]
    if rule.source is not None:
        words.append(f"from {rule.source.with_prefixlen}")
    if rule.destination is not None:
        words.append(f"to {rule.destination.with_prefixlen}")
    if rule.source is None and rule.destination is None:
        words.append(f"from {ANY[rule.family]}")
    if rule.iif is not None:
        words.append(f"iif {rule.iif}")
    if rule.oif is not None:
        words.append(f"oif {rule.oif}")
    if rule.fwmark is not None:
        mask = rule.fwmask if rule.fwmask is not None else 0xFFFFFFFF
        words.append(f"fwmark {rule.fwmark:#x}/{mask:#x}")
    words.append(f"table {rule.table}")
    return " ".join(words)


def _spell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

