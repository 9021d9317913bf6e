"""The fast schema check (compiler/fastcheck.py) must say "valid" exactly when
jsonschema does, on every spec in the repository and on generated and damaged ones;
and it must refuse a schema keyword it does not implement."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netcompile import SpecError, schema
from netcompile.fastcheck import ANNOTATIONS, KEYWORDS, UnsupportedSchema, compile_schema
from netcompile.loader import load_bytes, load_file
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
    expected = jsonschema_says_valid(data)
    assert schema.is_valid(data) == expected, data
    return expected


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_agrees_on_every_spec_in_the_repository(spec: Path) -> None:
    try:
        loaded = load_file(str(spec))
    except SpecError:  # not YAML the schema ever sees
        return
    assert_agree(loaded.data)


@CASES
@given(spec=specs())
def test_agrees_on_generated_valid_specs(spec: dict[str, Any]) -> None:
    assert assert_agree(spec)
    assert assert_agree(load_bytes(dump_yaml(spec).encode(), "spec.yaml").data)


@CASES
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_agrees_on_damaged_structure(spec: dict[str, Any], seed: int) -> None:
    assert_agree(mutate_structure(spec, random.Random(seed)))


@CASES
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_agrees_on_damaged_text(spec: dict[str, Any], seed: int) -> None:
    raw = mutate_text(dump_yaml(spec).encode(), random.Random(seed))
    try:
        loaded = load_bytes(raw, "spec.yaml")
    except SpecError:
        return
    assert_agree(loaded.data)


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


# Values at the edges of what each keyword accepts, where the two could disagree.
EDGES = [
    (("version",), 1.0), (("version",), True), (("version",), "1"), (("version",), 2),
    (("tables", "isp"), 4294967295), (("tables", "isp"), 4294967296), (("tables", "isp"), -1),
    (("tables", "isp"), 100.0), (("tables", "isp"), False),
    (("interfaces", "eth0", "mtu"), 68), (("interfaces", "eth0", "mtu"), 67),
    (("interfaces", "eth0", "mtu"), 65535), (("interfaces", "eth0", "mtu"), 65536),
    (("interfaces", "eth0", "mtu"), float("nan")), (("interfaces", "eth0", "mtu"), None),
    (("interfaces", "eth0", "uplink", "table"), 0), (("interfaces", "eth0", "uplink", "table"), 1),
    (("interfaces", "eth0", "uplink", "table"), True),
    (("interfaces", "eth0", "uplink", "table"), "9isp"),
    (("interfaces", "eth0", "uplink", "table"), "isp\n"),
    (("interfaces", "eth0", "gateways"), ["192.0.2.1", "2001:db8::1", "192.0.2.2"]),
    (("interfaces", "eth0", "gateways"), ["fe80::1%eth0"]),
    (("interfaces", "eth0", "gateways"), [5]),
    (("interfaces", "eth0", "addresses"), ["192.0.2.10/33"]),
    (("interfaces", "eth0", "addresses"), ["192.0.2.10"]),
    (("interfaces", "eth0", "type"), "bond"), (("interfaces", "eth0", "type"), "Bond"),
    (("interfaces", "eth0", "members"), []), (("interfaces", "eth0", "match"), {}),
    (("interfaces", "eth0", "match"), {"name": "e" * 15}),
    (("interfaces", "eth0", "match"), {"name": "e" * 16}),
    (("interfaces", "eth0", "match"), {"name": ""}),
    (("interfaces", "eth0", "routes", 0, "to"), "default"),
    (("interfaces", "eth0", "routes", 0, "to"), "default\n"),
    (("interfaces",), {}), (("interfaces",), {"e" * 16: {}}), (("interfaces",), {"eth.0": {}}),
    (("tables",), {"a" * 31: 7}), (("tables",), {"a" * 32: 7}), (("rules",), {}),
    (("rules", 0, "priority"), "100"),
]


@pytest.mark.parametrize(("path", "value"), EDGES, ids=lambda x: repr(x)[:40])
def test_agrees_at_the_edges(path: tuple[Any, ...], value: Any) -> None:
    assert_agree(_edited(path, value))


def test_the_base_spec_of_the_edge_cases_is_valid() -> None:
    assert assert_agree(_BASE)


def _compile(tree: Any) -> Any:
    return compile_schema(tree, formats=schema._FORMATS, pattern=schema._ecma_pattern)


def test_the_real_schema_uses_only_implemented_keywords() -> None:
    _compile(json.loads(schema.schema_text()))


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
def test_small_schemas_mean_what_jsonschema_says(tree: Any, instance: Any, valid: bool) -> None:
    from jsonschema import Draft202012Validator

    assert Draft202012Validator(tree).is_valid(instance) == valid
    assert _compile(tree)(instance) == valid
