"""Break a backend's output on purpose: delete the rule for one source address.

The lab must notice. Each backend spells a rule its own way, so each has its
own small deletion; every one refuses to return unchanged files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from netcompile.output import OutputFile


def _networkd(text: str, source: str) -> str:
    # Drop the [RoutingPolicyRule] section whose From= is the address.
    sections = re.split(r"(?m)^(?=\[)", text)
    return "".join(s for s in sections
                   if not (s.startswith("[RoutingPolicyRule]") and f"From={source}\n" in s))


def _netplan(text: str, source: str) -> str:
    # Drop the routing-policy list item `- from: "<source>"` and its indented keys.
    lines, out, skip_indent = text.splitlines(keepends=True), [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if indent > skip_indent and not line.lstrip().startswith("- "):
                continue
            skip_indent = None
        if re.match(rf'\s*- from: "?{re.escape(source)}"?\s*$', line):
            skip_indent = indent
            continue
        out.append(line)
    return _drop_empty_keys(out)


def _drop_empty_keys(lines: list[str]) -> str:
    """A `routing-policy:` left with no items would be null, which netplan rejects."""
    kept = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        indent = len(line) - len(line.lstrip())
        if (line.strip() == "routing-policy:"
                and len(nxt) - len(nxt.lstrip()) <= indent):
            continue
        kept.append(line)
    return "".join(kept)


def _line_based(text: str, source: str) -> str:
    # NetworkManager `routing-ruleN=... from <source> ...`, ifupdown `post-up ip rule add`.
    return "".join(line for line in text.splitlines(keepends=True)
                   if not (("routing-rule" in line or "rule add" in line)
                           and f"from {source} " in line))


MUTATORS: dict[str, Callable[[str, str], str]] = {
    "networkd": _networkd,
    "netplan": _netplan,
    "networkmanager": _line_based,
    "ifupdown": _line_based,
}


def delete_rule(backend: str, files: Sequence[OutputFile], source: str) -> list[OutputFile]:
    """`files` without the rule `from <source>` (a network, e.g. 198.51.100.10/32)."""
    mutate = MUTATORS[backend]
    out = [replace(f, content=mutate(f.content, source)) for f in files]
    if out == list(files):
        raise AssertionError(f"no rule from {source} found in the {backend} output")
    return out
