"""The feature cases: one YAML file per feature group, each case a minimal spec
beside what every backend must make of it (format: docs/testing.md).

Loading is strict: an unknown or misspelt key, a backend left out or a check
with nothing to check stops collection, so no case can pass by checking nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
CASE_KEYS = frozenset({"name", "spec", "xfail"})
CHECK_KEYS = frozenset({"file", "lines", "section", "absent", "exists"})


class CaseFormatError(Exception):
    """A feature file that does not follow the format."""


@dataclass(frozen=True, slots=True)
class Check:
    """What one output file must hold: `lines` in this order (other lines may sit
    between them), or a whole `section`; and none of the `absent` lines. With
    `exists` false, the backend must not write the file at all."""

    file: str
    exists: bool = True
    lines: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Expectation:
    """One backend's answer to a case: files holding `checks`, or exactly the
    `refused` messages (each without the spec's path, starting at LINE:COLUMN)."""

    checks: tuple[Check, ...] = ()
    refused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    group: str
    name: str
    spec: str
    expected: Mapping[str, Expectation]
    xfail: Mapping[str, str]


def _text_lines(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value.strip():
        raise CaseFormatError(f"{where}: expected a non-empty block of lines")
    lines = tuple(value.rstrip("\n").split("\n"))
    if any(not line.strip() for line in lines):
        raise CaseFormatError(f"{where}: blank line inside the block")
    return lines


def _check(raw: object, where: str) -> Check:
    if not isinstance(raw, Mapping) or not set(raw) <= CHECK_KEYS or "file" not in raw:
        raise CaseFormatError(f"{where}: a check is a mapping with `file` and any of "
                              f"{sorted(CHECK_KEYS - {'file'})}")
    if "exists" in raw:
        if raw["exists"] is not False or set(raw) != {"file", "exists"}:
            raise CaseFormatError(f"{where}: `exists` is only ever false, beside `file` alone")
        return Check(file=str(raw["file"]), exists=False)
    if not set(raw) & {"lines", "section", "absent"}:
        raise CaseFormatError(f"{where}: the check names a file but checks nothing in it")
    return Check(
        file=str(raw["file"]),
        lines=_text_lines(raw["lines"], f"{where}.lines") if "lines" in raw else (),
        section=_text_lines(raw["section"], f"{where}.section") if "section" in raw else (),
        absent=_text_lines(raw["absent"], f"{where}.absent") if "absent" in raw else ())


def _expectation(raw: object, where: str) -> Expectation:
    if isinstance(raw, Mapping) and set(raw) == {"refused"}:
        return Expectation(refused=_text_lines(raw["refused"], f"{where}.refused"))
    checks = raw if isinstance(raw, Sequence) and not isinstance(raw, str) else [raw]
    if not checks:
        raise CaseFormatError(f"{where}: no check")
    return Expectation(checks=tuple(_check(c, f"{where}[{i}]") for i, c in enumerate(checks)))


def _case(group: str, raw: Any, backends: Sequence[str], where: str) -> Case:
    if not isinstance(raw, Mapping):
        raise CaseFormatError(f"{where}: a case is a mapping")
    unknown = set(raw) - CASE_KEYS - set(backends)
    missing = {"name", "spec", *backends} - set(raw)
    if unknown or missing:
        raise CaseFormatError(f"{where}: unknown keys {sorted(unknown)}, "
                              f"missing keys {sorted(missing)}")
    name = str(raw["name"])
    xfail = raw.get("xfail", {})
    if (not isinstance(xfail, Mapping) or not set(xfail) <= set(backends)
            or not all(isinstance(r, str) and r for r in xfail.values())):
        raise CaseFormatError(f"{where}: xfail maps a backend to the reason it fails")
    expected = {b: _expectation(raw[b], f"{where} ({name}).{b}") for b in backends}
    return Case(group=group, name=name, spec=str(raw["spec"]),
                expected=MappingProxyType(expected), xfail=MappingProxyType(dict(xfail)))


def load(backends: Sequence[str], directory: Path = HERE) -> list[Case]:
    """Every case of every group file, in file order; case names are unique."""
    yaml = YAML(typ="safe", pure=True)
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, list) or not raw:
            raise CaseFormatError(f"{path.name}: expected a list of cases")
        cases += [_case(path.stem, c, backends, f"{path.name}[{i}]") for i, c in enumerate(raw)]
    names = [f"{c.group}/{c.name}" for c in cases]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CaseFormatError(f"duplicate case names: {twice}")
    return cases
