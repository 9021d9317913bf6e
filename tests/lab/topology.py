"""The lab's networks: a server with one uplink per spec interface, a router
behind each uplink with strict reverse-path filtering, and a client behind the
routers.

    client --r<k>/lan-- router k --srv/<iface>-- server

The client's own address sits on its loopback and every route to the server's
prefixes uses it as source; each router link has its own small subnet. (No
bridge: a bridge port forwards only after the kernel's link watch, which delays
carrier events by up to a second.)

The server's uplinks are the spec's ethernet interfaces, left unconfigured for
the backend under test; each router holds the gateway addresses the spec names
for its uplink. A reply that leaves the server by the wrong uplink reaches a
router that has no route back to its source and is dropped: IPv4 by
`rp_filter=1`, IPv6 by an nftables `fib saddr . iif oif missing drop` chain.
So the client reaches an address only if replies from it leave by its own uplink.
"""

from __future__ import annotations

import contextlib
import itertools
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

from netcompile.model import IPAddress, IPInterface, Kind, Network

from .guard import NAME_RE
from .procs import in_ns, ns_run, run

# The client side of the lab; the spec's own prefixes are on the server's uplinks.
CLIENT4 = IPv4Address("203.0.113.254")
CLIENT6 = IPv6Address("2001:db8:ff:ffff::100")
# Router k and the client share 203.0.113.4k/30 and 2001:db8:ff:k::/64.
LINKS4 = IPv4Network("203.0.113.0/24")
LINKS6 = IPv6Network("2001:db8:ff::/48")
MAX_UPLINKS = 63
PROBE_PORT = 7777

_counter = itertools.count()
# Every namespace this process made and has not deleted yet (cleaned at exit too).
_LIVE: set[str] = set()

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


@dataclass(frozen=True, slots=True)
class Uplink:
    """One server interface and the router behind it."""

    index: int
    interface: str
    router: str
    mac: str | None
    addresses: tuple[IPInterface, ...]
    gateways: tuple[IPInterface, ...]

    def link(self, side: int) -> tuple[IPv4Interface, IPv6Interface]:
        """Addresses on the router-client link: side 1 the router, 2 the client."""
        base4 = LINKS4.network_address + 4 * self.index
        base6 = LINKS6.network_address + (self.index << 64)
        return IPv4Interface(f"{base4 + side}/30"), IPv6Interface(f"{base6 + side}/64")

    def reachable(self) -> tuple[IPInterface, ...]:
        """Addresses the client should reach: those of a family with a gateway."""
        families = {g.version for g in self.gateways}
        return tuple(a for a in self.addresses if a.version in families)


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str
    server: str
    client: str
    uplinks: tuple[Uplink, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.server, self.client, *(u.router for u in self.uplinks))

    def uplink_of(self, address: IPAddress) -> Uplink:
        for uplink in self.uplinks:
            if any(a.ip == address for a in uplink.addresses):
                return uplink
        raise KeyError(address)


def new_prefix() -> str:
    """Unique per topology and per process, so parallel runs never collide; the
    pid comes first so a later run can tell namespaces of a dead run apart."""
    return f"nclab-{os.getpid():x}x{next(_counter):x}{secrets.token_hex(2)}"


def plan(network: Network, prefix: str) -> Topology:
    """The lab topology a spec needs: one router per physical interface."""
    uplinks = []
    for interface in network.interfaces:
        if interface.kind != Kind.ETHERNET:
            if interface.members or interface.vlan:
                raise TopologyUnsupported(
                    f"{interface.name}: the lab wires only ethernet uplinks, not {interface.kind}")
            continue
        if interface.is_member:
            raise TopologyUnsupported(f"{interface.name} is a member of {interface.controller}")
        addresses = tuple(a.address for a in interface.addresses)
        gateways = []
        for gateway, _where in interface.gateways:
            # The router's address uses the prefix of the server address it shares a
            # subnet with; an off-subnet gateway gets a host prefix.
            subnet = next((a.network for a in addresses if gateway in a.network), None)
            bits = subnet.prefixlen if subnet else gateway.max_prefixlen
            gateways.append(ip_interface(f"{gateway}/{bits}"))
        index = len(uplinks)
        uplinks.append(Uplink(index, interface.name, f"{prefix}-r{index}",
                              interface.match.mac if interface.match else None,
                              addresses, tuple(gateways)))
    if not uplinks:
        raise TopologyUnsupported("the spec has no ethernet interface")
    if len(uplinks) > MAX_UPLINKS:
        raise TopologyUnsupported(f"more than {MAX_UPLINKS} uplinks")
    return Topology(prefix, f"{prefix}-srv", f"{prefix}-cli", tuple(uplinks))


