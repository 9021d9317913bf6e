"""The invalid-spec corpus: each file under specs/invalid/ states, in `# expect:`
comment lines, every error it must produce (line:column: path: message (hint)),
in order. The command line must exit 2 and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import netcompile
from netcompile.cli import main

CORPUS = sorted((Path(__file__).parent / "specs" / "invalid").glob("*.yaml"))
EXPECT = "# expect: "


def expected_errors(spec: Path) -> list[str]:
    return [line[len(EXPECT):].rstrip("\n")
            for line in spec.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith(EXPECT)]


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


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 20


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
