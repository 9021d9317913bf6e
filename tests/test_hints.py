"""Every hint says what to write. Over the whole invalid and unsupported corpora (every
error of every backend): no hint is empty, none is or only repeats the schema's
description of the key it is about, and each one holds an instruction: a verb of
VERBS as a word, or a literal `key: value`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netcompile
from netcompile.schema import schema_text
from tests.corpus import places

SPECS = Path(__file__).parent / "specs"
INVALID = sorted((SPECS / "invalid").glob("*.yaml"))
UNSUPPORTED = sorted((SPECS / "unsupported").glob("*.yaml"))

VERBS = {"write", "use", "add", "remove", "give", "put", "set", "choose", "drop", "move",
         "rename", "match", "split", "quote", "indent", "save", "define", "declare", "mark",
         "change", "raise", "lower", "attach", "convert", "target", "keep", "start", "list",
         "replace"}
# A literal setting in backticks, such as `default: true` or `netplan: {version: "1.2"}`.
LITERAL = re.compile(r"`[^`]*[\w\]}\"']: [^`]+`")
WORD = re.compile(r"[a-z]+")

# A key path as errors spell it: names joined by dots, "quoted" names, [n] positions.
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^."\[\]]+)|\[(\d+)\]')

Hint = tuple[str, str, tuple[str, ...]]  # (error text, hint, schema descriptions)


def instruction(hint: str) -> bool:
    return bool(set(WORD.findall(hint.lower())) & VERBS or LITERAL.search(hint))


def tokens(path: str) -> list[str | int]:
    found: list[str | int] = []
    for match in _TOKEN.finditer(path):
        quoted, plain, index = match.groups()
        found.append(json.loads(f'"{quoted}"') if quoted is not None
                     else plain if plain is not None else int(index))
    return found


SCHEMA: dict[str, Any] = json.loads(schema_text())


def _expand(node: Any) -> Iterator[dict[str, Any]]:
    """A schema node with its $ref resolved and each oneOf/anyOf branch."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        target: Any = SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        yield from _expand(target)
    yield node
    for branch in (*node.get("oneOf", ()), *node.get("anyOf", ())):
        yield from _expand(branch)


def descriptions(path: list[str | int]) -> set[str]:
    """The schema's descriptions of the key at `path`: of its value and, for a
    mapping key, of the names its parent allows (propertyNames)."""
    nodes = [SCHEMA]
    found: set[str] = set()
    for step, token in enumerate(path):
        children = []
        for node in (n for top in nodes for n in _expand(top)):
            if isinstance(token, int):
                children.append(node.get("items"))
                continue
            if step == len(path) - 1:
                names = node.get("propertyNames")
                for name_node in _expand(names):
                    found.add(name_node.get("description", ""))
            properties = node.get("properties", {})
            if token in properties:
                children.append(properties[token])
            elif isinstance(node.get("additionalProperties"), dict):
                children.append(node["additionalProperties"])
        nodes = [c for c in children if isinstance(c, dict)]
    found |= {n.get("description", "") for top in nodes for n in _expand(top)}
    return {d for d in found if d}


def _invalid_hints(spec: Path) -> Iterator[Hint]:
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.build_network(str(spec))
    for diagnostic in caught.value.diagnostics:
        yield str(diagnostic), diagnostic.hint, tuple(descriptions(tokens(diagnostic.path)))


def _unsupported_hints(spec: Path) -> Iterator[Hint]:
    compiled = netcompile.load_spec(str(spec))
    found = places(spec)
    for target in netcompile.targets():
        try:
            netcompile.render(compiled.network, target, compiled.options)
        except netcompile.UnsupportedErrors as error:
            for refusal in error.errors:
                position = (refusal.where.line, refusal.where.column)
                keys = [path for path, where in found.items() if position in where]
                about = set().union(*(descriptions(tokens(k)) for k in keys))
                yield str(refusal), refusal.hint, tuple(about)


CASES = [pytest.param(s, _invalid_hints, id=f"invalid/{s.stem}") for s in INVALID] + [
    pytest.param(s, _unsupported_hints, id=f"unsupported/{s.stem}") for s in UNSUPPORTED]


@pytest.mark.parametrize(("spec", "hints"), CASES)
def test_every_hint_says_what_to_write(spec: Path, hints: Any) -> None:
    wrong = []
    for text, hint, about in hints(spec):
        plain = hint.strip().rstrip(".").lower()
        if not plain:
            wrong.append(f"no hint: {text}")
        elif any(plain in description.lower() for description in about):
            wrong.append(f"the hint repeats the schema: {text}")
        elif not instruction(hint):
            wrong.append(f"no instruction in the hint: {text}")
    assert wrong == []


@pytest.mark.parametrize("hint", [
    "use a value from 68 to 65535", "add `interfaces:`", "start with `version: 1`",
    "remove `default: true` from one of them"])
def test_an_instruction_is_recognised(hint: str) -> None:
    assert instruction(hint)


@pytest.mark.parametrize("hint", [
    "fix the value", "it applies to: 802.3ad", "did you mean 10.0.0.0/8?",
    "A DNS domain: labels of letters, digits and inner '-', separated by dots.", ""])
def test_a_hint_without_an_instruction_is_found(hint: str) -> None:
    assert not instruction(hint)


def test_the_schema_descriptions_are_found_for_error_paths() -> None:
    assert descriptions(tokens("interfaces.eth0.dns.search[0]")) == {
        "A DNS domain: labels of letters, digits and inner '-', separated by dots."}
    assert "A table name: a letter, then up to 30 letters, digits, '-' or '_'." in \
        descriptions(tokens('tables."a.b"'))
    assert descriptions(tokens("rules[1].table")) == {
        "A table name from `tables`, `main`, or a table number."}
