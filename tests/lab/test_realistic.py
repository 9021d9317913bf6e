"""A host as it usually is, applied by every backend at boot and on a running host.

examples/two-uplinks-mgmt-lan.yaml: two dual-stack uplinks whose routers send
router advertisements (radvd), a LAN behind eth2 reached through a LAN router by
static routes, and a management port eth3 leased by a DHCP server (dnsmasq).

- boot: the routers advertise before the host's links come up; the backend
  brings them up.
- running: the links are up first with the kernel's defaults and have taken the
  routers' addresses and default routes (networking restarted on a running
  host); then the backend applies, followed by the step its docs/backends page
  gives for a running host, if any.

For each: the backend applies without an error, the kernel state (addresses,
every table, rules, RA and forwarding settings, the DHCP lease) equals the
expectation from the model, the internet client reaches every uplink address
through strict reverse-path filtering, and the LAN client's replies leave by the
LAN port.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_interface
from pathlib import Path

import pytest

import netcompile

from .deploy import Deployment, deployed
from .expectation import expected
from .probes import reach, route_get
from .state import KernelState

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "two-uplinks-mgmt-lan.yaml"
BACKENDS = ("networkd", "netplan", "networkmanager", "ifupdown")
SCENARIOS = ("boot", "running")
CASES = [(b, s) for s in SCENARIOS for b in BACKENDS]


@dataclass(slots=True)
class Host:
    deployment: Deployment
    scenario: str
    # The state once the backend applied, before any step for a running host.
    applied: KernelState


@pytest.fixture(scope="module", params=CASES, ids=[f"{b}-{s}" for b, s in CASES])
def host(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    backend, scenario = request.param
    network = netcompile.build_network(str(SPEC))
    want = expected(network)
    work = tmp_path_factory.mktemp(f"realistic-{backend}-{scenario}")
    with deployed(backend, network, netcompile.render(network, backend), work, want,
                  running=scenario == "running") as d:
        applied = d.state
        if scenario == "running" and d.applier.CLEARS_LEARNED:
            d.applier.clear_learned()
            d.refresh(want)
        yield Host(d, scenario, applied)


def test_the_backend_applies_without_an_error(host: Host) -> None:
    """ifup exits 0 (else deploying fails) and no `ip` command said "File exists";
    the daemons log no warning."""
    assert host.deployment.applier.problems() == []


def test_kernel_state_is_the_spec(host: Host) -> None:
    want = expected(host.deployment.network)
    assert host.deployment.state == want, host.deployment.state.diff(want)


def test_a_running_host_needs_exactly_the_documented_step(host: Host) -> None:
    """At boot the backend alone gives the spec's state. On a running host the
    backends with a documented step (docs/backends) are wrong without it: the
    kernel still holds what it learned from the routers; with it they are right."""
    want = expected(host.deployment.network)
    if host.scenario == "running" and host.deployment.applier.CLEARS_LEARNED:
        assert host.applied != want
    else:
        assert host.applied == want, host.applied.diff(want)


def test_client_reaches_every_uplink_address(host: Host) -> None:
    d = host.deployment
    results = reach(d.topology, d.addresses())
    assert len(results) == 4
    assert [r for r in results.values() if not r.reached] == []


def test_lan_client_gets_its_replies_through_the_lan(host: Host) -> None:
    """The LAN client reaches every uplink address, and the server's replies to it
    leave by the LAN port (the ISP routers have no route to the LAN, so a reply
    through an uplink is lost)."""
    d = host.deployment
    (lan,) = d.topology.lans
    assert lan.lan_client is not None
    for client in lan.lan_addresses:
        family = [a for a in d.addresses() if ip_interface(a).version == client.version]
        results = reach(d.topology, family, client=lan.lan_client)
        assert [r for r in results.values() if not r.reached] == []
        for address in family:
            assert route_get(d.topology, address, to=client.ip) == lan.interface, address
