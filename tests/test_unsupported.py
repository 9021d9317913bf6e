"""What a backend cannot express stops it loudly. Each spec under specs/unsupported/
is named <backend>-<case>.yaml and states, in `# expect:` lines, the exact errors
(line:column, backend, what, hint) that backend must raise; every other backend
either renders it or raises its own located error, never anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

import netcompile

CORPUS = sorted((Path(__file__).parent / "specs" / "unsupported").glob("*.yaml"))
EXPECT = "# expect: "


def backend_of(spec: Path) -> str:
    return next(t for t in netcompile.targets() if spec.stem.startswith(f"{t}-"))


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_backend_refuses_with_exact_located_errors(spec: Path) -> None:
    expected = [line[len(EXPECT):] for line in spec.read_text(encoding="utf-8").splitlines()
                if line.startswith(EXPECT)]
    assert expected, f"{spec.name} states no `# expect:` line"
    with pytest.raises(netcompile.UnsupportedErrors) as caught:
        netcompile.compile_file(str(spec), backend_of(spec))
    assert [str(e).removeprefix(f"{spec}:") for e in caught.value.errors] == expected


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_other_backends_render_or_refuse_with_a_location(spec: Path) -> None:
    compiled = netcompile.load_spec(str(spec))
    for target in netcompile.targets():
        try:
            files = netcompile.render(compiled.network, target, compiled.options)
        except netcompile.UnsupportedErrors as error:
            assert all(e.where.line >= 1 and e.backend == target for e in error.errors)
        else:
            assert files


def test_every_backend_has_a_documented_gap() -> None:
    assert {backend_of(spec) for spec in CORPUS} == set(netcompile.targets())
