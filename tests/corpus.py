"""The spec corpora under tests/specs/: the `# expect:` lines each spec states, and
the places of its keys and values, to check that a stated location is what it names."""

from __future__ import annotations

import re
from pathlib import Path

from netcompile.loader import dotted, load_file

EXPECT = "# expect: "
# `LINE:COLUMN: PATH: message (hint)`, or without a path for the spec as a whole.
STATED = re.compile(r"(?P<line>[0-9]+):(?P<column>[0-9]+): (?:(?P<path>\S+): )?")

Position = tuple[int, int]


def expected_errors(spec: Path) -> list[str]:
    return [line[len(EXPECT):].rstrip("\n")
            for line in spec.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith(EXPECT)]


def places(spec: Path) -> dict[str, set[Position]]:
    """Each dotted path of the spec (as errors spell it) with the positions of its
    key and its value."""
    positions = load_file(str(spec)).positions
    found: dict[str, set[Position]] = {}
    for table in (positions.values, positions.keys):
        for path, position in table.items():
            found.setdefault(dotted(path), set()).add(position)
    return found


def at_or_inside(found: dict[str, set[Position]], path: str, position: Position) -> bool:
    """`position` is where `path` or something inside it stands."""
    return any(position in where for name, where in found.items()
               if name == path or name.startswith((f"{path}.", f"{path}[")))
