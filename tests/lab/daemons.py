"""The routers' own daemons: radvd on each uplink router, dnsmasq's DHCP server on
the management router.

Each runs in the foreground inside the router's namespace, started by the lab
and ended by its pid; its configuration, pid file, lease file and log live in
the test's work directory. dnsmasq rather than isc-dhcp-server: it comes with
NetworkManager's install already (dnsmasq-base), runs in the foreground with one
configuration file and no init script, and needs no `INTERFACESv4` default file
or separate daemon per family; ISC ended maintenance of isc-dhcp-server in 2022.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Network
from pathlib import Path

from .procs import Process, in_ns, wait_until

RADVD = "/usr/sbin/radvd"
DNSMASQ = "/usr/sbin/dnsmasq"
# Router advertisements: a few seconds apart, so a link that comes up late still
# hears one soon (radvd also answers the host's router solicitations at once).
RA_INTERVAL = (3, 10)
# How long an advertised default route lives on a host that accepted it.
RA_ROUTER_LIFETIME = 1800
# The lease time the DHCP server offers (seconds).
LEASE_TIME = 3600

_RADVD_CONF = """interface {interface} {{
    AdvSendAdvert on;
    MinRtrAdvInterval {min_interval};
    MaxRtrAdvInterval {max_interval};
    AdvDefaultLifetime {lifetime};
{prefixes}}};
"""
_RADVD_PREFIX = """    prefix {prefix} {{
        AdvOnLink on;
        AdvAutonomous on;
    }};
"""

# Only DHCPv4 on `interface`: no DNS (port=0), no hosts or resolv.conf of the
# machine, no DNS server option in the offer (the host's resolv.conf is not the
# lab's to change), root kept so the files in the work directory stay writable.
_DNSMASQ_CONF = """port=0
no-hosts
no-resolv
user=root
interface={interface}
bind-interfaces
dhcp-authoritative
dhcp-range={first},{last},{netmask},{lease}
dhcp-option=option:router,{router}
dhcp-option=option:dns-server
dhcp-leasefile={leases}
log-dhcp
"""
# The interface MTU option (26), when the lease carries one.
_DNSMASQ_MTU = "dhcp-option=option:mtu,{mtu}\n"


@dataclass(frozen=True, slots=True)
class Lease:
    """What the lab's DHCP server hands out on one management network."""

    address: IPv4Interface
    router: IPv4Interface
    # The MTU the server offers (option 26), or None for no such option.
    mtu: int | None = None


def radvd(ns: str, interface: str, prefixes: tuple[IPv6Network, ...], work: Path) -> Process:
    """radvd advertising `prefixes` (on-link, autonomous) and itself as default router."""
    conf = work / f"radvd-{ns}.conf"
    conf.write_text(_RADVD_CONF.format(
        interface=interface, min_interval=RA_INTERVAL[0], max_interval=RA_INTERVAL[1],
        lifetime=RA_ROUTER_LIFETIME,
        prefixes="".join(_RADVD_PREFIX.format(prefix=p) for p in prefixes)))
    conf.chmod(0o644)  # radvd refuses a configuration others may write
    pid_file = work / f"radvd-{ns}.pid"
    process = Process(in_ns(ns, [RADVD, "--nodaemon", "--logmethod", "stderr_clean",
                                 "--config", str(conf), "--pidfile", str(pid_file)]),
                      work / f"radvd-{ns}.log")
    _started(process, "radvd")
    return process


def dnsmasq(ns: str, interface: str, lease: Lease, work: Path) -> Process:
    """dnsmasq offering exactly `lease.address` with `lease.router` as the router."""
    conf = work / f"dnsmasq-{ns}.conf"
    ip = lease.address.ip
    conf.write_text(_DNSMASQ_CONF.format(
        interface=interface, first=ip, last=ip, netmask=lease.address.netmask,
        lease=LEASE_TIME, router=lease.router.ip, leases=work / f"dnsmasq-{ns}.leases")
        + ("" if lease.mtu is None else _DNSMASQ_MTU.format(mtu=lease.mtu)))
    process = Process(in_ns(ns, [DNSMASQ, "--keep-in-foreground", "--log-facility=-",
                                 f"--conf-file={conf}",
                                 f"--pid-file={work / f'dnsmasq-{ns}.pid'}"]),
                      work / f"dnsmasq-{ns}.log")
    _started(process, "dnsmasq")
    return process


def _started(process: Process, name: str) -> None:
    """Still running a moment after the start (a bad configuration ends it at once)."""
    wait_until(lambda: not process.alive(), 0.3)
    if not process.alive():
        raise RuntimeError(f"{name} exited {process.popen.returncode}: {process.text()}")
