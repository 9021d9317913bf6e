"""The registry of backends, and the driver every target is rendered through.

`REGISTRY` is the one list of targets: the command line's choices, the writer's
owned files and the lab all read it. Modules are imported on first use so that
`netcompile --help` stays fast; each one exposes `BACKEND`, which satisfies
base.Backend.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads NAMES before it needs anything else
    from ..model import Network
    from ..options import RenderOptions
    from ..output import OutputFile
    from .base import Backend

# Target name -> module. The order is the order of `--target all` and of the docs.
REGISTRY: dict[str, str] = {
    "networkd": "netcompile.backends.networkd",
    "netplan": "netcompile.backends.netplan",
    "networkmanager": "netcompile.backends.networkmanager",
    "ifupdown": "netcompile.backends.ifupdown",
}
NAMES: tuple[str, ...] = tuple(REGISTRY)


@functools.cache
def backend(name: str) -> Backend:
    found: Backend = importlib.import_module(REGISTRY[name]).BACKEND
    return found


def render(network: Network, name: str, options: RenderOptions | None = None) -> list[OutputFile]:
    """One backend's files, sorted by path: each marked as generated, plus the
    iproute2 names of the tables. Raises UnsupportedErrors with every refusal."""
    from ..options import RenderOptions
    from ..output import OutputFile, header, rt_tables_file
    from .base import Refusals

    target = backend(name)
    refusals = Refusals(target.name)
    files = target.render(network, options or RenderOptions(), refusals)
    refusals.raise_any()
    mark = header(network)
    marked = [OutputFile(f.path, mark + f.content, f.mode) for f in files]
    tables = rt_tables_file(network)
    if tables is not None:
        marked.append(tables)
    return sorted(marked, key=lambda f: f.path)
