"""One applier per backend: put netcompile's files in front of the real program."""

from __future__ import annotations

from pathlib import Path

from ..topology import Topology
from .base import Applier, ApplyError
from .ifupdown import Ifupdown
from .netplan import Netplan
from .networkd import Networkd
from .networkmanager import NetworkManager

# Keyed by each applier's backend name; tests/test_backends.py checks that they
# cover netcompile's registry exactly.
APPLIERS: dict[str, type[Applier]] = {
    cls.name: cls for cls in (Networkd, Netplan, NetworkManager, Ifupdown)}


def applier(backend: str, topology: Topology, work: Path) -> Applier:
    return APPLIERS[backend](topology, work)


__all__ = ["APPLIERS", "Applier", "ApplyError", "applier"]
