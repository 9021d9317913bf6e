"""The invalid-spec corpus: each file under specs/invalid/ states, in `# expect:`
comment lines, every error it must produce (line:column: path: message (hint)),
in order. The command line must exit 2 and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import netcompile
from netcompile.cli import main
from tests.corpus import STATED, at_or_inside, expected_errors, places

CORPUS = sorted((Path(__file__).parent / "specs" / "invalid").glob("*.yaml"))
# Specs that the loader refuses (broken YAML): their errors name no key to check.
UNLOADABLE = {"duplicate-key", "empty", "merge-key", "not-a-mapping", "tabs"}
# Stated locations that are not the place their path names (none today; a case
# listed here is a known defect, and the test fails once it is fixed).
MISPLACED: set[str] = set()


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_invalid_spec_reports_exact_errors(spec: Path) -> None:
    expected = expected_errors(spec)
    assert expected, f"{spec.name} states no `# expect:` line"
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.build_network(str(spec))
    prefix = f"{spec}:"
    got = [str(d).removeprefix(prefix) for d in caught.value.diagnostics]
    assert got == expected


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_invalid_spec_exits_2_and_writes_nothing(spec: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    root.mkdir()
    assert main([str(spec), "--target", "all", "--root", str(root)]) == 2
    assert list(root.iterdir()) == []
    err = capsys.readouterr().err
    assert f"{spec}:" in err and "nothing was written" in err


@pytest.mark.parametrize("spec", [
    pytest.param(spec, marks=pytest.mark.xfail(strict=True, reason="location is the parent key"))
    if spec.stem in MISPLACED else spec for spec in CORPUS], ids=lambda p: p.stem)
def test_each_stated_error_points_at_what_it_names(spec: Path) -> None:
    """The corpus means what it says: an error naming a key is located where that key
    (or a value inside it) stands in the spec; one naming no key of the spec (the spec
    as a whole, or `routes` gathered from several keys) at some key or value of it."""
    lines = spec.read_text(encoding="utf-8", errors="replace").splitlines()
    stated = [STATED.match(e) for e in expected_errors(spec)]
    assert stated and all(stated), expected_errors(spec)
    if spec.stem in UNLOADABLE:
        with pytest.raises(netcompile.SpecError):
            places(spec)
        for match in stated:  # inside the text
            line, column = int(match["line"]), int(match["column"])
            assert 1 <= line <= max(len(lines), 1)
            assert 1 <= column <= (len(lines[line - 1]) + 1 if lines else 1)
    else:
        found = places(spec)
        for match in stated:
            position = (int(match["line"]), int(match["column"]))
            if match["path"] in found:
                assert at_or_inside(found, match["path"], position), match.group(0)
            else:
                assert any(position in where for where in found.values()), match.group(0)


@pytest.mark.parametrize(("key", "path"), [
    ("a.b", 'tables."a.b"'),
    ("a/b", 'tables."a/b"'),
    ('a"b', r'tables."a\"b"'),
    ("a\nb", r'tables."a\nb"'),
    ("a\u202eb", r'tables."a\u202eb"'),
    ("x" * 50, 'tables."' + "x" * 40 + '..."'),
], ids=repr)
def test_key_paths_quote_keys_that_are_not_plain_names(key: str, path: str) -> None:
    spec = {"version": 1, "tables": {key: 100}, "interfaces": {"eth0": {"dhcp4": True}}}
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(json.dumps(spec).encode(), "spec.yaml")
    assert [d.path for d in caught.value.diagnostics] == [path]
