"""One backend's output applied in a fresh topology: the unit every lab test uses."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from netcompile.model import Network
from netcompile.output import OutputFile

from . import kernelstate, probes, topology
from .appliers import Applier, applier
from .expectation import expected
from .state import KernelState
from .topology import Topology


@dataclass(slots=True)
class Deployment:
    network: Network
    topology: Topology
    applier: Applier
    state: KernelState
    # The server's state before anything was applied.
    before: KernelState

    def addresses(self) -> list[str]:
        """Every uplink address the client should reach."""
        return [str(a.ip) for u in self.topology.uplinks for a in u.reachable()]

    def refresh(self, expect: KernelState | None = None) -> KernelState:
        self.state = kernelstate.settle(self.topology.server, self.applier.interfaces, expect)
        return self.state


@contextlib.contextmanager
def deployed(backend: str, wired: Network, files: Sequence[OutputFile], work: Path,
             expect: KernelState | None = None, *, running: bool = False,
             ) -> Iterator[Deployment]:
    """A topology for `wired` (the spec that decides the wiring), `files` applied by
    `backend`'s real program, a TCP listener on the server; all torn down on exit.

    The routers advertise from the start. By default the server's links are down
    when the backend starts (a boot); with `running`, they are up first and have
    learned the routers' advertisements (networking restarted on a running host)."""
    with (topology.lab(wired, work / "routers") as topo,
          applier(backend, topo, work) as app,
          probes.listener(topo, work / "listener.log")):
        if running:
            topology.links_up_with_ra(topo)
        before = kernelstate.read(topo.server, app.interfaces)
        app.apply(files)
        state = kernelstate.settle(topo.server, app.interfaces, expect)
        yield Deployment(wired, topo, app, state, before)


__all__ = ["Deployment", "deployed", "expected"]
