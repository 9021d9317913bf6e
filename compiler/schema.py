"""Validate loaded spec data against the JSON Schema, with located, actionable errors."""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .addresses import parse_address, parse_interface
from .errors import Diagnostic, SpecError
from .loader import LoadedSpec, Path, dotted, shown
from .resources import resource_path

SCHEMA_FILE = "netcompile.schema.json"


@functools.cache
def schema_text() -> str:
    return resource_path("schemas", SCHEMA_FILE).read_text(encoding="utf-8")


# Python's ipaddress accepts an IPv6 scope ("fe80::1%anything"), which would carry
# any text into the output: only hex digits, dots, colons and a prefix length pass.
_IP_TEXT = re.compile(r"[0-9A-Fa-f:.]{2,45}")
# An interface address needs its prefix length: a bare address would silently become a
# /32 or /128, without the subnet route the host needs to reach its gateway.
_IP_INTERFACE_TEXT = re.compile(r"[0-9A-Fa-f:.]{2,45}/[0-9]{1,3}")


def _is_ip_address(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _IP_TEXT.fullmatch(value):
        raise ValueError(value)
    parse_address(value)  # remembered: the builder parses the same text again
    return True


def _is_ip_interface(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _IP_INTERFACE_TEXT.fullmatch(value):
        raise ValueError(value)
    parse_interface(value)
    return True


_FORMATS = {"ip-address": _is_ip_address, "ip-interface": _is_ip_interface}


def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    """JSON Schema patterns are ECMA-262, where `$` ends the input; Python's `$` also
    matches before a final newline, which would let "eth0\\n" through."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 1500.0 as an integer; a spec means 1500 and must say so.
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker, validators

    formats = FormatChecker(formats=())
    for name, check in _FORMATS.items():
        formats.checks(name, raises=ValueError)(check)
    strict = validators.extend(
        Draft202012Validator, validators={"pattern": _pattern},
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))
    return strict(json.loads(schema_text()), format_checker=formats)


@functools.cache
def _fast_check() -> Callable[[Any], bool]:
    from .fastcheck import compile_schema

    return compile_schema(json.loads(schema_text()), formats=_FORMATS, pattern=_ecma_pattern)


def is_valid(data: Any) -> bool:
    """The fast check alone (compiler/fastcheck.py): True when `data` is a valid spec."""
    return _fast_check()(data)


@dataclass(frozen=True, slots=True)
class Violations:
    """Every schema violation of a spec, worded, and where each one lies: the values
    at fault, and the keys the spec language does not have (which nothing reads)."""

    diagnostics: tuple[Diagnostic, ...] = ()
    wrong: tuple[Path, ...] = ()
    unknown: tuple[Path, ...] = ()


def check(spec: LoadedSpec) -> Violations:
    """A valid spec is accepted by the fast check alone; jsonschema runs only to
    word what is wrong."""
    if is_valid(spec.data):
        return Violations()
    netplan = netplan_input(spec)
    if netplan is not None:
        raise SpecError([netplan])
    diagnostics: list[Diagnostic] = []
    wrong: list[Path] = []
    unknown: list[Path] = []
    for error in _validator().iter_errors(spec.data):
        diagnostics.extend(_describe(error, spec))
        path: Path = tuple(error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:
            wrong.append((*path, error.instance))  # the key's name is at fault
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            unknown.extend((*path, key) for key in error.instance if key not in known)
        elif error.validator == "required":
            # The missing key's own path: what holds it is judged by what it is.
            missing = error.message.split("'")[1] if "'" in error.message else ""
            wrong.append((*path, missing) if missing else path)
        else:
            wrong.append(path)
    return Violations(tuple(_unique(diagnostics)), tuple(wrong), tuple(unknown))


def validate(spec: LoadedSpec) -> None:
    """Raise SpecError with every schema violation, in source order."""
    diagnostics = check(spec).diagnostics
    if diagnostics:
        raise SpecError(diagnostics)


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: dict[tuple[object, ...], Diagnostic] = {}
    for d in diagnostics:
        seen.setdefault((d.where, d.path, d.message), d)
    return list(seen.values())


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean (true/false)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shown(value)


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "number": "a number"}


def _describe(error: Any, spec: LoadedSpec) -> list[Diagnostic]:
    path: Path = tuple(error.absolute_path)
    positions = spec.positions
    where = positions.of(path)
    name = dotted(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    description = schema.get("description", "")
    validator = error.validator
    instance = error.instance

    if "propertyNames" in error.absolute_schema_path:
        return [_property_name_error(error, path, spec)]
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return [Diagnostic(positions.of_key((*path, key)), dotted((*path, key)),
                           f"unknown key {shown(key)}",
                           netplan_hint(path, key, instance)
                           or (f"allowed here: {', '.join(allowed)}" if allowed else "remove it"))
                for key in instance if key not in error.schema.get("properties", {})]
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return [Diagnostic(where, name, f"missing required key {missing!r}",
                           f"add `{missing}:`")]
    if validator == "type":
        wanted = error.validator_value
        wanted_text = (" or ".join(_TYPE_NAMES.get(w, str(w)) for w in wanted)
                       if isinstance(wanted, list) else _TYPE_NAMES.get(wanted, wanted))
        hint = "quote the value" if wanted == "string" else description or "fix the value"
        return [Diagnostic(where, name, f"expected {wanted_text}, got {_describe_value(instance)}",
                           hint)]
    if validator == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return [Diagnostic(where, name, f"{_describe_value(instance)} is not one of: {choices}",
                           "use one of the listed values")]
    if validator == "const":
        return [Diagnostic(where, name, f"must be {error.validator_value!r}, got "
                           f"{_describe_value(instance)}",
                           "this netcompile understands spec version 1")]
    if validator == "pattern":
        return [Diagnostic(where, name, f"{shown(instance)} is not valid here",
                           description or f"it must match {error.validator_value}")]
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = schema.get("minimum")
        high = schema.get("maximum")
        return [Diagnostic(where, name, f"{instance} is out of range",
                           f"use a value from {low} to {high}")]
    if validator in ("minLength", "maxLength"):
        return [Diagnostic(where, name, f"{shown(instance)} has the wrong length",
                           description or f"{validator} is {error.validator_value}")]
    if validator in ("minItems", "maxItems", "minProperties"):
        return [Diagnostic(where, name, _count_message(validator, error.validator_value),
                           description or "fix the number of entries")]
    if validator == "format":
        if error.validator_value == "ip-interface" and _is_bare_address(instance):
            lone = 32 if ":" not in instance else 128
            subnet = 24 if ":" not in instance else 64
            return [Diagnostic(where, name, f"{shown(instance)} has no prefix length",
                               f"write the prefix length of its subnet, e.g. {instance}/{subnet}; "
                               f"/{lone} only for an address alone on its link")]
        if error.validator_value == "ip-address":
            what, example = "an IP address", "192.0.2.1 or 2001:db8::1"
        else:
            what, example = "an address with prefix length", "192.0.2.10/24 or 2001:db8::10/64"
        return [Diagnostic(where, name, f"{shown(instance)} is not {what}",
                           f"write e.g. {example}")]
    if validator == "oneOf":
        return [Diagnostic(where, name, f"{_describe_value(instance)} is not valid here",
                           description or "see the spec reference")]
    return [Diagnostic(where, name, error.message, description)]


def _is_bare_address(value: object) -> bool:
    try:
        return isinstance(value, str) and _is_ip_address(value)
    except ValueError:
        return False


def netplan_input(spec: LoadedSpec) -> Diagnostic | None:
    """A netplan file given as a spec: one error that says so, instead of an unknown-key
    error for every netplan key with the cause last."""
    data = spec.data
    if not (isinstance(data, dict) and "network" in data and "interfaces" not in data):
        return None
    return Diagnostic(spec.positions.of_key(("network",)), "network",
                      "this is a netplan file (its top level is `network:`), not a netcompile "
                      "spec",
                      "convert it with `netcompile import netplan FILE -o spec.yaml`, then "
                      "compile spec.yaml")


# netplan's names for keys that netcompile spells differently: a spec written from
# memory of netplan gets the netcompile key in the hint.
_NETPLAN_KEYS = {
    "gateway4": "that is netplan's key; write `gateways: [ADDRESS]`, at most one per family",
    "gateway6": "that is netplan's key; write `gateways: [ADDRESS]`, at most one per family",
    "nameservers": "that is netplan's key; write `dns: {servers: [ADDRESS], search: [DOMAIN]}`",
    "routing-policy": "that is netplan's key; rules are listed at the top level here: move "
                      "them to `rules:`, each with `priority:` and `table:`",
    "on-link": "that is netplan's spelling; write `on_link: true`",
    "set-name": "that is netplan's key; the interface's key is its name: rename the key and "
                "keep `match:`",
    "ethernets": "that is netplan's layout; list every device under `interfaces:`, with "
                 "`type: bond`, `vlan` or `bridge` where it is not an ethernet",
}


def netplan_hint(path: Path, key: str, instance: dict[str, Any]) -> str | None:
    """The hint for a netplan key name used in a spec, or None."""
    hint = _NETPLAN_KEYS.get(key)
    if hint is not None:
        return hint
    kind = instance.get("type")
    if key == "macaddress":
        if path[-1:] == ("match",):
            return "that is netplan's key; write `mac:`"
        return ("that is netplan's key; to recognise the device by its MAC address, write "
                "`match: {mac: ADDRESS}` (netcompile does not set MAC addresses)")
    if key == "interfaces" and kind in ("bond", "bridge"):
        return "that is netplan's key; write `members: [NAME, ...]`"
    if key == "parameters" and kind in ("bond", "bridge"):
        return (f"that is netplan's key; write the {kind} options under `{kind}:`, e.g. "
                + ("`bond: {mode: active-backup, miimon: 100}`" if kind == "bond"
                   else "`bridge: {stp: true}`"))
    if key == "from" and len(path) >= 2 and path[-2] == "routes":
        return "that is netplan's key for a route's preferred source; write `source:`"
    if key in ("bonds", "bridges", "vlans") and not path:
        return _NETPLAN_KEYS["ethernets"]
    return None


def _count_message(validator: str, limit: int) -> str:
    if validator == "minItems":
        return f"needs at least {limit} entr{'y' if limit == 1 else 'ies'}"
    if validator == "maxItems":
        return f"takes at most {limit} entr{'y' if limit == 1 else 'ies'}"
    return f"needs at least {limit} key{'s' if limit != 1 else ''}"


def _property_name_error(sub: Any, path: Path, spec: LoadedSpec) -> Diagnostic:
    key = sub.instance
    where = spec.positions.of_key((*path, key))
    description = sub.schema.get("description", "") if isinstance(sub.schema, dict) else ""
    if sub.validator == "maxLength":
        message = f"the name {shown(key)} is longer than {sub.validator_value} characters"
    else:
        message = f"the name {shown(key)} is not allowed"
    return Diagnostic(where, dotted((*path, key)), message,
                      description or "use letters, digits, '-' and '_'")
