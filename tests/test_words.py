"""What the command line says, in words a person reads: target names as the spec
spells them, plurals that agree, --check's verdict, a file that cannot be read
reported at the file, YAML errors without the parser's jargon, and hints that,
followed, leave no new error behind."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

import netcompile
from netcompile.cli import main
from tests.conftest import ROOT
from tests.test_invalid_specs import CORPUS

SEED = str(ROOT / "examples" / "two-uplinks.yaml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("typed", "target"), [
    ("NetworkManager", "networkmanager"), ("NETPLAN", "netplan"), ("All", "all")])
def test_a_target_may_be_spelt_in_any_case(typed: str, target: str) -> None:
    assert run(SEED, "-t", typed) == run(SEED, "-t", target)
    assert run("plan", SEED, SEED, "-t", typed)[0] == 0


def test_an_unknown_target_is_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SEED, "-t", "systemd")[0] == 2
    assert "invalid choice: 'systemd'" in capsys.readouterr().err  # argparse's own


def test_plurals_agree_with_counts(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n"
                   "    routes: [{to: 10.0.0.0/8, via: 192.0.2.1}]\n"
                   "rules: [{from: 10.0.0.0/8, table: 100, priority: 100}]\n")
    assert run(str(one), "--validate")[1] == f"{one}: valid: 1 interface, 1 route, 1 rule\n"
    assert re.search(r": valid: 2 interfaces, [0-9]+ routes, [0-9]+ rules\n$",
                     run(SEED, "--validate")[1])
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ninterfaces:\n  eth0: {mtu: 10}\n")
    assert run(str(bad))[2].endswith("netcompile: 1 error; nothing was written\n")
    bad.write_text("version: 2\ninterfaces:\n  eth0: {mtu: 10}\n")
    assert run(str(bad))[2].endswith("netcompile: 2 errors; nothing was written\n")


def test_check_says_up_to_date_or_how_many_files_would_change(tmp_path: Path) -> None:
    assert run(SEED, "--root", str(tmp_path))[0] == 0
    assert run(SEED, "--root", str(tmp_path), "--check") == (
        0, "", f"netcompile: {tmp_path} is up to date\n")
    units = sorted((tmp_path / "etc" / "systemd" / "network").glob("*.network"))
    for unit in units:
        unit.write_text(unit.read_text() + "# edited\n")
    code, out, err = run(SEED, "--root", str(tmp_path), "--check")
    assert code == 1 and "-# edited" in out
    assert err.splitlines()[-1] == f"netcompile: {len(units)} files would change"


@pytest.mark.parametrize("form", ["text", "json", "sarif"])
def test_a_spec_that_cannot_be_read_is_reported_at_the_file_not_a_line(
        tmp_path: Path, form: str) -> None:
    missing = tmp_path / "missing.yaml"
    if form == "text":
        code, _, err = run(str(missing))
        assert code == 2
        assert err.splitlines()[0] == (
            f"{missing}: cannot read the spec: No such file or directory (give the path "
            "of an existing file that you may read)")
        return
    code, out, _ = run("validate", str(missing), "--diagnostics-format", form)
    assert code == 2
    report = json.loads(out)
    if form == "json":
        [diagnostic] = report["diagnostics"]
        assert diagnostic["location"] == {"file": str(missing), "line": None, "column": None}
    else:
        [result] = report["runs"][0]["results"]
        assert result["locations"] == [{"physicalLocation": {
            "artifactLocation": {"uri": str(missing)}}}]


# The parser's words for what it expected or found.
JARGON = re.compile(r"<(block|flow|scalar|stream|document)[^>]*>|\bexpected\b.*\bbut found\b")
BROKEN = {
    "indentation": "version: 1\ninterfaces:\n  eth0:\n    mtu: 1500\n   dhcp4: true\n",
    "list-item-in-mapping": "version: 1\ninterfaces:\n  eth0:\n    mtu: 1500\n    - x\n",
    "text-after-value": "version: 1\ninterfaces: {eth0: {}} x\n",
    "key-in-value": "version: 1\ninterfaces:\n  eth0:\n    match: {driver: a: b}\n",
    "missing-colon": "version: 1\ninterfaces\n",
    "missing-comma": "version: 1\ninterfaces: {eth0: {} eth1: {}}\n",
    "unclosed-list": "version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24\n",
    "unclosed-quote": "version: 1\ninterfaces:\n  eth0: {match: {name: \"eth0}}\n",
    "undefined-alias": "version: 1\ninterfaces: *x\n",
    "unknown-escape": "version: 1\ninterfaces:\n  eth0: {match: {name: \"\\q\"}}\n",
    "reserved-character": "version: 1\ninterfaces:\n  eth0: {match: {name: @x}}\n",
    "anchor-without-name": "version: 1\ninterfaces: & {}\n",
    "block-scalar-text": "version: 1\ninterfaces: |x\n  a\n",
    "malformed-tag": "version: 1\ninterfaces: !<x {}\n",
    "second-value": "version: 1\ninterfaces: {}\n[x]\n",
    "unknown-yaml-version": "%YAML 1.3\n---\nversion: 1\n",
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=list(BROKEN))
def test_yaml_errors_are_in_plain_words_with_a_hint(text: str) -> None:
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(text.encode(), "spec.yaml")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message.startswith("invalid YAML: ")
    assert not JARGON.search(diagnostic.message), diagnostic.message
    assert diagnostic.hint


def test_no_message_of_the_invalid_corpus_speaks_the_parsers_jargon() -> None:
    for spec in CORPUS:
        with pytest.raises(netcompile.SpecError) as caught:
            netcompile.build_network(str(spec))
        for diagnostic in caught.value.diagnostics:
            assert not JARGON.search(str(diagnostic)), str(diagnostic)


def test_an_indentation_error_names_its_line() -> None:
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(BROKEN["indentation"].encode(), "spec.yaml")
    assert str(caught.value.diagnostics[0]).startswith(
        "spec.yaml:5:4: invalid YAML: inconsistent indentation at line 5 (indent")


def test_an_anchor_defined_twice_is_no_warning(capfd: pytest.CaptureFixture[str]) -> None:
    spec = "version: 1\ntables: {a: &n 100, b: &n 101}\ninterfaces: {eth0: {}}\n"
    assert len(netcompile.load_network(spec.encode(), "spec.yaml").tables) == 2
    assert capfd.readouterr().err == ""


def test_the_hint_for_an_unknown_uplink_table_leads_to_no_other_error(tmp_path: Path) -> None:
    """An uplink cannot use main, so its hint offers a definition, never `main`; the
    definition it offers, added as it says, compiles."""
    spec = (ROOT / "tests" / "specs" / "invalid" / "unknown-table.yaml").read_text()
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(spec.encode(), "spec.yaml")
    [diagnostic] = caught.value.diagnostics
    assert "main`" not in diagnostic.hint
    [entry] = re.findall(r"add `([^`]+)` under `tables:`", diagnostic.hint)
    fixed = spec.replace("tables: {isp-a: 100}", f"tables: {{isp-a: 100, {entry}}}")
    assert netcompile.load_network(fixed.encode(), "spec.yaml").interfaces
