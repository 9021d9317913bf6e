"""The imported spec as a file: written with ruamel.yaml, then read back and checked
by netcompile itself, with every error reported where its cause is in the netplan
input.

An import is only as good as the spec it writes, so the spec goes through the same
loader, schema, builder and passes as any other; a problem they find (a gateway
outside every prefix, an option that does not apply to the bond's mode) is a
refusal of the import, located at the netplan key that led to it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ..errors import Diagnostic, SpecError
from ..loader import LoadedSpec, Path, Positions, load_bytes
from ..model import Network
from .netplan import Source

HEADER = """\
Imported by `netcompile import netplan` from {files}.
It means what those files mean, except where the import warned. Check it, then
compile it: netcompile {output} --target networkd"""
NM_NOTE = """\
netplan's renderer was NetworkManager: compile with --target networkmanager, or with
--target netplan to keep netplan (the `netplan:` key below keeps its renderer)."""


def model(data: dict[str, Any], name: str = "imported spec") -> Network:
    """The expanded model of spec data; raises SpecError as compiling it would."""
    from .. import build, passes, schema

    loaded = LoadedSpec(data, Positions(name))
    schema.validate(loaded)
    return passes.expand(build.build(loaded))


def dump(data: dict[str, Any], files: list[str], output: str,
         sources: Mapping[Path, Source]) -> str:
    """The spec as YAML: block style down to each interface's keys, short lists and
    routes in flow style, a comment naming the netplan line of each interface and
    rule. Deterministic for the same data."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def scalar(value: Any) -> Any:
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        # Addresses and MACs are quoted, as netcompile's docs write them: a YAML 1.1
        # reader would take 52:54:00:12:34:01 for a number.
        return DoubleQuotedScalarString(value) if isinstance(value, str) and ":" in value \
            else value

    def flow(value: Any) -> Any:
        if isinstance(value, dict):
            mapping = CommentedMap((k, flow(v)) for k, v in value.items())
            mapping.fa.set_flow_style()
            return mapping
        if isinstance(value, list):
            sequence = CommentedSeq(flow(v) for v in value)
            sequence.fa.set_flow_style()
            return sequence
        return scalar(value)

    def block(value: dict[str, Any]) -> CommentedMap:
        return CommentedMap((k, flow(v)) for k, v in value.items())

    document = CommentedMap()
    header = HEADER.format(files=", ".join(files), output=output)
    if "netplan" in data:
        header += "\n" + NM_NOTE
    document.yaml_set_start_comment(header)
    document["version"] = data["version"]
    interfaces = CommentedMap()
    for name, interface in data["interfaces"].items():
        interfaces[name] = block(interface)
        origin = sources.get(("interfaces", name))
        if origin is not None:
            interfaces.yaml_set_comment_before_after_key(
                name, before=f"from {origin.where.file}:{origin.where.line}", indent=2)
    document["interfaces"] = interfaces
    if "rules" in data:
        rules = CommentedSeq()
        for index, rule in enumerate(data["rules"]):
            rules.append(flow(rule))
            origin = sources.get(("rules", index))
            if origin is not None:
                rules.yaml_add_eol_comment(f"from {origin.where.file}:{origin.where.line}",
                                           index)
        document["rules"] = rules
    if "netplan" in data:
        document["netplan"] = flow(data["netplan"])
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def check(text: str, name: str, sources: Mapping[Path, Source]) -> None:
    """Load the written spec as netcompile would and compile it to the model; raise
    SpecError with every problem located in the netplan input."""
    from .. import build, passes, schema

    loaded = load_bytes(text.encode("utf-8"), name)
    try:
        schema.validate(loaded)
        passes.expand(build.build(loaded))
    except SpecError as error:
        raise SpecError(_located(d, loaded.positions, sources)
                        for d in error.diagnostics) from None


def _located(diagnostic: Diagnostic, positions: Positions,
             sources: Mapping[Path, Source]) -> Diagnostic:
    """The netcompile error at the netplan key its spec path came from."""
    path = _path_at(diagnostic, positions)
    while path is not None and path not in sources and path:
        path = path[:-1]
    origin = sources.get(path) if path is not None else None
    if origin is None:
        return diagnostic
    shown_as = f"imported as {diagnostic.path}: " if diagnostic.path else "imported: "
    return Diagnostic(origin.where, origin.path, shown_as + diagnostic.message,
                      diagnostic.hint)


def _path_at(diagnostic: Diagnostic, positions: Positions) -> Path | None:
    """The spec path whose value (or key) sits where the diagnostic points."""
    spot = (diagnostic.where.line, diagnostic.where.column)
    found = [p for p, at in positions.values.items() if at == spot]
    found += [p for p, at in positions.keys.items() if at == spot]
    return max(found, key=len) if found else None
