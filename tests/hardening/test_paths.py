"""No interface or connection name can make a file land outside its backend's
directory: refused by the schema first, and by OutputFile whatever a backend does."""

from __future__ import annotations

import json

import pytest

import netcompile
from netcompile.output import OutputFile
from tests.hardening.common import SPEC_NAME, TARGETS, check_output, compile_bytes

ESCAPES = ["..", ".", "../etc", "a/b", "/etc", "a\x00b", "x" * 16, "x" * 300, "", "a\\b",
           "eth0\n", " eth0", "-"]


@pytest.mark.parametrize("name", ESCAPES, ids=repr)
def test_escaping_interface_names_are_refused_at_their_position(name: str) -> None:
    spec = {"version": 1, "interfaces": {name: {"dhcp4": True}}}
    text = json.dumps(spec, indent=1).encode()
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(text, SPEC_NAME)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.where.line, diagnostic.where.column) == (4, 3)
    assert "interfaces" in diagnostic.path


@pytest.mark.parametrize("name", ["..", "a/b", "x" * 16], ids=repr)
def test_escaping_names_are_refused_in_references_too(name: str) -> None:
    spec = {"version": 1, "interfaces": {"bond0": {"type": "bond", "members": [name],
                                                   "bond": {"mode": "802.3ad"}}}}
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_network(json.dumps(spec, indent=1).encode(), SPEC_NAME)
    assert any(d.path == "interfaces.bond0.members[0]" for d in caught.value.diagnostics)


@pytest.mark.parametrize("path", [
    "../etc/passwd", "etc/../../x", "/etc/passwd", "etc/systemd/network/a\x00b", "etc//x",
    "etc/./x", "etc/x/", "", "etc/" + "x" * 256, "etc/a\nb", "etc/a\\b", "etc/a\x1bb",
], ids=repr)
def test_output_file_refuses_paths_outside_its_root(path: str) -> None:
    with pytest.raises(ValueError, match="refusing an output path"):
        OutputFile(path, "")


def test_output_file_takes_ordinary_paths() -> None:
    assert OutputFile("etc/systemd/network/10-a=b+c@d.network", "x\n").path.endswith(".network")
    assert OutputFile("etc/" + "x" * 255, "").path


ODD_NAMES = ["x" * 15, "a=b", "_@+-", "0", "_-", "yes", "1e3"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_longest_and_oddest_legal_names_stay_in_their_directory(target: str) -> None:
    # ifupdown reads NAME=LOGICAL: it refuses a name with '=' (its documented gap).
    names = [n for n in ODD_NAMES if target != "ifupdown" or "=" not in n]
    spec = {"version": 1, "interfaces": {n: {"dhcp4": True} for n in names}}
    files = compile_bytes(json.dumps(spec).encode(), target)
    check_output(target, files)
    assert len({f.path for f in files}) == len(files)
    text = "".join(f.content for f in files)
    assert [n for n in names if n not in text] == []


def test_ifupdown_refuses_only_the_name_with_an_equals_sign() -> None:
    spec = {"version": 1, "interfaces": {n: {"dhcp4": True} for n in ODD_NAMES}}
    with pytest.raises(netcompile.UnsupportedErrors) as refused:
        compile_bytes(json.dumps(spec).encode(), "ifupdown")
    assert [e.backend for e in refused.value.errors] == ["ifupdown"]
    assert "the interface name 'a=b' contains '='" in str(refused.value.errors[0])
