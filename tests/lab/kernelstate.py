"""Read a namespace's kernel state with `ip -N -j` and normalise it.

Normalisations (each also in docs/lab.md), and why:
- Only the interfaces of the spec: the lab's own loopback is not the spec's.
- Addresses: scope global only. Link-local (fe80::/64, scope link) addresses are
  made by the kernel from the MAC, not by the spec.
- Routes: the local table (255) is dropped: the kernel fills it from addresses.
  So are IPv6 link-local routes (fe80::/64), multicast (ff00::/8) and anycast
  routes, which the kernel adds for every IPv6 link.
- Route protocol (kernel, boot, static, dhcp...) and IPv6 `pref` are dropped:
  each daemon tags its routes with its own protocol, which routes nothing.
- The metric of a connected prefix route in the main table (no gateway,
  destination = the subnet of one of the interface's addresses) is not compared:
  the kernel gives it 0 (IPv4) or 256 (IPv6) when it adds it, NetworkManager adds
  it itself with the device's route metric (100 for ethernet). Every other
  route's metric is compared.
- The transient `linkdown` flag (carrier not yet up) is dropped; `onlink` is kept.
- Rules: the protocol is dropped for the same reason as for routes; the kernel's
  own rules (0 local, 32766 main, 32767 default) are kept, so a backend that
  removed them would show.
- On an interface holding an IPv4 address leased by DHCP (the kernel shows it
  `dynamic`): the preferred source of its main-table routes via a gateway is
  dropped (networkd and NetworkManager write the leased address, dhclient
  writes none; it is the source the kernel picks anyway), and so is the host
  route networkd adds to the DHCP server inside the leased prefix (the prefix
  route covers it).
- Sysctls: per interface, what decides whether router advertisements add routes
  and addresses (IPv6 accept_ra, autoconf) and whether the host forwards (IPv4
  and IPv6 forwarding), read from /proc/sys/net inside the namespace. autoconf
  is kept only where accept_ra is not 0: with accept_ra=0 the kernel reads no
  advertisement, so autoconf changes nothing (networkd and NetworkManager leave
  it at 1, ifupdown's inet6 static method sets 0).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from ipaddress import IPv4Interface, ip_interface, ip_network
from typing import Any

from .procs import ns_run, wait_until
from .state import LOCAL, MAIN, Addr, KernelState, Link, RouteEntry, RuleEntry, Sysctl

_SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
_SKIPPED_TYPES = {"local", "broadcast", "multicast", "anycast"}
# /proc/sys/net/<family>/conf/<interface>/<name>, compared per interface.
SYSCTLS = ("ipv6/accept_ra", "ipv6/autoconf", "ipv6/forwarding", "ipv4/forwarding")


def _ip_json(ns: str, *args: str) -> list[dict[str, Any]]:
    """`ip -N -j ARGS`; a dump that a daemon's changes interrupt makes `ip` fail, so
    it is read again (a few times at most)."""
    for _ in range(4):
        result = ns_run(ns, ["ip", "-N", "-j", *args], check=False)
        if result.returncode == 0:
            break
        time.sleep(0.05)
    else:
        result = ns_run(ns, ["ip", "-N", "-j", *args])
    out = result.stdout
    return json.loads(out) if out.strip() else []


def _network(value: str, family: int) -> str:
    if value == "default":
        return "0.0.0.0/0" if family == 4 else "::/0"
    return str(ip_network(value, strict=False))


def _scope(value: object) -> str:
    if value is None:
        return "global"
    # `ip -N` prints scopes as numbers (sometimes as strings of digits).
    text = str(value)
    return _SCOPES.get(int(text), text) if text.isdigit() else text


def _table(value: object) -> int:
    # Numeric output gives "100"; the main table's routes carry no "table" key.
    return MAIN if value is None else int(str(value))


def read(ns: str, interfaces: Iterable[str]) -> KernelState:
    names = set(interfaces)
    links, addresses = set(), set()
    leased: dict[str, IPv4Interface] = {}
    for link in _ip_json(ns, "addr", "show"):
        if link["ifname"] not in names:
            continue
        links.add(Link(link["ifname"], "UP" in link.get("flags", ()), int(link["mtu"])))
        for info in link.get("addr_info", ()):
            if _scope(info.get("scope")) == "global":
                address = f"{info['local']}/{info['prefixlen']}"
                addresses.add(Addr(link["ifname"], address))
                if info.get("family") == "inet" and info.get("dynamic"):
                    leased[link["ifname"]] = IPv4Interface(address)
    connected = {(a.interface, str(ip_interface(a.address).network)) for a in addresses}
    routes = set()
    for family in (4, 6):
        for raw in _ip_json(ns, f"-{family}", "route", "show", "table", "all"):
            route = _route(raw, family, connected)
            if route is not None and route.device in leased:
                route = _dhcp(route, leased[route.device])
            if route is not None and (route.device is None or route.device in names):
                routes.add(route)
    rules = {_rule(raw, family) for family in (4, 6)
             for raw in _ip_json(ns, f"-{family}", "rule", "show")}
    return KernelState(frozenset(links), frozenset(addresses), frozenset(routes),
                       frozenset(rules), read_sysctls(ns, sorted(link.name for link in links)))


def _dhcp(route: RouteEntry, lease: IPv4Interface) -> RouteEntry | None:
    """A route on an interface with a DHCP lease, without what only some DHCP
    clients add (see the module's docstring)."""
    if route.family != 4 or route.table != MAIN:
        return route
    if (route.gateway is None and route.scope == "link"
            and route.destination.endswith("/32")
            and ip_network(route.destination).subnet_of(lease.network)):
        return None
    if route.gateway is not None and route.source == str(lease.ip):
        return route._replace(source=None)
    return route


def read_sysctls(ns: str, interfaces: Iterable[str]) -> frozenset[Sysctl]:
    """SYSCTLS of each interface, read in one command; autoconf only where
    accept_ra is not 0."""
    paths = {}
    for interface in interfaces:
        for name in SYSCTLS:
            family, key = name.split("/")
            paths[f"/proc/sys/net/{family}/conf/{interface}/{key}"] = (interface, name)
    if not paths:
        return frozenset()
    out = ns_run(ns, ["grep", "-H", "", *paths]).stdout
    values = set()
    for line in out.splitlines():
        path, _, value = line.partition(":")
        interface, name = paths[path]
        values.add(Sysctl(interface, name, int(value)))
    deaf = {v.interface for v in values if v.name == "ipv6/accept_ra" and v.value == 0}
    return frozenset(v for v in values if not (v.name == "ipv6/autoconf" and v.interface in deaf))


def _route(raw: dict[str, Any], family: int,
           connected: set[tuple[str, str]]) -> RouteEntry | None:
    table = _table(raw.get("table"))
    kind = raw.get("type", "unicast")
    destination = _network(raw["dst"], family)
    if table == LOCAL or kind in _SKIPPED_TYPES:
        return None
    if family == 6 and ip_network(destination).is_link_local:
        return None
    # Blackhole, unreachable and prohibit routes show `dev lo`; they have no device.
    device = raw.get("dev") if kind == "unicast" else None
    gateway = raw.get("gateway")
    metric: int | None = int(raw.get("metric", 0))
    if table == MAIN and gateway is None and (device, destination) in connected:
        metric = None
    return RouteEntry(family, table, kind, destination, gateway, device,
                      _scope(raw.get("scope")), raw.get("prefsrc"), metric,
                      "onlink" in raw.get("flags", ()))


def _rule(raw: dict[str, Any], family: int) -> RuleEntry:
    def prefix(key: str) -> str | None:
        value = raw.get(key)
        if value is None or value == "all":
            return None
        length = raw.get(f"{key}len")
        return str(ip_network(f"{value}/{length}" if length is not None else value,
                              strict=False))

    fwmark = raw.get("fwmark")
    if fwmark is not None:
        # `ip` leaves out a mask of every bit, and prints a mark of 0 as "0".
        mask = raw.get("fwmask", "0xffffffff")
        fwmark = f"{int(str(fwmark), 0):#x}/{int(str(mask), 0):#x}"
    table = raw.get("table")
    return RuleEntry(family, int(raw.get("priority", 0)), prefix("src"), prefix("dst"),
                     raw.get("iif"), raw.get("oif"), fwmark,
                     None if table is None else _table(table),
                     raw.get("action", "lookup" if table is not None else "unknown"))


def settle(ns: str, interfaces: Iterable[str], expected: KernelState | None = None,
           timeout: float = 10.0, quiet: float | None = None) -> KernelState:
    """The state once it equals `expected`, or once it stopped changing for `quiet`
    seconds (daemons add routes and rules shortly after they report readiness;
    NetworkManager adds an IPv6 route with a source address up to a second after
    reactivating a connection, and now and then several seconds later). The wait is
    long only when the state is wrong."""
    names = tuple(interfaces)
    still = (0.3 if expected is None else 4.0) if quiet is None else quiet
    state, since = read(ns, names), time.monotonic()

    def done() -> bool:
        nonlocal state, since
        now_state, now = read(ns, names), time.monotonic()
        if now_state != state:
            state, since = now_state, now
        return state == expected or now - since >= still

    wait_until(done, timeout, interval=0.05)
    return state
