"""MTUs along the chains of devices that sit on each other.

What the kernel does with them, and so what a spec must not ask for:

- a VLAN's MTU cannot exceed its parent's: the kernel refuses to set it, and the
  VLAN stays at its parent's MTU;
- a bond sets its members' MTU to its own when it enslaves them, so a member's own
  `mtu` other than the bond's is undone at once (or later undoes the bond's);
- a bridge larger than one of its members drops every frame too big for that member.

A device without `mtu` has the kernel's: 1500 for an ethernet, a bond or a bridge
without members; its parent's for a VLAN; its smallest member's for a bridge (the
kernel follows its ports).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import Diagnostic, Location
from .loader import dotted
from .model import Interface, Kind

DEFAULT_MTU = 1500


@dataclass(frozen=True, slots=True)
class _Mtu:
    value: int
    written: bool  # in the spec, not derived from the kernel's defaults

    def __str__(self) -> str:
        return str(self.value) if self.written else f"{self.value}, as it has no `mtu`"


def problems(by_name: Mapping[str, Interface],
             where: Callable[[str], Location]) -> list[Diagnostic]:
    """Every MTU the kernel would refuse, undo or make drop frames; `where(name)` is
    the position of that interface's `mtu`."""

    def effective(name: str, seen: frozenset[str] = frozenset()) -> _Mtu:
        interface = by_name.get(name)
        if interface is None or name in seen:  # unknown or cyclic: reported elsewhere
            return _Mtu(DEFAULT_MTU, False)
        if interface.mtu is not None:
            return _Mtu(interface.mtu, True)
        seen = seen | {name}
        if interface.vlan is not None:
            return _Mtu(effective(interface.vlan.link, seen).value, False)
        if interface.kind is Kind.BRIDGE and interface.members:
            return _Mtu(min(effective(m, seen).value for m in interface.members), False)
        return _Mtu(DEFAULT_MTU, False)

    found: list[Diagnostic] = []
    for name in sorted(by_name):
        interface = by_name[name]
        if interface.mtu is None:
            continue
        path = dotted(("interfaces", name, "mtu"))
        if interface.vlan is not None and interface.vlan.link in by_name:
            parent = interface.vlan.link
            limit = effective(parent)
            if interface.mtu > limit.value:
                found.append(Diagnostic(
                    where(name), path,
                    f"MTU {interface.mtu} is above the MTU of {parent}, the VLAN's parent "
                    f"({limit}): the kernel refuses it",
                    f"raise `mtu:` on {parent} to {interface.mtu} or more, or lower this one"))
        if interface.kind is Kind.BRIDGE:
            for member in interface.members:
                limit = effective(member)
                if interface.mtu > limit.value:
                    found.append(Diagnostic(
                        where(name), path,
                        f"MTU {interface.mtu} is above the MTU of {member}, a member of this "
                        f"bridge ({limit}): frames larger than {limit.value} bytes are "
                        f"dropped there",
                        f"raise `mtu:` on {member} to {interface.mtu} or more, or lower "
                        "this one"))
        controller = by_name.get(interface.controller or "")
        if controller is not None and controller.kind is Kind.BOND:
            bond = effective(controller.name)
            if interface.mtu != bond.value:
                found.append(Diagnostic(
                    where(name), path,
                    f"{name} is a member of {controller.name}, which sets its members' MTU "
                    f"to its own ({bond})",
                    f"remove it here; set `mtu:` on {controller.name} instead" if bond.written
                    else f"set `mtu: {interface.mtu}` on {controller.name} and remove it here"))
    return found
