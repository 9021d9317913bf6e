"""What NetworkManager does with a profile's IP settings, for both renderers that
write NetworkManager profiles: the networkmanager backend's keyfiles and netplan's
NetworkManager renderer.

One family of a profile is `auto` (DHCP, with router advertisements for IPv6),
`manual` (static addresses), or neither: then IPv4 is `disabled` and IPv6
`link-local`, and NetworkManager refuses DNS settings there and loses routes and
rules of that family. The choices here make the kernel end up as with networkd.
"""

from __future__ import annotations

from ..model import Family, Interface, Network
from .base import Refusals

# Method when the family has neither static addresses nor DHCP: no IPv4LL, and IPv6
# link-local only (an fe80:: address, as the kernel and networkd give every link).
UNCONFIGURED_METHOD: dict[Family, str] = {4: "disabled", 6: "link-local"}
# route-metric is the metric of the prefix routes of addresses: the kernel's own for
# static addresses, networkd's DHCP/RA default when the family uses DHCP.
STATIC_PREFIX_METRIC: dict[Family, int] = {4: 0, 6: 256}
DHCP_PREFIX_METRIC = 1024


def method(interface: Interface, family: Family) -> str:
    if interface.dhcp(family):
        return "auto"
    if interface.addresses_of(family):
        return "manual"
    return UNCONFIGURED_METHOD[family]


def prefix_route_metric(interface: Interface, family: Family) -> int:
    return DHCP_PREFIX_METRIC if interface.dhcp(family) else STATIC_PREFIX_METRIC[family]


def carries_search(interface: Interface, family: Family) -> bool:
    """NetworkManager keeps one search list per profile: on [ipv4] when IPv4 is
    configured, else on [ipv6]."""
    if family == 4:
        return interface.configured(4)
    return interface.configured(6) and not interface.configured(4)


def refuse_lost(network: Network, interface: Interface, refusals: Refusals,
                under: str = "") -> None:
    """Refuse what NetworkManager would refuse or drop on `interface`: DNS settings on
    an unconfigured family, and IPv4 routes and rules where IPv4 is disabled (an
    IPv6 family without configuration is link-local and keeps its routes). `under`
    names the renderer in the message, e.g. " under netplan's NetworkManager renderer"."""
    name = interface.name
    if interface.is_member:
        # A bond or bridge port's profile has no [ipv4]/[ipv6]: NetworkManager removes
        # them, and a rule matching `iif PORT` would go with them.
        owned = [("route", r.where) for r in network.routes_of(name)]
        owned += [("rule", r.where) for r in network.rules_of(name)]
        for kind, where in owned:
            refusals.refuse(
                where, f"a {kind} owned by {name}, a port of {interface.controller}{under} "
                "(a port's profile carries no IP configuration)",
                f"attach it to {interface.controller} instead")
        return
    for family in (4, 6):
        if interface.dns_servers_of(family) and not interface.configured(family):
            refusals.refuse(
                interface.where,
                f"IPv{family} DNS servers on {name}, which has no IPv{family} address or "
                f"DHCP{under} (NetworkManager refuses ipv{family}.dns with "
                f"method={method(interface, family)})",
                f"give {name} an IPv{family} address or dhcp{family}, or list the servers "
                "on an interface that has one")
    if interface.dns_search and not (interface.configured(4) or interface.configured(6)):
        refusals.refuse(
            interface.where,
            f"DNS search domains on {name}, which has no address or DHCP{under} "
            "(NetworkManager refuses dns-search with method=disabled or link-local)",
            f"give {name} an address or DHCP, or list the domains on an interface that "
            "has one")
    if interface.configured(4):
        return
    lost = [(r.where, f"an IPv4 route on {name}",
             f"give {name} an IPv4 address, or put the route on an interface that has one")
            for r in network.routes_of(name) if r.family == 4]
    lost += [(r.where, f"an IPv4 rule owned by {name}",
              f"give {name} an IPv4 address, or use a rule whose table has routes on an "
              "interface with IPv4")
             for r in network.rules_of(name) if r.family == 4]
    for where, what, hint in lost:
        refusals.refuse(where, f"{what}, which has no IPv4 address or DHCP{under} "
                        "(ipv4.method=disabled)", hint)
