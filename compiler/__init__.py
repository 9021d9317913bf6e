"""netcompile: one declarative network spec, four Linux network backends.

The library API, for image builders:

    >>> import netcompile
    >>> files = netcompile.compile_file("spec.yaml", "networkd")
    >>> for f in files: print(f.path, oct(f.mode))

`compile_file` returns the files in memory and touches no disk (`load_spec` and
`render(network, target, options)` are its two halves); it raises
`SpecError` (invalid spec) or `UnsupportedErrors` (a backend cannot express
something), both subclasses of `NetcompileError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import Diagnostic, NetcompileError, SpecError, UnsupportedError, UnsupportedErrors
from .model import Network
from .options import NetplanOptions, NetplanRenderer, RenderOptions
from .output import OutputFile

if TYPE_CHECKING:
    from .compose import Source
    from .loader import LoadedSpec

__version__ = "0.1.0"

__all__ = [
    "NetcompileError",
    "NetplanOptions",
    "NetplanRenderer",
    "Network",
    "OutputFile",
    "RenderOptions",
    "Spec",
    "SpecError",
    "UnsupportedError",
    "UnsupportedErrors",
    "build_network",
    "compile_file",
    "load_network",
    "load_spec",
    "load_spec_bytes",
    "render",
    "targets",
]


@dataclass(frozen=True, slots=True)
class Spec:
    """A compiled spec: the host's model with every intent expanded, the backend
    choices the spec makes (its `netplan:` key), and the warnings about it (valid, but
    probably not what was meant: compiler/lint.py)."""

    network: Network
    options: RenderOptions
    warnings: tuple[Diagnostic, ...] = ()


def load_spec_bytes(data: bytes, name: str, source: Source | None = None) -> Spec:
    """Validate spec bytes; `name` is what errors and file headers call the spec.
    Files it includes are read relative to `name` from `source` (default: the file
    system; compose.py)."""
    from . import compose

    return _compile(compose.load(data, name, source or compose.FILES))


def load_spec(path: str) -> Spec:
    """Like load_spec_bytes, for a file; errors name the file as given."""
    from .loader import read_file

    return load_spec_bytes(read_file(path), path)


def load_network(data: bytes, name: str) -> Network:
    """Validate spec bytes and return the model with every intent expanded."""
    return load_spec_bytes(data, name).network


def build_network(path: str) -> Network:
    """Like load_network, for a file; errors name the file as given."""
    return load_spec(path).network


def targets() -> tuple[str, ...]:
    from .backends import NAMES

    return NAMES


def render(network: Network, target: str,
           options: RenderOptions | None = None) -> list[OutputFile]:
    """The files one backend makes of the model, sorted by path. `options` default to
    what a spec without backend choices gets."""
    from . import backends

    return backends.render(network, target, options)


def compile_file(path: str, target: str) -> list[OutputFile]:
    spec = load_spec(path)
    return render(spec.network, target, spec.options)


def _compile(loaded: LoadedSpec) -> Spec:
    from . import build, lint, passes, recovery, schema

    violations = schema.check(loaded)
    if violations.diagnostics:
        # All errors at once: the builder's findings in the schema-valid rest too.
        raise SpecError([*violations.diagnostics,
                         *recovery.further_errors(loaded, violations)])
    network = passes.expand(build.build(loaded))
    return Spec(network, build.render_options(loaded), tuple(lint.warnings(network)))
