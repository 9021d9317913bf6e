"""`netcompile verify`: the comparison, on host states made from the spec and then
changed (the lab runs it against every backend's real apply: tests/lab/test_review.py)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from ipaddress import ip_address, ip_interface, ip_network

import netcompile
from netcompile import kernel, routing, verify
from netcompile.cli import main
from netcompile.kernel import LiveAddress, LiveRoute, LiveRule, LiveState
from netcompile.model import Network
from tests.conftest import ROOT

DUAL = ROOT / "examples" / "dual-stack.yaml"


def _live(network: Network) -> LiveState:
    """What `ip -j` shows on a host that holds exactly the spec (NetworkManager's
    metric on the prefix routes of addresses included)."""
    state = routing.state(network)
    routes = [LiveRoute(r.family, r.table, r.type, r.destination, r.device, r.gateway,
                        r.source, r.scope, 100 if r.origin == "address" else r.metric,
                        r.on_link, "kernel" if r.origin != "spec" else "static")
              for r in state.routes]
    rules = [LiveRule(r.family, r.priority, r.table, "lookup", r.source, r.destination,
                      r.iif, r.oif, r.fwmark, r.fwmask, "kernel" if r.where is None else "static")
             for r in state.rules]
    # `ip` shows loopback's addresses with scope host: the reader keeps scope global only.
    addresses = [LiveAddress(a.interface, a.address, False) for a in state.addresses
                 if a.interface != "lo"]
    return LiveState(frozenset(i.name for i in network.interfaces), tuple(addresses),
                     tuple(routes), tuple(rules))


def test_a_host_that_holds_the_spec_is_in_sync() -> None:
    network = netcompile.build_network(str(DUAL))
    report = verify.compare(network, _live(network))
    assert report.ok and report.drift == () and report.matched > 20
    assert verify.text(report, "dual-stack.yaml", "this host").splitlines() == [
        "verify: dual-stack.yaml against this host",
        f"in sync: {report.matched} entries match"]


def test_missing_extra_and_different_entries_are_named() -> None:
    network = netcompile.build_network(str(DUAL))
    live = _live(network)
    rules = [r for r in live.rules if str(r.source) != "198.51.100.10/32"]
    routes = [replace(r, gateway=ip_address("192.0.2.254"))
              if r.table == 100 and r.family == 4 and r.gateway else r for r in live.routes]
    routes.append(LiveRoute(4, 254, "unicast", ip_network("10.9.0.0/16"), "eth0",
                            ip_address("192.0.2.9"), None, "global", 0, False, "boot"))
    report = verify.compare(network, replace(live, rules=tuple(rules), routes=tuple(routes)))
    assert not report.ok
    lines = verify.text(report, "dual-stack.yaml", "this host").splitlines()
    assert lines[1:] == [
        "  different route ipv4 table isp-a (100) 0.0.0.0/0 dev eth0 metric 0    "
        f"{DUAL}:8:16",
        "      via: spec 192.0.2.1, host 192.0.2.254",
        "  extra route ipv4 table main (254) 10.9.0.0/16 dev eth0 metric 0: via 192.0.2.9",
        f"  missing rule ipv4 1000 from 198.51.100.10/32 lookup isp-b (101)    {DUAL}:14:17",
        "drift: 1 missing, 1 extra, 1 different",
    ]


def test_a_rule_pointing_elsewhere_is_one_difference() -> None:
    network = netcompile.build_network(str(DUAL))
    live = _live(network)
    rules = [replace(r, table=200) if str(r.source) == "198.51.100.10/32" else r
             for r in live.rules]
    report = verify.compare(network, replace(live, rules=tuple(rules)))
    [drift] = report.drift
    assert drift.action == "different"
    assert drift.differences() == [("lookup", "isp-b (101)", "200")]


def test_entries_of_other_software_are_ignored_unless_strict() -> None:
    network = netcompile.build_network(str(DUAL))
    live = _live(network)
    foreign = (LiveRoute(6, 254, "unicast", ip_network("2001:db8:77::/64"), "eth0",
                         ip_address("fe80::1"), None, "global", 1024, False, "ra"),
               LiveRoute(4, 254, "unicast", ip_network("172.17.0.0/16"), "docker0", None,
                         None, "link", 0, False, "kernel"))
    rule = LiveRule(4, 5000, 150, "lookup", None, None, None, None, 0x99, None, "zebra")
    address = LiveAddress("eth0", ip_interface("192.0.2.77/24"), True)
    changed = replace(live, routes=live.routes + foreign, rules=(*live.rules, rule),
                      addresses=(*live.addresses, address))
    report = verify.compare(network, changed)
    assert report.ok and len(report.ignored) == 4
    assert "4 entries of other software ignored" in verify.text(report, "s", "h")
    strict = verify.compare(network, changed, strict=True)
    assert [(d.action, d.entry.foreign) for d in strict.drift] == [
        ("extra", "a dynamic address (DHCP or SLAAC)"),
        ("extra", "an interface the spec does not name"),
        ("extra", "protocol ra"),
        ("extra", "protocol zebra")]


def test_json_shape() -> None:
    network = netcompile.build_network(str(DUAL))
    live = _live(network)
    report = verify.compare(network, replace(live, addresses=live.addresses[1:]))
    shape = verify.to_json(report, "dual-stack.yaml", "this host")
    assert (shape["format"], shape["version"], shape["in_sync"]) == (
        "netcompile-verify", 1, False)
    drift = shape["drift"][0]  # type: ignore[index]
    assert drift["action"] == "missing" and drift["kind"] == "address"
    assert drift["spec"]["location"] == f"{DUAL}:7:17"


def test_the_reader_parses_ip_json(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What `ip -N -d -j` prints (captured from iproute2 6.1) becomes the live state."""
    outputs = {
        ("addr", "show"): [{"ifname": "eth0", "addr_info": [
            {"family": "inet", "local": "192.0.2.10", "prefixlen": 24, "scope": "0",
             "valid_life_time": 4294967295},
            {"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "253"}]}],
        ("-4", "route", "show", "table", "all"): [
            {"type": "1", "dst": "default", "gateway": "192.0.2.1", "dev": "eth0",
             "table": "254", "protocol": "4", "scope": "0", "flags": []},
            {"type": "7", "dst": "10.0.0.0/8", "table": "254", "protocol": "3", "scope": "0",
             "flags": []}],
        ("-6", "route", "show", "table", "all"): [],
        ("-4", "rule", "show"): [
            {"priority": 900, "src": "all", "dst": "10.9.0.0", "dstlen": 16, "fwmark": "0x10",
             "fwmask": "0xff", "iif": "eth0", "table": "101", "protocol": "0"}],
        ("-6", "rule", "show"): [],
    }
    monkeypatch.setattr(kernel, "_ip", lambda netns, args: outputs[tuple(args)])
    live = kernel.read()
    assert live.addresses == (LiveAddress("eth0", ip_interface("192.0.2.10/24"), False),)
    default, unreachable = live.routes
    assert (default.gateway, default.protocol, default.destination) == (
        ip_address("192.0.2.1"), "static", ip_network("0.0.0.0/0"))
    assert (unreachable.type, unreachable.device, unreachable.protocol) == (
        "unreachable", None, "boot")
    [rule] = live.rules
    assert (rule.destination, rule.fwmark, rule.fwmask, rule.iif, rule.table, rule.protocol) == (
        ip_network("10.9.0.0/16"), 0x10, 0xFF, "eth0", 101, "unspec")


def test_the_command_reports_a_missing_namespace() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["verify", str(DUAL), "--netns", "nclab-no-such-ns",
                                "--diagnostics-format", "json"], out=out, err=err)
    assert code == 2
    [problem] = json.loads(out.getvalue())["diagnostics"]
    assert problem["rule"] == "error" and "ip -n nclab-no-such-ns" in problem["message"]
