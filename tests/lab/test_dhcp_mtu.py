"""A DHCP server's MTU (option 26), with the real daemons: every backend applies it to
an interface whose spec sets no `mtu`, and keeps the spec's `mtu` over it
(Interface.takes_dhcp_mtu).

The lab's management router offers LEASE_MTU with every lease (dnsmasq). The whole
kernel state is compared with the expectation, which holds the link's MTU. For
ifupdown the lease is then released and taken again by a new dhclient, whose
dhclient-script sets the server's MTU on each new lease unless netcompile's enter
hook clears it: the MTU must not change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import netcompile
from netcompile.backends import ifupdown

from .appliers.ifupdown import Ifupdown
from .deploy import deployed
from .expectation import expected
from .kernelstate import read
from .topology import LEASE_MTU

pytestmark = pytest.mark.lab

SPEC_MTU = 1450
CASES = [pytest.param(None, LEASE_MTU, id="server-mtu"),
         pytest.param(SPEC_MTU, SPEC_MTU, id="spec-mtu")]

# After ifup: release the lease and end dhclient, wait (at most 5 s) until it has
# exited, take a lease again with a new dhclient, and wait for its pid file (it
# writes it once in the background, after dhclient-script has run).
_LEASE_AGAIN = """first=$(cat /run/dhclient.eth0.pid)
dhclient -4 -r -pf /run/dhclient.eth0.pid -lf /var/lib/dhcp/dhclient.eth0.leases eth0
for _ in $(seq 50); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
dhclient -1 -4 -pf /run/dhclient.eth0.pid -lf /var/lib/dhcp/dhclient.eth0.leases eth0
for _ in $(seq 50); do [ -s /run/dhclient.eth0.pid ] && break; sleep 0.1; done
cat /sys/class/net/eth0/mtu
"""


def _network(tmp_path: Path, mtu: int | None) -> netcompile.Network:
    spec = tmp_path / "spec.yaml"
    extra = "" if mtu is None else f", mtu: {mtu}"
    spec.write_text(f"version: 1\ninterfaces:\n  eth0: {{dhcp4: true{extra}}}\n")
    return netcompile.build_network(str(spec))


@pytest.mark.parametrize(("mtu", "link_mtu"), CASES)
@pytest.mark.parametrize("backend", netcompile.targets())
def test_backends_agree_on_the_dhcp_servers_mtu(backend: str, mtu: int | None, link_mtu: int,
                                                tmp_path: Path) -> None:
    network = _network(tmp_path, mtu)
    want = expected(network)
    assert {link.mtu for link in want.links} == {link_mtu}
    files = netcompile.render(network, backend)
    with deployed(backend, network, files, tmp_path, want) as deployment:
        assert deployment.state == want, deployment.applier.logs()
        if backend != "ifupdown":
            return
        app = deployment.applier
        assert isinstance(app, Ifupdown)
        hooks = [f.path for f in files if f.path == ifupdown.DHCLIENT_HOOK]
        assert len(hooks) == (0 if mtu is None else 1)
        again = app.shell(_LEASE_AGAIN)
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.split()[-1] == str(link_mtu), again.stdout + again.stderr
        assert {link.mtu for link in read(deployment.topology.server, app.interfaces).links} \
            == {link_mtu}
