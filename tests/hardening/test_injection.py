"""No value from the spec can add a line, a section or a shell command to a file.

The schema is walked for every string-typed field (values, mapping keys and string
branches of oneOf); each must carry a constraint, and each must reject every hostile
value with an error located at that very field."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

import netcompile
from netcompile.loader import load_bytes
from netcompile.output import OutputFile
from netcompile.schema import schema_text
from tests.hardening.common import (
    SPEC_NAME,
    TARGETS,
    check_output,
    compile_bytes,
    shell_problems,
)

SCHEMA = json.loads(schema_text())
KEY = "<key>"  # the field is a mapping key (propertyNames)
ANY = "*"  # any key of a mapping (additionalProperties)
ITEM = 0  # an item of a list

HOSTILE = ["eth0\n[Match]", "eth0\n", "x\r\ny", "a#b", "a;b", "[Section]", "a'b", 'a"b',
           "$(reboot)", "`reboot`", "a b", "a\x00b", "\x1b[31m", "../../etc", "a/b", "a\\b",
           "a\tb", "a\u2028b", "x" * 300]

# A spec that sets every string field of the schema, so each can be replaced.
FULL: dict[str, Any] = {
    "version": 1,
    "tables": {"isp": 100},
    "interfaces": {
        "eth0": {"match": {"name": "enp1s0", "mac": "00:11:22:33:44:55", "driver": "e1000"},
                 "addresses": ["192.0.2.10/24"], "gateways": ["192.0.2.1"],
                 "dns": {"servers": ["192.0.2.53"], "search": ["example.com"]},
                 "uplink": {"table": "isp", "default": True},
                 "routes": [{"to": "198.51.100.0/24", "via": "192.0.2.1", "table": "isp",
                             "source": "192.0.2.10"}]},
        "eth1": {}, "eth2": {}, "eth3": {},
        "bond0": {"type": "bond", "members": ["eth1", "eth2"],
                  "bond": {"mode": "active-backup", "primary": "eth1"}},
        "bond1": {"type": "bond", "members": ["eth3"],
                  "bond": {"mode": "balance-rr", "arp_interval": 100,
                           "arp_ip_target": ["192.0.2.1"]}},
        "vlan5": {"type": "vlan", "vlan": {"id": 5, "link": "bond0"}},
    },
    "rules": [{"from": "192.0.2.0/24", "to": "198.51.100.0/24", "iif": "eth0", "oif": "eth0",
               "fwmark": "0x10/0xff", "priority": 10, "table": "isp"}],
    "netplan": {"renderer": "networkd", "version": "0.106"},
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def string_fields(schema: dict[str, Any], path: tuple[Any, ...] = ()) -> Iterator[
        tuple[tuple[Any, ...], dict[str, Any]]]:
    """(instance path, string subschema) for every string the schema accepts."""
    schema = _resolve(schema)
    if schema.get("type") == "string" or "string" in schema.get("type", []):
        yield path, schema
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from string_fields(branch, path)
    for key, sub in schema.get("properties", {}).items():
        yield from string_fields(sub, (*path, key))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from string_fields(schema["additionalProperties"], (*path, ANY))
    if "propertyNames" in schema:
        yield from string_fields({"type": "string", **schema["propertyNames"]}, (*path, KEY))
    if "items" in schema:
        yield from string_fields(schema["items"], (*path, ITEM))


# `include` names files and is consumed before the schema sees the spec (compose.py
# checks the names with the same pattern: tests/test_compose.py).
FIELDS = sorted({path: sub for path, sub in string_fields(SCHEMA)
                 if path[0] != "include"}.items(), key=str)


def _concrete(path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every place in FULL that the schema path names (ANY: each key)."""
    places: list[tuple[Any, ...]] = [()]
    for part in path:
        if part == KEY:
            return places  # the key of the mapping reached so far
        if part == ANY:
            places = [(*p, k) for p in places for k in _get(FULL, p)
                      if isinstance(_get(FULL, p)[k], dict)] or [
                (*p, k) for p in places for k in _get(FULL, p)]
        else:
            places = [(*p, part) for p in places if _has(FULL, (*p, part))]
    return places


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _has(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _replace(path: tuple[Any, ...], is_key: bool, value: str) -> dict[str, Any]:
    spec = copy.deepcopy(FULL)
    if is_key:
        parent = _get(spec, path)
        first = next(iter(parent))
        parent[value] = parent.pop(first)
        return spec
    parent = _get(spec, path[:-1])
    parent[path[-1]] = value
    return spec


@pytest.mark.parametrize(("path", "sub"), FIELDS, ids=[str(p) for p, _ in FIELDS])
def test_every_string_field_is_constrained(path: tuple[Any, ...], sub: dict[str, Any]) -> None:
    assert any(k in sub for k in ("pattern", "format", "enum", "const")), path
    if "pattern" in sub:
        assert sub["pattern"].startswith("^") and sub["pattern"].endswith("$"), path


def test_the_full_spec_is_valid_and_covers_every_field() -> None:
    network = netcompile.load_network(json.dumps(FULL).encode(), SPEC_NAME)
    assert network.interfaces
    for path, _ in FIELDS:
        assert _concrete(path), f"FULL sets no value for {path}"


@pytest.mark.parametrize(("path", "sub"), FIELDS, ids=[str(p) for p, _ in FIELDS])
@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_hostile_value_is_rejected_where_it_stands(path: tuple[Any, ...], sub: dict[str, Any],
                                                   hostile: str) -> None:
    is_key = path[-1] == KEY
    for place in _concrete(path):
        text = json.dumps(_replace(place, is_key, hostile), indent=1)
        positions = load_bytes(text.encode(), SPEC_NAME).positions
        expected = positions.of_key((*place, hostile)) if is_key else positions.of(place)
        with pytest.raises(netcompile.SpecError) as caught:
            netcompile.load_network(text.encode(), SPEC_NAME)
        wheres = [d.where for d in caught.value.diagnostics]
        assert expected in wheres, (place, hostile, [str(d) for d in caught.value.diagnostics])
        assert all(w.line >= 1 for w in wheres)


def compilable(target: str) -> dict[str, Any]:
    """FULL without what `target` cannot express (each a documented gap with its own
    spec under tests/specs/unsupported/), so every other field reaches its output."""
    spec = copy.deepcopy(FULL)
    match = spec["interfaces"]["eth0"]["match"]
    del match["name"]  # a rename found by kernel name: refused by all but ifupdown,
    if target == "ifupdown":  # which selects by one attribute, and never by driver
        del match["driver"]
    if target == "netplan":  # routing-policy has no interface selector and no mask
        rule = spec["rules"][0]
        del rule["iif"], rule["oif"]
        rule["fwmark"] = "0x10"
    return spec


@pytest.mark.parametrize("target", TARGETS)
def test_the_full_spec_is_refused_only_where_a_backend_has_a_gap(target: str) -> None:
    with pytest.raises(netcompile.UnsupportedErrors) as refused:
        compile_bytes(json.dumps(FULL).encode(), target)
    assert all(e.backend == target and e.where.line >= 1 for e in refused.value.errors)


@pytest.mark.parametrize("target", TARGETS)
def test_the_full_spec_compiles_to_plain_lines(target: str) -> None:
    spec = compilable(target)
    files = compile_bytes(json.dumps(spec).encode(), target)
    check_output(target, files)
    text = "".join(f"{f.path}\n{f.content}" for f in files)
    eth0 = spec["interfaces"]["eth0"]
    values = [*spec["interfaces"], *eth0["match"].values(), *eth0["dns"]["servers"],
              *eth0["dns"]["search"], *eth0["addresses"], eth0["routes"][0]["to"]]
    assert [v for v in values if v not in text] == []


def test_the_output_checks_catch_injection() -> None:
    with pytest.raises(AssertionError):
        check_output("networkd", [OutputFile("etc/systemd/network/a.network", "a\x1bb\n")])
    with pytest.raises(AssertionError):
        check_output("networkd", [OutputFile("etc/netplan/a.yaml", "a\n")])
    with pytest.raises(AssertionError):
        check_output("netplan", [OutputFile("etc/netplan/90-netcompile.yaml",
                                            "network:\n  ethernets:\n    yes: {}\n")])
    assert shell_problems("    post-up ip route add $(reboot) || true")
    assert shell_problems("    post-up ip route add 1.2.3.4;reboot")
    assert not shell_problems("    post-up ip -4 rule add priority 5 table 200 || true")


def test_file_name_cannot_inject_into_headers(tmp_path: Any) -> None:
    spec = tmp_path / "x\n[Match]\nName=*;$(reboot).yaml"
    spec.write_text("version: 1\ninterfaces: {eth0: {dhcp4: true}}\n")
    for target in TARGETS:
        for f in netcompile.compile_file(str(spec), target):
            assert "[Match]\nName=*" not in f.content
            assert "$(reboot)" not in f.content
            check_output(target, [f])
