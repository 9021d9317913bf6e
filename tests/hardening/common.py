"""Shared helpers for the hardening tests: targets, compiling text, YAML dumping,
and the invariants every generated file must keep."""

from __future__ import annotations

import io
import os
import re
from fnmatch import fnmatch
from typing import Any

from hypothesis import HealthCheck, settings

import netcompile
from netcompile.backends import backend
from netcompile.output import RT_TABLES_PATH, OutputFile

TARGETS = netcompile.targets()
SPEC_NAME = "spec.yaml"

# CI runs a short, derandomized pass; `make fuzz` sets HYPOTHESIS_PROFILE=long.
_LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
FUZZ_CASES = int(os.environ.get("FUZZ_CASES", "10000" if _LONG else "25"))
FUZZ = settings(max_examples=FUZZ_CASES, deadline=None, derandomize=not _LONG,
                database=None, suppress_health_check=list(HealthCheck))


def compile_bytes(raw: bytes, target: str) -> list[OutputFile]:
    spec = netcompile.load_spec_bytes(raw, SPEC_NAME)
    return netcompile.render(spec.network, target, spec.options)


def dump_yaml(data: Any) -> str:
    """Block-style YAML, as people write specs."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # key order is part of what is tested
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


# Characters a generated file may hold besides printable text: newline and tab only.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# ifupdown hands these lines to /bin/sh.
SHELL_KEYWORDS = ("pre-up", "up", "post-up", "down", "pre-down", "post-down")
SAFE_TOKEN = re.compile(r"[A-Za-z0-9_.:/@+=,-]+")
# The one fixed shell construct the ifupdown backend emits: a driver guard.
_DRIVER_GUARD = re.compile(
    r'\[ "\$\(basename "\$\(readlink /sys/class/net/(?P<name>[^/ ]+)/device/driver\)"\)"'
    r" = (?P<driver>\S+) \]")


def shell_problems(line: str) -> list[str]:
    """Tokens of one ifupdown hook command that are not plain, validated words."""
    command = line.strip().split(None, 1)[1] if " " in line.strip() else ""
    guard = _DRIVER_GUARD.fullmatch(command)
    if guard:
        return [t for t in guard.groups() if not SAFE_TOKEN.fullmatch(t)]
    command = command.removesuffix(" || true")
    return [t for t in command.split(" ") if not SAFE_TOKEN.fullmatch(t)]


def check_output(target: str, files: list[OutputFile]) -> None:
    """Invariants of every compile: paths inside the backend's directories, no
    control characters, whole lines, and only plain tokens on shell lines."""
    allowed = backend(target).owns
    for f in files:
        assert f.path == RT_TABLES_PATH or any(fnmatch(f.path, p) for p in allowed), f.path
        assert not _CONTROL.search(f.content), (f.path, _CONTROL.search(f.content))
        assert f.content.endswith("\n"), f.path
        if target == "netplan" and f.path.endswith(".yaml"):
            _check_netplan_names(f.content)
        if target == "ifupdown":
            for line in f.content.splitlines():
                words = line.split()
                if words and words[0] in SHELL_KEYWORDS:
                    assert not shell_problems(line), (f.path, line)


def _check_netplan_names(content: str) -> None:
    """netplan reads YAML 1.1 (libyaml): every interface key and every member must
    still be a string there (`yes`, `0x10`, `1e3` and `007` are not, unquoted)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    data = yaml.load(content)
    for section in ("ethernets", "bonds", "vlans", "bridges"):
        for name, block in data["network"].get(section, {}).items():
            assert isinstance(name, str), (section, name)
            for member in block.get("interfaces", []):
                assert isinstance(member, str), (name, member)
