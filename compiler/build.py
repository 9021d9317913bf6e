"""Build the typed model from schema-valid spec data, checking what a schema cannot.

Every check reports through `self.error(path, message, hint)` so that all
problems are collected and reported at once, in source order.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from . import mtu
from .addresses import parse_address, parse_interface
from .errors import Diagnostic, Location, SpecError
from .loader import LoadedSpec, Path, dotted
from .model import (
    KERNEL_DEFAULT_METRIC,
    MAIN_TABLE,
    RESERVED_TABLES,
    Address,
    BondMode,
    BondOptions,
    BridgeOptions,
    Family,
    Interface,
    IPAddress,
    IPInterface,
    IPNetwork,
    Kind,
    Match,
    Network,
    Route,
    RouteType,
    Rule,
    Scope,
    Table,
    Uplink,
    VlanOptions,
)
from .options import NetplanOptions, NetplanRenderer, RenderOptions

DEFAULT_UPLINK_PRIORITY = 1000

# Which bonding options the kernel honours in which modes (bonding.rst).
_ALL_MODES = frozenset(BondMode)
BOND_OPTION_MODES: dict[str, frozenset[BondMode]] = {
    "miimon": _ALL_MODES,
    "updelay": _ALL_MODES,
    "downdelay": _ALL_MODES,
    "arp_interval": frozenset({BondMode.BALANCE_RR, BondMode.ACTIVE_BACKUP,
                               BondMode.BALANCE_XOR, BondMode.BROADCAST}),
    "arp_ip_target": frozenset({BondMode.BALANCE_RR, BondMode.ACTIVE_BACKUP,
                                BondMode.BALANCE_XOR, BondMode.BROADCAST}),
    "xmit_hash_policy": frozenset({BondMode.BALANCE_XOR, BondMode.IEEE_802_3AD,
                                   BondMode.BALANCE_TLB}),
    "lacp_rate": frozenset({BondMode.IEEE_802_3AD}),
    "ad_select": frozenset({BondMode.IEEE_802_3AD}),
    "min_links": frozenset({BondMode.IEEE_802_3AD}),
    "primary": frozenset({BondMode.ACTIVE_BACKUP, BondMode.BALANCE_TLB,
                          BondMode.BALANCE_ALB}),
    "tlb_dynamic_lb": frozenset({BondMode.BALANCE_TLB}),
}

# Keys that only make sense for some interface types.
_TYPE_ONLY_KEYS: dict[str, frozenset[Kind]] = {
    "match": frozenset({Kind.ETHERNET}),
    "members": frozenset({Kind.BOND, Kind.BRIDGE}),
    "bond": frozenset({Kind.BOND}),
    "vlan": frozenset({Kind.VLAN}),
    "bridge": frozenset({Kind.BRIDGE}),
}
_TYPE_REQUIRED_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.BOND: ("members", "bond"),
    Kind.BRIDGE: ("members",),
    Kind.VLAN: ("vlan",),
    Kind.ETHERNET: (),
}
# Keys that configure IP on an interface: a bond or bridge member must have none.
_IP_KEYS = ("addresses", "gateways", "dhcp4", "dhcp6", "dns", "uplink", "routes")
# Below this MTU the kernel turns IPv6 off on the link (RFC 8200's minimum link MTU).
IPV6_MIN_MTU = 1280
# Firewall marks and their masks are 32-bit in the kernel (FRA_FWMARK, FRA_FWMASK).
MAX_FWMARK = 0xFFFFFFFF


class _Builder:
    def __init__(self, spec: LoadedSpec):
        self.spec = spec
        self.data: dict[str, Any] = spec.data
        self.diagnostics: list[Diagnostic] = []
        self.tables: dict[str, int] = {}
        self.host_addresses: set[IPAddress] = set()
        # What no gateway may be: the host's own addresses (where each is written),
        # and the network and broadcast addresses of its IPv4 prefixes.
        self.own_addresses: dict[IPAddress, Location] = {}
        self.not_hosts: dict[IPAddress, str] = {}
        # Parts of an invalid spec the schema has reported already (recovery.py).
        self.left_out = spec.left_out

    # -- reporting -----------------------------------------------------------------
    def at(self, path: Path) -> Location:
        return self.spec.positions.of(path)

    def error(self, path: Path, message: str, hint: str = "", *, key: bool = False) -> None:
        where = self.spec.positions.of_key(path) if key else self.at(path)
        self.diagnostics.append(Diagnostic(where, dotted(path), message, hint))

    # -- parsing helpers -----------------------------------------------------------
    def address(self, path: Path, text: str) -> IPAddress | None:
        try:
            return parse_address(text)
        except ValueError:
            self.error(path, f"{text!r} is not an IP address",
                       "write an IPv4 (192.0.2.1) or IPv6 (2001:db8::1) address")
            return None

    def network(self, path: Path, text: str, family: Family | None = None) -> IPNetwork | None:
        """A prefix, a single address (as /32 or /128) or `default` (needs `family`)."""
        if text == "default":
            if family is None:
                self.error(path, "`default` does not say which family",
                           "give a gateway, or write 0.0.0.0/0 or ::/0")
                return None
            return ipaddress.ip_network("0.0.0.0/0" if family == 4 else "::/0")
        try:
            return ipaddress.ip_network(text)
        except ValueError as problem:
            if "has host bits set" in str(problem):
                fixed = ipaddress.ip_network(text, strict=False)
                self.error(path, f"{text!r} has host bits set", f"did you mean {fixed}?")
            else:
                self.error(path, f"{text!r} is not a network",
                           "write a prefix such as 192.0.2.0/24 or 2001:db8::/64")
            return None

    def table(self, path: Path, ref: str | int) -> int | None:
        if isinstance(ref, int):
            if ref in RESERVED_TABLES and ref != MAIN_TABLE:
                self.error(path, f"table {ref} is reserved ({RESERVED_TABLES[ref]})",
                           "use 1-252 or 256 and above")
                return None
            return ref
        if ref == "main":
            return MAIN_TABLE
        if ref not in self.tables:
            if self.left_out.has_table(ref):
                return None
            names = sorted(self.tables)
            known = ", ".join(names[:8]) + (f" and {len(names) - 8} more"
                                             if len(names) > 8 else "") or "none are defined"
            self.error(path, f"unknown table {ref!r}",
                       f"define it under `tables:` (known: {known}), or use `main`")
            return None
        return self.tables[ref]

    # -- the spec, top down ------------------------------------------------------------
    def build(self) -> Network:
        self.build_tables()
        raw_interfaces: dict[str, Any] = self.data["interfaces"]
        self.collect_own_addresses(raw_interfaces)
        controllers = self.collect_membership(raw_interfaces)
        interfaces = [self.build_interface(name, raw, controllers.get(name))
                      for name, raw in raw_interfaces.items()]
        by_name = {i.name: i for i in interfaces}
        self.check_stacking(by_name)
        self.check_addresses(interfaces)
        self.host_addresses = {a.address.ip for i in interfaces for a in i.addresses}
        routes = [route for name, raw in raw_interfaces.items()
                  for route in self.build_routes(by_name[name], raw.get("routes", []))]
        rules = [rule for index, raw in enumerate(self.data.get("rules", []))
                 if raw is not None  # left out (recovery.py)
                 and (rule := self.build_rule(index, raw, by_name)) is not None]
        self.check_uplinks(interfaces, routes)
        self.diagnostics += mtu.problems(
            by_name, lambda name: self.at(("interfaces", name, "mtu")))
        if self.diagnostics:
            raise SpecError(self.diagnostics)
        tables = tuple(Table(name, number, self.spec.positions.of_key(("tables", name)))
                       for name, number in self.tables.items())
        return Network(
            source_name=safe_source_name(self.spec.positions.file),
            interfaces=tuple(sorted(interfaces, key=lambda i: i.name)),
            tables=tuple(sorted(tables, key=lambda t: t.number)),
            routes=tuple(routes),
            rules=tuple(rules),
        )

    def build_tables(self) -> None:
        numbers: dict[int, str] = {}
        for name, number in self.data.get("tables", {}).items():
            path: Path = ("tables", name)
            if name in ("main", "local", "default", "unspec"):
                self.error(path, f"the table name {name!r} is the kernel's own",
                           "choose another name", key=True)
                continue
            if number in RESERVED_TABLES:
                self.error(path, f"table number {number} is reserved "
                           f"({RESERVED_TABLES[number]})", "use 1-252 or 256 and above")
                continue
            if number in numbers:
                first = self.spec.positions.of_key(("tables", numbers[number]))
                self.error(path, f"table number {number} is also used by "
                           f"{numbers[number]!r} at {first.brief}",
                           "give each table its own number")
                continue
            numbers[number] = name
            self.tables[name] = number

    def collect_own_addresses(self, raw_interfaces: dict[str, Any]) -> None:
        """Fill `own_addresses` and `not_hosts` before any gateway is read (a gateway
        may be another interface's address). Addresses that do not parse are reported
        by `interface_address`."""
        for name, raw in raw_interfaces.items():
            for index, text in enumerate(raw.get("addresses", [])):
                try:
                    value = parse_interface(text)
                except ValueError:
                    continue
                self.own_addresses.setdefault(
                    value.ip, self.at(("interfaces", name, "addresses", index)))
                prefix = value.network
                if value.version == 4 and prefix.prefixlen < 31:  # /31 and /32 are all hosts
                    self.not_hosts[prefix.network_address] = f"the network address of {prefix}"
                    self.not_hosts[prefix.broadcast_address] = (
                        f"the broadcast address of {prefix}")

    def check_gateway(self, path: Path, gateway: IPAddress) -> bool:
        """False (with an error) for a gateway the kernel refuses or that leads back to
        this host. IPv6's subnet-router anycast address (the prefix's first address) is
        accepted: routers answer on it, and the kernel takes it as a gateway."""
        own = self.own_addresses.get(gateway)
        if own is not None:
            self.error(path, f"gateway {gateway} is an address of this host "
                       f"(at {own.brief})", "write the address of the next router on the link")
            return False
        special = self.not_hosts.get(gateway)
        if special is not None:
            self.error(path, f"gateway {gateway} is {special}",
                       "write the router's own address inside the prefix")
            return False
        return True

    def collect_membership(self, raw_interfaces: dict[str, Any]) -> dict[str, str]:
        """Map each bond/bridge member to its controller; check the members exist."""
        controllers: dict[str, str] = {}
        for name, raw in raw_interfaces.items():
            for index, member in enumerate(raw.get("members", [])):
                path: Path = ("interfaces", name, "members", index)
                if member == name:
                    self.error(path, f"{name} cannot be a member of itself")
                elif member not in raw_interfaces:
                    if not self.left_out.has_interface(member):
                        self.error(path, f"unknown interface {member!r}",
                                   "declare it under `interfaces:`")
                elif member in controllers:
                    self.error(path, f"{member} is already a member of {controllers[member]}",
                               "an interface can belong to one bond or bridge only")
                else:
                    controllers[member] = name
                    kind = raw_interfaces[member].get("type", "ethernet")
                    if raw.get("type") == "bond" and kind != "ethernet":
                        self.error(path, f"bond members must be ethernet devices, "
                                   f"{member} is a {kind}")
                    for key in _IP_KEYS:
                        if key in raw_interfaces[member]:
                            self.error(("interfaces", member, key),
                                       f"{member} is a member of {name} and cannot carry "
                                       f"`{key}`", f"move it to {name}", key=True)
        return controllers

    def build_interface(self, name: str, raw: dict[str, Any], controller: str | None) -> Interface:
        base: Path = ("interfaces", name)
        kind = Kind(raw.get("type", "ethernet"))
        for key, kinds in _TYPE_ONLY_KEYS.items():
            if key in raw and kind not in kinds:
                self.error((*base, key), f"`{key}` does not apply to a {kind} interface",
                           f"it is for {' and '.join(sorted(kinds))} interfaces", key=True)
        for key in _TYPE_REQUIRED_KEYS[kind]:
            if key not in raw:
                self.error(base, f"a {kind} interface needs `{key}`", f"add `{key}:`",
                           key=True)

        addresses = tuple(
            Address(value, self.at((*base, "addresses", i)))
            for i, text in enumerate(raw.get("addresses", []))
            if (value := self.interface_address((*base, "addresses", i), text)) is not None)
        gateways = self.build_gateways(base, raw, addresses)
        dns = raw.get("dns", {})
        dns_servers = tuple(a for i, t in enumerate(dns.get("servers", []))
                            if (a := self.address((*base, "dns", "servers", i), t)) is not None)
        match = (Match(**raw["match"], where=self.spec.positions.of_key((*base, "match")))
                 if "match" in raw and kind == Kind.ETHERNET else None)
        uplink = self.build_uplink(base, raw, addresses) if "uplink" in raw else None
        mtu = raw.get("mtu")
        if mtu is not None and mtu < IPV6_MIN_MTU and (
                raw.get("dhcp6", False) or any(a.family == 6 for a in addresses)):
            self.error((*base, "mtu"), f"MTU {mtu} is below {IPV6_MIN_MTU}, IPv6's minimum, "
                       f"and {name} has IPv6 configured",
                       f"raise it to {IPV6_MIN_MTU} or more: below that the kernel turns IPv6 "
                       "off on the link, and networkd raises the MTU instead")
        return Interface(
            name=name, kind=kind, where=self.spec.positions.of_key(base), match=match,
            addresses=addresses, gateways=gateways,
            dhcp4=raw.get("dhcp4", False), dhcp6=raw.get("dhcp6", False),
            mtu=mtu, dns_servers=dns_servers,
            dns_search=tuple(dns.get("search", [])), uplink=uplink,
            bond=self.build_bond(base, raw) if kind == Kind.BOND and "bond" in raw else None,
            vlan=self.build_vlan(base, raw) if kind == Kind.VLAN and "vlan" in raw else None,
            bridge=(BridgeOptions(stp=raw.get("bridge", {}).get("stp"))
                    if kind == Kind.BRIDGE else None),
            members=tuple(sorted(raw.get("members", []))) if kind in (Kind.BOND, Kind.BRIDGE)
            else (),
            controller=controller,
        )

    def interface_address(self, path: Path, text: str) -> IPInterface | None:
        """The address, parsed once; None (with an error) if it cannot be assigned."""
        try:
            value = parse_interface(text)
        except ValueError:
            self.error(path, f"{text!r} is not an address with a prefix length",
                       "write e.g. 192.0.2.10/24 or 2001:db8::10/64")
            return None
        if value.version == 4 and value.network.prefixlen < 31 and (
                value.ip in (value.network.network_address, value.network.broadcast_address)):
            self.error(path, f"{text} is the network or broadcast address of its prefix",
                       "use a host address inside the prefix")
            return None
        if value.ip.is_multicast or value.ip.is_unspecified or value.ip.is_loopback:
            self.error(path, f"{text} cannot be assigned to an interface",
                       "use a unicast host address")
            return None
        return value

    def build_gateways(self, base: Path, raw: dict[str, Any],
                       addresses: tuple[Address, ...]) -> tuple[tuple[IPAddress, Location], ...]:
        result: list[tuple[IPAddress, Location]] = []
        seen: dict[int, Location] = {}
        for i, text in enumerate(raw.get("gateways", [])):
            path: Path = (*base, "gateways", i)
            gateway = self.address(path, text)
            if gateway is None:
                continue
            if gateway.version in seen:
                self.error(path, f"a second IPv{gateway.version} gateway (the first is at "
                           f"{seen[gateway.version].brief})",
                           "give at most one gateway per family; "
                           "add more default routes under `routes:` with metrics")
                continue
            seen[gateway.version] = self.at(path)
            if not self.check_gateway(path, gateway):
                continue
            dhcp = raw.get("dhcp4" if gateway.version == 4 else "dhcp6", False)
            if not dhcp and not any(gateway in a.address.network for a in addresses):
                self.error(path, f"gateway {gateway} is not inside any of the interface's "
                           f"IPv{gateway.version} prefixes",
                           "fix the address or prefix length, or write a route with "
                           "`on_link: true`")
            result.append((gateway, self.at(path)))
        return tuple(result)

    def build_uplink(self, base: Path, raw: dict[str, Any],
                     addresses: tuple[Address, ...]) -> Uplink | None:
        path: Path = (*base, "uplink")
        spec = raw["uplink"]
        table = self.table((*path, "table"), spec["table"])
        if table == MAIN_TABLE:
            self.error((*path, "table"), "an uplink needs its own table, not main",
                       "define a table under `tables:` for this uplink")
            return None
        # Without addresses, one error: a missing gateway would be no news, and it
        # sorted first.
        if not raw.get("addresses") and (raw.get("dhcp4") or raw.get("dhcp6")):
            self.error(path, "an uplink cannot take its address from DHCP",
                       f"give {base[-1]} static `addresses:` and `gateways:`, or drop "
                       "`uplink:`; spec version 1 has no DHCP uplinks", key=True)
        elif not raw.get("addresses"):
            self.error(path, "an uplink needs at least one static address",
                       "add `addresses:` and `gateways:`", key=True)
        elif not raw.get("gateways"):
            self.error(path, "an uplink needs a gateway for its default route",
                       "add `gateways:`", key=True)
        if table is None:
            return None
        return Uplink(table=table, main_default=self.uplink_defaults(path, spec, raw),
                      priority=spec.get("priority", DEFAULT_UPLINK_PRIORITY),
                      where=self.spec.positions.of_key(path))

    def uplink_defaults(self, path: Path, spec: dict[str, Any],
                        raw: dict[str, Any]) -> frozenset[Family]:
        """The families whose main default route the uplink carries. `true` means each
        family it has a gateway for; a family named explicitly needs a gateway of it."""
        value = spec.get("default", False)
        has: set[Family] = set()
        for text in raw.get("gateways", []):
            try:
                has.add(4 if parse_address(text).version == 4 else 6)
            except ValueError:
                continue  # reported with the gateways
        if isinstance(value, bool):
            return frozenset(has) if value else frozenset()
        named: set[Family] = set()
        for i, family_name in enumerate([value] if isinstance(value, str) else value):
            family: Family = 4 if family_name == "ipv4" else 6
            where: Path = (*path, "default") if isinstance(value, str) else (*path, "default", i)
            if family not in has and raw.get("gateways"):
                self.error(where, f"`default` names IPv{family}, but this uplink has no "
                           f"IPv{family} gateway",
                           f"add an IPv{family} gateway under `gateways:`, or remove "
                           f"ipv{family} from `default`")
            named.add(family)
        return frozenset(named & has)

    def build_bond(self, base: Path, raw: dict[str, Any]) -> BondOptions:
        path: Path = (*base, "bond")
        options: dict[str, Any] = raw["bond"]
        mode = BondMode(options["mode"])
        for key in options:
            modes = BOND_OPTION_MODES.get(key)
            if modes is not None and mode not in modes:
                self.error((*path, key), f"`{key}` does not apply to bond mode {mode}",
                           f"it applies to: {', '.join(m.value for m in BondMode if m in modes)}",
                           key=True)
        if "miimon" in options and "arp_interval" in options:
            self.error((*path, "arp_interval"), "`miimon` and `arp_interval` exclude each other",
                       "choose MII or ARP link monitoring", key=True)
        if ("arp_interval" in options) != ("arp_ip_target" in options):
            missing = "arp_ip_target" if "arp_interval" in options else "arp_interval"
            self.error(path, f"ARP monitoring needs `{missing}` too", f"add `{missing}:`",
                       key=True)
        for key in ("updelay", "downdelay"):
            if key in options and "miimon" not in options:
                self.error((*path, key), f"`{key}` needs `miimon`", "add `miimon:`", key=True)
        members = raw.get("members", [])
        if "primary" in options and options["primary"] not in members:
            self.error((*path, "primary"), f"primary {options['primary']!r} is not a member "
                       "of this bond", f"use one of: {', '.join(members)}")
        targets = []
        for i, text in enumerate(options.get("arp_ip_target", [])):
            target = self.address((*path, "arp_ip_target", i), text)
            if target is not None and target.version != 4:
                self.error((*path, "arp_ip_target", i), "ARP targets are IPv4 addresses")
            elif isinstance(target, ipaddress.IPv4Address):
                targets.append(target)
        return BondOptions(
            mode=mode, miimon=options.get("miimon"), updelay=options.get("updelay"),
            downdelay=options.get("downdelay"), arp_interval=options.get("arp_interval"),
            arp_ip_targets=tuple(targets), xmit_hash_policy=options.get("xmit_hash_policy"),
            lacp_rate=options.get("lacp_rate"), ad_select=options.get("ad_select"),
            primary=options.get("primary"), tlb_dynamic_lb=options.get("tlb_dynamic_lb"),
            min_links=options.get("min_links"),
            option_where=tuple((key, self.spec.positions.of_key((*path, key)))
                               for key in options))

    def build_vlan(self, base: Path, raw: dict[str, Any]) -> VlanOptions | None:
        path: Path = (*base, "vlan")
        vlan_id, link = raw["vlan"]["id"], raw["vlan"]["link"]
        ok = True
        if not 1 <= vlan_id <= 4094:
            self.error((*path, "id"), f"VLAN id {vlan_id} is outside 1..4094",
                       "use an id from 1 to 4094")
            ok = False
        interfaces = self.data["interfaces"]
        if link == base[-1]:
            self.error((*path, "link"), "a VLAN cannot sit on itself")
            ok = False
        elif link not in interfaces:
            if not self.left_out.has_interface(link):
                self.error((*path, "link"), f"unknown interface {link!r}",
                           "declare the parent under `interfaces:`")
            ok = False
        return VlanOptions(vlan_id, link) if ok else None

    def check_stacking(self, by_name: dict[str, Interface]) -> None:
        """Every device must be creatable after the ones it sits on: a VLAN after its
        link, a bond or bridge after its members. A cycle (a bridge whose member VLAN
        sits on that bridge) can never come up; reported once, at the VLAN's link."""
        below: dict[str, list[str]] = {
            name: [*i.members, *([i.vlan.link] if i.vlan is not None else [])]
            for name, i in by_name.items()}
        done: set[str] = set()

        def visit(name: str, trail: list[str]) -> None:
            if name in done or name not in below:
                return
            if name in trail:
                cycle = [*trail[trail.index(name):], name]
                vlan = next((n for n in cycle if by_name[n].vlan is not None), cycle[0])
                path: Path = (("interfaces", vlan, "vlan", "link") if by_name[vlan].vlan
                              else ("interfaces", vlan))
                self.error(path, "these interfaces sit on each other in a cycle: "
                           + " -> ".join(cycle),
                           "put the VLAN on a device outside the bond or bridge it joins")
                done.update(cycle)
                return
            for child in below[name]:
                visit(child, [*trail, name])
            done.add(name)

        for name in sorted(below):
            visit(name, [])

    def check_addresses(self, interfaces: list[Interface]) -> None:
        seen: dict[Any, Address] = {}
        for interface in interfaces:
            for address in interface.addresses:
                first = seen.get(address.address.ip)
                if first is not None:
                    self.diagnostics.append(Diagnostic(
                        address.where, f"interfaces.{interface.name}.addresses",
                        f"address {address.address.ip} is already assigned at {first.where.brief}",
                        "each address may be assigned once"))
                else:
                    seen[address.address.ip] = address

    def build_routes(self, interface: Interface,
                     raws: list[dict[str, Any] | None]) -> list[Route]:
        routes = []
        for index, raw in enumerate(raws):
            if raw is None:
                continue  # left out (recovery.py)
            path: Path = ("interfaces", interface.name, "routes", index)
            gateway = self.address((*path, "via"), raw["via"]) if "via" in raw else None
            source = self.address((*path, "source"), raw["source"]) if "source" in raw else None
            family: Family | None = None
            for known in (gateway, source):
                if known is not None:
                    family = 4 if known.version == 4 else 6
            destination = self.network((*path, "to"), raw["to"], family)
            table = self.table((*path, "table"), raw.get("table", "main"))
            if destination is None or table is None:
                continue
            route_type = RouteType(raw.get("type", "unicast"))
            for key, value in (("via", gateway), ("source", source)):
                if value is not None and value.version != destination.version:
                    self.error((*path, key), f"{key} {value} is not of the same family as "
                               f"{destination}", "use one family per route")
            if "scope" in raw and destination.version == 6:
                self.error((*path, "scope"), "IPv6 routes have no scope",
                           "remove `scope:`; scopes are for IPv4 routes")
            if gateway is not None and route_type != RouteType.UNICAST:
                self.error((*path, "via"), f"a {route_type} route has no gateway",
                           "remove `via:` or the `type:`")
            elif gateway is not None and not self.check_gateway((*path, "via"), gateway):
                gateway = None
            on_link = raw.get("on_link", False)
            if (gateway is not None and not on_link and gateway.version == destination.version
                    and not any(gateway in a.address.network for a in interface.addresses)
                    and not (interface.dhcp4 if gateway.version == 4 else interface.dhcp6)):
                self.error((*path, "via"), f"gateway {gateway} is not inside any of "
                           f"{interface.name}'s prefixes",
                           "fix the address, or set `on_link: true` if the gateway is "
                           "reachable on the link anyway")
            if (source is not None and source not in self.host_addresses
                    and self.left_out.complete):
                self.error((*path, "source"), f"preferred source {source} is not an address "
                           "of this host", "use one of the host's own addresses")
            family_of: Family = 4 if destination.version == 4 else 6
            routes.append(Route(
                interface=interface.name, destination=destination, table=table,
                metric=raw.get("metric", KERNEL_DEFAULT_METRIC[family_of]),
                where=self.at(path), gateway=gateway, on_link=on_link,
                scope=Scope(raw["scope"]) if "scope" in raw else None,
                source=source, type=route_type, path=dotted(path)))
        return routes

    def build_rule(self, index: int, raw: dict[str, Any],
                   interfaces: dict[str, Interface]) -> Rule | None:
        path: Path = ("rules", index)
        declared: Family | None = None
        if "family" in raw:
            declared = 4 if raw["family"] == "ipv4" else 6
        selectors: dict[str, IPNetwork | None] = {}
        for key in ("from", "to"):
            selectors[key] = (self.network((*path, key), raw[key], declared)
                              if key in raw else None)
        families = {n.version for n in selectors.values() if n is not None}
        if declared is not None:
            families.add(declared)
        if len(families) > 1:
            self.error(path, "the rule mixes IPv4 and IPv6", "split it into one rule per family",
                       key=True)
            return None
        if not families:
            self.error(path, "the rule has neither `from` nor `to`, so its family is unknown",
                       "add `family: ipv4` or `family: ipv6`", key=True)
            return None
        for key in ("iif", "oif"):
            if (key in raw and raw[key] not in interfaces
                    and not self.left_out.has_interface(raw[key])):
                self.error((*path, key), f"unknown interface {raw[key]!r}",
                           "declare it under `interfaces:`")
        fwmark, fwmask = self.fwmark((*path, "fwmark"), raw.get("fwmark"))
        table = self.table((*path, "table"), raw["table"])
        if table is None:
            return None
        family: Family = 4 if families.pop() == 4 else 6
        return Rule(family=family, priority=raw["priority"], table=table,
                    where=self.at(path), source=selectors["from"],
                    destination=selectors["to"], iif=raw.get("iif"), oif=raw.get("oif"),
                    fwmark=fwmark, fwmask=fwmask)

    def fwmark(self, path: Path, value: int | str | None) -> tuple[int | None, int | None]:
        """Mark and mask of `fwmark:`; the schema admits ten decimal digits, so the
        range is checked here."""
        if value is None or isinstance(value, int):  # the schema bounds an integer
            return value, None
        mark_text, _, mask_text = value.partition("/")
        mark = self.fwmark_part(path, "mark", mark_text)
        mask = self.fwmark_part(path, "mask", mask_text) if mask_text else None
        return mark, mask

    def fwmark_part(self, path: Path, part: str, text: str) -> int | None:
        if len(text) > 1 and text.startswith("0") and not text.startswith("0x"):
            # `ip rule` reads 010 as octal 8; Python's int() refuses it.
            self.error(path, f"the {part} {text} has a leading zero, which `ip rule` reads "
                       "as octal", "write it without leading zeros, or in hex as 0x...")
            return None
        number = int(text, 0)
        if number > MAX_FWMARK:
            self.error(path, f"the {part} {text} is outside 0..0xffffffff",
                       "marks and masks are 32-bit: at most 4294967295, or 0xffffffff")
            return None
        return number

    def check_uplinks(self, interfaces: list[Interface], routes: list[Route]) -> None:
        """Per family: at most one uplink carries the main table's default route, and
        where uplinks have gateways of a family, something carries that family's main
        default (an uplink's `default`, a plain gateway, DHCP or a route), else the
        host's own connections of that family have no way out."""
        uplinks = [i for i in interfaces if i.uplink is not None]
        carriers: dict[Family, Interface] = {}
        for interface in uplinks:
            assert interface.uplink is not None
            taken = sorted(f for f in interface.uplink.main_default if f in carriers)
            if taken:
                first = carriers[taken[0]]
                assert first.uplink is not None
                families = " and ".join(f"IPv{f}" for f in taken)
                routes_word = "routes" if len(taken) > 1 else "route"
                here: Path = ("interfaces", interface.name, "uplink", "default")
                there = self.spec.positions.of_key(("interfaces", first.name, "uplink",
                                                    "default"))
                self.diagnostics.append(Diagnostic(
                    self.spec.positions.of_key(here), dotted(here),
                    f"{first.name} already carries the main table's {families} default "
                    f"{routes_word} (at {there.brief})",
                    "mark one uplink per family: remove `default` here, or split the families, "
                    "`default: ipv4` on one uplink and `default: ipv6` on the other"))
            for family in interface.uplink.main_default:
                carriers.setdefault(family, interface)
        for family in (4, 6):
            with_gateway = [i for i in uplinks if any(g.version == family for g, _ in i.gateways)]
            if not with_gateway or family in carriers or not self.left_out.complete:
                continue
            if any((i.uplink is None and any(g.version == family for g, _ in i.gateways))
                   or i.dhcp(family) for i in interfaces):
                continue
            if any(r.is_default and r.table == MAIN_TABLE and r.family == family
                   for r in routes):
                continue
            first = with_gateway[0]
            assert first.uplink is not None
            self.diagnostics.append(Diagnostic(
                first.uplink.where, f"interfaces.{first.name}.uplink",
                f"no interface carries the main table's IPv{family} default route, so "
                f"connections the host opens itself over IPv{family} have no way out",
                f"add `default: true` or `default: ipv{family}` to the uplink that should "
                f"carry it, e.g. {first.name}"))
        used: dict[int, Interface] = {}
        for interface in uplinks:
            assert interface.uplink is not None
            other = used.get(interface.uplink.table)
            if other is not None:
                self.diagnostics.append(Diagnostic(
                    interface.uplink.where, f"interfaces.{interface.name}.uplink.table",
                    f"table {interface.uplink.table} is already the uplink table of "
                    f"{other.name}", "give each uplink its own table"))
            used[interface.uplink.table] = interface




_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._+@-]")


def safe_source_name(path: str) -> str:
    """The spec's file name as it appears in every generated file's header comment.
    It comes from the command line, not the spec, so it is not validated: anything
    but a plain file-name character (a newline above all) becomes '_'."""
    name = path.rsplit("/", 1)[-1]
    return _UNSAFE_NAME_CHARS.sub("_", name)[:128] or "spec"


def build(spec: LoadedSpec) -> Network:
    """The model of a schema-valid spec, before intent passes; raises SpecError."""
    return _Builder(spec).build()


def render_options(spec: LoadedSpec) -> RenderOptions:
    """The backend choices a schema-valid spec makes (its `netplan:` key)."""
    raw = spec.data.get("netplan")
    if raw is None:
        return RenderOptions()
    defaults = NetplanOptions()
    version = defaults.version
    if "version" in raw:
        major, _, minor = raw["version"].partition(".")
        version = (int(major), int(minor))
    return RenderOptions(netplan=NetplanOptions(
        renderer=NetplanRenderer(raw.get("renderer", defaults.renderer.value)),
        version=version, where=spec.positions.of_key(("netplan",))))
