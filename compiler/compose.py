"""A spec built on shared files: `include:`, and the rule that merges them.

    include: [common/uplinks.yaml, common/dns.yaml]   # or one name: include: base.yaml

Each name is read relative to the file that names it (an included file may include
others). The included files are merged in the order listed, then the including
file on top:

- two mappings merge key by key, recursively;
- anything else (a number, a string, a list) from the later file replaces the
  earlier one whole: a host's `addresses:` or `rules:` is its own list;
- a key set to null (`key: ~` or `key:`) removes what the earlier files set there.

Every value keeps the file, line and column it was written at, so an error in an
included file names that file. Nothing here knows the spec language: the merged
data is checked as one spec afterwards.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import Diagnostic, Location, NetcompileError, SpecError
from .loader import LoadedSpec, Path, Positions, dotted, load_bytes, read_stream

INCLUDE = "include"
# A fleet's specs are a host file and a few shared layers; these bound a loop of
# includes that the cycle check would catch anyway, and a fan-out that it would not.
MAX_DEPTH = 8
MAX_FILES = 64
# The schema's pattern for a name (the schema describes `include` for editors; the
# merged spec that the schema checks no longer holds it).
_NAME = re.compile("[^\x00-\x1f\x7f\u2028\u2029]{1,1024}")


class Source(Protocol):
    """Where specs are read: files here (FileSource) or a git revision (GitSource)."""

    def resolve(self, including: str, reference: str) -> str:
        """The name of the file `reference` means, written in file `including`."""

    def read(self, name: str) -> bytes:
        """The file's bytes; raises OSError or NetcompileError."""


class FileSource:
    def resolve(self, including: str, reference: str) -> str:
        # "<stdin>" has no directory: its includes are read from the current one.
        directory = "" if including.startswith("<") else posixpath.dirname(including)
        return posixpath.normpath(posixpath.join(directory, reference))

    def read(self, name: str) -> bytes:
        with open(name, "rb") as stream:
            return read_stream(stream, name)


@dataclass(frozen=True, slots=True)
class GitSource:
    """Specs as committed: names are `git:REV:PATH`, as `netcompile plan` takes them."""

    def resolve(self, including: str, reference: str) -> str:
        revision, path = _split_git(including)
        here = path.startswith("./")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), reference))
        return f"git:{revision}:{'./' if here and not resolved.startswith('../') else ''}" \
               f"{resolved}"

    def read(self, name: str) -> bytes:
        from .plan import _git_show

        return _git_show(name)


def _split_git(name: str) -> tuple[str, str]:
    revision, _, path = name[len("git:"):].partition(":")
    return revision, path


FILES = FileSource()


@dataclass(slots=True)
class _Walk:
    source: Source
    files: int = 0
    chain: list[str] = field(default_factory=list)


def load(raw: bytes, name: str, source: Source = FILES) -> LoadedSpec:
    """The spec `name` with everything it includes merged in (LoadedSpec as the loader
    makes it: plain data and the position of every value, in its own file)."""
    return _load(raw, name, _Walk(source))


def _load(raw: bytes, name: str, walk: _Walk) -> LoadedSpec:
    loaded = load_bytes(raw, name)
    if INCLUDE not in loaded.data:
        return loaded
    positions = loaded.positions
    references = _references(loaded)
    walk.chain.append(name)
    parts: list[LoadedSpec] = []
    for index, reference in enumerate(references):
        path: Path = (INCLUDE, index) if isinstance(loaded.data[INCLUDE], list) else (INCLUDE,)
        included = walk.source.resolve(name, reference)
        parts.append(_include(included, positions.of(path), dotted(path), walk))
    walk.chain.pop()
    own = {key: value for key, value in loaded.data.items() if key != INCLUDE}
    result = parts[0]
    for part in [*parts[1:], LoadedSpec(own, positions)]:
        out = Positions(name)
        data = _merge(out, result.data, result.positions, part.data, part.positions, ())
        result = LoadedSpec(data, out)
    return result


def _references(loaded: LoadedSpec) -> list[str]:
    value = loaded.data[INCLUDE]
    items = value if isinstance(value, list) else [value]
    bad = [index for index, item in enumerate(items)
           if not isinstance(item, str) or not _NAME.fullmatch(item)]
    if not items or bad:
        path: Path = (INCLUDE, bad[0]) if bad and isinstance(value, list) else (INCLUDE,)
        raise SpecError([Diagnostic(
            loaded.positions.of(path), dotted(path),
            "`include` must be a file name or a list of file names",
            "write `include: base.yaml` or `include: [common/uplinks.yaml, dns.yaml]`, "
            "paths relative to this file")])
    return items


def _include(name: str, where: Location, key: str, walk: _Walk) -> LoadedSpec:
    if name in walk.chain:
        loop = " -> ".join([*walk.chain[walk.chain.index(name):], name])
        raise SpecError([Diagnostic(where, key, f"the spec includes itself: {loop}",
                                    "remove the include that closes the loop")])
    if len(walk.chain) >= MAX_DEPTH:
        raise SpecError([Diagnostic(where, key,
                                    f"includes nest deeper than {MAX_DEPTH} files",
                                    "include the shared files from the host's spec "
                                    "directly")])
    walk.files += 1
    if walk.files > MAX_FILES:
        raise SpecError([Diagnostic(where, key,
                                    f"the spec includes more than {MAX_FILES} files",
                                    "merge some of the shared files")])
    try:
        raw = walk.source.read(name)
    except IsADirectoryError:
        raise _unreadable(where, key, name, "it is a directory") from None
    except OSError as error:
        raise _unreadable(where, key, name, error.strerror or str(error)) from None
    except NetcompileError as error:
        raise _unreadable(where, key, name, str(error)) from None
    return _load(raw, name, walk)


def _unreadable(where: Location, key: str, name: str, reason: str) -> SpecError:
    return SpecError([Diagnostic(where, key,
                                 f"cannot read the included file {name}: {reason}",
                                 "an included path is relative to the file that names it")])


# -- the merge rule ------------------------------------------------------------------
def _merge(out: Positions, base: Any, below: Positions, top: Any, above: Positions,
           path: Path) -> Any:
    """`top` over `base`; `out` receives the position of every value of the result
    from the file that wrote it."""
    if not (isinstance(base, dict) and isinstance(top, dict)):
        _copy(out, above, top, path)
        return top
    _value(out, above, path)
    result: dict[str, Any] = {}
    for key in [*base, *(k for k in top if k not in base)]:
        child = (*path, key)
        if key not in top:
            _key(out, below, child)
            _copy(out, below, base[key], child)
            result[key] = base[key]
        elif key not in base:
            _key(out, above, child)
            _copy(out, above, top[key], child)
            result[key] = top[key]
        elif top[key] is not None:
            _key(out, above, child)
            result[key] = _merge(out, base[key], below, top[key], above, child)
        # else: null removes the key the earlier files set
    return result


def _copy(out: Positions, source: Positions, value: Any, path: Path) -> None:
    _value(out, source, path)
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            _key(out, source, child)
            _copy(out, source, item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _copy(out, source, item, (*path, index))


def _value(out: Positions, source: Positions, path: Path) -> None:
    found = source.values.get(path)
    if found is None:
        return
    out.values[path] = found
    file = source.value_files.get(path, source.file)
    if file != out.file:
        out.value_files[path] = file


def _key(out: Positions, source: Positions, path: Path) -> None:
    found = source.keys.get(path)
    if found is None:
        return
    out.keys[path] = found
    file = source.key_files.get(path, source.file)
    if file != out.file:
        out.key_files[path] = file
