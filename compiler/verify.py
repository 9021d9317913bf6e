"""`netcompile verify SPEC`: does the running host hold what the spec means?

The spec's meaning is routing.state (addresses, every table's routes, the kernel's
own ones included, and every rule); the host's is kernel.read. Both become entries
with an identity and compared fields, then: missing (in the spec, not on the host),
extra (on the host, not in the spec) and different (same identity, other fields; or a
missing and an extra entry with the same looser identity, such as a rule whose table
changed).

What the comparison leaves out, and why (the lab's kernelstate.py does the same):
the local table (the kernel fills it from the addresses, which are compared), IPv6
link-local and multicast routes and link-local addresses (the kernel makes them for
every link), the metric of the prefix route the kernel adds for an address in main
(NetworkManager adds it itself with its own metric), and the scope of blackhole,
unreachable and prohibit routes (it routes nothing; networkd sets link, `ip` global).
Extra entries that belong to other software are ignored unless `strict`: routes and
rules whose protocol is not kernel, boot, static or unspec (dhcp, ra, a routing
daemon's), routes and addresses on interfaces the spec does not name, dynamic
addresses, and main-table routes on an interface that takes a DHCP lease of that
family (dhclient adds the lease's routes with protocol boot, as static ones are).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import addresses
from .errors import Location
from .kernel import OURS, LiveState
from .model import MAIN_TABLE, Network
from .routing import LOCAL_TABLE, KernelRoute, KernelRule, state
from .semantic import table_text

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # address, route, rule
    identity: Fields
    pairing: tuple[str, ...]
    fields: Fields
    where: Location | None = None
    foreign: str = ""  # why it belongs to other software, for a live entry

    @property
    def key(self) -> tuple[str, ...]:
        return (self.kind, *(v for _, v in self.identity))

    @property
    def pair_key(self) -> tuple[str, ...]:
        values = dict(self.identity)
        return (self.kind, *(values[n] for n in self.pairing))

    @property
    def label(self) -> str:
        return " ".join([self.kind, *(v if n in _BARE else f"{n} {v}"
                                      for n, v in self.identity if v)])

    def compared(self) -> dict[str, str]:
        return dict(self.fields)


_BARE = frozenset({"family", "interface", "address", "destination", "priority"})


@dataclass(frozen=True, slots=True)
class Drift:
    action: str  # missing, extra, different
    expected: Entry | None
    actual: Entry | None

    @property
    def entry(self) -> Entry:
        found = self.expected or self.actual
        assert found is not None
        return found

    def differences(self) -> list[tuple[str, str, str]]:
        if self.expected is None or self.actual is None:
            return []
        want, have = self.expected.compared(), self.actual.compared()
        found = [(n, want.get(n, ""), have.get(n, "")) for n in want
                 if want[n] != "*" and want.get(n, "") != have.get(n, "")]
        mine, theirs = dict(self.expected.identity), dict(self.actual.identity)
        found += [(n, v, theirs.get(n, "")) for n, v in mine.items() if theirs.get(n) != v]
        return found


@dataclass(frozen=True, slots=True)
class Report:
    drift: tuple[Drift, ...]
    ignored: tuple[Entry, ...]  # foreign entries left out (without --strict)
    matched: int

    @property
    def ok(self) -> bool:
        return not self.drift


def _fwmark(mark: int | None, mask: int | None) -> str:
    if mark is None:
        return ""
    full = mask if mask is not None else 0xFFFFFFFF
    return f"{mark:#x}/{full:#x}"


def _rule(network: Network, family: int, priority: int, table: int | None,
          selector: tuple[str, str, str, str, str], fields: Fields = (),
          where: Location | None = None, foreign: str = "") -> Entry:
    source, destination, iif, oif, fwmark = selector
    identity: Fields = (("family", f"ipv{family}"), ("priority", str(priority)),
                        ("from", source or "all"), ("to", destination), ("iif", iif),
                        ("oif", oif), ("fwmark", fwmark),
                        ("lookup", "" if table is None else table_text(network, table)))
    return Entry("rule", identity, ("family", "priority", "from", "to", "iif", "oif",
                                    "fwmark"), fields, where, foreign)


def _route_identity(network: Network, family: int, table: int, destination: str,
                    device: str | None, metric: str) -> Fields:
    """Routes to one destination in one table differ by device and metric (`metric`
    is empty for the prefix route of an address in main: its metric is not compared)."""
    return (("family", f"ipv{family}"), ("table", table_text(network, table)),
            ("destination", destination), ("dev", device or ""), ("metric", metric))


def expected(network: Network) -> list[Entry]:
    routing = state(network)
    entries = [Entry("address", (("interface", a.interface),
                                 ("address", addresses.text(a.address))), ("interface",
                                                                           "address"),
                     (), a.where)
               for a in routing.addresses if a.interface != "lo"]
    for route in routing.routes:
        if route.table == LOCAL_TABLE:
            continue
        connected = route.origin == "address" and route.table == MAIN_TABLE
        entries.append(Entry("route", _route_identity(
            network, route.family, route.table, addresses.text(route.destination),
            route.device, "" if connected else str(route.metric)),
            ("family", "table", "destination"), _route_fields(route), route.where))
    for rule in routing.rules:
        entries.append(_rule(network, rule.family, rule.priority, rule.table,
                             _selector(rule), (("action", "lookup"),), rule.where))
    return entries


def _route_fields(route: KernelRoute) -> Fields:
    # A blackhole, unreachable or prohibit route's scope routes nothing, and the
    # backends differ on it (networkd gives them scope link, `ip route add` global).
    reject = route.type != "unicast"
    return (("type", route.type),
            ("via", addresses.text(route.gateway) if route.gateway else ""),
            ("src", addresses.text(route.source) if route.source else ""),
            ("scope", "*" if reject else route.scope),
            ("onlink", "yes" if route.on_link else ""))


def _selector(rule: KernelRule) -> tuple[str, str, str, str, str]:
    return (addresses.text(rule.source) if rule.source and rule.source.prefixlen else "",
            addresses.text(rule.destination) if rule.destination and rule.destination.prefixlen
            else "", rule.iif or "", rule.oif or "", _fwmark(rule.fwmark, rule.fwmask))


def actual(network: Network, live: LiveState) -> list[Entry]:
    ours = {i.name for i in network.interfaces}
    # A DHCP lease's routes on the interface that took it: known only at run time.
    leased = {(i.name, family) for i in network.interfaces for family in (4, 6)
              if i.dhcp(family)}
    prefixes = {(a.interface, a.address.network) for a in live.addresses}
    entries = []
    for address in live.addresses:
        foreign = ("an interface the spec does not name" if address.interface not in ours
                   else "a dynamic address (DHCP or SLAAC)" if address.dynamic else "")
        entries.append(Entry("address", (("interface", address.interface),
                                         ("address", addresses.text(address.address))),
                             ("interface", "address"), (), None, foreign))
    for route in live.routes:
        if (route.table == LOCAL_TABLE or route.type in ("local", "broadcast", "anycast",
                                                         "multicast")
                or (route.family == 6 and (route.destination.is_link_local
                                           or route.destination.is_multicast))):
            continue
        foreign = ""
        if route.device is not None and route.device not in ours:
            foreign = "an interface the spec does not name"
        elif route.protocol not in OURS:
            foreign = f"protocol {route.protocol}"
        elif (route.device, route.family) in leased and route.table == MAIN_TABLE:
            foreign = "a route of the DHCP lease"
        connected = (route.table == MAIN_TABLE and route.type == "unicast"
                     and route.gateway is None and (route.device, route.destination) in prefixes)
        entries.append(Entry("route", _route_identity(
            network, route.family, route.table, addresses.text(route.destination),
            route.device, "" if connected else str(route.metric)),
            ("family", "table", "destination"), (
                ("type", route.type),
                ("via", addresses.text(route.gateway) if route.gateway else ""),
                ("src", addresses.text(route.source) if route.source else ""),
                ("scope", "global" if route.family == 6 else route.scope),
                ("onlink", "yes" if route.on_link else "")),
            None, foreign))
    for rule in live.rules:
        selector = (addresses.text(rule.source) if rule.source and rule.source.prefixlen
                    else "", addresses.text(rule.destination) if rule.destination else "",
                    rule.iif or "", rule.oif or "", _fwmark(rule.fwmark, rule.fwmask))
        entries.append(_rule(network, rule.family, rule.priority, rule.table, selector,
                             (("action", rule.action),), None,
                             "" if rule.protocol in OURS else f"protocol {rule.protocol}"))
    return entries


def compare(network: Network, live: LiveState, strict: bool = False) -> Report:
    want = {e.key: e for e in expected(network)}
    have: dict[tuple[str, ...], Entry] = {}
    for entry in actual(network, live):
        have.setdefault(entry.key, entry)
    drift: list[Drift] = []
    matched = 0
    for key, entry in want.items():
        found = have.get(key)
        if found is None:
            continue
        if Drift("different", entry, found).differences():
            drift.append(Drift("different", entry, found))
        else:
            matched += 1
    missing = [e for k, e in want.items() if k not in have]
    extra = [e for k, e in have.items() if k not in want]
    ignored = [] if strict else [e for e in extra if e.foreign]
    extra = [e for e in extra if strict or not e.foreign]
    # A missing and an extra entry with one looser identity are one difference.
    by_pair: dict[tuple[str, ...], list[Entry]] = {}
    for entry in extra:
        by_pair.setdefault(entry.pair_key, []).append(entry)
    paired: set[tuple[str, ...]] = set()
    for entry in missing:
        candidates = by_pair.get(entry.pair_key, [])
        if len(candidates) == 1 and sum(1 for m in missing if m.pair_key == entry.pair_key) == 1:
            drift.append(Drift("different", entry, candidates[0]))
            paired.add(candidates[0].key)
        else:
            drift.append(Drift("missing", entry, None))
    drift += [Drift("extra", None, e) for e in extra if e.key not in paired]
    order = {"address": 0, "route": 1, "rule": 2}
    drift.sort(key=lambda d: (order[d.entry.kind], d.action, d.entry.label))
    return Report(tuple(drift), tuple(sorted(ignored, key=lambda e: e.label)), matched)


# -- text and JSON ---------------------------------------------------------------------
def _details(entry: Entry) -> str:
    """The compared fields worth reading: defaults (unicast, scope global) left out."""
    return ", ".join(f"{n} {v}" for n, v in entry.fields
                     if v and v != "*" and (n, v) not in (("type", "unicast"),
                                                         ("scope", "global"),
                                                         ("action", "lookup")))


def text(report: Report, spec: str, where: str) -> str:
    out = [f"verify: {spec} against {where}"]
    for drift in report.drift:
        entry = drift.entry
        line = f"  {drift.action} {entry.label}"
        if drift.action != "different" and _details(entry):
            line += f": {_details(entry)}"
        if drift.action == "extra" and entry.foreign:
            line += f" ({entry.foreign})"
        if drift.expected is not None and drift.expected.where is not None:
            line += f"    {drift.expected.where}"
        out.append(line)
        out += [f"      {name}: spec {want or '(none)'}, host {have or '(none)'}"
                for name, want, have in drift.differences()]
    counts = {a: sum(1 for d in report.drift if d.action == a)
              for a in ("missing", "extra", "different")}
    ignored = (f"; {_entries(len(report.ignored))} of other software ignored (--strict "
               "shows them)" if report.ignored else "")
    if report.ok:
        verb = "matches" if report.matched == 1 else "match"
        out.append(f"in sync: {_entries(report.matched)} {verb}{ignored}")
    else:
        out.append(f"drift: {counts['missing']} missing, {counts['extra']} extra, "
                   f"{counts['different']} different{ignored}")
    return "\n".join(out) + "\n"


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _entry_json(entry: Entry | None) -> dict[str, object] | None:
    if entry is None:
        return None
    return {"label": entry.label, **{n: v for n, v in entry.identity if v},
            **{n: v for n, v in entry.fields if v and v != "*"},
            "location": None if entry.where is None else str(entry.where),
            "foreign": entry.foreign or None}


def to_json(report: Report, spec: str, where: str) -> dict[str, object]:
    return {
        "format": "netcompile-verify", "version": 1, "spec": spec, "host": where,
        "in_sync": report.ok, "matched": report.matched,
        "drift": [{"action": d.action, "kind": d.entry.kind, "label": d.entry.label,
                   "spec": _entry_json(d.expected), "host": _entry_json(d.actual),
                   "differences": [{"field": n, "spec": w, "host": h}
                                   for n, w, h in d.differences()]}
                  for d in report.drift],
        "ignored": [_entry_json(e) for e in report.ignored],
    }
