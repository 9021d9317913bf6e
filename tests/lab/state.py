"""The kernel state the lab compares: one normalised shape for what the kernel
shows (kernelstate.py) and what the spec means (expectation.py).

Each field is a frozenset of small tuples, so two states compare with `==` and
their difference prints as what is missing and what is extra.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

# Kernel table numbers (numeric output of `ip -N`).
MAIN, LOCAL = 254, 255


class Link(NamedTuple):
    name: str
    up: bool
    mtu: int


class Addr(NamedTuple):
    interface: str
    address: str  # "192.0.2.10/24"


class RouteEntry(NamedTuple):
    family: int
    table: int
    type: str
    destination: str  # a network, "0.0.0.0/0" for default
    gateway: str | None
    device: str | None
    scope: str  # "global", "link", "host"
    source: str | None  # prefsrc
    metric: int | None  # None: not compared (see kernelstate.normalise_route)
    onlink: bool


class RuleEntry(NamedTuple):
    family: int
    priority: int
    source: str | None  # a network; None for "all"
    destination: str | None
    iif: str | None
    oif: str | None
    fwmark: str | None  # "0x1/0xff"
    table: int | None
    action: str


class Sysctl(NamedTuple):
    """A per-interface setting the backends decide: router advertisements,
    address autoconfiguration, forwarding."""

    interface: str
    name: str  # "ipv6/accept_ra": the path under /proc/sys/net/ without the interface
    value: int


@dataclass(frozen=True, slots=True)
class KernelState:
    links: frozenset[Link]
    addresses: frozenset[Addr]
    routes: frozenset[RouteEntry]
    rules: frozenset[RuleEntry]
    sysctls: frozenset[Sysctl]

    def diff(self, other: KernelState, mine: str = "actual", theirs: str = "expected") -> str:
        """What differs, one line per entry: `- only in theirs`, `+ only in mine`."""
        lines = []
        for f in fields(self):
            ours, others = getattr(self, f.name), getattr(other, f.name)
            lines += [f"{f.name}: only in {theirs}: {e}" for e in sorted(others - ours, key=str)]
            lines += [f"{f.name}: only in {mine}: {e}" for e in sorted(ours - others, key=str)]
        return "\n".join(lines)
