"""What a spec says about how to render it, as opposed to what the host is.

The model (model.py) describes the host in the kernel's terms and nothing else;
choices that exist only for one backend, such as which renderer netplan hands the
host to and which netplan release reads the file, travel beside it as render
options. The spec's `netplan:` key fills them; the library API takes them as an
argument.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .errors import Location


class NetplanRenderer(enum.StrEnum):
    NETWORKD = "networkd"
    NETWORK_MANAGER = "NetworkManager"


# Debian 12's netplan.io: what a spec targets unless it says otherwise.
DEFAULT_NETPLAN_VERSION = (0, 106)


@dataclass(frozen=True, slots=True)
class NetplanOptions:
    """The netplan backend's choices (the spec's `netplan:`). `where` is the `netplan`
    key, or None when the spec has none."""

    renderer: NetplanRenderer = NetplanRenderer.NETWORKD
    version: tuple[int, int] = DEFAULT_NETPLAN_VERSION
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Every backend's options; a backend reads only its own."""

    netplan: NetplanOptions = NetplanOptions()
