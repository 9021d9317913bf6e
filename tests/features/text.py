"""How an expected snippet is found in a generated file.

Expected lines are written without the indentation of where they sit in the
file (a netplan key six spaces deep is written flush left), so every match
allows one extra indentation shared by all lines of the snippet; relative
indentation inside the snippet must match exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _offsets(file_lines: Sequence[str], first: str) -> Iterator[tuple[int, str]]:
    """Each (index, extra indentation) at which the file holds `first`."""
    for index, line in enumerate(file_lines):
        extra = _indent(line) - _indent(first)
        if extra >= 0 and line == " " * extra + first:
            yield index, " " * extra


def has_lines(file_lines: Sequence[str], expected: Sequence[str]) -> bool:
    """The expected lines occur in this order, not necessarily next to each other."""
    for start, pad in _offsets(file_lines, expected[0]):
        rest = iter(file_lines[start + 1:])
        if all(pad + want in rest for want in expected[1:]):
            return True
    return False


def section_at(file_lines: Sequence[str], start: int) -> list[str]:
    """The section headed by file_lines[start]: an INI `[section]` runs to the next
    blank line; any other heading (an ifupdown `iface` stanza, a YAML key or list
    item) owns the following lines indented deeper than itself."""
    heading = file_lines[start]
    body: list[str] = [heading]
    for line in file_lines[start + 1:]:
        if not line.strip():
            break
        if not heading.startswith("[") and _indent(line) <= _indent(heading):
            break
        body.append(line)
    return body


def has_section(file_lines: Sequence[str], expected: Sequence[str]) -> bool:
    """Some section of the file, headed by the first expected line, is exactly the
    expected lines: nothing more, nothing less, in this order."""
    for start, pad in _offsets(file_lines, expected[0]):
        if section_at(file_lines, start) == [pad + line for line in expected]:
            return True
    return False


def has_line(file_lines: Sequence[str], line: str) -> bool:
    """The line occurs anywhere, whatever its indentation."""
    return any(candidate.strip() == line.strip() for candidate in file_lines)
