"""`explain` and `verify` against the real kernel, after each backend's real apply.

For every example the lab can build, a policy-routing workout (marks, inbound
interfaces and destinations as rule selectors; unreachable, blackhole and prohibit
routes; metrics), and every backend that can express it:
- explain's interface, next hop and table (or error) equal `ip route get`'s for a
  few hundred flows;
- verify passes on the applied host, and fails naming the entry after a rule and a
  route are removed by hand; an entry of another protocol is ignored unless --strict.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import netcompile
from netcompile.cli import main
from netcompile.errors import UnsupportedErrors
from netcompile.explain import explain
from netcompile.model import Network, Origin

from . import flows
from .deploy import deployed
from .guard import netns_path
from .procs import ns_run, wait_until
from .test_lab import BACKENDS, EXAMPLES, _network

pytestmark = pytest.mark.lab

WORKOUT = Path(__file__).with_name("policy-routing.yaml")
SPECS = [*EXAMPLES, WORKOUT]
SETTLE = 15.0


def _expressible(spec: Path, backend: str) -> bool:
    try:
        netcompile.compile_file(str(spec), backend)
    except UnsupportedErrors:
        return False
    return True


# netplan has no `iif` selector and no fwmark mask: the workout runs on the other three.
CASES = [(s, b) for s in SPECS for b in BACKENDS if _expressible(s, b)]


def _run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def _differential(network: Network, server: str, interfaces: list[str]) -> int:
    cases = flows.flows(network)
    forwarding, rp_filter = flows.sysctls(server, interfaces)
    kernel = flows.kernel(server, cases)
    mismatches = []
    for flow, said in zip(cases, kernel, strict=True):
        answer = explain(network, flow, forwarding=forwarding, rp_filter=rp_filter)
        if flows.explained(answer) != said:
            mismatches.append(f"ip {flows.command(flow)}: kernel {said}, explain "
                              f"{flows.explained(answer)} ({answer.outcome})")
    assert mismatches == [], f"{len(mismatches)} of {len(cases)} flows differ:\n" + "\n".join(
        mismatches[:40])
    return len(cases)


@pytest.mark.parametrize(("spec", "backend"), CASES,
                         ids=[f"{s.stem}-{b}" for s, b in CASES])
def test_explain_and_verify_match_the_kernel(spec: Path, backend: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    network = _network(spec)
    files = netcompile.render(network, backend)
    with deployed(backend, network, files, tmp_path) as d:
        server = d.topology.server
        netns_path(server)  # verify only reads, but never the host's namespace
        # Daemons add some routes a moment after they report readiness: the host must
        # come into sync, within a bound.
        in_sync = wait_until(lambda: _run("verify", str(spec), "--netns", server)[0] == 0,
                             SETTLE, interval=0.2)
        code, text = _run("verify", str(spec), "--netns", server)
        assert in_sync and code == 0 and text.splitlines()[-1].startswith("in sync: "), text
        count = _differential(network, server, list(d.applier.interfaces))
        with capsys.disabled():
            print(f"\n{spec.stem}/{backend}: {count} flows, explain = ip route get")
        assert count >= 150

        # Something another program owns is no drift, unless --strict. (A DHCP lease
        # brings entries of its own, ignored already.)
        before = json.loads(_run("verify", str(spec), "--netns", server, "--format",
                                 "json")[1])["ignored"]
        ns_run(server, ["ip", "route", "add", "203.0.113.128/25", "dev", d.topology.uplinks[0]
                        .interface, "proto", "188", "table", "250"])
        code, text = _run("verify", str(spec), "--netns", server)
        ignored = len(before) + 1
        assert code == 0 and (f"{ignored} entr{'y' if ignored == 1 else 'ies'} of other "
                              "software ignored") in text, text
        code, text = _run("verify", str(spec), "--netns", server, "--strict")
        assert code == 1 and "extra route ipv4 table 250 203.0.113.128/25" in text, text

        # A rule and a route removed by hand: drift, each named with its spec line.
        rule = next(r for r in network.rules if r.origin == Origin.UPLINK and r.family == 4
                    and r.source is not None)
        route = next(r for r in network.routes if r.is_default and r.table == rule.table
                     and r.family == 4)
        ns_run(server, ["ip", "rule", "del", "priority", str(rule.priority), "from",
                        str(rule.source), "table", str(rule.table)])
        ns_run(server, ["ip", "route", "del", "default", "table", str(route.table)])
        code, text = _run("verify", str(spec), "--netns", server, "--format", "json")
        report = json.loads(text)
        assert code == 1 and report["in_sync"] is False
        missing = {(d["label"], d["spec"]["location"]) for d in report["drift"]
                   if d["action"] == "missing"}
        table = netcompile.semantic.table_text(network, rule.table)
        assert missing == {
            (f"rule ipv4 {rule.priority} from {rule.source} lookup {table}", str(rule.where)),
            (f"route ipv4 table {table} 0.0.0.0/0 dev {route.interface} metric 0",
             str(route.where)),
        }, text
        assert [d["action"] for d in report["drift"]] == ["missing", "missing"], text
