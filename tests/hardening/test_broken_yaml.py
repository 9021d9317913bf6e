"""Broken and hostile YAML: each gives exit 2 and one clear error with its position,
within bounded memory and CPU (see bounded.py), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from netcompile.loader import MAX_BYTES
from tests.hardening.bounded import run_cli


def _laughs(levels: int, width: int) -> bytes:
    lines = [b"a0: &a0 [" + b", ".join([b"lol"] * width) + b"]"]
    for i in range(1, levels):
        refs = b", ".join([b"*a%d" % (i - 1)] * width)
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    return b"\n".join(lines) + b"\n"


VALID_HEAD = b"version: 1\ninterfaces:\n  eth0:\n"

# name -> (spec bytes, expected "line:column: message" start)
CASES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "1:1: the spec is empty"),
    "only-comments": (b"# nothing\n\n# here\n", "1:1: the spec is empty"),
    "whitespace": (b"  \n\n\t\n", "1:1: the spec is empty"),
    "non-utf8": (VALID_HEAD + b"    mtu: \xff\xfe\n", "4:10: the spec is not valid UTF-8"),
    "latin1-name": (b"version: 1\ninterfaces:\n  caf\xe9: {}\n",
                    "3:6: the spec is not valid UTF-8"),
    "nul-byte": (VALID_HEAD + b"    mtu: 15\x0000\n", "4:12: the control character U+0000"),
    "escape-sequence": (VALID_HEAD + b"    mtu: \x1b[31m\n", "4:10: the control character U+001B"),
    "tab-indent": (b"version: 1\ninterfaces:\n\teth0: {}\n",
                   "3:1: invalid YAML: a tab where YAML needs spaces"),
    # Located where the cause is: the quote or bracket that is never closed.
    "unclosed-double-quote": (b'version: 1\ninterfaces: {"eth0: {}}\n',
                              "2:14: invalid YAML: a quoted value that never ends"),
    "unclosed-single-quote": (b"version: 1\ninterfaces:\n  'eth0: {}\n",
                              "3:3: invalid YAML: a quoted value that never ends"),
    "unclosed-flow": (b"version: 1\ninterfaces: {eth0: {}\n",
                      "2:13: invalid YAML: a `{` mapping that is never closed"),
    "top-level-list": (b"- version: 1\n- interfaces: {}\n",
                       "1:1: the top level of the spec must be a mapping"),
    "top-level-scalar": (b"netcompile\n", "1:1: the top level of the spec must be a mapping"),
    "top-level-number": (b"42\n", "1:1: the top level of the spec must be a mapping"),
    "duplicate-key": (b"version: 1\ninterfaces: {eth0: {}}\nversion: 1\n",
                      "3:1: version: duplicate key (first defined at line 1, column 1)"),
    "duplicate-nested-key": (VALID_HEAD + b"    mtu: 1500\n    mtu: 9000\n",
                             "5:5: interfaces.eth0.mtu: duplicate key"),
    "date-for-string": (VALID_HEAD + b"    match: {driver: 2024-01-01}\n",
                        "4:21: interfaces.eth0.match.driver: expected a string, got the date"),
    "number-for-string": (VALID_HEAD + b"    match: {driver: 1234}\n",
                          "4:21: interfaces.eth0.match.driver: expected a string, got the number"),
    "float-for-integer": (VALID_HEAD + b"    mtu: 1500.0\n",
                          "4:10: interfaces.eth0.mtu: expected a whole number, got the number"),
    "yaml11-boolean-word": (b"%YAML 1.1\n---\n" + VALID_HEAD + b"    dhcp4: yes\n",
                            "6:12: interfaces.eth0.dhcp4: expected true or false, got 'yes'"),
    "huge-number": (VALID_HEAD + b"    mtu: " + b"9" * 5000 + b"\n",
                    "4:10: interfaces.eth0.mtu: the number has more than"),
    "billion-laughs": (_laughs(10, 10), "the spec expands to more than 200000 values"),
    "deep-flow-nesting": (b"version: " + b"[" * 100_000 + b"\n", "1:1: the YAML nests too deeply"),
    "deep-block-nesting": (b"".join(b"  " * i + b"a:\n" for i in range(1000)),
                           "66:131: a.a.a."),
    "two-documents": (b"version: 1\n---\ninterfaces: {}\n", "2:1: invalid YAML: a second document"),
    "explicit-python-tag": (VALID_HEAD + b"    mtu: !!python/object/apply:os.system [id]\n",
                            "4:10: interfaces.eth0.mtu: unsupported YAML tag !!python/object/"),
    "local-tag": (VALID_HEAD + b"    mtu: !big 1500\n",
                  "4:10: interfaces.eth0.mtu: unsupported YAML tag !big"),
    "set-tag": (b"version: 1\ninterfaces: !!set {eth0}\n",
                "2:13: interfaces: unsupported YAML tag !!set"),
    "binary-tag": (VALID_HEAD + b"    match: {driver: !!binary ZTEwMDA=}\n",
                   "4:21: interfaces.eth0.match.driver: unsupported YAML tag !!binary"),
    "merge-key": (b"base: &b {mtu: 1500}\nversion: 1\ninterfaces:\n  eth0: {<<: *b}\n",
                  '4:10: interfaces.eth0."<<": YAML merge keys (`<<`) are not supported'),
    "complex-key": (b"version: 1\ninterfaces:\n  ? [eth0]\n  : {}\n",
                    "3:5: interfaces: a mapping key must be a plain value"),
    "undefined-alias": (b"version: 1\ninterfaces: *nothing\n",
                        "2:13: invalid YAML: the alias *nothing refers to no anchor"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_yaml_is_a_located_error(name: str, tmp_path: Path) -> None:
    raw, expected = CASES[name]
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(raw)
    result = run_cli(spec, "--target", "all", "--validate")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{spec}:"), first
    location_and_message = first[len(f"{spec}:"):]
    if expected[0].isdigit():
        assert location_and_message.startswith(expected), first
    else:
        assert expected in location_and_message, first
    line, column = location_and_message.split(":")[:2]
    assert int(line) >= 1 and int(column) >= 1


def test_oversized_spec_is_refused_before_parsing(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    with spec.open("wb") as stream:
        stream.write(b"version: 1\ninterfaces:\n")
        stream.write(b"  # padding\n" * (MAX_BYTES // 12 + 10))
    result = run_cli(spec, "--validate")
    assert result.returncode == 2
    assert f"{spec}: the spec is larger than {MAX_BYTES} bytes" in result.stderr
    assert "Traceback" not in result.stderr


def test_large_but_legal_alias_use_still_loads(tmp_path: Path) -> None:
    """The bound is on expansion, not on aliases as such."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\ninterfaces:\n  eth0: &e {mtu: 1500}\n  eth1: *e\n")
    result = run_cli(spec, "--validate")
    assert result.returncode == 0, result.stderr
    assert "2 interfaces" in result.stdout


def test_missing_and_unreadable_spec_files(tmp_path: Path) -> None:
    missing = run_cli(tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "cannot read the spec" in missing.stderr
    directory = run_cli(tmp_path)
    assert directory.returncode == 2 and "cannot read the spec" in directory.stderr
    assert "Traceback" not in missing.stderr + directory.stderr


def test_the_echoed_spec_line_carries_no_terminal_escapes(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(VALID_HEAD + b"    mtu: \x1b]0;owned\x07\x1b[2J\n")
    result = run_cli(spec, "--validate")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "    mtu: ?]0;owned??[2J" in result.stderr


def test_a_huge_value_makes_a_short_message(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(VALID_HEAD + b"    match: {driver: " + b"x" * 1_000_000 + b"}\n"
                     + b"  " + b"y" * 1000 + b": {}\n")
    result = run_cli(spec, "--validate")
    assert result.returncode == 2
    assert "interfaces.eth0.match.driver: 'xxxx" in result.stderr
    assert all(len(line) < 400 for line in result.stderr.splitlines())
