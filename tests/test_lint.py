"""Warnings: valid specs that probably do not do what was meant (compiler/lint.py)."""

from __future__ import annotations

import pytest

import netcompile

BASE = """\
version: 1
tables: {isp-a: 100, isp-b: 101, other: 102}
interfaces:
  eth0:
    addresses: [192.0.2.10/24, "2001:db8:a::10/64"]
    gateways: [192.0.2.1, "2001:db8:a::1"]
    uplink: {table: isp-a, default: true}
  eth1:
    addresses: [198.51.100.10/24]
    gateways: [198.51.100.1]
    uplink: {table: isp-b}
rules:
  - RULE
"""


def warnings(rule: str) -> list[str]:
    spec = netcompile.load_spec_bytes(BASE.replace("RULE", rule).encode(), "spec.yaml")
    return [d.message for d in spec.warnings]


def test_a_rule_before_the_uplink_rules_into_another_uplinks_table_warns() -> None:
    assert warnings("{fwmark: 2, family: ipv4, table: isp-b, priority: 900}") == [
        "this rule (priority 900) comes before eth0's uplink rules (priority 1000) and sends "
        "packets from eth0's 192.0.2.10 to table isp-b (101), the uplink table of eth1: "
        "replies leave by eth1 with eth0's address, and strict reverse-path filtering "
        "upstream drops them"]


def test_a_rule_into_the_default_uplinks_table_shadows_the_other_one() -> None:
    found = warnings("{fwmark: 2, family: ipv4, table: isp-a, priority: 900}")
    assert len(found) == 1 and "sends packets from eth1's 198.51.100.10 to table isp-a" in found[0]


@pytest.mark.parametrize("rule", [
    "{fwmark: 2, family: ipv4, table: isp-b, priority: 1001}",  # after the uplink rules
    "{fwmark: 2, family: ipv4, table: other, priority: 900}",   # not an uplink's table
    "{iif: eth1, family: ipv4, table: isp-b, priority: 900}",   # only packets arriving there
    "{from: 198.51.100.0/24, table: isp-b, priority: 900}",     # eth1's own addresses
    "{fwmark: 2, family: ipv6, table: isp-b, priority: 900}",   # isp-b has no IPv6 routes
])
def test_rules_that_shadow_no_uplink_do_not_warn(rule: str) -> None:
    assert warnings(rule) == []
