"""Read a spec file into plain Python data plus the position of every node.

ruamel.yaml composes the YAML 1.2 node graph (every node knows its line and
column); we construct plain dicts, lists and scalars from it ourselves so that
we can reject duplicate keys, bound alias expansion (billion laughs) and
record positions keyed by the path of each value.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import functools
import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .errors import Diagnostic, Location, SpecError

Path = tuple[str | int, ...]

# Limits that keep a hostile spec from costing unbounded time or memory.
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

# A number longer than this is a mistake (and int() refuses 4300+ digits anyway).
MAX_NUMBER_DIGITS = 40

_PLAIN = "tag:netcompile,2024:plain"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# The YAML 1.2 core schema; anything else plain is a string.
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
# Keys shown bare in key paths; any other key is quoted there (see _dotted).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_@+=-]{1,40}")
_QUOTED_KEY_LIMIT = 40
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)")
# Every text the five patterns above can match starts with one of these (or is empty).
_SPECIAL_STARTS = frozenset("~nNtTfF+-.0123456789")


# A 1-based (line, column); a Location is made of one only where it is needed (an
# error message, a model element): a big spec has tens of thousands of nodes.
Position = tuple[int, int]


@dataclass(slots=True)
class Positions:
    """Where each value (and each mapping key) of the spec sits in the file."""

    file: str
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    # A spec composed of several files (compose.py): the file of each value and key
    # written in another file than `file`. Both stay empty for a single file.
    value_files: dict[Path, str] = field(default_factory=dict)
    key_files: dict[Path, str] = field(default_factory=dict)

    def of(self, path: Path) -> Location:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path not in self.values and path:
            path = path[:-1]
        line, column = self.values.get(path, (1, 1))
        if not self.value_files:
            return Location(self.file, line, column)
        return Location(self.value_files.get(path, self.file), line, column, True)

    def of_key(self, path: Path) -> Location:
        found = self.keys.get(path)
        if found is None:
            return self.of(path)
        if not self.value_files:
            return Location(self.file, *found)
        return Location(self.key_files.get(path, self.file), *found, True)


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The parts of an invalid spec that the builder is not shown, because the schema
    has reported them already (recovery.py). The interfaces and tables named here
    exist in the spec: a reference to one is not an error. Checks that need the
    whole host are skipped unless it is `complete`."""

    interfaces: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    every_table: bool = False  # `tables:` itself was invalid

    @property
    def complete(self) -> bool:
        return not (self.interfaces or self.tables or self.every_table)

    def has_interface(self, name: str) -> bool:
        return name in self.interfaces

    def has_table(self, name: str) -> bool:
        return self.every_table or name in self.tables


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    data: Any
    positions: Positions
    # Empty but for the schema-valid part of an invalid spec (recovery.py).
    left_out: LeftOut = LeftOut()


def load_file(path: str, display_name: str | None = None) -> LoadedSpec:
    name = display_name or path
    return load_bytes(read_file(path, name), name)


def read_file(path: str, name: str | None = None) -> bytes:
    """The spec's bytes, read once and at most one byte past the limit (enough to
    say it is too large): a FIFO, /dev/zero or a huge sparse file costs no more."""
    try:
        with open(path, "rb") as stream:
            return _read(stream, name or path)
    except OSError as error:
        raise _unreadable(name or path, error) from None


def read_stream(stream: BinaryIO | None, name: str) -> bytes:
    """Like read_file, from standard input (None where the process has none)."""
    if stream is None:
        raise _unreadable(name, OSError(errno.EBADF, "standard input is closed"), stdin=True)
    try:
        return _read(stream, name)
    except OSError as error:
        raise _unreadable(name, error, stdin=True) from None


