"""The matching and the case format themselves: each check must be able to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.features.cases import CaseFormatError, load
from tests.features.text import has_line, has_lines, has_section

KEYFILE = """\
[connection]
id=eth0

[ipv4]
method=manual
address1=192.0.2.10/24
route1=10.0.0.0/8,192.0.2.1,0

[ipv6]
method=link-local
""".splitlines()

NETPLAN = """\
network:
  ethernets:
    eth0:
      routes:
        - to: "10.0.0.0/8"
          via: "192.0.2.1"
        - to: "10.1.0.0/16"
          via: "192.0.2.1"
      routing-policy:
        - from: "192.0.2.10/32"
""".splitlines()

INTERFACES = """\
auto eth0
iface eth0 inet6 static
    address 2001:db8::10/64
iface eth0 inet static
    address 192.0.2.10/24
    post-up ip -4 route add default via 192.0.2.1 dev eth0 table 254 metric 0
""".splitlines()


def test_lines_must_keep_their_order() -> None:
    assert has_lines(KEYFILE, ["[ipv4]", "route1=10.0.0.0/8,192.0.2.1,0"])
    assert not has_lines(KEYFILE, ["route1=10.0.0.0/8,192.0.2.1,0", "[ipv4]"])
    assert not has_lines(KEYFILE, ["[ipv4]", "method=link-local", "address1=192.0.2.10/24"])


def test_lines_share_one_indentation_offset() -> None:
    assert has_lines(NETPLAN, ['- to: "10.1.0.0/16"', '  via: "192.0.2.1"'])
    assert not has_lines(NETPLAN, ['- to: "10.1.0.0/16"', 'via: "192.0.2.1"'])
    assert has_lines(NETPLAN, ["routing-policy:", '  - from: "192.0.2.10/32"'])
    assert not has_lines(NETPLAN, ["routing-policy:", '- from: "192.0.2.10/32"'])


def test_an_ini_section_runs_to_the_blank_line() -> None:
    assert has_section(KEYFILE, ["[ipv4]", "method=manual", "address1=192.0.2.10/24",
                                 "route1=10.0.0.0/8,192.0.2.1,0"])
    assert not has_section(KEYFILE, ["[ipv4]", "method=manual", "address1=192.0.2.10/24"])
    assert not has_section(KEYFILE, ["[ipv6]", "method=link-local", "addr-gen-mode=eui64"])


def test_a_yaml_section_is_everything_indented_below_its_key() -> None:
    assert has_section(NETPLAN, ['- to: "10.0.0.0/8"', '  via: "192.0.2.1"'])
    assert has_section(NETPLAN, ["routing-policy:", '  - from: "192.0.2.10/32"'])
    assert not has_section(NETPLAN, ["routes:", '  - to: "10.0.0.0/8"', '    via: "192.0.2.1"'])


def test_a_stanza_ends_at_the_next_stanza_of_the_same_interface() -> None:
    assert has_section(INTERFACES, ["iface eth0 inet6 static", "    address 2001:db8::10/64"])
    assert not has_section(INTERFACES, ["iface eth0 inet static", "    address 192.0.2.10/24"])


def test_a_line_is_found_at_any_indentation() -> None:
    assert has_line(NETPLAN, "via: \"192.0.2.1\"")
    assert not has_line(NETPLAN, "via: \"192.0.2.2\"")


BACKENDS = ("networkd", "ifupdown")
GOOD_CASE = """\
- name: mtu
  spec: "version: 1"
  networkd: {file: a, lines: "MTUBytes=9000"}
  ifupdown: {refused: "3:3: ifupdown cannot express this: x"}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "group.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_case_loads(tmp_path: Path) -> None:
    (case,) = load(BACKENDS, write(tmp_path, GOOD_CASE))
    assert case.group == "group" and case.name == "mtu"
    assert case.expected["networkd"].checks[0].lines == ("MTUBytes=9000",)
    assert case.expected["ifupdown"].refused == ("3:3: ifupdown cannot express this: x",)


@pytest.mark.parametrize("broken", [
    GOOD_CASE.replace("  ifupdown:", "  ifupdwon:"),                   # a backend misspelt
    GOOD_CASE.replace("  ifupdown: {refused: \"3:3: ifupdown cannot express this: x\"}\n", ""),
    GOOD_CASE.replace("lines:", "line:"),                               # a check misspelt
    GOOD_CASE.replace('lines: "MTUBytes=9000"', 'lines: ""'),           # nothing to find
    GOOD_CASE.replace("{file: a, lines: \"MTUBytes=9000\"}", "{file: a}"),
    GOOD_CASE.replace("{file: a, lines: \"MTUBytes=9000\"}", "{file: a, exists: true}"),
    GOOD_CASE.replace("{file: a, lines: \"MTUBytes=9000\"}", "[]"),
    GOOD_CASE + "  xfail: {netplan: because}\n",                       # xfail of no backend
    GOOD_CASE + GOOD_CASE,                                              # a name twice
])
def test_a_broken_case_stops_collection(tmp_path: Path, broken: str) -> None:
    with pytest.raises(CaseFormatError):
        load(BACKENDS, write(tmp_path, broken))
