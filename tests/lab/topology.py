"""The lab's networks: a server with one port per spec interface and, behind each
port, a router of the kind the interface needs.

    client --r<k>/lan-- uplink router k --srv/<iface>-- server
    LAN client --lan-- LAN router k --srv/<iface>-- server
    DHCP router k (dnsmasq) --srv/<iface>-- server

- An interface with gateways (an uplink) faces an ISP router: it holds the
  gateway addresses, filters with strict reverse-path checks, routes to the
  client, and sends router advertisements with radvd (the uplink's IPv6 prefixes,
  or a lab prefix for an IPv4-only uplink, and itself as default router), as ISP
  routers do.
- An interface with `dhcp4` faces a management router whose dnsmasq leases it one
  address, with the router as default gateway.
- An interface with static routes via a neighbour in its own prefixes faces a LAN
  router holding those neighbours' addresses, with a LAN client behind it inside
  the routes' destinations; the LAN router's default route is the server.

The client's own address sits on its loopback and every route to the server's
prefixes uses it as source; each router link has its own small subnet. (No
bridge: a bridge port forwards only after the kernel's link watch, which delays
carrier events by up to a second.)

The server's ports are left unconfigured for the backend under test, with the
kernel's defaults for router advertisements (accept_ra=1, autoconf=1), as on a
freshly booted host. A reply that leaves the server by the wrong uplink reaches a
router that has no route back to its source and is dropped: IPv4 by
`rp_filter=1`, IPv6 by an nftables `fib saddr . iif oif missing drop` chain.
So the client reaches an address only if replies from it leave by its own uplink,
and the LAN client only if replies to it leave by the LAN port.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_interface,
)
from pathlib import Path

from netcompile.model import MAIN_TABLE, Interface, IPAddress, IPInterface, IPNetwork, Kind, Network

from . import daemons
from .daemons import Lease
from .guard import NAME_RE
from .procs import Process, in_ns, ns_run, run, wait_until

# The client side of the lab; the spec's own prefixes are on the server's uplinks.
CLIENT4 = IPv4Address("203.0.113.254")
CLIENT6 = IPv6Address("2001:db8:ff:ffff::100")
# Router k and the client share 203.0.113.4k/30 and 2001:db8:ff:k::/64.
LINKS4 = IPv4Network("203.0.113.0/24")
LINKS6 = IPv6Network("2001:db8:ff::/48")
# What router k advertises on an uplink that has no IPv6 address of its own.
RA_PREFIXES6 = IPv6Network("2001:db8:fe::/48")
# Management network k (DHCP): 172.16.k.0/24, the router .1, the lease .100.
MGMT4 = IPv4Network("172.16.0.0/16")
# The MTU the management routers offer with each lease, below the veth's 1500 so
# that the kernel state shows whether a backend applied it (Interface.takes_dhcp_mtu).
LEASE_MTU = 1400
MAX_UPLINKS = 63
PROBE_PORT = 7777
# The kernel learns router advertisements within a second of a link coming up
# (radvd answers its solicitation); bounded all the same.
RA_TIMEOUT = 15.0

_counter = itertools.count()
# Every namespace this process made and has not deleted yet (cleaned at exit too).
_LIVE: set[str] = set()
# Daemons running in each topology's routers, by topology prefix.
_DAEMONS: dict[str, list[Process]] = {}

_RPF_IPV6 = """table ip6 nclab_rpf {
  chain prerouting {
    type filter hook prerouting priority -300; policy accept;
    ip6 saddr :: accept
    fib saddr . iif oif missing drop
  }
}
"""


class TopologyUnsupported(Exception):
    """The spec has an interface the lab cannot put on a wire here."""


class Role(enum.StrEnum):
    UPLINK = "uplink"  # an ISP router, router advertisements, the client behind it
    LAN = "lan"  # a LAN router reached by static routes, a LAN client behind it
    DHCP = "dhcp"  # a management router serving DHCP


@dataclass(frozen=True, slots=True)
class Port:
    """One server interface and the router behind it."""

    index: int
    interface: str
    role: Role
    router: str
    mac: str | None
    addresses: tuple[IPInterface, ...]
    # The router's addresses on the server's link (gateways, LAN neighbours, or
    # the DHCP server's own address).
    gateways: tuple[IPInterface, ...]
    # UPLINK: the IPv6 prefixes the router advertises.
    advertised: tuple[IPv6Network, ...] = ()
    # LAN: the client's namespace, and its addresses (the router holds the first
    # address of each subnet).
    lan_client: str | None = None
    lan_addresses: tuple[IPInterface, ...] = ()
    # DHCP: what the server leases.
    lease: Lease | None = None

    def link(self, side: int) -> tuple[IPv4Interface, IPv6Interface]:
        """Addresses on the router-client link: side 1 the router, 2 the client."""
        base4 = LINKS4.network_address + 4 * self.index
        base6 = LINKS6.network_address + (self.index << 64)
        return IPv4Interface(f"{base4 + side}/30"), IPv6Interface(f"{base6 + side}/64")

    def reachable(self) -> tuple[IPInterface, ...]:
        """Addresses the client should reach: an uplink's, of a family with a gateway."""
        if self.role != Role.UPLINK:
            return ()
        families = {g.version for g in self.gateways}
        return tuple(a for a in self.addresses if a.version in families)


