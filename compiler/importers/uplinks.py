"""Source routing written out by hand in netplan, recognised as `uplink:`.

The pattern: an interface whose own routing table holds its default route, with
`from` rules for its addresses pointing at that table. The candidate `uplink:` is
accepted only when netcompile expands it to exactly the routes and rules the plain
import already had (compared on the expanded models), so recognising it never
changes what the spec means; anything else stays as explicit routes and rules.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..loader import Path
from ..model import MAIN_TABLE, Network, Route, RouteType
from .netplan import Source, ordered
from .spec import model

DEFAULT_PRIORITY = 1000
_DEFAULTS = {4: ("default", "0.0.0.0/0"), 6: ("default", "::/0")}
_KERNEL_METRIC = {4: 0, 6: 1024}


def recognise(data: dict[str, Any], sources: dict[Path, Source]) -> tuple[
        dict[str, Any], dict[Path, Source]]:
    """The spec data with every interface that matches the pattern turned into an
    uplink, and the sources moved along with the keys."""
    try:
        meaning = _meaning(model(data))
    except SpecError:
        return data, sources
    for name in list(data["interfaces"]):
        for table in _tables(data["interfaces"][name]):
            candidate = _as_uplink(data, sources, name, table)
            if candidate is None:
                continue
            try:
                if _meaning(model(candidate[0])) != meaning:
                    continue
            except SpecError:
                continue
            data, sources = candidate
            break
    return data, sources


def _meaning(network: Network) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """The routes and rules the kernel ends up with, spelled the same whichever way
    the spec said them (a rule's owning link only decides whose configuration
    carries it)."""
    routes = Counter((r.interface, r.family, r.destination, r.table, r.metric, r.gateway,
                      r.on_link, _scope(r), r.source, r.type) for r in network.routes)
    rules = Counter((r.family, r.priority, r.table, r.source, r.destination, r.iif, r.oif,
                     r.fwmark, r.fwmask) for r in network.rules)
    return routes, rules


def _scope(route: Route) -> str | None:
    """networkd's default scope where the spec gives none; IPv6 routes have none."""
    if route.family == 6:
        return None
    if route.scope is not None:
        return route.scope.value
    return "link" if route.type is RouteType.UNICAST and route.gateway is None else "global"


def _family(text: str) -> int:
    return 6 if ":" in text else 4


def _table_default(route: dict[str, Any]) -> int | None:
    """The family of a plain default route with a gateway in a table of its own."""
    if set(route) - {"to", "via", "table", "metric"} or "via" not in route:
        return None
    family = _family(route["via"])
    if route["to"] not in _DEFAULTS[family] or route.get(
            "metric", _KERNEL_METRIC[family]) != _KERNEL_METRIC[family]:
        return None
    return family


def _tables(interface: dict[str, Any]) -> list[int]:
    found = []
    for route in interface.get("routes", []):
        table = route.get("table")
        if (isinstance(table, int) and table != MAIN_TABLE and table not in found
                and _table_default(route) is not None):
            found.append(table)
    return found


def _as_uplink(data: dict[str, Any], sources: Mapping[Path, Source], name: str,
               table: int) -> tuple[dict[str, Any], dict[Path, Source]] | None:
    interface = data["interfaces"][name]
    if "uplink" in interface or not interface.get("addresses"):
        return None
    base: Path = ("interfaces", name)
    gateways: dict[int, tuple[str, Path]] = {}
    kept: list[int] = []
    for index, route in enumerate(interface.get("routes", [])):
        if route.get("table") != table:
            kept.append(index)
            continue
        family = _table_default(route)
        if family is not None:
            if family in gateways:
                return None
            gateways[family] = (route["via"], (*base, "routes", index))
    main = {_family(g): g for g in interface.get("gateways", [])}
    if any(f not in gateways or gateways[f][0] != g for f, g in main.items()):
        return None
    rules = data.get("rules", [])
    to_table = [i for i, r in enumerate(rules) if r.get("table") == table]
    priorities = {rules[i]["priority"] for i in to_table}
    if len(priorities) != 1:
        return None

    new_sources = {p: s for p, s in sources.items()
                   if p[:3] not in ((*base, "routes"), (*base, "gateways"))
                   and p[:1] != ("rules",)}
    spec = {k: v for k, v in interface.items() if k not in ("routes", "gateways")}
    spec["gateways"] = [gateways[f][0] for f in sorted(gateways)]
    for i, family in enumerate(sorted(gateways)):
        new_sources[(*base, "gateways", i)] = sources[gateways[family][1]]
    new_sources[(*base, "gateways")] = sources[gateways[min(gateways)][1]]
    uplink: dict[str, Any] = {"table": table}
    carried = sorted(main)
    if carried:
        uplink["default"] = (True if len(carried) == len(gateways)
                             else [f"ipv{f}" for f in carried])
    priority = priorities.pop()
    if priority != DEFAULT_PRIORITY:
        uplink["priority"] = priority
    spec["uplink"] = uplink
    new_sources[(*base, "uplink")] = sources[(*base, "routes", min(
        i for i, r in enumerate(interface["routes"]) if r.get("table") == table))]
    routes = [interface["routes"][i] for i in kept]
    if routes:
        spec["routes"] = routes
        for new, old in enumerate(kept):
            for path, source in sources.items():
                if path[:4] == (*base, "routes", old):
                    new_sources[(*base, "routes", new, *path[4:])] = source
        new_sources[(*base, "routes")] = sources[(*base, "routes")]
    result = copy.deepcopy(data)
    result["interfaces"][name] = ordered(spec)
    other_rules = [i for i in range(len(rules)) if i not in to_table]
    if other_rules:
        result["rules"] = [rules[i] for i in other_rules]
        for new, old in enumerate(other_rules):
            for path, source in sources.items():
                if path[:2] == ("rules", old):
                    new_sources[("rules", new, *path[2:])] = source
    else:
        result.pop("rules", None)
    return result, new_sources
