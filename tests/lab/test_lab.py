"""The real daemons, applied in network namespaces, do what each example says.

For every example the kernel can build and every backend: the kernel state
equals the one computed from the model and is the same for all four backends;
with strict reverse-path filtering on the routers, the client reaches every
uplink address; without the uplink intent, or with one rule deleted from the
output, it does not; ifdown restores the state; a changed spec re-applied
leaves nothing stale behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import netcompile
from netcompile.model import Network

from . import capability, specs
from .capability import KERNEL_SKIP
from .deploy import Deployment, deployed
from .expectation import expected, without_config
from .kernelstate import read
from .probes import reach, route_get
from .state import KernelState

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
ALL_EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
# Examples that need DHCPv6 or real NICs are compiled, snapshotted and parsed by the
# real tools elsewhere; the lab applies every other one.
OUT_OF_REACH = {e.stem: capability.beyond_the_lab(netcompile.build_network(str(e)))
                for e in ALL_EXAMPLES}
EXAMPLES = [e for e in ALL_EXAMPLES if not OUT_OF_REACH[e.stem]]
BACKENDS = netcompile.targets()
SEED = ROOT / "examples" / "two-uplinks.yaml"
# Examples where the uplink intent decides whether the second address answers.
MULTI_UPLINK = [e for e in EXAMPLES if len(specs.uplinks(specs.load(e))) >= 2]

# Kernel states per (example, backend), for the comparison across backends.
STATES: dict[tuple[str, str], KernelState] = {}


def _network(example: Path) -> Network:
    network = netcompile.build_network(str(example))
    missing = capability.missing(network)
    if missing:
        pytest.skip(f"{KERNEL_SKIP} {', '.join(missing)} link support")
    return network


def _id(case: tuple[Path, str]) -> str:
    return f"{case[0].stem}-{case[1]}"


CASES = [(e, b) for e in EXAMPLES for b in BACKENDS]


@pytest.fixture(scope="module", params=CASES, ids=[_id(c) for c in CASES])
def deployment(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    example, backend = request.param
    network = _network(example)
    files = netcompile.render(network, backend)
    with deployed(backend, network, files, tmp_path_factory.mktemp(_id(request.param)),
                  expected(network)) as d:
        STATES[(example.stem, backend)] = d.state
        yield d


def test_kernel_state_is_the_spec(deployment: Deployment) -> None:
    assert deployment.applier.problems() == []
    want = expected(deployment.network)
    assert deployment.state == want, deployment.state.diff(want)


def test_client_reaches_every_uplink_address(deployment: Deployment) -> None:
    addresses = deployment.addresses()
    assert addresses, "the example has no uplink address to reach"
    results = reach(deployment.topology, addresses)
    assert [r for r in results.values() if not r.reached] == []
    for uplink in deployment.topology.uplinks:
        for address in uplink.reachable():
            leaves_by = route_get(deployment.topology, str(address.ip))
            assert leaves_by == uplink.interface, address


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_backends_agree(example: Path, tmp_path: Path) -> None:
    network = _network(example)
    for backend in BACKENDS:
        if (example.stem, backend) not in STATES:
            files = netcompile.render(network, backend)
            with deployed(backend, network, files, tmp_path / backend,
                          expected(network)) as d:
                STATES[(example.stem, backend)] = d.state
    states = {b: STATES[(example.stem, b)] for b in BACKENDS}
    first = states[BACKENDS[0]]
    for backend, state in states.items():
        assert state == first, state.diff(first, backend, BACKENDS[0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("example", MULTI_UPLINK, ids=[e.stem for e in MULTI_UPLINK])
def test_without_uplinks_only_the_default_uplink_answers(
        example: Path, backend: str, tmp_path: Path) -> None:
    """The negative control: the lab can tell symmetric routing from its absence."""
    network = _network(example)
    data = specs.load(example)
    control = specs.build(specs.without_uplinks(data), example.name)
    default = specs.uplinks(data)[0]
    with deployed(backend, network, netcompile.render(control, backend), tmp_path) as d:
        results = reach(d.topology, d.addresses())
        for uplink in d.topology.uplinks:
            for address in uplink.reachable():
                result = results[str(address.ip)]
                if uplink.interface == default:
                    assert result.reached, result
                else:
                    assert result.blocked, result


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deleted_rule_is_caught(backend: str, tmp_path: Path) -> None:
    """Delete the second uplink's IPv4 rule from the output: both the state check
    and the traffic check must fail."""
    from .mutate import delete_rule

    network = _network(SEED)
    second = next(i for i in network.interfaces if i.name == specs.uplinks(specs.load(SEED))[1])
    address = next(a.address for a in second.addresses if a.family == 4)
    files = delete_rule(backend, netcompile.render(network, backend), f"{address.ip}/32")
    with deployed(backend, network, files, tmp_path) as d:
        want = expected(network)
        assert d.state != want
        missing = want.rules - d.state.rules
        assert {(r.source, r.table) for r in missing} == {
            (f"{address.ip}/32", second.uplink.table if second.uplink else None)}
        assert reach(d.topology, [str(address.ip)])[str(address.ip)].blocked


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("example", MULTI_UPLINK, ids=[e.stem for e in MULTI_UPLINK])
def test_reapplying_a_changed_spec_leaves_nothing_stale(
        example: Path, backend: str, tmp_path: Path) -> None:
    network = _network(example)
    new = specs.build(specs.changed(specs.load(example)), example.name)
    with deployed(backend, network, netcompile.render(network, backend), tmp_path,
                  expected(network)) as d:
        assert d.state == expected(network), d.state.diff(expected(network))
        d.applier.reapply(netcompile.render(new, backend))
        want = expected(new)
        assert d.refresh(want) == want, d.state.diff(want)
        assert d.applier.problems() == []


@pytest.mark.parametrize("example", MULTI_UPLINK, ids=[e.stem for e in MULTI_UPLINK])
def test_ifdown_restores_the_kernel_state(example: Path, tmp_path: Path) -> None:
    network = _network(example)
    files = netcompile.render(network, "ifupdown")
    with deployed("ifupdown", network, files, tmp_path, expected(network)) as d:
        assert d.state == expected(network), d.state.diff(expected(network))
        assert d.before == without_config(network), d.before.diff(without_config(network))
        d.applier.down()  # type: ignore[attr-defined]
        after = read(d.topology.server, d.applier.interfaces)
        # ifupdown never resets a link's MTU or sysctls on ifdown (docs/lab.md):
        # compare the rest.
        kept = _ignoring_what_ifdown_keeps
        assert kept(after) == kept(d.before), after.diff(d.before)
        d.applier.up()  # type: ignore[attr-defined]
        want = expected(network)
        assert d.refresh(want) == want, d.state.diff(want)
        assert all(r.reached for r in reach(d.topology, d.addresses()).values())


def _ignoring_what_ifdown_keeps(state: KernelState) -> KernelState:
    from dataclasses import replace

    from .state import Link
    return replace(state, links=frozenset(Link(k.name, k.up, 0) for k in state.links),
                   sysctls=frozenset())


MARKS = b"""\
version: 1
tables: {marked: 100}
interfaces:
  eth0: {addresses: [192.0.2.10/24]}