# The name the benchmarks and older tests use for a port.
Uplink = Port


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str
    server: str
    client: str
    ports: tuple[Port, ...]

    @property
    def uplinks(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.role == Role.UPLINK)

    @property
    def lans(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.role == Role.LAN)

    @property
    def namespaces(self) -> tuple[str, ...]:
        lan_clients = tuple(p.lan_client for p in self.ports if p.lan_client)
        return (self.server, self.client, *(p.router for p in self.ports), *lan_clients)

    def uplink_of(self, address: IPAddress) -> Port:
        for port in self.ports:
            if any(a.ip == address for a in port.addresses):
                return port
        raise KeyError(address)

    def leases(self) -> dict[str, Lease]:
        """What the DHCP servers lease, by server interface."""
        return {p.interface: p.lease for p in self.ports if p.lease is not None}


def new_prefix() -> str:
    """Unique per topology and per process, so parallel runs never collide; the
    pid comes first so a later run can tell namespaces of a dead run apart."""
    return f"nclab-{os.getpid():x}x{next(_counter):x}{secrets.token_hex(2)}"


def plan(network: Network, prefix: str) -> Topology:
    """The lab topology a spec needs: one router per physical interface."""
    ports = []
    for interface in network.interfaces:
        if interface.kind != Kind.ETHERNET:
            if interface.members or interface.vlan:
                raise TopologyUnsupported(
                    f"{interface.name}: the lab wires only ethernet uplinks, not {interface.kind}")
            continue
        if interface.is_member:
            raise TopologyUnsupported(f"{interface.name} is a member of {interface.controller}")
        ports.append(_port(network, interface, len(ports), prefix))
    if not ports:
        raise TopologyUnsupported("the spec has no ethernet interface")
    if len(ports) > MAX_UPLINKS:
        raise TopologyUnsupported(f"more than {MAX_UPLINKS} uplinks")
    return Topology(prefix, f"{prefix}-srv", f"{prefix}-cli", tuple(ports))


def _port(network: Network, interface: Interface, index: int, prefix: str) -> Port:
    addresses = tuple(a.address for a in interface.addresses)
    mac = interface.match.mac if interface.match else None
    router = f"{prefix}-r{index}"
    if interface.dhcp6:
        raise TopologyUnsupported(f"{interface.name}: the lab serves DHCPv4 only")
    if interface.dhcp4:
        subnet = list(MGMT4.subnets(new_prefix=24))[index]
        lease = Lease(IPv4Interface(f"{subnet.network_address + 100}/24"),
                      IPv4Interface(f"{subnet.network_address + 1}/24"), LEASE_MTU)
        return Port(index, interface.name, Role.DHCP, router, mac, addresses,
                    (lease.router,), lease=lease)
    neighbours = _lan_routes(network, interface)
    if neighbours and not interface.gateways:
        gateways = tuple(sorted({_on_subnet(via, addresses) for via, _ in neighbours}, key=str))
        destinations = [d for _, d in neighbours]
        lan = tuple(_lan_subnet(destinations, family, addresses) for family in (4, 6)
                    if any(d.version == family for d in destinations))
        return Port(index, interface.name, Role.LAN, router, mac, addresses, gateways,
                    lan_client=f"{prefix}-l{index}",
                    lan_addresses=tuple(ip_interface(f"{s.network_address + 10}/{s.prefixlen}")
                                        for s in lan))
    gateways = tuple(_on_subnet(g, addresses) for g, _where in interface.gateways)
    advertised = tuple(dict.fromkeys(
        a.network for a in addresses if isinstance(a, IPv6Interface))) or (
        list(RA_PREFIXES6.subnets(new_prefix=64))[index],)
    return Port(index, interface.name, Role.UPLINK, router, mac, addresses, gateways,
                advertised=advertised)


