"""Warnings: specs that are valid and compile, but probably do not do what was meant.

A warning is printed, located like an error, and does not change the exit code
(`--strict` makes warnings errors). Each check reads the expanded model.
"""

from __future__ import annotations

from .errors import Diagnostic
from .model import MAIN_TABLE, Network, Origin, Rule


def warnings(network: Network) -> list[Diagnostic]:
    return shadowed_uplink_rules(network)


def shadowed_uplink_rules(network: Network) -> list[Diagnostic]:
    """A spec rule placed before an uplink's `from` rules that sends packets from that
    uplink's addresses to another uplink's table: replies to connections that came in
    on the first uplink leave by the second with the first one's address, and routers
    with strict reverse-path filtering drop them. A rule with `iif` only sees packets
    that arrive on that interface, never the host's own replies, so it shadows nothing."""
    uplink_of = {i.uplink.table: i.name for i in network.interfaces if i.uplink is not None}
    uplink_rules = [r for r in network.rules if r.origin is Origin.UPLINK]
    # A table without routes of the family sends nothing anywhere: lookups fall through.
    routed = {(r.table, r.family) for r in network.routes}
    found: list[Diagnostic] = []
    for rule in network.rules:
        if rule.origin is not Origin.SPEC or rule.iif is not None:
            continue
        other = uplink_of.get(rule.table)
        if other is None or (rule.table, rule.family) not in routed:
            continue
        shadowed: dict[str, list[Rule]] = {}
        for victim in uplink_rules:
            if (victim.table != rule.table and victim.family == rule.family
                    and rule.priority < victim.priority and victim.source is not None
                    and (rule.source is None or rule.source.overlaps(victim.source))):
                shadowed.setdefault(uplink_of[victim.table], []).append(victim)
        for name, victims in sorted(shadowed.items()):
            addresses = ", ".join(str(v.source.network_address) for v in victims
                                  if v.source is not None)
            found.append(Diagnostic(
                rule.where, "rules",
                f"this rule (priority {rule.priority}) comes before {name}'s uplink rules "
                f"(priority {victims[0].priority}) and sends packets from {name}'s "
                f"{addresses} to {_table(network, rule.table)}, the uplink table of "
                f"{other}: replies leave by {other} with {name}'s address, and strict "
                "reverse-path filtering upstream drops them",
                f"give it a priority above {max(v.priority for v in victims)}, or limit "
                f"`from:` to {other}'s addresses"))
    return found


def _table(network: Network, number: int) -> str:
    name = "main" if number == MAIN_TABLE else network.table_name(number)
    return f"table {name} ({number})" if name else f"table {number}"
