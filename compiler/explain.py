"""`netcompile explain`: the kernel's policy-routing lookup, done offline on the model.

The walk follows the kernel (net/core/fib_rules.c, net/ipv4/fib_*.c, net/ipv6/route.c):
- rules in priority order, the kernel's own included (0 local, 32766 main, 32767
  default); a rule matches on family, `from` (a packet the host sends has no source
  yet, so only `from all` matches it), `to`, `iif` (a packet the host sends comes
  from `lo`), `oif` (never, without an output interface), and `fwmark` under its mask;
- a matched rule's table is searched by longest prefix, then lowest metric (IPv6,
  inbound: a route by the inbound interface wins a tie); a table without a route
  lets the walk go on to the next rule; a blackhole, unreachable or prohibit route
  ends it with that error;
- an inbound IPv4 packet (`--iif`) to a foreign address is routed only when the host
  forwards; its source is checked as fib_validate_source does (a source that is the
  host's own is a martian; reverse-path filtering by `rp_filter`).
The answer carries what `ip route get` reports: the error, or the table, the route,
the interface and the next hop. The model has no `suppress_prefixlength`, `not`,
`throw` routes or multipath, so the walk has none either; an `oif` selector never
matches, as for `ip route get` without `oif`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import addresses
from .model import IPAddress, IPNetwork, Network
from .routing import (
    LOCAL_TABLE,
    LOOPBACK,
    KernelRoute,
    KernelRule,
    RoutingState,
    state,
)
from .semantic import table_text

# `ip route get` errors, as the kernel returns them.
ERRORS = {
    "ENETUNREACH": "Network is unreachable",
    "EHOSTUNREACH": "No route to host",
    "EINVAL": "Invalid argument",
    "EACCES": "Permission denied",
    "EXDEV": "Invalid cross-device link",
}
_REJECT = {"blackhole": "EINVAL", "unreachable": "EHOSTUNREACH", "prohibit": "EACCES"}


@dataclass(frozen=True, slots=True)
class Flow:
    """One packet: `iif` None is a packet the host itself sends."""

    destination: IPAddress
    source: IPAddress | None = None
    iif: str | None = None
    fwmark: int = 0

    @property
    def family(self) -> int:
        return self.destination.version


@dataclass(frozen=True, slots=True)
class Skipped:
    rule: KernelRule
    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    """`outcome`: unicast (leaves by `device`), local (delivered to this host), or why
    not: blackhole, unreachable, prohibit, no route, not forwarded, martian source,
    reverse path, foreign source. `error` is the errno `ip route get` would report."""

    flow: Flow
    outcome: str
    error: str | None = None
    rule: KernelRule | None = None
    route: KernelRoute | None = None
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def table(self) -> int | None:
        return self.route.table if self.route is not None else (
            self.rule.table if self.rule is not None else None)

    @property
    def device(self) -> str | None:
        if self.error is not None or self.route is None:
            return None
        return LOOPBACK if self.route.type == "local" else self.route.device

    @property
    def gateway(self) -> IPAddress | None:
        if self.error is not None or self.route is None:
            return None
        return self.route.gateway


def _in(address: IPAddress | None, prefix: IPNetwork) -> bool:
    return address is not None and address.version == prefix.version and address in prefix


def _mismatch(rule: KernelRule, flow: Flow, iif: str) -> str | None:
    """Why `rule` does not match the flow, or None when it does."""
    if rule.source is not None and rule.source.prefixlen:
        if flow.source is None:
            return f"the packet has no source address yet, the rule wants from " \
                   f"{addresses.text(rule.source)}"
        if not _in(flow.source, rule.source):
            return (f"the source {addresses.text(flow.source)} is not in "
                    f"{addresses.text(rule.source)}")
    if rule.destination is not None and not _in(flow.destination, rule.destination):
        return (f"the destination {addresses.text(flow.destination)} is not in "
                f"{addresses.text(rule.destination)}")
    if rule.iif is not None and rule.iif != iif:
        came = "comes from lo (the host sends it)" if iif == LOOPBACK else f"came in on {iif}"
        return f"the packet {came}, the rule wants iif {rule.iif}"
    if rule.oif is not None:
        return f"the packet has no output interface yet, the rule wants oif {rule.oif}"
    if ((rule.fwmark or 0) ^ flow.fwmark) & rule.mask:
        return (f"the mark {flow.fwmark:#x} under mask {rule.mask:#x} is not "
                f"{rule.fwmark or 0:#x}")
    return None


def table_lookup(routing: RoutingState, table: int, destination: IPAddress,
                 prefer: str | None = None) -> KernelRoute | None:
    """Longest prefix, then lowest metric; `prefer` breaks a tie (IPv6 inbound)."""
    best: KernelRoute | None = None
    for route in routing.routes:
        if route.table != table or not _in(destination, route.destination):
            continue
        if best is None or _better(route, best, prefer):
            best = route
    return best


def _better(route: KernelRoute, best: KernelRoute, prefer: str | None) -> bool:
    if route.destination.prefixlen != best.destination.prefixlen:
        return route.destination.prefixlen > best.destination.prefixlen
    if route.metric != best.metric:
        return route.metric < best.metric
    return prefer is not None and route.device == prefer and best.device != prefer


@dataclass(frozen=True, slots=True)
class _Found:
    rule: KernelRule | None
    route: KernelRoute | None
    skipped: tuple[Skipped, ...]


def _walk(routing: RoutingState, network: Network, flow: Flow, iif: str,
          prefer: str | None = None) -> _Found:
    skipped: list[Skipped] = []
    for rule in routing.rules:
        if rule.family != flow.family:
            continue
        reason = _mismatch(rule, flow, iif)
        if reason is not None:
            skipped.append(Skipped(rule, reason))
            continue
        route = table_lookup(routing, rule.table, flow.destination, prefer)
        if route is None:
            skipped.append(Skipped(rule, f"table {table_text(network, rule.table)} has no "
                                         f"route to {addresses.text(flow.destination)}"))
            continue
        return _Found(rule, route, tuple(skipped))
    return _Found(None, None, tuple(skipped))


def explain(network: Network, flow: Flow, *, forwarding: bool = False,
            rp_filter: int | Mapping[str, int] = 0,
            routing: RoutingState | None = None) -> Answer:
    """The kernel's answer for `flow`. `forwarding` and `rp_filter` are the host's
    sysctls (net.ipv4.conf.*.forwarding, the effective rp_filter: a number for every
    interface, or one per interface); the spec does not set them."""
    routing = routing or state(network)
    if flow.iif is None:
        return _outbound(routing, network, flow)
    if flow.family == 6:
        return _inbound6(routing, network, flow, forwarding)
    rp = rp_filter if isinstance(rp_filter, int) else rp_filter.get(flow.iif, 0)
    return _inbound4(routing, network, flow, forwarding, rp)


def _ended(flow: Flow, found: _Found, error: str | None, outcome: str | None = None,
           notes: tuple[str, ...] = ()) -> Answer:
    route = found.route
    if route is None:
        return Answer(flow, outcome or "no route", error or "ENETUNREACH", found.rule, None,
                      found.skipped, notes)
    kind = outcome or route.type
    return Answer(flow, kind, error if error is not None else _REJECT.get(route.type),
                  found.rule, route, found.skipped, notes)


def _outbound(routing: RoutingState, network: Network, flow: Flow) -> Answer:
    if flow.family == 4 and flow.source is not None and not routing.local(flow.source):
        return Answer(flow, "foreign source", "ENETUNREACH", notes=(
            f"{addresses.text(flow.source)} is not an address of this host: it cannot send "
            "from it",))
    return _ended(flow, _walk(routing, network, flow, LOOPBACK), None)


def _inbound6(routing: RoutingState, network: Network, flow: Flow, forwarding: bool) -> Answer:
    assert flow.iif is not None
    found = _walk(routing, network, flow, flow.iif, prefer=flow.iif)
    notes: tuple[str, ...] = ()
    if found.route is not None and found.route.type == "unicast" and not forwarding:
        notes = ("the host does not forward IPv6 (net.ipv6.conf.all.forwarding=0): the "
                 "route is found, the packet is dropped",)
    return _ended(flow, found, None, notes=notes)


def _inbound4(routing: RoutingState, network: Network, flow: Flow, forwarding: bool,
              rp: int) -> Answer:
    assert flow.iif is not None
    found = _walk(routing, network, flow, flow.iif)
    route = found.route
    off = ("the host does not forward IPv4 (net.ipv4.conf."
           f"{flow.iif}.forwarding=0)",)
    if route is None or route.type in _REJECT:
        if not forwarding:
            return _ended(flow, found, "EHOSTUNREACH", notes=off)
        return _ended(flow, found, None)
    if route.type == "local":
        problem = _source_problem(routing, network, flow, None, rp)
        return _ended(flow, found, *problem) if problem else _ended(flow, found, None)
    if not forwarding:
        return _ended(flow, found, "EHOSTUNREACH", "not forwarded", off)
    problem = _source_problem(routing, network, flow, route.device, rp)
    return _ended(flow, found, *problem) if problem else _ended(flow, found, None)


def _source_problem(routing: RoutingState, network: Network, flow: Flow, oif: str | None,
                    rp: int) -> tuple[str, str, tuple[str, ...]] | None:
    """fib_validate_source: (error, outcome, notes) when the source is refused."""
    assert flow.iif is not None and flow.source is not None
    source = addresses.text(flow.source)
    martian = ("EINVAL", "martian source",
               (f"{source} is this host's own address, arriving on {flow.iif}",))
    custom = any(r.where is not None for r in routing.rules)
    if rp == 0 and not custom:
        return martian if routing.local(flow.source) else None
    # The reverse lookup: to the source, from the destination, coming from the output
    # interface (lo for local delivery), without the mark.
    back = _walk(routing, network, Flow(flow.source, flow.destination), oif or LOOPBACK)
    rpf = ("EXDEV", "reverse path",
           (f"rp_filter={rp}: the way back to {source} does not leave by {flow.iif}",))
    if back.route is None or back.route.type in _REJECT:
        return rpf if rp else None
    if back.route.type != "unicast":
        return martian
    if back.route.device == flow.iif:
        return None
    if not routing.addresses_on(flow.iif, 4):
        return rpf if rp else None
    return rpf if rp == 1 else None


# -- text and JSON ---------------------------------------------------------------------
def rule_text(network: Network, rule: KernelRule) -> str:
    words = [str(rule.priority), "from",
             addresses.text(rule.source) if rule.source is not None else "all"]
    if rule.destination is not None:
        words += ["to", addresses.text(rule.destination)]
    words += [w for k, v in (("iif", rule.iif), ("oif", rule.oif)) if v for w in (k, v)]
    if rule.fwmark is not None:
        words += ["fwmark", f"{rule.fwmark:#x}" + (f"/{rule.fwmask:#x}"
                                                   if rule.fwmask is not None else "")]
    words += ["lookup", table_text(network, rule.table)]
    if rule.where is None:
        words.append("(the kernel's)")
    return " ".join(words)


def route_text(network: Network, route: KernelRoute) -> str:
    words = [] if route.type == "unicast" else [route.type]
    words.append(addresses.text(route.destination))
    if route.gateway is not None:
        words += ["via", addresses.text(route.gateway)]
    if route.device is not None and route.type != "local":
        words += ["dev", route.device]
    if route.source is not None:
        words += ["src", addresses.text(route.source)]
    words += ["metric", str(route.metric)]
    if route.origin != "spec":
        words.append(f"(the kernel's, for {'an address' if route.origin == 'address' else 'lo'})")
    return " ".join(words)


def flow_text(flow: Flow) -> str:
    words = [f"from {addresses.text(flow.source)}" if flow.source else "from (unset)",
             f"to {addresses.text(flow.destination)}"]
    words.append(f"in on {flow.iif}" if flow.iif else "sent by this host")
    if flow.fwmark:
        words.append(f"fwmark {flow.fwmark:#x}")
    return ", ".join(words)


def text(network: Network, answer: Answer) -> str:
    out = [f"explain: {flow_text(answer.flow)}"]
    for skip in answer.skipped:
        out.append(f"  rule {rule_text(network, skip.rule)}: no, {skip.reason}")
    if answer.rule is not None:
        where = f"    {answer.rule.where}" if answer.rule.where else ""
        out.append(f"= rule {rule_text(network, answer.rule)}{where}")
    if answer.route is not None:
        where = f"    {answer.route.where}" if answer.route.where else ""
        out.append(f"  table {table_text(network, answer.route.table)}: route "
                   f"{route_text(network, answer.route)}{where}")
    out += [f"  note: {n}" for n in answer.notes]
    if answer.error is not None:
        out.append(f"result: {answer.outcome}: the kernel answers {answer.error} "
                   f"({ERRORS[answer.error]})")
    elif answer.outcome == "local":
        out.append(f"result: delivered to this host (table "
                   f"{table_text(network, LOCAL_TABLE)}, dev lo)")
    else:
        via = f" via {addresses.text(answer.gateway)}" if answer.gateway else " (on link)"
        table = answer.table if answer.table is not None else 0
        out.append(f"result: leaves by {answer.device}{via}, table {table_text(network, table)}")
    return "\n".join(out) + "\n"


def _rule_json(network: Network, rule: KernelRule | None) -> dict[str, object] | None:
    if rule is None:
        return None
    return {"text": rule_text(network, rule), "priority": rule.priority,
            "table": rule.table, "kernel": rule.where is None,
            "location": None if rule.where is None else str(rule.where)}


def to_json(network: Network, answer: Answer) -> dict[str, object]:
    flow = answer.flow
    route = answer.route
    return {
        "format": "netcompile-explain", "version": 1,
        "flow": {"from": addresses.text(flow.source) if flow.source else None,
                 "to": addresses.text(flow.destination), "iif": flow.iif,
                 "fwmark": flow.fwmark},
        "outcome": answer.outcome,
        "error": answer.error,
        "interface": answer.device,
        "gateway": addresses.text(answer.gateway) if answer.gateway else None,
        "table": answer.table,
        "table_name": None if answer.table is None else table_text(network, answer.table),
        "rule": _rule_json(network, answer.rule),
        "route": None if route is None else {
            "text": route_text(network, route), "type": route.type,
            "destination": addresses.text(route.destination), "metric": route.metric,
            "kernel": route.origin != "spec",
            "location": None if route.where is None else str(route.where)},
        "skipped": [{"rule": rule_text(network, s.rule), "reason": s.reason}
                    for s in answer.skipped],
        "notes": list(answer.notes),
    }
