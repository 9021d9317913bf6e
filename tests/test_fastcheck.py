"""The fast schema check (compiler/fastcheck.py) must say "valid" exactly when
jsonschema does, on every spec in the repository and on generated and damaged ones;
and it must refuse a schema keyword it does not implement."""

from __future__ import annotations

import copy
import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netcompile import SpecError, build_network, schema
from netcompile.fastcheck import ANNOTATIONS, KEYWORDS, UnsupportedSchema, compile_schema
from netcompile.loader import dotted, load_bytes, load_file
from tests.conftest import EXAMPLES
from tests.corpus import expected_errors
from tests.hardening.common import dump_yaml
from tests.hardening.mutations import mutate_structure, mutate_text
from tests.hardening.strategies import specs

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*(ROOT / "examples").glob("*.yaml"),
                 *(ROOT / "tests" / "specs" / "invalid").glob("*.yaml"),
                 *(ROOT / "tests" / "specs" / "unsupported").glob("*.yaml")])
CASES = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def jsonschema_says_valid(data: Any) -> bool:
    return bool(schema._validator().is_valid(data))


def assert_agree(data: Any) -> bool:
    """The fast check's verdict equals jsonschema's; returns it."""
    expected = jsonschema_says_valid(data)
    assert schema.is_valid(data) == expected, data
    return expected


def reported(spec: Path, error: SpecError) -> list[str]:
    return [str(d).removeprefix(f"{spec}:") for d in error.diagnostics]


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_agrees_on_every_spec_in_the_repository(spec: Path) -> None:
    """Each corpus spec means something: examples and backend gaps are valid specs; an
    invalid one is refused, with the errors it states, by the loader (broken YAML),
    by the schema (both checks say invalid; the builder's findings in the rest of the
    spec come with its errors) or after it (both say valid)."""
    if spec.parent.name == "invalid":
        stated = expected_errors(spec)
        assert stated, f"{spec.name} states no `# expect:` line"
        with pytest.raises(SpecError) as caught:
            loaded = load_file(str(spec))
            if assert_agree(loaded.data):
                schema.validate(loaded)  # passes: the builder or a pass refuses the spec
            build_network(str(spec))
        assert reported(spec, caught.value) == stated
    else:
        assert assert_agree(load_file(str(spec)).data) is True


def test_the_corpus_reaches_every_stage() -> None:
    """Some invalid specs fail to load, some fail the schema, some fail later: the
    test above then checks each stage's errors, not only one."""
    stages = Counter()
    for spec in CORPUS:
        if spec.parent.name != "invalid":
            continue
        try:
            loaded = load_file(str(spec))
        except SpecError:
            stages["loader"] += 1
            continue
        stages["schema" if not schema.is_valid(loaded.data) else "builder"] += 1
    assert min(stages[s] for s in ("loader", "schema", "builder")) >= 3, stages


@CASES
@given(spec=specs())
def test_agrees_on_generated_valid_specs(spec: dict[str, Any]) -> None:
    assert assert_agree(spec)
    assert assert_agree(load_bytes(dump_yaml(spec).encode(), "spec.yaml").data)


@CASES
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_agrees_on_damaged_structure(spec: dict[str, Any], seed: int) -> None:
    assert_agree(mutate_structure(spec, random.Random(seed)))


def load_damaged(raw: bytes) -> Any:
    """The data of damaged spec text, or None where the loader refuses it, which it
    must do with errors inside the text: the schema never sees such a spec."""
    try:
        return load_bytes(raw, "spec.yaml").data
    except SpecError as error:
        lines = raw.count(b"\n") + 1
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.where.file == "spec.yaml" and 1 <= d.where.line <= lines, str(d)
            assert d.where.column >= 1, str(d)
        return None


@CASES
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_agrees_on_damaged_text(spec: dict[str, Any], seed: int) -> None:
    data = load_damaged(mutate_text(dump_yaml(spec).encode(), random.Random(seed)))
    event("loaded" if data is not None else "refused by the loader")
    if data is not None:
        assert_agree(data)


