"""Every example compiles on every backend; the output is pinned by snapshots,
one readable file per emitted file, plus the exact set of paths and modes."""

from __future__ import annotations

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


@pytest.mark.parametrize("target", netcompile.targets())
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_output_is_deterministic(example: Path, target: str) -> None:
    first = netcompile.compile_file(str(example), target)
    second = netcompile.compile_file(str(example), target)
    assert first == second
    assert len({f.path for f in first}) == len(first), "two files share a path"
