"""Reading netplan files as netplan 0.106 reads them, with every value's position.

The files are loaded by netcompile's own loader (compiler/loader.py: positions,
duplicate keys and hostile YAML handled once), then read in netplan's order: by
base name, whatever the directory. Values are read with netplan's rules rather than
YAML's: `yes`, `on`, `y` are true and `no`, `off`, `n` false, numbers may be quoted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Diagnostic, Location, NetcompileError, SpecError
from ..loader import MAX_BYTES, Path, Positions, dotted, load_bytes, shown

_TRUE = frozenset({"true", "on", "yes", "y"})
_FALSE = frozenset({"false", "off", "no", "n"})


@dataclass(frozen=True, slots=True)
class Node:
    """One value of a netplan file, with where it is."""

    value: Any
    path: Path
    positions: Positions

    @property
    def where(self) -> Location:
        return self.positions.of(self.path)

    @property
    def key_where(self) -> Location:
        return self.positions.of_key(self.path)

    @property
    def name(self) -> str:
        """The netplan key path, e.g. `network.ethernets.eth0.routes[1].via`."""
        return dotted(self.path)

    def child(self, key: str | int) -> Node:
        return Node(self.value[key], (*self.path, key), self.positions)

    def get(self, key: str) -> Node | None:
        if isinstance(self.value, dict) and key in self.value:
            return self.child(key)
        return None

    def items(self) -> Iterator[tuple[str, Node]]:
        if isinstance(self.value, dict):
            for key in self.value:
                yield key, self.child(key)

    def entries(self) -> Iterator[Node]:
        if isinstance(self.value, list):
            for index in range(len(self.value)):
                yield self.child(index)


class Problems:
    """Refusals (errors) and warnings about the netplan input, each located there."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def refuse(self, node: Node, message: str, hint: str, *, key: bool = True) -> None:
        where = node.key_where if key else node.where
        self.errors.append(Diagnostic(where, node.name, message, hint))

    def warn(self, node: Node, message: str, hint: str) -> None:
        self.warnings.append(Diagnostic(node.key_where, node.name, message, hint))

    def boolean(self, node: Node) -> bool | None:
        value = node.value
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        self.refuse(node, f"{shown(value)} is not true or false", "write true or false",
                    key=False)
        return None

    def number(self, node: Node) -> int | None:
        value = node.value
        if isinstance(value, str) and value.isdigit():
            value = int(value, 10)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.refuse(node, f"{shown(node.value)} is not a whole number", "write a number",
                    key=False)
        return None

    def text(self, node: Node) -> str | None:
        if isinstance(node.value, str) and node.value:
            return node.value
        self.refuse(node, f"expected a name or address, got {shown(node.value)}",
                    "quote the value", key=False)
        return None

    def mapping(self, node: Node) -> bool:
        if isinstance(node.value, dict):
            return True
        self.refuse(node, f"expected a mapping, got {shown(node.value)}",
                    "indent the keys that belong here under it", key=False)
        return False

    def sequence(self, node: Node) -> bool:
        if isinstance(node.value, list):
            return True
        self.refuse(node, f"expected a list, got {shown(node.value)}",
                    "write a list, e.g. [a, b]", key=False)
        return False


def read(paths: list[str], texts: dict[str, str] | None = None) -> list[Node]:
    """The `network:` mapping of each file, in netplan's order (by base name); a file
    with nothing in it contributes nothing, as in netplan. Raises SpecError for a file
    that is not netplan YAML, NetcompileError for one that cannot be read. Each file is
    read once; `texts`, if given, receives the text of each, for quoting lines."""
    documents: list[Node] = []
    errors: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: (os.path.basename(p), p)):
        base = os.path.basename(path)
        if base in seen:
            # netplan reads one of them (/run over /etc over /lib): which, depends on
            # where they are installed, not on this command line.
            raise NetcompileError(f"{seen[base]} and {path} have the same name, and netplan "
                                  "reads only one of them; import the one the host uses")
        seen[base] = path
        try:
            with open(path, "rb") as stream:
                raw = stream.read(MAX_BYTES + 1)
        except OSError as error:
            raise NetcompileError(f"cannot read {path}: {error.strerror}") from None
        text = raw.decode("utf-8", errors="replace")
        if texts is not None:
            texts[path] = text
        if all(not line.strip() or line.lstrip().startswith("#")
               for line in text.splitlines()):
            continue
        try:
            loaded = load_bytes(raw, path)
        except SpecError as error:
            errors += error.diagnostics
            continue
        root = Node(loaded.data, (), loaded.positions)
        network = root.get("network")
        if network is None:
            errors.append(Diagnostic(Location(path, 1, 1), "",
                                     "not a netplan file: its top level has no `network:`",
                                     "name the netplan files, e.g. /etc/netplan/*.yaml"))
            continue
        if network.value is None:
            continue
        documents.append(network)
    if errors:
        raise SpecError(errors)
    return documents