def _on_subnet(gateway: IPAddress, addresses: tuple[IPInterface, ...]) -> IPInterface:
    """The router's address: the prefix of the server address it shares a subnet
    with; an off-subnet gateway gets a host prefix."""
    subnet = next((a.network for a in addresses if gateway in a.network), None)
    bits = subnet.prefixlen if subnet else gateway.max_prefixlen
    return ip_interface(f"{gateway}/{bits}")


def _lan_routes(network: Network, interface: Interface) -> list[tuple[IPAddress, IPNetwork]]:
    """(via, destination) of the interface's main-table routes to a neighbour on
    one of its own prefixes: what a LAN router behind it answers for."""
    return [(r.gateway, r.destination) for r in network.routes_of(interface.name)
            if r.table == MAIN_TABLE and r.gateway is not None and not r.is_default
            and any(r.gateway in a.address.network for a in interface.addresses)]


def _lan_subnet(destinations: list[IPNetwork], family: int,
                addresses: tuple[IPInterface, ...]) -> IPNetwork:
    """The LAN client's subnet: the first /24 (IPv4) or /64 (IPv6) inside a route's
    destination that none of the server's own prefixes overlaps."""
    for destination in destinations:
        if destination.version != family:
            continue
        size = max(destination.prefixlen, 24 if family == 4 else 64)
        for subnet in itertools.islice(destination.subnets(new_prefix=size), 4096):
            if not any(subnet.overlaps(a.network) for a in addresses):
                return subnet
    raise TopologyUnsupported(f"no room for a LAN client of IPv{family} behind the routes")


