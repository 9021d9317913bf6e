"""Hypothesis strategies for valid specs, built from the schema's shape.

Every spec drawn here passes the schema and, by construction, the cross-reference
checks of build.py and passes.py (distinct subnets per interface, gateways inside
their prefix, one carrier of each main default route, distinct rule priorities and
route metrics). Backends may still refuse one (UnsupportedErrors): that is an
expected outcome, not a bug.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import strategies as st

from netcompile.build import BOND_OPTION_MODES
from netcompile.model import BondMode

# A kernel interface name per the schema, with the odd characters it allows and
# words that YAML readers like to turn into booleans or numbers.
interface_names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_@+=-]{0,14}", fullmatch=True),
    st.sampled_from(["yes", "no", "on", "off", "null", "true", "0x10", "1e3", "007", "_"]),
)
table_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,30}", fullmatch=True).filter(
    lambda n: n not in ("main", "local", "default", "unspec"))
table_numbers = st.one_of(st.integers(1, 252), st.integers(256, 4_294_967_295))
dns_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}\.?",
                          fullmatch=True)
macs = st.from_regex(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}", fullmatch=True)
drivers = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
BOND_OPTIONS_BY_MODE = {
    mode: sorted(k for k, modes in BOND_OPTION_MODES.items() if mode in modes)
    for mode in BondMode
}


class _Plan:
    """Allocates what must be unique across the spec."""

    def __init__(self) -> None:
        self.metric = 100
        self.priorities: set[int] = set()

    def next_metric(self) -> int:
        self.metric += 1
        return self.metric


def _subnet(index: int, family: int, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if family == 4:
        return ipaddress.ip_network(f"10.{index}.0.0/{prefix}")
    return ipaddress.ip_network(f"2001:db8:{index:x}::/{prefix}")


@st.composite
def _addressing(draw: Any, index: int, with_gateways: bool) -> dict[str, Any]:
    """Static addresses in this interface's own subnets; gateways at host 1."""
    raw: dict[str, Any] = {}
    families = draw(st.sets(st.sampled_from([4, 6]), min_size=1 if with_gateways else 0))
    addresses, gateways = [], []
    for family in sorted(families):
        prefix = draw(st.integers(16, 29) if family == 4 else st.integers(48, 126))
        net = _subnet(index, family, prefix)
        hosts = draw(st.integers(1, 2))
        addresses += [f"{net.network_address + 2 + h}/{prefix}" for h in range(hosts)]
        gateways.append(str(net.network_address + 1))
    if addresses:
        raw["addresses"] = addresses
    if with_gateways:
        raw["gateways"] = gateways
    return raw


@st.composite
def _routes(draw: Any, raw: dict[str, Any], tables: list[str], plan: _Plan) -> list[Any]:
    routes = []
    own = [ipaddress.ip_interface(a) for a in raw.get("addresses", [])]
    for _ in range(draw(st.integers(0, 3))):
        route: dict[str, Any] = {}
        family = draw(st.sampled_from([4, 6]))
        same = [a for a in own if a.version == family]
        destination = draw(st.sampled_from(
            ["172.16.0.0/12", "198.51.100.0/24", "192.0.2.128/25", "203.0.113.7"] if family == 4
            else ["2001:db8:ff00::/40", "fd00::/8", "2001:db8:ffff::1"]))
        kind = draw(st.sampled_from(["unicast", "unicast", "blackhole", "unreachable",
                                     "prohibit"]))
        if kind != "unicast":
            route["type"] = kind
        elif same and draw(st.booleans()):
            route["via"] = str(same[0].network.network_address + 1)
            if draw(st.booleans()):
                destination = "default"
        elif draw(st.booleans()):
            route["via"] = "192.0.2.254" if family == 4 else "2001:db8:ffff::fe"
            route["on_link"] = True
        route["to"] = destination
        if same and draw(st.booleans()):
            route["source"] = str(same[0].ip)
        elif destination == "default":
            route["to"] = "0.0.0.0/0" if family == 4 else "::/0"
        if tables and draw(st.booleans()):
            route["table"] = draw(st.sampled_from([*tables, "main"]))
        elif draw(st.booleans()):
            route["table"] = draw(st.sampled_from([254, 100, 300, 2_147_483_648]))
        route["metric"] = plan.next_metric()
        if family == 4 and draw(st.booleans()):  # the kernel has no IPv6 route scopes
            route["scope"] = draw(st.sampled_from(["global", "link", "host"]))
        routes.append(route)
    return routes