def _read(stream: BinaryIO, name: str) -> bytes:
    """Short reads from a pipe are read on until the end or the limit."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BYTES:
        chunk = stream.read(MAX_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _unreadable(name: str, error: OSError, stdin: bool = False) -> SpecError:
    """Reported at the file, not at a line: nothing of it was read."""
    hint = ("give the spec on standard input, or its file's path instead of `-`" if stdin
            else "give the path of an existing file that you may read")
    return SpecError([Diagnostic(Location.whole(name), "",
                                 f"cannot read the spec: {error.strerror or error}", hint)])


def load_bytes(raw: bytes, name: str) -> LoadedSpec:
    here = Location(name, 1, 1)
    if len(raw) > MAX_BYTES:
        raise SpecError([Diagnostic(Location.whole(name), "",
                                    f"the spec is larger than {MAX_BYTES} bytes",
                                    "give the spec's own file: a host's network spec is a "
                                    "few KiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise SpecError([Diagnostic(Location(name, line, column), "",
                                    "the spec is not valid UTF-8",
                                    "save the file as UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    _check_characters(text, name)
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


# What YAML allows in a stream (its c-printable set); libyaml and ruamel refuse the
# rest with an offset, not a line and column. The full set takes 5 ms to compile, more
# than loading a small spec: it is compiled only for text that is not all ASCII.
_NOT_PRINTABLE_ASCII = re.compile("[^\t\n\r\x20-\x7e]")


@functools.cache
def _not_printable() -> re.Pattern[str]:
    return re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check_characters(text: str, name: str) -> None:
    bad = (_NOT_PRINTABLE_ASCII if text.isascii() else _not_printable()).search(text)
    if bad is None:
        return
    line = text.count("\n", 0, bad.start()) + 1
    column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
    raise SpecError([Diagnostic(Location(name, line, column), "",
                                f"the control character U+{ord(bad.group()):04X} is not "
                                "allowed in a spec",
                                "remove it; inside double quotes, write it as an escape")])


# A %YAML directive, which comes before the document's `---`.
_YAML_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


def _compose(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from . import yamlerrors

    # ruamel asserts on a %YAML version it does not know, and older releases take
    # any: the same text gets the same answer whichever is installed.
    directive = _YAML_DIRECTIVE.search(text)
    if directive is not None and directive.group(1) not in ("1.1", "1.2"):
        raise SpecError([yamlerrors.unknown_version(name, text)])
    fast = _compose_libyaml(text)
    if fast is not None:
        return fast
    yaml = YAML(typ="safe", pure=True)
    # Resolve untagged plain scalars ourselves (YAML 1.2 core schema), whatever a
    # `%YAML 1.1` directive says, so that `yes` never silently becomes false.
    yaml.Resolver = _plain_resolver()
    try:
        with _quiet():
            return yaml.compose(io.StringIO(text))
    except MarkedYAMLError as error:
        raise SpecError([yamlerrors.describe(error, name, text)]) from None
    except YAMLError as error:
        raise SpecError([Diagnostic(Location(name, 1, 1), "", f"invalid YAML: {error}",
                                    "write the spec as one YAML document")]) from None
    except AssertionError:  # ruamel asserts on a %YAML version it does not know
        raise SpecError([yamlerrors.unknown_version(name, text)]) from None
    except RecursionError:
        raise SpecError([Diagnostic(Location(name, 1, 1), "", "the YAML nests too deeply",
                                    f"keep nesting under {MAX_DEPTH} levels")]) from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """ruamel warns on stderr about an anchor defined twice, which YAML allows (an
    alias refers to the latest): a spec's messages are netcompile's alone."""
    from ruamel.yaml import error

    with warnings.catch_warnings():
        # (YAMLWarning, its base, where a ruamel release lacks the class)
        warnings.simplefilter("ignore", getattr(error, "ReusedAnchorWarning", error.YAMLWarning))
        yield


# libyaml's composer recurses on the C stack (no RecursionError: a crash, at some
# 10^5 levels with the usual 8 MiB stack). Nesting depth is at most the number of
# flow openers plus the longest line (each block level takes a column), so below
# this bound, a fifth of that, it is safe; a 5,000-uplink spec stays under it.
_LIBYAML_MAX_DEPTH = 20_000


def _compose_libyaml(text: str) -> Any:
    """The node graph from libyaml (ruamel.yaml.clib), some ten times faster than the
    pure-Python parser on large specs; None when it is not installed, when the text
    could nest too deeply, or on any error: the pure parser then reads the text again
    and words the error, so messages never depend on which parser ran."""
    longest = max(map(len, text.splitlines()), default=0)
    if text.count("[") + text.count("{") + longest > _LIBYAML_MAX_DEPTH:
        return None
    try:
        import _ruamel_yaml  # noqa: F401  (only to know whether the C parser is there)
        from ruamel.yaml import YAML
    except ImportError:
        return None
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _plain_resolver()
    try:
        with _quiet():
            return yaml.compose(io.StringIO(text))
    except Exception:  # any failure: let the pure parser decide and explain
        return None


@functools.cache
def _shared_tags() -> tuple[Any, Any, Any, Any]:
    """One Tag each for plain scalars, strings, mappings and sequences. A Tag decodes
    its text character by character on first str(), which a fresh Tag per node made
    the largest cost of loading a big spec; shared, they also compare by identity."""
    try:
        from ruamel.yaml.tag import Tag
    except ImportError:
        return _plain_string_tags()
    plain, string, mapping, sequence = (Tag(suffix=t)
                                        for t in (_PLAIN, _STR_TAG, _MAP_TAG, _SEQ_TAG))
    return plain, string, mapping, sequence


def _plain_string_tags() -> tuple[Any, Any, Any, Any]:
    """ruamel.yaml before 0.17.22 (Debian 12 ships 0.17.21) has no Tag: a node's tag
    is its string, and no `ctag`. Give nodes a `ctag` that reads it: the resolver
    hands out these very strings, so identity still tells them apart."""
    from ruamel.yaml.nodes import Node

    if not hasattr(Node, "ctag"):
        setattr(Node, "ctag", property(lambda node: node.tag))  # noqa: B010
    return _PLAIN, _STR_TAG, _MAP_TAG, _SEQ_TAG


@functools.cache
def _plain_resolver() -> type:
    from ruamel.yaml.nodes import MappingNode, ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    plain, string, mapping, sequence = _shared_tags()

    class PlainResolver(VersionedResolver):
        """Tags every untagged plain scalar as _PLAIN; explicit tags stay visible."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode:
                return plain if implicit[0] else string
            return mapping if kind is MappingNode else sequence

    return PlainResolver


