"""What this kernel can build, found by trying it in a throw-away namespace."""

from __future__ import annotations

import functools

from netcompile.model import Kind, Network

from .procs import ns_run, run
from .topology import new_prefix

# Link types the model's kinds need from the kernel, with the `ip link add` arguments.
LINK_TYPES: dict[Kind, tuple[str, ...]] = {
    Kind.BOND: ("type", "bond"),
    Kind.VLAN: ("link", "lo", "type", "vlan", "id", "42"),
    Kind.BRIDGE: ("type", "bridge"),
}
KERNEL_SKIP = "kernel lacks"


@functools.cache
def kernel_has(kind: Kind) -> bool:
    args = LINK_TYPES.get(kind)
    if args is None:
        return True
    ns = f"{new_prefix()}-cap"
    run(["ip", "netns", "add", ns])
    try:
        if kind == Kind.VLAN:
            # A VLAN needs a lower link; a veth is always there.
            ns_run(ns, ["ip", "link", "add", "base", "type", "veth", "peer", "name", "peer"])
            args = ("link", "base", *args[2:])
        return ns_run(ns, ["ip", "link", "add", "probe", *args], check=False).returncode == 0
    finally:
        run(["ip", "netns", "del", ns], check=False)


def beyond_the_lab(network: Network) -> list[str]:
    """What a spec needs that the lab's veth topology does not offer: a DHCPv6
    server, or real NICs (a veth has no permanent MAC, and its driver is veth)."""
    reasons = []
    if any(i.dhcp6 for i in network.interfaces):
        reasons.append("DHCPv6 (the lab serves DHCPv4 only)")
    if any(i.match is not None and (i.match.mac or i.match.driver)
           for i in network.interfaces):
        reasons.append("matching by MAC or driver (a veth has no permanent MAC)")
    return reasons


def missing(network: Network) -> list[str]:
    """Link types the spec uses that this kernel cannot create."""
    return sorted({i.kind.value for i in network.interfaces if not kernel_has(i.kind)})
