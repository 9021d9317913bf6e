"""A spec's meaning as a flat set of comparable items, for `netcompile plan`.

Each item is one thing the host ends up with (a table, an interface and its settings,
an address, a route, a rule, an uplink, a bond, the netplan choices), as named
fields in the kernel's words. `identity` names the fields that make two items the
same thing; `pairing` the looser ones under which a removed and an added item are
shown as one changed item (a route whose gateway moved, a rule whose table changed).
Items come from the model after the intent passes, so an uplink's expansion is
compared route by route and rule by rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import addresses
from .errors import Location
from .model import RESERVED_TABLES, Interface, Network, Route, Rule
from .options import RenderOptions

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    fields: Fields
    identity: tuple[str, ...]
    pairing: tuple[str, ...]
    where: Location | None

    def value(self, name: str) -> str:
        return dict(self.fields).get(name, "")

    @property
    def key(self) -> tuple[str, ...]:
        return (self.kind, *(self.value(n) for n in self.identity))

    @property
    def pair_key(self) -> tuple[str, ...]:
        return (self.kind, *(self.value(n) for n in self.pairing))

    @property
    def label(self) -> str:
        """The kind and the identity, e.g. `route 0.0.0.0/0 table isp-a (100) ...`."""
        words = [self.kind]
        for name in self.identity:
            value = self.value(name)
            if value:
                words.append(value if name in _BARE else f"{name} {value}")
        return " ".join(words)

    @property
    def details(self) -> str:
        """Every field outside the identity, `name value`, for one line of text."""
        return ", ".join(f"{n} {v}" for n, v in self.fields
                         if n not in self.identity and v)


# Identity fields shown without their name: they read as themselves.
_BARE = frozenset({"name", "interface", "address", "destination", "family"})


def table_text(network: Network, number: int) -> str:
    name = RESERVED_TABLES.get(number) or network.table_name(number)
    return f"{name} ({number})" if name else str(number)


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _interface(network: Network, interface: Interface) -> Iterator[Item]:
    match = interface.match
    fields: Fields = (
        ("name", interface.name), ("type", interface.kind.value),
        ("mtu", str(interface.mtu or "")),
        ("dhcp4", _flag(interface.dhcp4 or None)), ("dhcp6", _flag(interface.dhcp6 or None)),
        ("match", " ".join(f"{k} {v}" for k, v in (("name", match.name), ("mac", match.mac),
                                                   ("driver", match.driver)) if v)
         if match else ""),
        ("members", " ".join(interface.members)), ("member of", interface.controller or ""),
        ("dns servers", " ".join(addresses.text(s) for s in interface.dns_servers)),
        ("dns search", " ".join(interface.dns_search)),
    )
    yield Item("interface", fields, ("name",), ("name",), interface.where)
    for address in interface.addresses:
        yield Item("address", (("interface", interface.name),
                               ("address", addresses.text(address.address))),
                   ("interface", "address"), ("interface", "address"), address.where)
    if interface.uplink is not None:
        uplink = interface.uplink
        yield Item("uplink", (("interface", interface.name),
                              ("table", table_text(network, uplink.table)),
                              ("main default", " ".join(
                                  f"ipv{f}" for f in sorted(uplink.main_default)) or "no"),
                              ("priority", str(uplink.priority))),
                   ("interface",), ("interface",), uplink.where)
    if interface.bond is not None:
        bond = interface.bond
        options = (("mode", bond.mode.value), ("miimon", bond.miimon),
                   ("updelay", bond.updelay), ("downdelay", bond.downdelay),
                   ("arp_interval", bond.arp_interval),
                   ("arp_ip_target", " ".join(str(a) for a in bond.arp_ip_targets)),
                   ("xmit_hash_policy", bond.xmit_hash_policy), ("lacp_rate", bond.lacp_rate),
                   ("ad_select", bond.ad_select), ("primary", bond.primary),
                   ("tlb_dynamic_lb", _flag(bond.tlb_dynamic_lb)),
                   ("min_links", bond.min_links))
        yield Item("bond", (("interface", interface.name),
                            *((k, "" if v is None else str(v)) for k, v in options)),
                   ("interface",), ("interface",), interface.where)
    if interface.vlan is not None:
        yield Item("vlan", (("interface", interface.name), ("id", str(interface.vlan.id)),
                            ("link", interface.vlan.link)),
                   ("interface",), ("interface",), interface.where)
    if interface.bridge is not None:
        yield Item("bridge", (("interface", interface.name),
                              ("stp", _flag(interface.bridge.stp))),
                   ("interface",), ("interface",), interface.where)


def _route(network: Network, route: Route) -> Item:
    device = route.interface if route.type.value == "unicast" else ""
    fields: Fields = (
        ("destination", addresses.text(route.destination)),
        ("table", table_text(network, route.table)),
        ("dev", device), ("metric", str(route.metric)),
        ("type", "" if route.type.value == "unicast" else route.type.value),
        ("via", addresses.text(route.gateway) if route.gateway else ""),
        ("scope", route.scope.value if route.scope else ""),
        ("src", addresses.text(route.source) if route.source else ""),
        ("onlink", "yes" if route.on_link else ""),
        ("carried by", "" if device else route.interface),
    )
    return Item("route", fields, ("destination", "table", "dev", "metric"),
                ("destination", "table"), route.where)


def rule_selector(rule: Rule) -> Fields:
    fwmark = ""
    if rule.fwmark is not None:
        fwmark = f"{rule.fwmark:#x}" + (f"/{rule.fwmask:#x}" if rule.fwmask is not None else "")
    return (("from", addresses.text(rule.source) if rule.source else "all"),
            ("to", addresses.text(rule.destination) if rule.destination else ""),
            ("iif", rule.iif or ""), ("oif", rule.oif or ""), ("fwmark", fwmark))


def _rule(network: Network, rule: Rule) -> Item:
    fields: Fields = (("family", f"ipv{rule.family}"), ("priority", str(rule.priority)),
                      *rule_selector(rule), ("lookup", table_text(network, rule.table)))
    return Item("rule", fields, ("family", "priority", "from", "to", "iif", "oif", "fwmark"),
                ("family", "priority"), rule.where)


def items(network: Network | None, options: RenderOptions | None = None) -> list[Item]:
    """Every item of the spec, in the order a reader meets them; `None` is no spec."""
    if network is None:
        return []
    found: list[Item] = [Item("table", (("name", t.name), ("number", str(t.number))),
                              ("name",), ("number",), t.where) for t in network.tables]
    for interface in network.interfaces:
        found.extend(_interface(network, interface))
    found.extend(_route(network, r) for r in network.routes)
    found.extend(_rule(network, r) for r in network.rules)
    if options is not None and options.netplan.where is not None:
        netplan = options.netplan
        found.append(Item("netplan", (("renderer", netplan.renderer.value),
                                      ("version", "{}.{}".format(*netplan.version))),
                          (), (), netplan.where))
    return found


@dataclass(frozen=True, slots=True)
class Change:
    """`old` and `new` are the item before and after; one of them is None when the
    item is added or removed."""

    old: Item | None
    new: Item | None

    @property
    def action(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    @property
    def item(self) -> Item:
        found = self.new or self.old
        assert found is not None
        return found

    def differences(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for each field that differs, in field order."""
        if self.old is None or self.new is None:
            return []
        before = dict(self.old.fields)
        return [(name, before.get(name, ""), value) for name, value in self.new.fields
                if before.get(name, "") != value]