class _Builder:
    def __init__(self, positions: Positions):
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self.positions = positions
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0
        self.mapping_node: type[Any] = MappingNode
        self.sequence_node: type[Any] = SequenceNode
        self.scalar_node: type[Any] = ScalarNode
        self.plain_tag, self.str_tag, self.map_tag, self.seq_tag = _shared_tags()

    def _where(self, node: Any) -> Location:
        mark = node.start_mark
        return Location(self.positions.file, mark.line + 1, mark.column + 1)

    def build(self, node: Any, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._fail(node, path, f"the spec expands to more than {MAX_NODES} values",
                       "write the spec out without anchors and aliases that repeat "
                       "each other")
        if len(path) > MAX_DEPTH:
            self._fail(node, path, f"the spec nests deeper than {MAX_DEPTH} levels",
                       "indent each key two spaces under the key it belongs to; a spec "
                       "needs a handful of levels")
        mark = node.start_mark
        values = self.positions.values
        if path not in values:
            values[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, self.mapping_node):
            if node.ctag is not self.map_tag:
                self._check_tag(node, path, _MAP_TAG)
            keys = self.positions.keys
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, path)
                if key is None:
                    continue
                child = (*path, key)
                if key in result:
                    line, column = keys[child]
                    self.diagnostics.append(Diagnostic(
                        self._where(key_node), _dotted(child),
                        f"duplicate key (first defined at line {line}, "
                        f"column {column})", "remove one of the two"))
                    continue
                key_mark = key_node.start_mark
                keys[child] = (key_mark.line + 1, key_mark.column + 1)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, self.sequence_node):
            if node.ctag is not self.seq_tag:
                self._check_tag(node, path, _SEQ_TAG)
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _check_tag(self, node: Any, path: Path, expected: str) -> None:
        if str(node.tag) != expected:
            self._fail(node, path, f"unsupported YAML tag {_short(str(node.tag))}",
                       "remove the tag")

    def _key(self, node: Any, path: Path) -> str | None:
        if not isinstance(node, self.scalar_node):
            self.diagnostics.append(Diagnostic(self._where(node), _dotted(path),
                                               "a mapping key must be a plain value",
                                               "use a string as the key"))
            return None
        if node.value == "<<" and (node.ctag is self.plain_tag or str(node.tag) == _MERGE_TAG):
            # Read as a plain key, `<<` would only be an "unknown key", and the keys it
            # was meant to bring in would be reported missing.
            self.diagnostics.append(Diagnostic(
                self._where(node), _dotted((*path, "<<")),
                "YAML merge keys (`<<`) are not supported",
                "write the keys out in this mapping; aliases of whole values, such as "
                "`key: *anchor`, still work"))
            return None
        value = self._scalar(node, path)
        if value is None:
            self.diagnostics.append(Diagnostic(self._where(node), _dotted(path),
                                               "a mapping key is empty", "write the key"))
            return None
        if isinstance(value, bool | float):
            self.diagnostics.append(Diagnostic(
                self._where(node), _dotted(path),
                f"the key {node.value!r} is not a string", "quote the key"))
            return None
        return str(value)

    def _scalar(self, node: Any, path: Path) -> Any:
        value: str = node.value
        ctag = node.ctag
        if ctag is self.plain_tag:
            return self._resolve(node, path, value)
        if ctag is self.str_tag:
            return value
        tag = str(node.tag)
        if tag == _STR_TAG:  # quoted, block, or an explicit !!str
            return value
        if tag != _PLAIN:
            self._fail(node, path, f"unsupported YAML tag {_short(tag)}",
                       "remove the tag; quote the value if it is a string")
        return self._resolve(node, path, value)

    def _resolve(self, node: Any, path: Path, value: str) -> Any:
        """An untagged plain scalar by the YAML 1.2 core schema (plus dates, so that
        the schema can say "got the date ..." where a string belongs)."""
        if value and value[0] not in _SPECIAL_STARTS:
            return value  # a name such as `eth0` or `addresses`: surely a string
        if _NULL.fullmatch(value):
            return None
        if _BOOL.fullmatch(value):
            return value.lower() == "true"
        if _INT.fullmatch(value):
            if len(value) > MAX_NUMBER_DIGITS:
                self._fail(node, path, f"the number has more than {MAX_NUMBER_DIGITS} digits",
                           "write a smaller number")
            return int(value, 0) if value.startswith(("0x", "0o")) else int(value, 10)
        if _FLOAT.fullmatch(value):
            if len(value) > MAX_NUMBER_DIGITS:
                self._fail(node, path, f"the number has more than {MAX_NUMBER_DIGITS} digits",
                           "write a smaller number")
            return float(value.replace(".inf", "inf").replace(".Inf", "inf")
                         .replace(".INF", "inf").lower().replace(".nan", "nan"))
        if _DATE.match(value):
            try:
                return datetime.date.fromisoformat(value[:10])
            except ValueError:
                return value
        return value

    def _fail(self, node: Any, path: Path, message: str, hint: str) -> None:
        raise SpecError([*self.diagnostics,
                         Diagnostic(self._where(node), _dotted(path), message, hint)])


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _dotted(path: Path) -> str:
    """The key path for messages: `interfaces.eth0.routes[1].via`. A key that is not
    a plain name (a dot, a slash, a space, a quote...) is written in double quotes
    with JSON escapes, `tables."a.b"` or `interfaces."eth0\\n"`, so that a path reads
    one way only and no key can garble the message; a long key is cut short."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if _PLAIN_KEY.fullmatch(part) else _quoted_key(part)
        text += f".{name}" if text else name
    return text


def _quoted_key(key: str) -> str:
    if len(key) > _QUOTED_KEY_LIMIT:
        return json.dumps(key[:_QUOTED_KEY_LIMIT])[:-1] + '..."'
    return json.dumps(key)


dotted = _dotted


def shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message, cut short: a 4 MB string is one error line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 4]}...{text[-1]}"
