"""Errors as a person reads them (text with the spec line and a caret), and as tools
read them: JSON, and SARIF 2.1.0 for code-scanning views that show them inline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TextIO

from .errors import Location, NetcompileError, SpecError, UnsupportedErrors

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True, slots=True)
class Problem:
    """One error: `rule` is `spec` (invalid spec), `unsupported` (a backend cannot
    express it) or `error` (anything else, e.g. a file that cannot be read)."""

    rule: str
    message: str
    where: Location | None = None
    path: str = ""
    hint: str = ""
    backend: str = ""

    def text(self) -> str:
        if self.rule == "spec" and self.where is not None:
            body = f"{self.where}: {self.path}: {self.message}" if self.path else (
                f"{self.where}: {self.message}")
        elif self.rule == "unsupported" and self.where is not None:
            body = f"{self.where}: {self.backend} cannot express this: {self.message}"
        else:
            body = self.message
        return f"{body} ({self.hint})" if self.hint else body


def problems(error: NetcompileError) -> list[Problem]:
    if isinstance(error, SpecError):
        return [Problem("spec", d.message, d.where, d.path, d.hint) for d in error.diagnostics]
    if isinstance(error, UnsupportedErrors):
        return [Problem("unsupported", e.what, e.where, hint=e.hint, backend=e.backend)
                for e in error.errors]
    return [Problem("error", str(error))]


def _source_line(where: Location) -> str | None:
    """The spec line under a located problem, made safe for a terminal."""
    try:
        with open(where.file, encoding="utf-8", errors="replace") as stream:
            for number, line in enumerate(stream, start=1):
                if number == where.line:
                    text = line.rstrip("\n")
                    break
            else:
                return None
    except OSError:
        return None
    if len(text) > 200:
        return None
    return "".join(c if c.isprintable() or c == "\t" else "?" for c in text)


def write_text(found: list[Problem], err: TextIO) -> None:
    for problem in found:
        err.write(f"{problem.text()}\n" if problem.rule != "error"
                  else f"netcompile: error: {problem.text()}\n")
        source = _source_line(problem.where) if problem.where is not None else None
        if source is not None and problem.where is not None:
            err.write(f"    {source}\n    {' ' * (problem.where.column - 1)}^\n")


def as_json(found: list[Problem]) -> dict[str, Any]:
    return {"format": "netcompile-diagnostics", "version": 1, "diagnostics": [{
        "rule": p.rule, "message": p.message, "hint": p.hint, "path": p.path,
        "backend": p.backend,
        "location": None if p.where is None else {
            "file": p.where.file,
            # null for the file as a whole (one that could not be read)
            "line": None if p.where.is_whole_file else p.where.line,
            "column": None if p.where.is_whole_file else p.where.column},
    } for p in found]}


_RULES = {
    "spec": "The spec is invalid",
    "unsupported": "A backend cannot express what the spec asks for",
    "error": "netcompile could not do what was asked",
}


def as_sarif(found: list[Problem]) -> dict[str, Any]:
    from . import __version__

    results = []
    for problem in found:
        result: dict[str, Any] = {
            "ruleId": problem.rule, "level": "error",
            "message": {"text": problem.text() if problem.where is None else " ".join(
                part for part in (f"{problem.path}:" if problem.path else "",
                                  f"{problem.backend} cannot express this:"
                                  if problem.backend else "",
                                  problem.message,
                                  f"({problem.hint})" if problem.hint else "") if part)},
        }
        if problem.where is not None:
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": problem.where.file.removeprefix("./")}}
            if not problem.where.is_whole_file:  # SARIF lines start at 1
                physical["region"] = {"startLine": problem.where.line,
                                      "startColumn": problem.where.column}
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {
            "name": "netcompile", "version": __version__,
            "rules": [{"id": rule, "shortDescription": {"text": text},
                       "fullDescription": {"text": f"{text}; every message is explained "
                                                   "in netcompile's docs/errors.md"}}
                      for rule, text in _RULES.items()]}},
        "results": results}]}


def report(error: NetcompileError, form: str, out: TextIO, err: TextIO) -> None:
    """Text goes to stderr; JSON and SARIF go to stdout, whole, so that a pipeline can
    keep them as a file."""
    report_all(problems(error), form, out, err)


def report_all(found: list[Problem], form: str, out: TextIO, err: TextIO) -> None:
    if form == "json":
        out.write(json.dumps(as_json(found), indent=2) + "\n")
    elif form == "sarif":
        out.write(json.dumps(as_sarif(found), indent=2) + "\n")
    else:
        write_text(found, err)
