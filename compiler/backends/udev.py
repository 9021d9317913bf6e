"""udev .link files that give a device the spec's name, for the backends that
cannot rename devices themselves (networkd, NetworkManager).

Both use this one renderer, so an interface gets the same file at the same path
from either backend and `--target all` writes it once.
"""

from __future__ import annotations

from .. import templating
from ..model import Interface
from ..output import OutputFile
from .base import Refusals

LINK_DIR = "etc/systemd/network"
# 10- sorts before Debian's 73-usb-net-by-mac.link and 99-default.link; the first
# .link file that matches a device wins.
PREFIX = "10-"
RENAME_BY_NAME_HINT = ("match it by `mac` or `driver` instead, or name it by its "
                       "kernel name")


def rename_link(interface: Interface) -> OutputFile | None:
    """A .link file only when the kernel name is unknown (matched by MAC or driver
    alone). The permanent MAC, because a bond changes its members' current MAC;
    Type=ether keeps the match off VLANs, bonds and bridges, which inherit it."""
    match = interface.match
    if match is None or match.name is not None:
        return None
    keys = [(key, value) for key, value in (("PermanentMACAddress", match.mac),
                                            ("Driver", match.driver)) if value is not None]
    content = templating.render("udev", "rename.link.j2", match=[*keys, ("Type", "ether")],
                                name=interface.name)
    return OutputFile(f"{LINK_DIR}/{PREFIX}{interface.name}.link", content)


def refuse_rename_by_name(interface: Interface, refusals: Refusals) -> None:
    """A .link file matches the name the kernel gave (eth0), never the one udev gave
    (enp3s0), so a device found by another name cannot be renamed this way."""
    match = interface.match
    if match is None or match.name is None or match.name == interface.name:
        return
    refusals.refuse(
        match.where or interface.where,
        f"renaming the device found by its kernel name {match.name} to {interface.name} "
        "(a .link file can match only the name the kernel gave, not the name udev gave it)",
        RENAME_BY_NAME_HINT)