def test_damaged_text_often_reaches_the_schema() -> None:
    """The damage above is not all refused by the loader: many damaged texts load,
    and of those both valid and invalid ones, so the agreement is really tried."""
    verdicts = Counter()
    for example in EXAMPLES:
        for seed in range(50):
            data = load_damaged(mutate_text(example.read_bytes(), random.Random(seed)))
            verdicts["refused" if data is None else str(assert_agree(data))] += 1
    assert verdicts["True"] >= 20 and verdicts["False"] >= 20, verdicts


_BASE: dict[str, Any] = {
    "version": 1,
    "tables": {"isp": 100},
    "interfaces": {"eth0": {"addresses": ["192.0.2.10/24"], "gateways": ["192.0.2.1"],
                            "mtu": 1500, "uplink": {"table": "isp"},
                            "routes": [{"to": "198.51.100.0/24", "via": "192.0.2.1"}]}},
    "rules": [{"priority": 100, "table": "isp", "from": "192.0.2.0/24"}],
}


def _edited(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(_BASE)
    node: Any = spec
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return spec


# Values at the edges of what each keyword accepts, where the two could disagree,
# each with the verdict the spec language gives it: both checks must reach it.
OK, BAD = True, False
EDGES = [
    (("version",), 1.0, OK),  # `const: 1` compares numbers: 1.0 is 1
    (("version",), True, BAD), (("version",), "1", BAD), (("version",), 2, BAD),
    (("tables", "isp"), 4294967295, OK), (("tables", "isp"), 4294967296, BAD),
    (("tables", "isp"), -1, BAD),
    (("tables", "isp"), 100.0, BAD),  # an integer must be written as one
    (("tables", "isp"), False, BAD),
    (("interfaces", "eth0", "mtu"), 68, OK), (("interfaces", "eth0", "mtu"), 67, BAD),
    (("interfaces", "eth0", "mtu"), 65535, OK), (("interfaces", "eth0", "mtu"), 65536, BAD),
    (("interfaces", "eth0", "mtu"), float("nan"), BAD),
    (("interfaces", "eth0", "mtu"), None, BAD),
    (("interfaces", "eth0", "uplink", "table"), 0, BAD),
    (("interfaces", "eth0", "uplink", "table"), 1, OK),
    (("interfaces", "eth0", "uplink", "table"), True, BAD),
    (("interfaces", "eth0", "uplink", "table"), "9isp", BAD),
    (("interfaces", "eth0", "uplink", "table"), "isp\n", BAD),  # ECMA `$`: no final newline
    (("interfaces", "eth0", "gateways"), ["192.0.2.1", "2001:db8::1", "192.0.2.2"], BAD),
    (("interfaces", "eth0", "gateways"), ["fe80::1%eth0"], BAD),  # no scope text
    (("interfaces", "eth0", "gateways"), [5], BAD),
    (("interfaces", "eth0", "addresses"), ["192.0.2.10/33"], BAD),
    (("interfaces", "eth0", "addresses"), ["192.0.2.10"], BAD),  # the prefix is required
    (("interfaces", "eth0", "type"), "bond", OK), (("interfaces", "eth0", "type"), "Bond", BAD),
    (("interfaces", "eth0", "members"), [], BAD), (("interfaces", "eth0", "match"), {}, BAD),
    (("interfaces", "eth0", "match"), {"name": "e" * 15}, OK),
    (("interfaces", "eth0", "match"), {"name": "e" * 16}, BAD),
    (("interfaces", "eth0", "match"), {"name": ""}, BAD),
    (("interfaces", "eth0", "routes", 0, "to"), "default", OK),
    (("interfaces", "eth0", "routes", 0, "to"), "default\n", BAD),
    (("interfaces",), {}, BAD), (("interfaces",), {"e" * 16: {}}, BAD),
    (("interfaces",), {"eth.0": {}}, BAD),
    (("tables",), {"a" * 31: 7}, OK), (("tables",), {"a" * 32: 7}, BAD), (("rules",), {}, BAD),
    (("rules", 0, "priority"), "100", BAD),
]


@pytest.mark.parametrize(("path", "value", "valid"), EDGES, ids=lambda x: repr(x)[:40])
def test_both_checks_give_the_edge_its_verdict(path: tuple[Any, ...], value: Any,
                                               valid: bool) -> None:
    """netcompile's jsonschema validator (strict integers, ECMA patterns, its address
    formats) and the fast check both give the stated verdict."""
    assert assert_agree(_edited(path, value)) is valid


@pytest.mark.parametrize(("path", "value", "valid"),
                         [e for e in EDGES if not e[2] and not
                          (isinstance(e[1], float) and math.isnan(e[1]))],
                         ids=lambda x: repr(x)[:40])
def test_an_invalid_edge_is_worded_at_the_edited_key(path: tuple[Any, ...], value: Any,
                                                     valid: bool) -> None:
    """How netcompile uses jsonschema: only to word the errors of a spec the fast check
    refused, each located at (or inside) the value that was changed."""
    loaded = load_bytes(json.dumps(_edited(path, value)).encode(), "spec.yaml")
    with pytest.raises(SpecError) as caught:
        schema.validate(loaded)
    edited = dotted(path)
    for d in caught.value.diagnostics:
        assert d.path.startswith(edited), (edited, str(d))
        assert d.where.line == 1 and d.where.column > 1, str(d)


def test_the_base_spec_of_the_edge_cases_is_valid() -> None:
    assert assert_agree(_BASE)
    schema.validate(load_bytes(json.dumps(_BASE).encode(), "spec.yaml"))


def _compile(tree: Any) -> Any:
    return compile_schema(tree, formats=schema._FORMATS, pattern=schema._ecma_pattern)


def test_the_real_schema_uses_only_implemented_keywords() -> None:
    check = _compile(json.loads(schema.schema_text()))
    assert check(_BASE) is True
    assert check({"version": 1}) is False


@pytest.mark.parametrize("tree", [
    {"patternProperties": {"^x": {}}},
    {"properties": {"a": {"exclusiveMinimum": 1}}},
    {"$defs": {"d": {"uniqueItems": True}}},
    {"items": {"anyOf": [{}]}},
    {"additionalProperties": {"if": {}}},
    {"type": "object", "propertyNames": {"contentEncoding": "base64"}},
    {"format": "hostname"},
    {"type": "decimal"},
    {"$ref": "https://example.com/other.json"},
    {"$ref": "#/$defs/missing"},
    {"oneOf": [{"not": {}}]},
    [],
])
def test_refuses_what_it_does_not_implement(tree: Any) -> None:
    with pytest.raises(UnsupportedSchema):
        _compile(tree)


def test_no_keyword_is_both_checked_and_ignored() -> None:
    assert not KEYWORDS & ANNOTATIONS


def test_a_valid_spec_compiles_without_importing_jsonschema() -> None:
    example = ROOT / "examples" / "two-uplinks.yaml"
    code = ("import sys, netcompile; netcompile.compile_file(sys.argv[1], 'networkd'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'jsonschema'))")
    done = subprocess.run([sys.executable, "-c", code, str(example)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("tree", "instance", "valid"), [
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 5, False),  # both: not one
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, -1, True),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, "x", True),
    ({"const": 1}, True, False),
    ({"const": 1}, 1.0, True),
    ({"enum": [False]}, 0, False),
    ({"type": ["string", "null"]}, None, True),
    ({"$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, [[[1]]], True),
])
def test_small_schemas_compile_to_what_they_mean(tree: Any, instance: Any, valid: bool) -> None:
    """Keyword semantics the fast check must get right on its own (Draft 2020-12):
    oneOf is exactly one, const and enum compare booleans apart from numbers, $ref
    recurses."""
    assert _compile(tree)(instance) is valid
