"""What a backend cannot express stops it loudly. Each spec under specs/unsupported/
is named <backend>-<case>.yaml and states, in `# expect:` lines, the exact errors
(line:column, backend, what, hint) that backend must raise; every other backend
either renders it or raises its own located error, never anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

import netcompile
from tests.corpus import STATED, expected_errors, places
from tests.hardening.common import check_output

CORPUS = sorted((Path(__file__).parent / "specs" / "unsupported").glob("*.yaml"))


def backend_of(spec: Path) -> str:
    return next(t for t in netcompile.targets() if spec.stem.startswith(f"{t}-"))


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_backend_refuses_with_exact_located_errors(spec: Path) -> None:
    expected = expected_errors(spec)
    assert expected, f"{spec.name} states no `# expect:` line"
    with pytest.raises(netcompile.UnsupportedErrors) as caught:
        netcompile.compile_file(str(spec), backend_of(spec))
    assert [str(e).removeprefix(f"{spec}:") for e in caught.value.errors] == expected


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_each_stated_error_names_the_backend_at_a_key_of_the_spec(spec: Path) -> None:
    found = places(spec)
    for line in expected_errors(spec):
        match = STATED.match(line)
        assert match, line
        assert line[match.end():].startswith(f"{backend_of(spec)} cannot express this: "), line
        position = (int(match["line"]), int(match["column"]))
        assert any(position in where for where in found.values()), line


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_other_backends_render_or_refuse_with_a_location(spec: Path) -> None:
    """A backend that renders the spec keeps the invariants of every output and
    configures each of its interfaces; one that refuses names itself and a line."""
    compiled = netcompile.load_spec(str(spec))
    network = compiled.network
    for target in netcompile.targets():
        try:
            files = netcompile.render(compiled.network, target, compiled.options)
        except netcompile.UnsupportedErrors as error:
            assert all(e.where.line >= 1 and e.backend == target for e in error.errors)
        else:
            check_output(target, files)
            text = "".join(f"{f.path}\n{f.content}" for f in files)
            assert [i.name for i in network.interfaces if i.name not in text] == [], target


def test_every_backend_has_a_documented_gap() -> None:
    assert {backend_of(spec) for spec in CORPUS} == set(netcompile.targets())