def diff(old: Iterable[Item], new: Iterable[Item]) -> list[Change]:
    """Removed, added and changed items, in the new spec's order (removed items at
    the place of their kind). An item whose identity stays but whose fields change,
    or a removed and an added item that share their pairing key and nothing else
    does, is one change."""
    before = {i.key: i for i in old}
    after = {i.key: i for i in new}
    changes: list[Change] = []
    removed = [i for k, i in before.items() if k not in after]
    added = [i for k, i in after.items() if k not in before]
    removed_by_pair = _unique_by_pair(removed)
    added_by_pair = _unique_by_pair(added)
    paired = {p for p in removed_by_pair if p in added_by_pair}
    for key, item in after.items():
        previous = before.get(key)
        if previous is not None:
            if previous.fields != item.fields:
                changes.append(Change(previous, item))
        elif item.pair_key in paired:
            changes.append(Change(removed_by_pair[item.pair_key], item))
        else:
            changes.append(Change(None, item))
    gone = [Change(i, None) for i in removed if i.pair_key not in paired]
    order = {kind: n for n, kind in enumerate(
        ("table", "interface", "address", "uplink", "bond", "vlan", "bridge", "route", "rule",
         "netplan"))}
    return sorted(changes + gone, key=lambda c: order[c.item.kind])


def _unique_by_pair(found: list[Item]) -> dict[tuple[str, ...], Item]:
    counts: dict[tuple[str, ...], int] = {}
    for item in found:
        counts[item.pair_key] = counts.get(item.pair_key, 0) + 1
    return {i.pair_key: i for i in found if counts[i.pair_key] == 1}
