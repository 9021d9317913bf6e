"""A plan spelled for a terminal, for a pull-request comment (Markdown) and for
programs (JSON, shape documented and versioned in docs/plan-json.md)."""

from __future__ import annotations

import json
from typing import Any

from .errors import Location
from .plan import FileChange, Plan
from .semantic import Change

JSON_FORMAT = "netcompile-plan"
JSON_VERSION = 1

_SIGN = {"added": "+", "removed": "-", "changed": "~"}
_COLOUR = {"added": "\033[32m", "removed": "\033[31m", "changed": "\033[33m"}
_RESET = "\033[0m"


def _where(change: Change) -> str:
    if change.action == "changed" and change.old is not None and change.new is not None:
        old, new = change.old.where, change.new.where
        if old is not None and new is not None:
            return f"{new} (was {old.brief})" if old.brief != new.brief else str(new)
    where = change.item.where
    return str(where) if where is not None else ""


def summary(plan: Plan) -> str:
    counts = plan.counts()
    total = sum(counts.values())
    if not plan.changed:
        return "no changes"
    backends = [t for t in plan.targets if plan.files_of(t)]
    text = (f"{total} change{'s' if total != 1 else ''} ({counts['added']} added, "
            f"{counts['removed']} removed, {counts['changed']} changed)")
    if backends:
        files = len(plan.files)
        text += (f"; {files} file{'s' if files != 1 else ''} change"
                 f"{'s' if files == 1 else ''} for {', '.join(backends)}")
    else:
        text += "; no generated file changes"
    return text


def _mode(mode: int | None) -> str:
    return "" if mode is None else f"{mode:04o}"


def _file_line(change: FileChange) -> str:
    if change.action == "mode":
        return f"mode {_mode(change.old_mode)} -> {_mode(change.new_mode)}"
    return change.action


# -- text ------------------------------------------------------------------------------
def text(plan: Plan, colour: bool = False) -> str:
    out = [f"plan: {plan.old.label} -> {plan.new.label}"]
    for change in plan.changes:
        sign = _SIGN[change.action]
        line = f"{sign} {change.item.label}"
        details = change.item.details if change.action != "changed" else ""
        if details:
            line += f": {details}"
        where = _where(change)
        if colour:
            line = f"{_COLOUR[change.action]}{line}{_RESET}"
        out.append(f"  {line}" + (f"    {where}" if where else ""))
        for name, before, after in change.differences():
            out.append(f"      {name}: {before or '(none)'} -> {after or '(none)'}")
    for target in plan.targets:
        files = plan.files_of(target)
        if files:
            out.append(f"{target}:")
            out += [f"  {_SIGN.get(f.action, '~')} {f.path} ({_file_line(f)})" for f in files]
    out.append(summary(plan))
    return "\n".join(out) + "\n"


# -- Markdown --------------------------------------------------------------------------
def _cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or " "


def _fence(body: str, language: str) -> str:
    """A code fence longer than any run of backticks inside the body."""
    longest = max((len(run) for run in body.split("\n") if set(run) == {"`"}), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{body}{'' if body.endswith(chr(10)) else chr(10)}{ticks}\n"


def markdown(plan: Plan) -> str:
    from .diagram import mermaid

    spec = plan.new.label if plan.new.network is not None else plan.old.label
    out = [f"### netcompile plan: `{spec}`", "",
           f"`{plan.old.label}` → `{plan.new.label}`: **{summary(plan)}**", ""]
    if plan.changes:
        out += ["| | item | before | after | spec line |", "|---|---|---|---|---|"]
        for change in plan.changes:
            if change.action == "changed":
                differences = change.differences()
                before = "; ".join(f"{n} {b or '(none)'}" for n, b, _ in differences)
                after = "; ".join(f"{n} {a or '(none)'}" for n, _, a in differences)
            elif change.action == "added":
                before, after = "", change.item.details or "(present)"
            else:
                before, after = change.item.details or "(present)", ""
            out.append(f"| {_SIGN[change.action]} {change.action} | "
                       f"`{_cell(change.item.label)}` | {_cell(before)} | {_cell(after)} | "
                       f"{_cell(_where(change))} |")
        out.append("")
    shown = plan.new if plan.new.network is not None else None
    if shown is not None and shown.network is not None and plan.changes:
        out += ["<details><summary>Routing after the change</summary>", "",
                _fence(mermaid(shown.network), "mermaid"), "</details>", ""]
    for target in plan.targets:
        files = plan.files_of(target)
        if not files:
            continue
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        out += [f"<details><summary>{target}: {count} "
                f"({', '.join(f'{f.path} {_file_line(f)}' for f in files)})</summary>", ""]
        for file in files:
            if file.diff:
                out.append(_fence(file.diff, "diff"))
            else:
                out.append(f"`{file.path}`: {_file_line(file)}\n")
        out += ["</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- JSON ------------------------------------------------------------------------------
def _location(where: Location | None) -> dict[str, Any] | None:
    if where is None:
        return None
    return {"file": where.file, "line": where.line, "column": where.column}


def to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "old": plan.old.label,
        "new": plan.new.label,
        "changed": plan.changed,
        "summary": {**plan.counts(), "files": len(plan.files)},
        "changes": [{
            "action": c.action,
            "kind": c.item.kind,
            "label": c.item.label,
            "old": None if c.old is None else {n: v for n, v in c.old.fields if v},
            "new": None if c.new is None else {n: v for n, v in c.new.fields if v},
            "differences": [{"field": n, "old": b, "new": a} for n, b, a in c.differences()],
            "old_location": _location(c.old.where if c.old else None),
            "new_location": _location(c.new.where if c.new else None),
        } for c in plan.changes],
        "backends": [{
            "name": target,
            "files": [{"path": f.path, "action": f.action, "old_mode": f.old_mode,
                       "new_mode": f.new_mode, "diff": f.diff} for f in plan.files_of(target)],
        } for target in plan.targets],
    }


def json_text(plan: Plan) -> str:
    return json.dumps(to_json(plan), indent=2, sort_keys=False) + "\n"
