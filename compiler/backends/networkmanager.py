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

from .. import output, templating
from ..errors import Location, UnsupportedError, UnsupportedErrors
from ..model import (
    BondMode,
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
from ..output import OutputFile
from . import udev

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

# Bond option -> [bond] key (NetworkManager uses the kernel's sysfs names).
BOND_MODE: dict[BondMode, str] = {mode: mode.value for mode in BondMode}
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

# Family -> keyfile section, "any address" for family-only rules, prefix route metrics.
SECTION: dict[Family, str] = {4: "ipv4", 6: "ipv6"}
ANY: dict[Family, str] = {4: "0.0.0.0/0", 6: "::/0"}
NO_GATEWAY: dict[Family, str] = {4: "0.0.0.0", 6: "::"}
STATIC_PREFIX_METRIC: dict[Family, int] = {4: 0, 6: 256}
DHCP_PREFIX_METRIC = 1024
# Method when the family has neither static addresses nor DHCP.
UNCONFIGURED_METHOD: dict[Family, str] = {4: "disabled", 6: "link-local"}


@dataclass
class Section:
    name: str
    entries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, key: str, value: object) -> None:
        self.entries.append((key, _spell(value)))


def render(network: Network) -> list[OutputFile]:
    errors: list[UnsupportedError] = []
    files: list[OutputFile] = []
    for interface in network.interfaces:
        files.append(_connection_file(network, interface, errors))
        link = udev.rename_link(network, interface)
        if link is not None:
            files.append(link)
        refusal = udev.rename_by_name_refusal(interface, NAME)
        if refusal is not None:
            errors.append(refusal)
    if errors:
        raise UnsupportedErrors(errors)
    tables = output.rt_tables_file(network)
    if tables is not None:
        files.append(tables)
    return files


def connection_uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


# -- one connection profile -------------------------------------------------------------

def _connection_file(network: Network, interface: Interface,
                     errors: list[UnsupportedError]) -> OutputFile:
    sections = [_connection_section(network, interface)]
    sections += [s for s in (_ethernet_section(interface), _match_section(interface),
                             _bond_section(interface), _vlan_section(interface),
                             _bridge_section(interface)) if s is not None]
    if interface.is_member:
        _refuse_ip_on_port(network, interface, errors)
    else:
        sections += [_ip_section(network, interface, family, errors) for family in (4, 6)]
        if interface.dns_search and not (_configured(interface, 4) or _configured(interface, 6)):
            errors.append(UnsupportedError(
                interface.where, NAME,
                f"DNS search domains on {interface.name}, which has no address or DHCP "
                "(NetworkManager refuses dns-search with method=disabled or link-local)",
                f"give {interface.name} an address or DHCP, or list the domains on an "
                "interface that has one"))
    content = templating.render(NAME, "connection.nmconnection.j2",
                                header=output.header(network), sections=sections)
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
    section.add("mode", BOND_MODE[interface.bond.mode])
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
                errors: list[UnsupportedError]) -> Section:
    section = Section(SECTION[family])
    addresses = [a for a in interface.addresses if a.family == family]
    dhcp = interface.dhcp4 if family == 4 else interface.dhcp6
    routes = [r for r in network.routes_of(interface.name) if r.family == family]
    rules = [r for r in network.rules_of(interface.name) if r.family == family]
    servers = [s for s in interface.dns_servers if s.version == family]
    search = interface.dns_search if _carries_search(interface, family) else ()

    if dhcp:
        method = "auto"
    elif addresses:
        method = "manual"
    else:
        method = UNCONFIGURED_METHOD[family]
    configured = method in ("auto", "manual")

    if family == 6:
        section.add("addr-gen-mode", "eui64")
    section.add("method", method)
    for index, address in enumerate(addresses, start=1):
        section.add(f"address{index}", address.address.with_prefixlen)
    if configured:
        section.add("route-metric", DHCP_PREFIX_METRIC if dhcp else STATIC_PREFIX_METRIC[family])
    if method == "manual":
        section.add("never-default", True)
    if servers:
        if configured:
            section.add("dns", "".join(f"{s};" for s in servers))
        else:
            errors.append(UnsupportedError(
                interface.where, NAME,
                f"IPv{family} DNS servers on {interface.name}, which has no IPv{family} "
                f"address or DHCP (NetworkManager refuses ipv{family}.dns with "
                f"method={method})",
                f"give {interface.name} an IPv{family} address or dhcp{family}, or list the "
                "servers on an interface that has one"))
    if search:
        section.add("dns-search", "".join(f"{d};" for d in search))

    for index, route in enumerate(routes, start=1):
        if not configured and family == 4:
            errors.append(UnsupportedError(
                route.where, NAME,
                f"an IPv4 route on {interface.name}, which has no IPv4 address or DHCP "
                "(ipv4.method=disabled)",
                f"give {interface.name} an IPv4 address, or put the route on an "
                "interface that has one"))
            continue
        line, options = _route(route, errors)
        section.add(f"route{index}", line)
        if options:
            section.add(f"route{index}_options", options)

    for index, rule in enumerate(rules, start=1):
        if not configured and family == 4:
            errors.append(UnsupportedError(
                rule.where, NAME,
                f"an IPv4 rule owned by {interface.name}, which has no IPv4 address or DHCP "
                "(ipv4.method=disabled)",
                f"give {interface.name} an IPv4 address, or use a rule whose table has "
                "routes on an interface with IPv4"))
            continue
        section.add(f"routing-rule{index}", _rule(rule))
    return section


def _configured(interface: Interface, family: Family) -> bool:
    """Whether the family gets method auto or manual (else disabled or link-local)."""
    dhcp = interface.dhcp4 if family == 4 else interface.dhcp6
    return dhcp or any(a.family == family for a in interface.addresses)


def _carries_search(interface: Interface, family: Family) -> bool:
    """NetworkManager keeps one search list per connection: on [ipv4] when IPv4 is
    configured, else on [ipv6]."""
    if family == 4:
        return _configured(interface, 4)
    return _configured(interface, 6) and not _configured(interface, 4)


def _route(route: Route, errors: list[UnsupportedError]) -> tuple[str, str]:
    """routeN=dest,gateway,metric (the unspecified address when there is no gateway:
    keyfile reads `dest,metric` as a bad gateway and drops the route), and
    routeN_options=key=value,... with the keys sorted."""
    gateway = route.gateway if route.gateway is not None else NO_GATEWAY[route.family]
    line = f"{route.destination.with_prefixlen},{gateway},{route.metric}"
    options: dict[str, str] = {"table": str(route.table)}
    if route.on_link:
        if route.gateway is None:
            errors.append(UnsupportedError(
                route.where, NAME, "on_link on a route without a gateway (NetworkManager "
                "ignores the onlink flag there)", "remove `on_link:` or add `via:`"))
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


def _refuse_ip_on_port(network: Network, interface: Interface,
                       errors: list[UnsupportedError]) -> None:
    """A bond or bridge port's profile has no [ipv4]/[ipv6]: NetworkManager removes them."""
    owned: list[tuple[str, Location]] = [("route", r.where)
                                         for r in network.routes_of(interface.name)]
    owned += [("rule", r.where) for r in network.rules_of(interface.name)]
    for kind, where in owned:
        errors.append(UnsupportedError(
            where, NAME,
            f"a {kind} owned by {interface.name}, a port of {interface.controller} "
            "(a port's profile carries no IP configuration)",
            f"attach it to {interface.controller} instead"))


def _spell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

