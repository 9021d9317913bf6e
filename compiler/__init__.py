"""netcompile: one declarative network spec, four Linux network backends.

The library API, for image builders:

    >>> import netcompile
    >>> files = netcompile.compile_file("spec.yaml", "networkd")
    >>> for f in files: print(f.path, oct(f.mode))

`compile_file` returns the files in memory and touches no disk; it raises
`SpecError` (invalid spec) or `UnsupportedErrors` (a backend cannot express
something), both subclasses of `NetcompileError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NetcompileError, SpecError, UnsupportedError, UnsupportedErrors
from .model import Network
from .output import OutputFile

if TYPE_CHECKING:
    from .loader import LoadedSpec

__version__ = "0.1.0"

__all__ = [
    "NetcompileError",
    "Network",
    "OutputFile",
    "SpecError",
    "UnsupportedError",
    "UnsupportedErrors",
    "build_network",
    "compile_file",
    "load_network",
    "render",
    "targets",
]


def load_network(data: bytes, name: str) -> Network:
    """Validate spec bytes and return the model with every intent expanded."""
    from .loader import load_bytes

    return _model(load_bytes(data, name))


def build_network(path: str) -> Network:
    """Like load_network, for a file; errors name the file as given."""
    from .loader import load_file

    return _model(load_file(path))


def _model(spec: LoadedSpec) -> Network:
    from . import build, passes, recovery, schema

    violations = schema.check(spec)
    if violations.diagnostics:
        # All errors at once: the builder's findings in the schema-valid rest too.
        raise SpecError([*violations.diagnostics,
                         *recovery.further_errors(spec, violations)])
    return passes.expand(build.build(spec))


def targets() -> tuple[str, ...]:
    from .backends import BACKENDS

    return tuple(BACKENDS)


def render(network: Network, target: str) -> list[OutputFile]:
    """The files one backend makes of the model, sorted by path."""
    from .backends import renderer

    return sorted(renderer(target)(network), key=lambda f: f.path)


def compile_file(path: str, target: str) -> list[OutputFile]:
    return render(build_network(path), target)
