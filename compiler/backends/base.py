"""What every backend is: a name, the files it owns, and a translation of the model.

A backend renders the model into files in memory. It never raises for something it
cannot express: it tells the `Refusals` collector, keeps going so that one run
reports every gap, and the driver (backends/__init__.py) raises them together. The
driver also adds what every backend shares: the header that marks a file as
generated, and the iproute2 names of the spec's tables.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import Location, UnsupportedError, UnsupportedErrors
from ..model import Network
from ..options import RenderOptions
from ..output import OutputFile


class Refusals:
    """Everything one backend cannot express, each at the spec line that asks for it."""

    def __init__(self, backend: str):
        self.backend = backend
        self.errors: list[UnsupportedError] = []
        self._said: set[str] = set()

    def refuse(self, where: Location, what: str, hint: str = "") -> None:
        """Once per line and message: one spec line can expand into several routes or
        rules that a backend refuses for the same reason."""
        error = UnsupportedError(where, self.backend, what, hint)
        if str(error) not in self._said:
            self._said.add(str(error))
            self.errors.append(error)

    def raise_any(self) -> None:
        if self.errors:
            raise UnsupportedErrors(self.errors)


class Backend(Protocol):
    """One target. `owns` lists DIRECTORY/GLOB patterns of the files it generates: a
    file there that carries netcompile's header and is no longer produced is stale."""

    @property
    def name(self) -> str: ...

    @property
    def owns(self) -> tuple[str, ...]: ...

    def render(self, network: Network, options: RenderOptions,
               refusals: Refusals) -> list[OutputFile]:
        """The backend's files, without the header line and without rt_tables.d."""
        ...
