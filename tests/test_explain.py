"""`netcompile explain`: the offline lookup on known cases (the lab compares it with
the kernel's `ip route get` on hundreds of flows: tests/lab/test_review.py)."""

from __future__ import annotations

import io
import json
from ipaddress import ip_address

import pytest

import netcompile
from netcompile.cli import main
from netcompile.explain import Flow, explain
from tests.conftest import ROOT

DUAL = ROOT / "examples" / "dual-stack.yaml"
WORKOUT = ROOT / "tests" / "lab" / "policy-routing.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _flow(destination: str, source: str | None = None, iif: str | None = None,
          mark: int = 0) -> Flow:
    return Flow(ip_address(destination), None if source is None else ip_address(source),
                iif, mark)


def test_a_reply_from_the_second_uplink_leaves_by_it() -> None:
    code, out, err = run("explain", str(DUAL), "--from", "198.51.100.10", "--to", "8.8.8.8")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "explain: from 198.51.100.10, to 8.8.8.8, sent by this host",
        "  rule 0 from all lookup local (255) (the kernel's): no, table local (255) has no "
        "route to 8.8.8.8",
        "  rule 999 from all to 192.0.2.0/24 lookup main (254): no, the destination 8.8.8.8 "
        "is not in 192.0.2.0/24",
        "  rule 999 from all to 198.51.100.0/24 lookup main (254): no, the destination "
        "8.8.8.8 is not in 198.51.100.0/24",
        "  rule 1000 from 192.0.2.10/32 lookup isp-a (100): no, the source 198.51.100.10 is "
        "not in 192.0.2.10/32",
        f"= rule 1000 from 198.51.100.10/32 lookup isp-b (101)    {DUAL}:14:17",
        f"  table isp-b (101): route 0.0.0.0/0 via 198.51.100.1 dev eth1 metric 0    {DUAL}:15:16",
        "result: leaves by eth1 via 198.51.100.1, table isp-b (101)",
    ]


def test_without_a_source_the_main_table_decides() -> None:
    network = netcompile.build_network(str(DUAL))
    answer = explain(network, _flow("2001:db8:ffff::1"))
    assert (answer.device, str(answer.gateway), answer.table) == ("eth0", "2001:db8:a::1", 254)
    assert [s.reason for s in answer.skipped][3] == (
        "the packet has no source address yet, the rule wants from 2001:db8:a::10/128")


def test_the_hosts_own_address_is_delivered_locally() -> None:
    network = netcompile.build_network(str(DUAL))
    answer = explain(network, _flow("198.51.100.10", "203.0.113.254", "eth1"))
    assert (answer.outcome, answer.device, answer.table) == ("local", "lo", 255)


def test_inbound_ipv4_is_routed_only_when_forwarding() -> None:
    network = netcompile.build_network(str(DUAL))
    flow = _flow("203.0.113.99", "198.51.100.77", "eth1")
    assert explain(network, flow).error == "EHOSTUNREACH"
    forwarded = explain(network, flow, forwarding=True)
    assert (forwarded.error, forwarded.device, forwarded.table) == (None, "eth0", 254)
    # Strict reverse-path filtering: the way back to a source on eth1's own prefix
    # leaves by eth1, so it passes; one from elsewhere would leave by eth0.
    assert explain(network, flow, forwarding=True, rp_filter=1).error is None
    stray = _flow("203.0.113.99", "203.0.113.50", "eth1")
    assert explain(network, stray, forwarding=True, rp_filter=1).error == "EXDEV"
    assert explain(network, stray, forwarding=True, rp_filter=2).error is None


def test_own_source_on_the_wire_is_a_martian() -> None:
    network = netcompile.build_network(str(DUAL))
    answer = explain(network, _flow("192.0.2.10", "198.51.100.10", "eth1"))
    assert (answer.outcome, answer.error) == ("martian source", "EINVAL")


def test_marks_inbound_interfaces_and_route_types() -> None:
    network = netcompile.build_network(str(WORKOUT))
    marked = explain(network, _flow("172.16.1.1", mark=0x110))
    assert (marked.outcome, marked.error, marked.table) == ("blackhole", "EINVAL", 102)
    assert explain(network, _flow("172.16.1.1", mark=0x111)).outcome == "unicast"
    assert explain(network, _flow("10.2.0.1")).error == "EHOSTUNREACH"  # unreachable
    assert explain(network, _flow("2001:db8:dead::1")).error == "EACCES"  # prohibit
    # The lower metric wins.
    assert str(explain(network, _flow("10.1.0.1")).gateway) == "192.0.2.253"
    # `to 10.1.0.0/16 iif eth1` sends inbound packets to isp-b.
    inbound = explain(network, _flow("10.1.0.1", "203.0.113.7", "eth1"), forwarding=True)
    assert (inbound.device, inbound.table) == ("eth1", 101)
    assert inbound.rule is not None and inbound.rule.priority == 600


def test_json_shape() -> None:
    code, out, _ = run("explain", str(WORKOUT), "--to", "2001:db8:ffff::1", "--fwmark",
                       "0x20", "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert (answer["format"], answer["version"]) == ("netcompile-explain", 1)
    assert answer["flow"] == {"from": None, "to": "2001:db8:ffff::1", "iif": None,
                              "fwmark": 32}
    assert (answer["interface"], answer["gateway"], answer["table"]) == (
        "eth1", "2001:db8:b::1", 102)
    assert answer["rule"]["priority"] == 700 and answer["rule"]["kernel"] is False
    assert answer["skipped"][0]["rule"] == "0 from all lookup local (255) (the kernel's)"


@pytest.mark.parametrize(("argv", "message"), [
    (["--to", "nowhere"], "--to nowhere: not an IP address"),
    (["--to", "8.8.8.8", "--from", "2001:db8::1"], "--from and --to are of different families"),
    (["--to", "8.8.8.8", "--iif", "eth9", "--from", "1.2.3.4"],
     "--iif eth9: not an interface of the spec (it has eth0, eth1)"),
    (["--to", "8.8.8.8", "--iif", "eth0"], "--iif needs --from"),
    (["--to", "8.8.8.8", "--fwmark", "0x1ffffffff"], "--fwmark 0x1ffffffff: not a 32-bit"),
])
def test_bad_flows_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run("explain", str(DUAL), *argv)
    assert (code, out) == (2, "") and message in err


def test_the_destination_is_required() -> None:
    code, _, err = run("explain", str(DUAL))
    assert code == 2 and "the following arguments are required: --to" in err