@st.composite
def _bond(draw: Any, members: list[str]) -> dict[str, Any]:
    mode = draw(st.sampled_from(list(BondMode)))
    options: dict[str, Any] = {"mode": mode.value}
    allowed = set(BOND_OPTIONS_BY_MODE[mode])
    chosen = draw(st.sets(st.sampled_from(sorted(allowed))))
    if "arp_interval" in chosen or "arp_ip_target" in chosen:
        chosen |= {"arp_interval", "arp_ip_target"}
        chosen -= {"miimon", "updelay", "downdelay"}
    if chosen & {"updelay", "downdelay"}:
        chosen.add("miimon")
    for key in sorted(chosen):
        if key in ("miimon", "updelay", "downdelay", "arp_interval"):
            options[key] = draw(st.integers(0, 2_147_483_647))
        elif key == "min_links":
            options[key] = draw(st.integers(0, 16))
        elif key == "arp_ip_target":
            options[key] = draw(st.lists(st.sampled_from(["192.0.2.1", "192.0.2.2",
                                                          "198.51.100.1"]),
                                         min_size=1, max_size=3, unique=True))
        elif key == "xmit_hash_policy":
            options[key] = draw(st.sampled_from(["layer2", "layer3+4", "layer2+3", "encap2+3",
                                                 "encap3+4", "vlan+srcmac"]))
        elif key == "lacp_rate":
            options[key] = draw(st.sampled_from(["slow", "fast"]))
        elif key == "ad_select":
            options[key] = draw(st.sampled_from(["stable", "bandwidth", "count"]))
        elif key == "primary":
            options[key] = draw(st.sampled_from(members))
        elif key == "tlb_dynamic_lb":
            options[key] = draw(st.booleans())
    return options


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    """A complete, valid spec."""
    plan = _Plan()
    names = draw(st.lists(interface_names, min_size=1, max_size=7, unique=True))
    table_map = draw(st.dictionaries(table_names, table_numbers, max_size=3))
    inverse = {number: name for name, number in table_map.items()}
    tables = {name: number for number, name in inverse.items()}
    table_list = sorted(tables)

    interfaces: dict[str, dict[str, Any]] = {name: {} for name in names}
    ethernets = list(names)
    members: set[str] = set()
    # A bond, a bridge and VLANs, each on a share of the names drawn.
    if len(ethernets) >= 3 and draw(st.booleans()):
        bond = ethernets.pop()
        bond_members = ethernets[: draw(st.integers(1, len(ethernets) - 1))]
        ethernets = ethernets[len(bond_members):]
        members.update(bond_members)
        interfaces[bond] = {"type": "bond", "members": bond_members,
                            "bond": draw(_bond(bond_members))}
    if len(ethernets) >= 3 and draw(st.booleans()):
        vlan = ethernets.pop()
        link = draw(st.sampled_from([n for n in names if n not in members and n != vlan]))
        interfaces[vlan] = {"type": "vlan", "vlan": {"id": draw(st.integers(1, 4094)),
                                                     "link": link}}
    if len(ethernets) >= 2 and draw(st.booleans()):
        bridge = ethernets.pop()
        bridge_members = [ethernets.pop()]
        members.update(bridge_members)
        interfaces[bridge] = {"type": "bridge", "members": bridge_members}
        if draw(st.booleans()):
            interfaces[bridge]["bridge"] = {"stp": draw(st.booleans())}
    for name in ethernets:
        if draw(st.booleans()):
            match: dict[str, Any] = {}
            for key, strategy in (("name", interface_names), ("mac", macs),
                                  ("driver", drivers)):
                if draw(st.booleans()):
                    match[key] = draw(strategy)
            if match:
                interfaces[name]["match"] = match

    configurable = [n for n in names if n not in members]
    uplink_tables = list(table_list)
    main_owner = draw(st.sampled_from(configurable))
    for index, name in enumerate(names):
        raw = interfaces[name]
        if name in members:
            continue
        uplink = bool(uplink_tables) and draw(st.booleans())
        raw.update(draw(_addressing(index, with_gateways=uplink or name == main_owner)))
        if uplink:
            raw["uplink"] = {"table": uplink_tables.pop(), "default": name == main_owner}
            if draw(st.booleans()):
                raw["uplink"]["priority"] = draw(st.integers(1000, 32765))
        elif name == main_owner and draw(st.booleans()):
            del raw["gateways"]  # no default route at all is valid too
        else:
            for key in ("dhcp4", "dhcp6"):
                if draw(st.booleans()):
                    raw[key] = draw(st.booleans())
        if draw(st.booleans()):
            # Below 1280 the kernel turns IPv6 off on the link: build.py refuses that.
            ipv6 = raw.get("dhcp6") or any(":" in a for a in raw.get("addresses", []))
            raw["mtu"] = draw(st.integers(1280 if ipv6 else 68, 65535))
        if draw(st.booleans()):
            raw["dns"] = {"servers": draw(st.lists(st.sampled_from(
                ["192.0.2.53", "2001:db8::53", "9.9.9.9"]), max_size=3, unique=True)),
                "search": draw(st.lists(dns_names, max_size=3))}
        routes = draw(_routes(raw, table_list, plan))
        if routes:
            raw["routes"] = routes
    if main_owner in interfaces and "gateways" not in interfaces[main_owner]:
        for name in configurable:  # an uplink needs a main default carrier
            interfaces[name].get("uplink", {}).pop("default", None)
        if any("uplink" in interfaces[n] for n in configurable):
            first = next(n for n in configurable if "uplink" in interfaces[n])
            interfaces[first]["uplink"]["default"] = True

    _carry_every_family(draw, interfaces)
    _fit_mtus(interfaces)
    spec: dict[str, Any] = {"version": 1}
    if tables:
        spec["tables"] = tables
    spec["interfaces"] = interfaces
    rules = draw(_rules(names, table_list, plan))
    if rules:
        spec["rules"] = rules
    return spec


