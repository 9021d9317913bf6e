"""Every example compiles on every backend; the output is pinned by snapshots,
one readable file per emitted file, plus the exact set of paths and modes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import netcompile
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("target", netcompile.targets())
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_output(example: Path, target: str, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    files = netcompile.compile_file(str(example), target)
    listing = "".join(f"{f.mode:04o} {f.path}\n" for f in files)
    assert listing == text_snapshot(name="paths")
    for f in files:
        assert f.content == text_snapshot(name=f.path.replace("/", "--"))


def clear_caches() -> list[str]:
    """Empty every functools cache of netcompile's modules (parsed addresses, the YAML
    loader's shared tags, the schema checks, compiled templates); their names."""
    cleared = []
    for name, module in sorted(sys.modules.items()):
        if name != "netcompile" and not name.startswith("netcompile."):
            continue
        for attribute, value in vars(module).items():
            if callable(getattr(value, "cache_clear", None)) and value.__module__ == name:
                value.cache_clear()
                cleared.append(f"{name}.{attribute}")
    return cleared


@pytest.mark.parametrize("target", netcompile.targets())
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_output_does_not_depend_on_the_caches(example: Path, target: str) -> None:
    """The same bytes from a process with empty caches and from one whose caches hold
    every example's values. (Across processes, hash seeds and locales:
    tests/hardening/test_determinism.py.)"""
    cleared = clear_caches()
    assert {"netcompile.addresses.parse_interface", "netcompile.loader._shared_tags",
            "netcompile.schema._fast_check", "netcompile.templating._template"} <= set(cleared)
    cold = netcompile.compile_file(str(example), target)
    for other in EXAMPLES:
        netcompile.compile_file(str(other), target)
    warm = netcompile.compile_file(str(example), target)
    assert warm == cold
    assert len({f.path for f in cold}) == len(cold), "two files share a path"
