"""Read a host's addresses, routes of every table and rules with `ip -j`, for `verify`.

`ip` (iproute2) rather than a netlink library such as pyroute2: every host that
runs these backends has it, it adds no dependency, its JSON is what the lab reads
to prove every backend (tests/lab/kernelstate.py), and an operator can run the very
same command to see what verify saw. `-N -d` gives numbers for tables, types, scopes
and protocols, so names in rt_tables files cannot change what is compared.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import NetcompileError
from .model import IPAddress, IPNetwork

TIMEOUT = 30
# rtnetlink numbers (include/uapi/linux/rtnetlink.h).
ROUTE_TYPES = {"1": "unicast", "2": "local", "3": "broadcast", "4": "anycast", "5": "multicast",
               "6": "blackhole", "7": "unreachable", "8": "prohibit", "9": "throw", "10": "nat"}
SCOPES = {"0": "global", "200": "site", "253": "link", "254": "host", "255": "nowhere"}
PROTOCOLS = {"0": "unspec", "1": "redirect", "2": "kernel", "3": "boot", "4": "static"}
# What the backends and the kernel write: anything else (dhcp, ra, a routing daemon)
# belongs to other software.
OURS = frozenset({"unspec", "kernel", "boot", "static"})


@dataclass(frozen=True, slots=True)
class LiveAddress:
    interface: str
    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface
    dynamic: bool


@dataclass(frozen=True, slots=True)
class LiveRoute:
    family: int
    table: int
    type: str
    destination: IPNetwork
    device: str | None
    gateway: IPAddress | None
    source: IPAddress | None
    scope: str
    metric: int
    on_link: bool
    protocol: str


@dataclass(frozen=True, slots=True)
class LiveRule:
    family: int
    priority: int
    table: int | None
    action: str
    source: IPNetwork | None
    destination: IPNetwork | None
    iif: str | None
    oif: str | None
    fwmark: int | None
    fwmask: int | None
    protocol: str


@dataclass(frozen=True, slots=True)
class LiveState:
    interfaces: frozenset[str]
    addresses: tuple[LiveAddress, ...]
    routes: tuple[LiveRoute, ...]
    rules: tuple[LiveRule, ...]


def _ip(netns: str | None, args: Sequence[str]) -> list[dict[str, Any]]:
    argv = ["ip", *(("-n", netns) if netns else ()), "-N", "-d", "-j", *args]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NetcompileError(f"cannot run {' '.join(argv)}: {error}") from None
    if result.returncode != 0:
        raise NetcompileError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
    text = result.stdout.strip()
    found: list[dict[str, Any]] = json.loads(text) if text else []
    return found


def _network(value: str, length: object, family: int) -> IPNetwork:
    if value in ("default", "all"):
        return ipaddress.ip_network("0.0.0.0/0" if family == 4 else "::/0")
    if length is not None:
        value = f"{value}/{length}"
    return ipaddress.ip_network(value, strict=False)


def _protocol(value: object) -> str:
    text = "boot" if value is None else str(value)
    return PROTOCOLS.get(text, text)


def read(netns: str | None = None) -> LiveState:
    """The state of the current network namespace, or of `netns` (`ip -n`)."""
    interfaces, addresses = set(), []
    for link in _ip(netns, ["addr", "show"]):
        interfaces.add(link["ifname"])
        for info in link.get("addr_info", ()):
            if SCOPES.get(str(info.get("scope", "0")), "global") != "global":
                continue
            addresses.append(LiveAddress(
                link["ifname"], ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}"),
                bool(info.get("dynamic")) or info.get("valid_life_time") not in (None,
                                                                                 0xFFFFFFFF)))
    routes = [_route(raw, family) for family in (4, 6)
              for raw in _ip(netns, [f"-{family}", "route", "show", "table", "all"])]
    rules = [_rule(raw, family) for family in (4, 6)
             for raw in _ip(netns, [f"-{family}", "rule", "show"])]
    return LiveState(frozenset(interfaces), tuple(addresses), tuple(routes), tuple(rules))


def _route(raw: dict[str, Any], family: int) -> LiveRoute:
    kind = ROUTE_TYPES.get(str(raw.get("type", "1")), str(raw.get("type")))
    gateway = raw.get("gateway")
    source = raw.get("prefsrc")
    return LiveRoute(
        family, int(raw.get("table", 254)), kind, _network(raw["dst"], None, family),
        raw.get("dev") if kind in ("unicast", "local", "broadcast", "anycast", "multicast")
        else None,
        None if gateway is None else ipaddress.ip_address(gateway),
        None if source is None else ipaddress.ip_address(source),
        SCOPES.get(str(raw.get("scope", "0")), str(raw.get("scope"))),
        int(raw.get("metric", 0)), "onlink" in raw.get("flags", ()),
        _protocol(raw.get("protocol")))


def _rule(raw: dict[str, Any], family: int) -> LiveRule:
    def prefix(key: str) -> IPNetwork | None:
        value = raw.get(key)
        if value is None or value == "all":
            return None
        return _network(value, raw.get(f"{key}len"), family)

    table = raw.get("table")
    fwmark = raw.get("fwmark")
    fwmask = raw.get("fwmask")
    return LiveRule(family, int(raw.get("priority", 0)),
                    None if table is None else int(table),
                    raw.get("action", "lookup" if table is not None else "other"),
                    prefix("src"), prefix("dst"), raw.get("iif"), raw.get("oif"),
                    None if fwmark is None else int(str(fwmark), 0),
                    None if fwmask is None else int(str(fwmask), 0),
                    _protocol(raw.get("protocol", "0")))