def _family(text: str) -> int:
    return 6 if ":" in text else 4


def _carry_every_family(draw: Any, interfaces: dict[str, dict[str, Any]]) -> None:
    """Where uplinks have gateways of a family, something must carry that family's
    main default route: an uplink's `default` is added for each family nothing else
    carries (a plain gateway, DHCP, a default route in main), in one of its forms."""
    carried: set[int] = set()
    for raw in interfaces.values():
        uplink = raw.get("uplink")
        gateways = {_family(g) for g in raw.get("gateways", [])}
        if uplink is None or uplink.get("default") is True:
            carried |= gateways
        carried |= {f for f in (4, 6) if raw.get(f"dhcp{f}")}
        carried |= {_family(r.get("via") or r["to"]) for r in raw.get("routes", [])
                    if r["to"] in ("default", "0.0.0.0/0", "::/0")
                    and r.get("table", "main") in ("main", 254)}
    for raw in interfaces.values():
        uplink = raw.get("uplink")
        if uplink is None:
            continue
        own = {_family(g) for g in raw.get("gateways", [])}
        missing = sorted(own - carried)
        if not missing:
            continue
        families = [f"ipv{f}" for f in missing]
        forms: list[Any] = [families, families[0] if len(families) == 1 else families]
        uplink["default"] = draw(st.sampled_from(forms + [True] * (set(missing) == own)))
        carried |= set(missing)


def _fit_mtus(interfaces: dict[str, dict[str, Any]]) -> None:
    """A bridge's MTU at most its members' (who have none: 1500), a VLAN's at most its
    parent's; bond and bridge members carry no `mtu` here."""
    for raw in interfaces.values():
        if raw.get("type") == "bridge" and "mtu" in raw:
            raw["mtu"] = min(raw["mtu"], 1500)
    for raw in interfaces.values():
        if raw.get("type") == "vlan" and "mtu" in raw:
            parent = interfaces.get(raw["vlan"]["link"], {})
            raw["mtu"] = min(raw["mtu"], parent.get("mtu", 1500))


@st.composite
def _rules(draw: Any, names: list[str], tables: list[str], plan: _Plan) -> list[Any]:
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        rule: dict[str, Any] = {}
        family = draw(st.sampled_from([4, 6]))
        if draw(st.booleans()):
            rule["from"] = "198.51.100.0/24" if family == 4 else "2001:db8:aa::/48"
        if draw(st.booleans()):
            rule["to"] = "203.0.113.0/24" if family == 4 else "2001:db8:bb::/48"
        if "from" not in rule and "to" not in rule:
            rule["family"] = f"ipv{family}"
        if draw(st.booleans()):
            rule[draw(st.sampled_from(["iif", "oif"]))] = draw(st.sampled_from(names))
        if draw(st.booleans()):
            rule["fwmark"] = draw(st.one_of(st.integers(0, 4_294_967_295),
                                            st.sampled_from(["0x10", "0x10/0xff", "7/0xffffffff"])))
        priority = draw(st.integers(1, 999))
        while priority in plan.priorities:  # a filter would discard whole examples
            priority += 1
        plan.priorities.add(priority)
        rule["priority"] = priority
        rule["table"] = draw(st.sampled_from([*tables, "main", 100, 4_294_967_295]))
        rules.append(rule)
    return rules
