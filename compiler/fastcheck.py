"""A fast yes/no check of spec data against the JSON Schema.

Why: importing jsonschema (with referencing, attrs and rpds) takes some 40 ms, four
times what compiling a one-uplink spec takes, and building its validator costs more.
Almost every spec a build compiles is valid, and a valid spec needs no words. So
`schema.validate` asks this module first: it reads the same schema file (there is no
second copy of the rules) and compiles it into plain Python closures that only answer
"valid or not". Only when the answer is "not" does jsonschema run, and it alone words
the diagnostics, so every message stays exactly as jsonschema makes it.

It implements exactly the keywords the schema uses, with jsonschema's meaning for
each (Draft 2020-12, plus netcompile's stricter `integer` and ECMA-262 `pattern`):
a schema with any other keyword is refused with `UnsupportedSchema`, so the schema
cannot grow past this module unnoticed. tests/test_fastcheck.py checks that both
agree on every example, every invalid spec in the tests and generated specs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords with a meaning here. Keep in step with `_Compiler._keyword_checks`.
KEYWORDS = frozenset({
    "type", "enum", "const", "pattern", "format", "minimum", "maximum", "minLength",
    "maxLength", "minItems", "maxItems", "minProperties", "required", "properties",
    "additionalProperties", "propertyNames", "items", "oneOf", "$ref",
})
# Keywords that only describe: no effect on validity.
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description",
                         "default", "examples"})


class UnsupportedSchema(ValueError):
    """The schema uses something this module does not implement."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    # JSON Schema counts 1500.0 as an integer; netcompile's schema does not.
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "null": lambda v: v is None,
}


def _equal(one: object, two: object) -> bool:
    """Equality as jsonschema's `const` and `enum` see it: true and 1 differ."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False
    return one == two


def _always(instance: object) -> bool:
    return True


def _never(instance: object) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(instance: object) -> bool:
        # A loop, not all(...): a generator per value cost more than the checks.
        for c in checks:  # noqa: SIM110
            if not c(instance):
                return False
        return True

    return check


def compile_schema(root: Mapping[str, Any], *,
                   formats: Mapping[str, Callable[[object], object]],
                   pattern: Callable[[str], re.Pattern[str]]) -> Check:
    """`root` as one function of an instance: True when valid. `formats` maps each
    format name to jsonschema's checker for it (ValueError or a false result means
    invalid); `pattern` compiles a schema pattern the way the validator does."""
    return _Compiler(root, formats, pattern).compile(root, "#")


class _Compiler:
    def __init__(self, root: Mapping[str, Any],
                 formats: Mapping[str, Callable[[object], object]],
                 pattern: Callable[[str], re.Pattern[str]]):
        self.root = root
        self.formats = formats
        self.pattern = pattern
        self.refs: dict[str, Check] = {}

    def compile(self, schema: object, where: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"{where}: a schema must be an object or a boolean")
        unknown = schema.keys() - KEYWORDS - ANNOTATIONS
        if unknown:
            raise UnsupportedSchema(f"{where}: keywords not implemented: "
                                    f"{', '.join(sorted(unknown))}")
        for name, sub in schema.get("$defs", {}).items():
            self.reference(f"{where}/$defs/{name}" if where != "#" else f"#/$defs/{name}",
                           sub)
        return _all(self._keyword_checks(schema, where))

    def reference(self, ref: str, target: object | None = None) -> Check:
        """The check for a local `$ref`, compiled once; recursion goes through a box."""
        if ref not in self.refs:
            box: list[Check] = []
            self.refs[ref] = lambda instance: box[0](instance)
            box.append(self.compile(self._resolve(ref) if target is None else target, ref))
        return self.refs[ref]

    def _resolve(self, ref: str) -> object:
        if ref != "#" and not ref.startswith("#/"):
            raise UnsupportedSchema(f"only local references are implemented: {ref}")
        node: object = self.root
        for part in ref[2:].split("/") if ref != "#" else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UnsupportedSchema(f"unresolvable reference: {ref}")
            node = node[part]
        return node

    def _keyword_checks(self, schema: dict[str, Any], where: str) -> list[Check]:
        checks: list[Check] = []
        if "type" in schema:
            checks.append(_type_check(schema["type"], where))
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda v: _equal(v, const))
        if "enum" in schema:
            choices = list(schema["enum"])
            checks.append(lambda v: any(_equal(c, v) for c in choices))
        checks.extend(self._string_checks(schema, where))
        checks.extend(_number_checks(schema))
        checks.extend(_count_checks(schema))
        checks.extend(self._object_checks(schema, where))
        if "items" in schema:
            item = self.compile(schema["items"], f"{where}/items")
            checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
        if "oneOf" in schema:
            options = [self.compile(s, f"{where}/oneOf/{i}")
                       for i, s in enumerate(schema["oneOf"])]
            checks.append(lambda v: sum(1 for o in options if o(v)) == 1)
        if "$ref" in schema:
            checks.append(self.reference(schema["$ref"]))
        return checks

    def _string_checks(self, schema: dict[str, Any], where: str) -> list[Check]:
        checks: list[Check] = []
        if "pattern" in schema:
            search = self.pattern(schema["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "minLength" in schema:
            low = schema["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
        if "maxLength" in schema:
            high = schema["maxLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
        if "format" in schema:
            name = schema["format"]
            if name not in self.formats:
                raise UnsupportedSchema(f"{where}: format {name!r} is not implemented")
            checks.append(_format_check(self.formats[name]))
        return checks

    def _object_checks(self, schema: dict[str, Any], where: str) -> list[Check]:
        checks: list[Check] = []
        if "required" in schema:
            required = list(schema["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        properties = {name: self.compile(sub, f"{where}/properties/{name}")
                      for name, sub in schema.get("properties", {}).items()}
        if "additionalProperties" in schema:
            extra = self.compile(schema["additionalProperties"],
                                 f"{where}/additionalProperties")
        else:
            extra = _always
        if properties or "additionalProperties" in schema:
            def members(v: object) -> bool:
                if not isinstance(v, dict):
                    return True
                for key, value in v.items():  # noqa: SIM110 (as in _all)
                    if not properties.get(key, extra)(value):
                        return False
                return True

            checks.append(members)
        if "propertyNames" in schema:
            name_check = self.compile(schema["propertyNames"], f"{where}/propertyNames")
            checks.append(lambda v: not isinstance(v, dict) or all(map(name_check, v)))
        return checks


def _type_check(wanted: str | list[str], where: str) -> Check:
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    for name in names:
        if name not in _TYPES:
            raise UnsupportedSchema(f"{where}: type {name!r} is not implemented")
    predicates = [_TYPES[name] for name in names]
    if len(predicates) == 1:
        return predicates[0]
    return lambda v: any(p(v) for p in predicates)


def _format_check(checker: Callable[[object], object]) -> Check:
    def check(instance: object) -> bool:
        try:
            return bool(checker(instance))
        except ValueError:
            return False

    return check


def _number_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: not _is_number(v) or not v < low)
    if "maximum" in schema:
        high = schema["maximum"]
        checks.append(lambda v: not _is_number(v) or not v > high)
    return checks


def _count_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "minItems" in schema:
        low = schema["minItems"]
        checks.append(lambda v: not isinstance(v, list) or len(v) >= low)
    if "maxItems" in schema:
        high = schema["maxItems"]
        checks.append(lambda v: not isinstance(v, list) or len(v) <= high)
    if "minProperties" in schema:
        least = schema["minProperties"]
        checks.append(lambda v: not isinstance(v, dict) or len(v) >= least)
    return checks
