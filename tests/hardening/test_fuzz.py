"""Property-based runs: valid specs compile on every backend (or are refused with
UnsupportedErrors), byte-identically twice and whatever the key order; damaged
specs fail with located errors only, never a traceback, and hostile strings never
reach a file. `make fuzz` runs them long (HYPOTHESIS_PROFILE=long)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import netcompile
from netcompile.output import OutputFile
from tests.hardening.common import FUZZ, SPEC_NAME, TARGETS, check_output, dump_yaml
from tests.hardening.mutations import MARKER, mutate_structure, mutate_text
from tests.hardening.strategies import specs

Outcome = tuple[str, Any]


def outcome(raw: bytes, target: str) -> Outcome:
    """What compiling gives: files, or the kind of expected refusal. Anything else
    propagates and fails the test with its traceback."""
    try:
        network = netcompile.load_network(raw, SPEC_NAME)
    except netcompile.SpecError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.where.file == SPEC_NAME and d.where.line >= 1 and d.where.column >= 1, d
        return "invalid", None
    try:
        files = netcompile.render(network, target)
    except netcompile.UnsupportedErrors as error:
        assert error.errors
        for e in error.errors:
            assert e.where.line >= 1 and e.where.column >= 1, e
        return "unsupported", None
    check_output(target, files)
    return "files", [(f.path, f.mode, f.content.encode()) for f in files]


def shuffled(node: Any, rng: random.Random) -> Any:
    """The same spec with every mapping's keys in another order."""
    if isinstance(node, dict):
        keys = list(node)
        rng.shuffle(keys)
        return {k: shuffled(node[k], rng) for k in keys}
    if isinstance(node, list):
        return [shuffled(item, rng) for item in node]
    return node


@pytest.mark.parametrize("target", TARGETS)
@FUZZ
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_fuzz_valid_specs_compile(target: str, spec: dict[str, Any], seed: int) -> None:
    raw = dump_yaml(spec).encode()
    first = outcome(raw, target)
    event(f"outcome: {first[0]}")
    assert first[0] in ("files", "unsupported"), "a generated spec must be valid"
    assert outcome(raw, target) == first
    reordered = dump_yaml(shuffled(spec, random.Random(seed))).encode()
    assert outcome(reordered, target) == first


@FUZZ
@given(spec=specs(), seed=st.integers(0, 2**32 - 1), text_level=st.booleans())
def test_fuzz_mutated_specs_fail_located(spec: dict[str, Any], seed: int,
                                         text_level: bool) -> None:
    rng = random.Random(seed)
    if text_level:
        raw = mutate_text(dump_yaml(spec).encode(), rng)
    else:
        raw = dump_yaml(mutate_structure(spec, rng)).encode()
    for target in TARGETS:
        kind, files = outcome(raw, target)
        event(f"{'text' if text_level else 'structure'} mutation: {kind}")
        if kind == "files":
            for path, _mode, content in files:
                assert MARKER.encode() not in content, (target, path)


def test_outcome_rejects_what_it_must() -> None:
    """The oracle itself: a traceback-class error is not swallowed."""
    with pytest.raises(ValueError):
        OutputFile("../etc/passwd", "")
    assert outcome(b"version: 1\ninterfaces: {eth0: {}}\n", TARGETS[0])[0] == "files"
    assert outcome(b"version: [\n", TARGETS[0])[0] == "invalid"
