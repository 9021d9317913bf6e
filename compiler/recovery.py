"""All errors at once: the builder's errors in the parts of an invalid spec that the
schema accepts, reported in the same run as the schema's own.

The builder reads only schema-valid data, so a spec with a schema error used to
stop there, and fixing it revealed the builder's errors on a second run. Here the
parts at fault are cut out, each as the smallest piece whose absence no check
reads as a fact about the spec:

- a route or a rule (left as a gap in its list, so that the positions of the
  others keep their index);
- an interface key that no check reads when it is absent (`mtu`, `dns`, `match`,
  `bridge`, `routes`), and any key the spec language does not have;
- otherwise the whole interface or table: without its `type`, `addresses` or
  `members` it would be judged as something it is not.

The names of the interfaces and tables cut out still exist (LeftOut): references
to them are not errors, and checks that need the whole host (which interface
carries the main table's default route, whether a preferred source is the host's)
are skipped, as are the intent passes, whose conflicts need every interface and
table. Whatever the builder reports about the rest is a real error of the spec.
"""

from __future__ import annotations

from typing import Any

from . import build, passes, schema
from .errors import Diagnostic, SpecError
from .loader import LeftOut, LoadedSpec, Path

# Interface keys whose absence no build check reads as a fact: cut out alone.
_DETACHABLE = frozenset({"mtu", "dns", "match", "bridge", "routes"})
_GAP = None  # a cut-out route or rule: the builder skips it


def further_errors(spec: LoadedSpec, violations: schema.Violations) -> list[Diagnostic]:
    """What the builder and the passes find in the schema-valid part of `spec`."""
    remainder = schema_valid_part(spec, violations)
    if remainder is None:
        return []
    try:
        network = build.build(remainder)
        if remainder.left_out.complete:
            passes.expand(network)
    except SpecError as error:
        return list(error.diagnostics)
    return []


def schema_valid_part(spec: LoadedSpec, violations: schema.Violations) -> LoadedSpec | None:
    """`spec` without the parts at fault; None when too little is left to build."""
    data: dict[str, Any] = dict(spec.data)
    interfaces: set[str] = set()
    tables: set[str] = set()
    every_table = False
    for path in violations.wrong:
        piece = _piece(path)
        if piece is None:
            return None
        if piece == ("version",):
            # The builder does not read the version; any valid one lets the rest be checked.
            data["version"] = 1
            continue
        _cut(data, piece)
        if piece == ("tables",):
            every_table = True
        elif len(piece) == 2 and piece[0] == "tables":
            tables.add(str(piece[1]))
        elif len(piece) == 2 and piece[0] == "interfaces":
            interfaces.add(str(piece[1]))
    for path in violations.unknown:
        _cut(data, path)
    if not data.get("interfaces") or not schema.is_valid(_without_gaps(data)):
        return None
    left_out = LeftOut(frozenset(interfaces), frozenset(tables), every_table)
    return LoadedSpec(data, spec.positions, left_out)


def _piece(path: Path) -> Path | None:
    """The piece of the spec to cut out for a fault at `path`; None: the whole spec."""
    if not path or path == ("interfaces",):
        return None
    top = path[0]
    if top == "interfaces" and len(path) >= 3:
        key = path[2]
        if key == "routes" and len(path) >= 4:
            return path[:4]
        return path[:3] if key in _DETACHABLE else path[:2]
    if top in ("tables", "rules"):
        return path[:2]
    return path[:1]


def _cut(data: dict[str, Any], path: Path) -> None:
    """Remove `path` from `data`, copying each container on the way so that the
    loaded spec is left as it was; a list item becomes a gap. A path already cut
    (or inside a piece already cut) is left alone."""
    parent: Any = data
    for step in path[:-1]:
        child = _child(parent, step)
        if not isinstance(child, dict | list):
            return
        child = dict(child) if isinstance(child, dict) else list(child)
        parent[step] = child
        parent = child
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        parent[last] = _GAP


def _child(container: Any, step: str | int) -> Any:
    if isinstance(container, dict):
        return container.get(step)
    if isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
        return container[step]
    return None


def _without_gaps(data: dict[str, Any]) -> dict[str, Any]:
    """The remainder as the schema sees it: gaps are the builder's business."""
    result = dict(data)
    if isinstance(result.get("rules"), list):
        result["rules"] = [r for r in result["rules"] if r is not _GAP]
    if isinstance(result.get("interfaces"), dict):
        result["interfaces"] = {
            name: ({**raw, "routes": [r for r in raw["routes"] if r is not _GAP]}
                   if isinstance(raw, dict) and isinstance(raw.get("routes"), list) else raw)
            for name, raw in result["interfaces"].items()}
    return result
