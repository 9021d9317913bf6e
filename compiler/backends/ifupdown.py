"""ifupdown (Debian's /etc/network/interfaces) backend.

One file, etc/network/interfaces.d/netcompile, sourced by Debian's default
/etc/network/interfaces. Interfaces appear in dependency order (bond members and
VLAN parents before what sits on them, bridge ports before the bridge), because
`ifup -a` brings them up in the order of their `auto` lines.

Bonds use ifenslave's `bond-*` keys, VLANs the vlan package's `vlan-raw-device`,
bridges bridge-utils' `bridge_ports`/`bridge_stp`. ifupdown has no keywords for
routes in other tables or for rules: each route and rule becomes a `post-up ip ...
add` line with a `pre-down ip ... del` twin carrying the same arguments, the twins
in reverse order, so `ifdown` removes exactly what `ifup` added. Every token on
those lines comes from a model value (ipaddress objects, integers, checked
interface names) and is shell-quoted all the same.

ifupdown leaves the kernel's router advertisement settings alone (accept_ra=1:
only its inet6 static method sets autoconf 0), so an interface that does not
accept them turns them off itself and drops what the kernel learned from them
while they were on (a running host): an RA default route would make the spec's
own `ip -6 route add default` fail with "File exists".
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ..model import (
    DHCP_ROUTE_METRIC,
    MAIN_TABLE,
    BondOptions,
    Interface,
    Kind,
    Network,
    Route,
    RouteType,
    Rule,
)
from ..options import RenderOptions
from ..output import OutputFile
from ..templating import render as render_template
from .base import Refusals

NAME = "ifupdown"
PATH = "etc/network/interfaces.d/netcompile"
# ifupdown's `inet dhcp` runs dhclient, whose dhclient-script applies a DHCP server's
# MTU on every new lease, over the `mtu` the interfaces file set; the dhcp method has
# no option against it (interfaces(5)). Debian's dhclient-script sources each file
# here before it acts on a lease: ours clears the offered MTU on the interfaces whose
# spec sets one (Interface.takes_dhcp_mtu). Sourced, not run: mode 0644.
DHCLIENT_HOOK = "etc/dhcp/dhclient-enter-hooks.d/netcompile"

# `bond-mode`: ifenslave writes it into /sys/class/net/BOND/bonding/mode, which takes
# the kernel's mode names, BondMode's values.
# Bonding option (model field) -> ifenslave 2.13 key. ifenslave has no key for
# min_links; see MIN_LINKS below.
BOND_INT_KEYS: dict[str, str] = {
    "miimon": "bond-miimon",
    "updelay": "bond-updelay",
    "downdelay": "bond-downdelay",
    "arp_interval": "bond-arp-interval",
}
# Options whose values are the kernel's words, which ifenslave writes as they are.
BOND_WORD_KEYS: dict[str, str] = {
    "xmit_hash_policy": "bond-xmit-hash-policy",
    "lacp_rate": "bond-lacp-rate",
    "ad_select": "bond-ad-select",
}
BOOL_WORD = {True: "on", False: "off"}
TLB_DYNAMIC_LB = {True: "1", False: "0"}

FAMILY_FLAG = {4: "-4", 6: "-6"}
# The mask of a fwmark written without one: every bit.
FWMASK_ALL = 0xFFFFFFFF

# A kernel interface name as the schema allows it; checked again here because the
# name ends up in a file that /bin/sh runs lines of.
_INTERFACE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_@+=-]{0,14}")
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
_DRIVER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DNS_NAME = re.compile(r"[A-Za-z0-9.-]{1,253}")


@dataclass
class Stanza:
    """One `iface NAME FAMILY METHOD` block: already-spelled option lines."""

    name: str
    family: str
    method: str
    options: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Block:
    selection: str
    stanzas: list[Stanza]


class Ifupdown:
    name = NAME
    owns = ("etc/network/interfaces.d/*", DHCLIENT_HOOK)

    def render(self, network: Network, options: RenderOptions,
               refusals: Refusals) -> list[OutputFile]:
        renames: list[str] = []
        blocks = [_block(network, interface, renames, refusals)
                  for interface in _dependency_order(network)]
        content = render_template(NAME, "interfaces.j2", renames=renames, blocks=blocks)
        files = [OutputFile(PATH, content, 0o644)]
        keep_mtu = [shlex.quote(_name(i.name)) for i in network.interfaces
                    if i.dhcp4 and not i.takes_dhcp_mtu]
        if keep_mtu:
            files.append(OutputFile(DHCLIENT_HOOK, render_template(
                NAME, "dhclient-enter-hook.j2", names=keep_mtu), 0o644))
        return files


BACKEND = Ifupdown()


# -- order ---------------------------------------------------------------------------

def _dependency_order(network: Network) -> list[Interface]:
    """Parents before children: a VLAN after its link, a bond or bridge after its
    members; ties by name."""
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in depth:
            return depth[name]
        if name in seen:  # unreachable: build.py refuses cycles
            raise ValueError(f"interfaces sit on each other in a cycle through {name}")
        interface = network.interface(name)
        below = list(interface.members)
        if interface.vlan is not None:
            below.append(interface.vlan.link)
        value = 1 + max((depth_of(b, (*seen, name)) for b in below), default=-1)
        depth[name] = value
        return value

    return sorted(network.interfaces, key=lambda i: (depth_of(i.name), i.name))


# -- one interface -------------------------------------------------------------------

def _block(network: Network, interface: Interface, renames: list[str],
           refusals: Refusals) -> Block:
    name = _name(interface.name)
    if "=" in name:
        refusals.refuse(interface.where, f"the interface name {name!r} contains '='",
                        "ifupdown reads NAME=LOGICAL on its command line and in `auto`; "
                        "choose a name without '='")
    rename = _rename(interface, refusals)
    if rename is not None:
        renames.append(rename)
    controller = network.interface(interface.controller) if interface.controller else None
    selection = (f"allow-{_name(controller.name)} {name}"
                 if controller is not None and controller.kind == Kind.BOND else f"auto {name}")

    stanzas = _stanzas(interface)
    first, last = stanzas[0], stanzas[-1]
    link = first.options
    # A bond or bridge brings its members up itself: it checks their drivers too.
    for checked in (interface, *(network.interface(m) for m in interface.members)):
        guard = _driver_guard(checked)
        if guard is not None:
            link.append(("pre-up", guard))
    # An ethernet device exists before ifup: RA off before its link comes up, and a
    # link taken down forgets its IPv6 addresses and routes. A bond, VLAN or bridge
    # is created by a hook after the pre-up lines: off once it is up, then what it
    # learned meanwhile is dropped, before any route goes in.
    ra_off = [] if interface.accepts_ra else _router_advertisements_off(interface)
    if interface.kind == Kind.ETHERNET:
        link.extend(("pre-up", c) for c in ra_off)
        ra_off = []
    if interface.mtu is not None:
        carrier = next(s for s in stanzas if s.family == "inet" and s.method != "dhcp")
        carrier.options.append(("mtu", str(int(interface.mtu))))
    if interface.dns_servers:
        link.append(("dns-nameservers", " ".join(str(a) for a in interface.dns_servers)))
    if interface.dns_search:
        link.append(("dns-search", " ".join(_dns_name(d) for d in interface.dns_search)))
    if interface.bond is not None:
        link.extend(_bond(interface, interface.bond))
    if interface.vlan is not None:
        vlan = interface.vlan
        if name not in (f"vlan{vlan.id}", f"vlan{vlan.id:04d}"):
            refusals.refuse(
                interface.where,
                f"a VLAN named {name!r}: the vlan package's hook takes the VLAN id from "
                "the interface name (vlanID, vlan0ID or RAW.ID) and creates nothing for "
                "other names",
                f"rename the interface vlan{vlan.id}")
        link.append(("vlan-raw-device", _name(vlan.link)))
    if interface.kind == Kind.BRIDGE:
        link.append(("bridge_ports", " ".join(_name(m) for m in interface.members)))
        if interface.bridge is not None and interface.bridge.stp is not None:
            link.append(("bridge_stp", BOOL_WORD[interface.bridge.stp]))

    ups, downs = _route_and_rule_commands(network, interface)
    if any(r.family == 6 and r.table == MAIN_TABLE and r.is_default
           for r in network.routes_of(interface.name)):
        # Another interface may still hold a router's default route (a running host
        # where it is not configured yet): the kernel refuses a second IPv6 default
        # route at the same metric.
        ups.insert(0, _command("ip", "-6", "route", "flush", "exact", "::/0", "proto", "ra"))
    if interface.bond is not None and interface.bond.min_links is not None:
        ups.insert(0, _command("ip", "link", "set", "dev", name, "type", "bond",
                               "min_links", str(interface.bond.min_links)))
    # ifup runs an interface's stanzas in order and so does ifdown: commands that
    # need every address go after the last stanza's, and their removal before the
    # first stanza takes its addresses (and the link) down.
    last.options.extend(("post-up", c) for c in ra_off + ups)
    first.options.extend(("pre-down", c) for c in downs)
    return Block(selection, stanzas)


def _stanzas(interface: Interface) -> list[Stanza]:
    """One stanza per static address (ifupdown takes one `address` per stanza), IPv6
    first, then DHCP; an interface with neither is `inet manual` (link up, no address).

    ifdown takes the stanzas down in the same order, and each one sets the link down:
    that flushes IPv6 addresses but keeps IPv4 ones, so IPv6 goes first or the later
    `ip -6 addr del` fails. `mtu` goes in an `inet` static or manual stanza: the dhcp
    method ignores it without a word, and the inet6 methods only raise the link's MTU
    (a lower one becomes the IPv6 MTU alone). An interface with an MTU and no such
    stanza gets an `inet manual` one after the others."""
    name = interface.name
    stanzas = [Stanza(name, "inet6", "static", [("address", str(a.address))])
               for a in interface.addresses if a.family == 6]
    stanzas += [Stanza(name, "inet", "static", [("address", str(a.address))])
                for a in interface.addresses if a.family == 4]
    if interface.dhcp4:
        # dhclient's routes at the DHCP metric of every backend (it would use 0).
        stanzas.append(Stanza(name, "inet", "dhcp", [("metric", str(DHCP_ROUTE_METRIC))]))
    if interface.dhcp6:
        stanzas.append(Stanza(name, "inet6", "dhcp"))
    if not stanzas or (interface.mtu is not None and not any(
            s.family == "inet" and s.method != "dhcp" for s in stanzas)):
        stanzas.append(Stanza(name, "inet", "manual"))
    return stanzas


def _router_advertisements_off(interface: Interface) -> list[str]:
    """The kernel takes no router advertisements on the interface (autoconf off too,
    as ifupdown's inet6 static method sets it), then forgets what it took from them
    before: an ethernet link is taken down (ifupdown brings it up next), which drops
    every IPv6 address and route the kernel made on it; on a device that has just
    been created, its router's default routes and its dynamic addresses; a bond or
    bridge member only turns them off. `sysctl -e`: a host without IPv6 has no such
    keys."""
    name = _name(interface.name)
    conf = f"net.ipv6.conf.{name}"
    off = _command("sysctl", "-q", "-e", "-w", f"{conf}.accept_ra=0", f"{conf}.autoconf=0")
    if interface.is_member:  # no IP configuration; its controller takes it up and down
        return [off]
    if interface.kind == Kind.ETHERNET:
        return [off, _command("ip", "link", "set", "dev", name, "down")]
    return [off, _command("ip", "-6", "route", "flush", "dev", name, "proto", "ra"),
            _command("ip", "-6", "address", "flush", "dev", name, "scope", "global",
                     "dynamic")]


def _rename(interface: Interface, refusals: Refusals) -> str | None:
    """A `rename` line for what ifupdown's patterns can select: a kernel name, a MAC."""
    match = interface.match
    if match is None:
        return None
    name = _name(interface.name)
    if match.mac is not None and match.name is not None:
        refusals.refuse(interface.where, "a match on both MAC address and kernel name",
                        "ifupdown's `rename` selects by one of them; match by `mac` alone")
    elif match.mac is not None:
        mac = match.mac.lower()
        if not _MAC.fullmatch(mac):
            raise ValueError(f"refusing a MAC address that was not validated: {match.mac!r}")
        if match.driver is None:
            return f"mac/{mac}={name}"
        refusals.refuse(interface.where, "a match on both MAC address and driver",
                        "ifupdown's `rename` selects by one attribute; match by `mac` alone")
    elif match.driver is not None and match.name is None:
        refusals.refuse(interface.where, "a match by driver alone",
                        "ifupdown can select interfaces by name or MAC address, not by "
                        "driver; add `name:` or match by `mac`")
    elif match.name is not None and match.name != interface.name:
        return f"{_name(match.name)}={name}"
    return None


def _driver_guard(interface: Interface) -> str | None:
    """ifupdown cannot select by driver; it can refuse to configure a named device
    whose driver is not the one the spec names (a pre-up check)."""
    match = interface.match
    if match is None or match.driver is None or match.name is None:
        return None
    if not _DRIVER.fullmatch(match.driver):
        raise ValueError(f"refusing a driver name that was not validated: {match.driver!r}")
    name = shlex.quote(_name(interface.name))
    return (f'[ "$(basename "$(readlink /sys/class/net/{name}/device/driver)")"'
            f" = {shlex.quote(match.driver)} ]")


def _bond(interface: Interface, bond: BondOptions) -> list[tuple[str, str]]:
    lines = [("bond-slaves", " ".join(_name(m) for m in interface.members)),
             ("bond-mode", bond.mode.value)]
    for attribute, key in BOND_INT_KEYS.items():
        value = getattr(bond, attribute)
        if value is not None:
            lines.append((key, str(int(value))))
    if bond.arp_ip_targets:
        lines.append(("bond-arp-ip-target", " ".join(str(a) for a in bond.arp_ip_targets)))
    for attribute, key in BOND_WORD_KEYS.items():
        value = getattr(bond, attribute)
        if value is not None:
            lines.append((key, value))
    if bond.primary is not None:
        lines.append(("bond-primary", _name(bond.primary)))
    if bond.tlb_dynamic_lb is not None:
        lines.append(("bond-tlb-dynamic-lb", TLB_DYNAMIC_LB[bond.tlb_dynamic_lb]))
    return lines


# -- routes and rules ------------------------------------------------------------------

def _route_and_rule_commands(network: Network,
                             interface: Interface) -> tuple[list[str], list[str]]:
    """post-up commands in canonical order (routes, then rules), and their pre-down
    twins in reverse order."""
    pairs = [_route_args(r) for r in network.routes_of(interface.name)]
    pairs += [_rule_args(r) for r in network.rules_of(interface.name)]
    ups = [_command("ip", flag, noun, "add", *args) for flag, noun, args in pairs]
    # `|| true`: a pre-down that fails makes ifdown stop before it removes the
    # addresses, and the next ifup then fails on them; a route the kernel already
    # dropped must not do that.
    downs = [_command("ip", flag, noun, "del", *args) + " || true"
             for flag, noun, args in reversed(pairs)]
    return ups, downs


def _route_args(route: Route) -> tuple[str, str, list[str]]:
    args: list[str] = []
    if route.type != RouteType.UNICAST:
        args.append(route.type.value)
    args.append("default" if route.is_default else str(route.destination))
    if route.gateway is not None:
        args += ["via", str(route.gateway)]
    if route.type == RouteType.UNICAST:
        args += ["dev", _name(route.interface)]
    if route.on_link:
        args.append("onlink")
    if route.scope is not None:
        args += ["scope", route.scope.value]
    if route.source is not None:
        args += ["src", str(route.source)]
    args += ["table", str(int(route.table)), "metric", str(int(route.metric))]
    return FAMILY_FLAG[route.family], "route", args


def _rule_args(rule: Rule) -> tuple[str, str, list[str]]:
    args = ["priority", str(int(rule.priority))]
    if rule.source is not None:
        args += ["from", str(rule.source)]
    if rule.destination is not None:
        args += ["to", str(rule.destination)]
    if rule.iif is not None:
        args += ["iif", _name(rule.iif)]
    if rule.oif is not None:
        args += ["oif", _name(rule.oif)]
    if rule.fwmark is not None:
        # Always with a mask: `ip rule` sends a mark of 0 without one as no mark at
        # all, a rule that matches every packet.
        mask = FWMASK_ALL if rule.fwmask is None else rule.fwmask
        args += ["fwmark", f"{int(rule.fwmark):#x}/{int(mask):#x}"]
    args += ["table", str(int(rule.table))]
    return FAMILY_FLAG[rule.family], "rule", args


def _command(*tokens: str) -> str:
    return " ".join(shlex.quote(t) for t in tokens)


# -- defence in depth ---------------------------------------------------------------------

def _name(name: str) -> str:
    if not _INTERFACE_NAME.fullmatch(name):
        raise ValueError(f"refusing an interface name that was not validated: {name!r}")
    return name


def _dns_name(name: str) -> str:
    if not _DNS_NAME.fullmatch(name):
        raise ValueError(f"refusing a search domain that was not validated: {name!r}")
    return name