def _sysctls(ns: str, settings: dict[str, str]) -> None:
    ns_run(ns, ["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in settings.items())])


def _ip_batch(ns: str, commands: list[str]) -> None:
    ns_run(ns, ["ip", "-batch", "-"], stdin="\n".join(commands) + "\n")


# Every lab namespace: no duplicate address detection (addresses usable at once).
_NO_DAD = {"net.ipv6.conf.all.accept_dad": "0", "net.ipv6.conf.default.accept_dad": "0"}
# Routers and clients take no router advertisements themselves; the server keeps
# the kernel's defaults, as a real host does.
_NO_RA = {"net.ipv6.conf.all.accept_ra": "0", "net.ipv6.conf.default.accept_ra": "0"}
_STRICT = {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1",
           "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.conf.default.rp_filter": "1"}


def create(topology: Topology, work: Path) -> None:
    """Make the namespaces and links, start the routers' daemons; the server's
    interfaces stay down and unconfigured."""
    for ns in topology.namespaces:
        if not NAME_RE.fullmatch(ns):
            raise ValueError(f"bad namespace name {ns}")
        run(["ip", "netns", "add", ns])
        _LIVE.add(ns)
        _sysctls(ns, _NO_DAD if ns == topology.server else {**_NO_DAD, **_NO_RA})
        ns_run(ns, ["ip", "link", "set", "lo", "up"])

    client = [f"addr add {CLIENT4}/32 dev lo", f"addr add {CLIENT6}/128 dev lo nodad"]
    for port in topology.ports:
        _sysctls(port.router, _STRICT)
        mac = f" address {port.mac}" if port.mac else ""
        commands = [f"link add srv type veth peer name {port.interface}{mac} "
                    f"netns {topology.server}", "link set srv up"]
        commands += [f"addr add {g} dev srv" + (" nodad" if g.version == 6 else "")
                     for g in port.gateways]
        if port.role == Role.UPLINK:
            lan4, lan6 = port.link(1)
            peer4, peer6 = port.link(2)
            commands += [f"link add lan type veth peer name r{port.index} netns {topology.client}",
                         "link set lan up",
                         f"addr add {lan4} dev lan", f"addr add {lan6} dev lan nodad",
                         f"route add {CLIENT4}/32 via {peer4.ip}",
                         f"route add {CLIENT6}/128 via {peer6.ip}"]
            # An off-subnet gateway: reach the server's addresses directly on the link.
            commands += [f"route add {a.ip}/{a.max_prefixlen} dev srv" for a in port.addresses
                         if not any(a.ip in g.network for g in port.gateways)]
            client += [f"link set r{port.index} up", f"addr add {peer4} dev r{port.index}",
                       f"addr add {peer6} dev r{port.index} nodad"]
            client += [f"route add {a.network} via {(lan4 if a.version == 4 else lan6).ip} "
                       f"src {CLIENT4 if a.version == 4 else CLIENT6}" for a in port.addresses]
        lan_client: list[str] = []
        if port.role == Role.LAN:
            lan_router, lan_client = _lan(port)
            commands += lan_router
        _ip_batch(port.router, commands)
        if port.lan_client is not None:
            _ip_batch(port.lan_client, lan_client)
        _sysctls(port.router, {f"net.ipv4.conf.{i}.rp_filter": "1"
                               for i in ("srv", "lan") if port.role != Role.DHCP or i == "srv"})
        ns_run(port.router, ["nft", "-f", "-"], stdin=_RPF_IPV6)
    _ip_batch(topology.client, client)
    _start_daemons(topology, work)


def _lan(port: Port) -> tuple[list[str], list[str]]:
    """The LAN router's link to its client and its default route (the server), and
    the client's addresses and default route (the LAN router)."""
    assert port.lan_client is not None
    client = ["link set lan up"]
    commands = [f"link add lan type veth peer name lan netns {port.lan_client}", "link set lan up"]
    for address in port.lan_addresses:
        nodad = " nodad" if address.version == 6 else ""
        router = ip_interface(f"{address.network.network_address + 1}/{address.network.prefixlen}")
        commands.append(f"addr add {router} dev lan{nodad}")
        client += [f"addr add {address} dev lan{nodad}",
                   f"route add default via {router.ip}"]
        server = next((a for a in port.addresses if a.version == address.version), None)
        if server is not None:
            commands.append(f"route add default via {server.ip}")
    return commands, client


def _start_daemons(topology: Topology, work: Path) -> None:
    running = _DAEMONS.setdefault(topology.prefix, [])
    for port in topology.ports:
        if port.role == Role.UPLINK:
            running.append(daemons.radvd(port.router, "srv", port.advertised, work))
        elif port.lease is not None:
            running.append(daemons.dnsmasq(port.router, "srv", port.lease, work))


def links_up_with_ra(topology: Topology, timeout: float = RA_TIMEOUT) -> None:
    """A running host before its network configuration is applied again: every
    port up with the kernel's defaults, and each uplink holding the default route
    and the addresses its router advertised (accept_ra=1, autoconf=1)."""
    _ip_batch(topology.server, [f"link set {p.interface} up" for p in topology.ports])

    def learned() -> bool:
        routes = json.loads(ns_run(topology.server, ["ip", "-6", "-j", "route", "show",
                                                     "proto", "ra"]).stdout or "[]")
        via_ra = {r.get("dev") for r in routes if r.get("dst") == "default"}
        return all(p.interface in via_ra for p in topology.uplinks)

    if not wait_until(learned, timeout, interval=0.1):
        raise RuntimeError("the server did not learn the routers' advertisements in "
                           f"{timeout} s")


def destroy(topology: Topology) -> None:
    """Stop the routers' daemons by pid, then delete every namespace of the topology;
    links inside go with them."""
    for process in _DAEMONS.pop(topology.prefix, []):
        process.stop()
    for ns in topology.namespaces:
        if ns in _LIVE:
            run(["ip", "netns", "del", ns], check=False)
            _LIVE.discard(ns)


@contextlib.contextmanager
def lab(network: Network, work: Path, prefix: str | None = None) -> Iterator[Topology]:
    """A fresh topology for `network`, deleted on exit whatever happened; the
    daemons' files go to `work`."""
    topology = plan(network, prefix or new_prefix())
    work.mkdir(parents=True, exist_ok=True)
    try:
        create(topology, work)
        yield topology
    finally:
        destroy(topology)


def destroy_all() -> None:
    """Stop the daemons and delete the namespaces this process left (called at
    exit, e.g. after an interrupt)."""
    for processes in _DAEMONS.values():
        for process in processes:
            process.stop()
    _DAEMONS.clear()
    for ns in sorted(_LIVE):
        run(["ip", "netns", "del", ns], check=False)
    _LIVE.clear()


def remove_stale() -> list[str]:
    """Delete lab namespaces whose creating process no longer exists."""
    removed = []
    for name in sorted(os.listdir("/run/netns") if os.path.isdir("/run/netns") else []):
        if not NAME_RE.fullmatch(name):
            continue
        pid_hex = name.split("-")[1].split("x")[0]
        try:
            pid = int(pid_hex, 16)
        except ValueError:
            continue
        if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            run(["ip", "netns", "del", name], check=False)
            removed.append(name)
    return removed


__all__ = ["CLIENT4", "CLIENT6", "PROBE_PORT", "Port", "Role", "Topology",
           "TopologyUnsupported", "Uplink", "create", "destroy", "in_ns", "lab",
           "links_up_with_ra", "new_prefix", "plan"]