def _sysctls(ns: str, settings: dict[str, str]) -> None:
    ns_run(ns, ["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in settings.items())])


def _ip_batch(ns: str, commands: list[str]) -> None:
    ns_run(ns, ["ip", "-batch", "-"], stdin="\n".join(commands) + "\n")


_NO_DAD = {"net.ipv6.conf.all.accept_dad": "0", "net.ipv6.conf.default.accept_dad": "0",
           # Router advertisements from the routers must not add routes of their own.
           "net.ipv6.conf.all.accept_ra": "0", "net.ipv6.conf.default.accept_ra": "0"}


def create(topology: Topology) -> None:
    """Make the namespaces and links; the server's interfaces stay unconfigured."""
    for ns in topology.namespaces:
        if not NAME_RE.fullmatch(ns):
            raise ValueError(f"bad namespace name {ns}")
        run(["ip", "netns", "add", ns])
        _LIVE.add(ns)
        _sysctls(ns, _NO_DAD)
        ns_run(ns, ["ip", "link", "set", "lo", "up"])

    client = [f"addr add {CLIENT4}/32 dev lo", f"addr add {CLIENT6}/128 dev lo nodad"]
    for uplink in topology.uplinks:
        lan4, lan6 = uplink.link(1)
        peer4, peer6 = uplink.link(2)
        strict = {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1",
                  "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.conf.default.rp_filter": "1"}
        _sysctls(uplink.router, strict)
        mac = f" address {uplink.mac}" if uplink.mac else ""
        commands = [f"link add srv type veth peer name {uplink.interface}{mac} "
                    f"netns {topology.server}",
                    f"link add lan type veth peer name r{uplink.index} netns {topology.client}",
                    "link set srv up", "link set lan up",
                    f"addr add {lan4} dev lan", f"addr add {lan6} dev lan nodad",
                    f"route add {CLIENT4}/32 via {peer4.ip}",
                    f"route add {CLIENT6}/128 via {peer6.ip}"]
        commands += [f"addr add {g} dev srv" + (" nodad" if g.version == 6 else "")
                     for g in uplink.gateways]
        # An off-subnet gateway: reach the server's addresses directly on the link.
        commands += [f"route add {a.ip}/{a.max_prefixlen} dev srv" for a in uplink.addresses
                     if not any(a.ip in g.network for g in uplink.gateways)]
        _ip_batch(uplink.router, commands)
        _sysctls(uplink.router, {f"net.ipv4.conf.{i}.rp_filter": "1" for i in ("srv", "lan")})
        ns_run(uplink.router, ["nft", "-f", "-"], stdin=_RPF_IPV6)
        client += [f"link set r{uplink.index} up", f"addr add {peer4} dev r{uplink.index}",
                   f"addr add {peer6} dev r{uplink.index} nodad"]
        client += [f"route add {a.network} via {(lan4 if a.version == 4 else lan6).ip} "
                   f"src {CLIENT4 if a.version == 4 else CLIENT6}" for a in uplink.addresses]
    _ip_batch(topology.client, client)


def destroy(topology: Topology) -> None:
    """Delete every namespace of the topology; links inside go with them."""
    for ns in topology.namespaces:
        if ns in _LIVE:
            run(["ip", "netns", "del", ns], check=False)
            _LIVE.discard(ns)


@contextlib.contextmanager
def lab(network: Network, prefix: str | None = None) -> Iterator[Topology]:
    """A fresh topology for `network`, deleted on exit whatever happened."""
    topology = plan(network, prefix or new_prefix())
    try:
        create(topology)
        yield topology
    finally:
        destroy(topology)


def destroy_all() -> None:
    """Delete what this process left (called at exit, e.g. after an interrupt)."""
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


__all__ = ["CLIENT4", "CLIENT6", "PROBE_PORT", "Topology", "TopologyUnsupported", "Uplink",
           "create", "destroy", "in_ns", "lab", "new_prefix", "plan"]
