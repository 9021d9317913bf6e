"""The backends: each a module with `NAME` and `render(network) -> list[OutputFile]`.

Modules are imported on first use so that `netcompile --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..model import Network
from ..output import OutputFile

BACKENDS: dict[str, str] = {
    "networkd": "netcompile.backends.networkd",
    "netplan": "netcompile.backends.netplan",
    "networkmanager": "netcompile.backends.networkmanager",
    "ifupdown": "netcompile.backends.ifupdown",
}

Renderer = Callable[[Network], list[OutputFile]]


def renderer(name: str) -> Renderer:
    module = importlib.import_module(BACKENDS[name])
    render: Renderer = module.render
    return render