rules:
  - {from: 10.0.0.0/8, fwmark: 0, table: marked, priority: 101}
  - {from: 10.1.0.0/16, fwmark: 16, table: marked, priority: 102}
  - {from: 10.2.0.0/16, fwmark: "0x10/0xff", table: marked, priority: 103}
"""


@pytest.mark.parametrize("backend", ["networkmanager", "ifupdown"])
def test_a_mark_of_zero_matches_only_unmarked_packets(backend: str, tmp_path: Path) -> None:
    """The backends that can say fwmark 0 (networkd and netplan refuse it) give the
    kernel the mark with its mask; without the mask the rule has no mark at all and
    matches every packet."""
    network = netcompile.load_network(MARKS, "marks.yaml")
    with deployed(backend, network, netcompile.render(network, backend), tmp_path,
                  expected(network)) as d:
        marks = {r.priority: r.fwmark for r in d.state.rules if r.table == 100}
        assert marks == {101: "0x0/0xffffffff", 102: "0x10/0xffffffff", 103: "0x10/0xff"}
        assert d.state == expected(network), d.state.diff(expected(network))


def test_networkd_log_lint_names_an_unknown_key(tmp_path: Path) -> None:
    """A key networkd cannot use fails the lab through its log, not silently."""
    from dataclasses import replace

    network = _network(SEED)
    files = [replace(f, content=f.content.replace("[Network]\n", "[Network]\nBogusKey=1\n"))
             if f.path.endswith(".network") else f
             for f in netcompile.render(network, "networkd")]
    with deployed("networkd", network, files, tmp_path) as d:
        assert any("BogusKey" in line for line in d.applier.problems()), d.applier.logs()


def test_the_lab_applies_every_example_it_can_build() -> None:
    """Only examples needing DHCPv6 or real NICs stay out; the symmetric-routing
    examples, the realistic one with DHCP and a LAN included, are always in."""
    assert {e.stem for e in MULTI_UPLINK} >= {"two-uplinks", "dual-stack",
                                              "two-uplinks-mgmt-lan"}
    assert OUT_OF_REACH["netplan-networkmanager"] == [
        "DHCPv6 (the lab serves DHCPv4 only)",
        "matching by MAC or driver (a veth has no permanent MAC)"]
