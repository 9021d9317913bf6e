"""All errors at once means all: a schema error hides none of the errors the builder
and the passes find elsewhere, and the parts it leaves out of their checks make
them report nothing that is not wrong (see compiler/recovery.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import netcompile
from netcompile import schema
from netcompile.loader import load_bytes
from tests.conftest import EXAMPLES
from tests.hardening.common import FUZZ, SPEC_NAME
from tests.hardening.strategies import specs
from tests.test_invalid_specs import CORPUS

# Invalid wherever it stands: the schema has no list of lists.
DAMAGE: list[Any] = [[]]
UNKNOWN_KEY = b"zz_unknown: 1\n"


def errors(raw: bytes, name: str = SPEC_NAME) -> list[str]:
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(raw, name)
    return [str(d) for d in caught.value.diagnostics]


def loads(spec: Path) -> bool:
    try:
        load_bytes(spec.read_bytes(), SPEC_NAME)
    except netcompile.SpecError:
        return False
    return True


# The corpus specs whose YAML loads: the others stop before any check of their data.
# A netplan file given as a spec is told apart at once, with one error that says
# what it is (its keys are not a spec's); the test below shows that.
NETPLAN_INPUT = "netplan-file"
LOADING = [spec for spec in CORPUS if loads(spec) and spec.stem != NETPLAN_INPUT]


def test_netplan_input_gets_the_one_error_that_says_what_it_is() -> None:
    spec = next(s for s in CORPUS if s.stem == NETPLAN_INPUT)
    raw = spec.read_bytes()
    assert errors(raw + UNKNOWN_KEY) == errors(raw)
    assert len(errors(raw)) == 1 and "netplan" in errors(raw)[0]


def test_most_of_the_corpus_loads() -> None:
    # Those that do not: broken YAML (yaml-*.yaml and a few more) and the netplan file.
    assert len(LOADING) >= len(CORPUS) - 15


@pytest.mark.parametrize("spec", LOADING, ids=lambda p: p.stem)
def test_a_schema_error_elsewhere_hides_no_error(spec: Path) -> None:
    """Each invalid spec of the corpus, with one unknown key added at its end, gives
    its own errors and the unknown key's: the builder's and the passes' errors are
    not hidden behind it."""
    raw = spec.read_bytes()
    before = errors(raw)
    after = errors(raw + UNKNOWN_KEY)
    last_line = (raw + UNKNOWN_KEY).count(b"\n")
    assert after == [*before, f"{SPEC_NAME}:{last_line}:1: zz_unknown: unknown key "
                     "'zz_unknown' (remove it, or use a key allowed here: include, interfaces, "
                     "netplan, rules, tables, version)"]


def paths(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every value below the top level."""
    children = (node.items() if isinstance(node, dict)
                else enumerate(node) if isinstance(node, list) else ())
    for key, child in children:
        yield (*path, key)
        yield from paths(child, (*path, key))


def damaged(data: Any, path: tuple[str | int, ...]) -> bytes:
    copy = json.loads(json.dumps(data))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = DAMAGE
    return json.dumps(copy, indent=1).encode()


def assert_only_schema_errors(raw: bytes) -> None:
    """The spec was valid but for the damage: every error must be the schema's; one
    from the builder or the passes would come from what was left out of them."""
    expected = [str(d) for d in schema.check(load_bytes(raw, SPEC_NAME)).diagnostics]
    assert expected
    assert errors(raw) == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_damage_anywhere_in_a_valid_spec_gives_only_its_schema_errors(example: Path) -> None:
    data = load_bytes(example.read_bytes(), example.name).data
    every = list(paths(data))
    assert len(every) >= 20
    for path in every:
        assert_only_schema_errors(damaged(data, path))


@FUZZ
@given(spec=specs(), choice=st.data())
def test_fuzz_damage_in_a_valid_spec_gives_only_its_schema_errors(
        spec: dict[str, Any], choice: st.DataObject) -> None:
    path = choice.draw(st.sampled_from(list(paths(spec))))
    assert_only_schema_errors(damaged(spec, path))
