"""Flows for the explain-versus-kernel differential, and the kernel's answers to them.

Flows cover what the routing of a spec can tell apart: the host's own packets from
no source and from each of its addresses; packets coming in on each uplink from the
lab's client, from a neighbour on each prefix and (a martian) from the host's own
address; destinations on every prefix (the host itself, its gateway, a neighbour),
inside every route's destination and outside all of them; marks 0 and every mark a
rule names, and 0x1. The kernel answers all of them in one `ip -force -batch` run: `ip route
get` only looks up, it sends nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass

from netcompile.explain import ERRORS, Answer, Flow
from netcompile.model import IPAddress, Network

from .procs import ns_run
from .topology import CLIENT4, CLIENT6

OUTSIDE: dict[int, tuple[IPAddress, ...]] = {
    4: (ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("100.64.7.7"), CLIENT4),
    6: (ipaddress.ip_address("2001:db8:ffff::1"), ipaddress.ip_address("64:ff9b::1"), CLIENT6),
}


def _inside(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network, offset: int) -> IPAddress:
    return prefix.network_address + min(offset, prefix.num_addresses - 2)


def flows(network: Network) -> list[Flow]:
    own = [(i.name, a.address) for i in network.interfaces for a in i.addresses]
    marks = sorted({0, 0x1, *(r.fwmark for r in network.rules if r.fwmark is not None)})
    found: list[Flow] = []
    for family in (4, 6):
        mine = [a for _, a in own if a.version == family]
        if not mine:
            continue
        destinations: list[IPAddress] = [a.ip for a in mine]
        destinations += [_inside(a.network, 5) for a in mine]
        destinations += [g for i in network.interfaces for g, _ in i.gateways
                         if g.version == family]
        destinations += [_inside(r.destination, 1) for r in network.routes
                         if r.family == family and not r.is_default]
        destinations += OUTSIDE[family]
        destinations = list(dict.fromkeys(destinations))
        sources: list[IPAddress | None] = [None, *(a.ip for a in mine)]
        found += [Flow(d, s, None, m) for d in destinations for s in sources for m in marks]
        client = CLIENT4 if family == 4 else CLIENT6
        inbound = [client, *(_inside(a.network, 7) for a in mine), mine[0].ip]
        for name in sorted({n for n, a in own if a.version == family}):
            found += [Flow(d, s, name, m) for d in destinations for s in inbound for m in marks
                      if s != d]
    return found


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `ip route get` says: an error message, or the interface, the next hop
    and the table."""

    error: str | None
    device: str | None = None
    gateway: str | None = None
    table: int | None = None


def explained(answer: Answer) -> Outcome:
    if answer.error is not None:
        return Outcome(ERRORS[answer.error])
    return Outcome(None, answer.device, None if answer.gateway is None else str(answer.gateway),
                   answer.table)


def command(flow: Flow) -> str:
    words = ["route", "get", str(flow.destination)]
    if flow.source is not None:
        words += ["from", str(flow.source)]
    if flow.iif is not None:
        words += ["iif", flow.iif]
    if flow.fwmark:
        words += ["mark", str(flow.fwmark)]
    return " ".join(words)


_FAILED = re.compile(r"^Command failed -:(\d+)$")


def kernel(ns: str, batch: list[Flow]) -> list[Outcome]:
    """The kernel's answer to every flow, from one `ip -force -batch` in `ns`."""
    result = ns_run(ns, ["ip", "-N", "-j", "-force", "-batch", "-"], check=False,
                    stdin="".join(command(f) + "\n" for f in batch), timeout=60)
    failed: dict[int, str] = {}
    message = ""
    for line in result.stderr.splitlines():
        match = _FAILED.match(line)
        if match:
            failed[int(match.group(1))] = message
        elif line.startswith("RTNETLINK answers: "):
            message = line.removeprefix("RTNETLINK answers: ")
        else:
            message = line
    answers = iter(line for line in result.stdout.splitlines() if line.strip())
    outcomes = []
    for number in range(1, len(batch) + 1):
        if number in failed:
            outcomes.append(Outcome(failed[number]))
            continue
        [route] = json.loads(next(answers))
        outcomes.append(Outcome(None, route.get("dev"), route.get("gateway"),
                                int(route.get("table", 254))))
    assert next(answers, None) is None, "more answers than commands"
    return outcomes


def sysctls(ns: str, interfaces: list[str]) -> tuple[bool, dict[str, int]]:
    """The server's IPv4 forwarding and each interface's effective rp_filter (the
    larger of `all` and the interface's own)."""
    keys = ["net.ipv4.conf.all.forwarding", "net.ipv4.conf.all.rp_filter",
            *(f"net.ipv4.conf.{i}.rp_filter" for i in interfaces)]
    values = [int(v) for v in ns_run(ns, ["sysctl", "-n", *keys]).stdout.split()]
    forwarding, every = bool(values[0]), values[1]
    return forwarding, {i: max(every, v) for i, v in zip(interfaces, values[2:], strict=True)}
