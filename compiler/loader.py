"""Read a spec file into plain Python data plus the position of every node.

ruamel.yaml composes the YAML 1.2 node graph (every node knows its line and
column); we construct plain dicts, lists and scalars from it ourselves so that
we can reject duplicate keys, bound alias expansion (billion laughs) and
record positions keyed by the path of each value.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from .errors import Diagnostic, Location, SpecError

Path = tuple[str | int, ...]

# Limits that keep a hostile spec from costing unbounded time or memory.
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_SCALAR_TAG = "tag:yaml.org,2002:"


@dataclass(slots=True)
class Positions:
    """Where each value (and each mapping key) of the spec sits in the file."""

    file: str
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def of(self, path: Path) -> Location:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Location(self.file, 1, 1))

    def of_key(self, path: Path) -> Location:
        return self.keys.get(path) or self.of(path)


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    data: Any
    positions: Positions


def load_file(path: str, display_name: str | None = None) -> LoadedSpec:
    name = display_name or path
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise SpecError([Diagnostic(Location(name, 1, 1), "",
                                    f"cannot read the spec: {error.strerror}",
                                    "check the path and its permissions")]) from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> LoadedSpec:
    here = Location(name, 1, 1)
    if len(raw) > MAX_BYTES:
        raise SpecError([Diagnostic(here, "", f"the spec is larger than {MAX_BYTES} bytes",
                                    "a host's network spec is far smaller; check the file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise SpecError([Diagnostic(Location(name, line, column), "",
                                    "the spec is not valid UTF-8",
                                    "save the file as UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise SpecError([Diagnostic(here, "", "the spec is empty",
                                    "start with `version: 1` and an `interfaces:` mapping")])
    node = _compose(text, name)
    positions = Positions(name)
    builder = _Builder(positions)
    data = builder.build(node, ())
    if builder.diagnostics:
        raise SpecError(builder.diagnostics)
    if not isinstance(data, dict):
        raise SpecError([Diagnostic(positions.of(()), "",
                                    "the top level of the spec must be a mapping",
                                    "start with `version: 1` and an `interfaces:` mapping")])
    return LoadedSpec(data, positions)


def _compose(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    try:
        return yaml.compose(io.StringIO(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        problem = error.problem or error.context or "invalid YAML"
        hint = "indent with spaces, not tabs" if "\t" in problem or "tab" in problem else (
            "fix the YAML syntax at this position")
        raise SpecError([Diagnostic(where, "", f"invalid YAML: {problem}", hint)]) from None
    except YAMLError as error:  # e.g. more than one document
        raise SpecError([Diagnostic(Location(name, 1, 1), "", f"invalid YAML: {error}",
                                    "a spec is a single YAML document")]) from None
    except RecursionError:
        raise SpecError([Diagnostic(Location(name, 1, 1), "", "the YAML nests too deeply",
                                    f"keep nesting under {MAX_DEPTH} levels")]) from None


class _Builder:
    def __init__(self, positions: Positions):
        self.positions = positions
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0

    def _where(self, node: Any) -> Location:
        mark = node.start_mark
        return Location(self.positions.file, mark.line + 1, mark.column + 1)

    def build(self, node: Any, path: Path) -> Any:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        self.nodes += 1
        if self.nodes > MAX_NODES or len(path) > MAX_DEPTH:
            self._fail(node, path, f"the spec expands to more than {MAX_NODES} values or "
                       f"{MAX_DEPTH} levels (aliases or nesting)",
                       "write the spec out without deeply nested anchors and aliases")
        self.positions.values.setdefault(path, self._where(node))
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, path)
                if key is None:
                    continue
                child = (*path, key)
                if key in result:
                    first = self.positions.keys[child]
                    self.diagnostics.append(Diagnostic(
                        self._where(key_node), _dotted(child),
                        f"duplicate key (first defined at line {first.line}, "
                        f"column {first.column})", "remove one of the two"))
                    continue
                self.positions.keys[child] = self._where(key_node)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _key(self, node: Any, path: Path) -> str | None:
        from ruamel.yaml.nodes import ScalarNode

        if not isinstance(node, ScalarNode):
            self.diagnostics.append(Diagnostic(self._where(node), _dotted(path),
                                               "a mapping key must be a plain value",
                                               "use a string as the key"))
            return None
        value = self._scalar(node, path)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            self.diagnostics.append(Diagnostic(
                self._where(node), _dotted(path),
                f"the key {node.value!r} is not a string", "quote the key"))
            return None
        return str(value)

    def _scalar(self, node: Any, path: Path) -> Any:
        tag = node.tag
        value: str = node.value
        if not tag.startswith(_SCALAR_TAG) or node.style in ("'", '"', "|", ">"):
            if not tag.startswith(_SCALAR_TAG):
                self._fail(node, path, f"unsupported YAML tag {tag}", "remove the tag")
            return value
        kind = tag[len(_SCALAR_TAG):]
        if kind == "str":
            return value
        if kind == "null":
            return None
        if kind == "bool":
            return value.lower() == "true"
        if kind == "int":
            text = value.replace("_", "")
            if text.lower().startswith(("0x", "+0x", "-0x")):
                return int(text, 16)
            if text.lower().startswith(("0o", "+0o", "-0o")):
                return int(text.replace("o", "").replace("O", ""), 8)
            return int(text)
        if kind == "float":
            lowered = value.lower()
            if lowered.endswith(("inf", "nan")):
                return float(lowered.replace(".", "", 1))
            return float(value)
        if kind == "timestamp":
            # Keep it a date so that the schema reports "not a string" where one belongs.
            try:
                return datetime.date.fromisoformat(value[:10])
            except ValueError:
                return value
        return value

    def _fail(self, node: Any, path: Path, message: str, hint: str) -> None:
        raise SpecError([*self.diagnostics,
                         Diagnostic(self._where(node), _dotted(path), message, hint)])


def _dotted(path: Path) -> str:
    """`interfaces.eth0.routes[1].via` for error messages."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


dotted = _dotted
