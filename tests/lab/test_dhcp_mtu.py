"""A DHCP server's MTU (option 26), with the real daemons: every backend applies it to
an interface whose spec sets no `mtu`, and keeps the spec's `mtu` over it
(Interface.takes_dhcp_mtu). For ifupdown the lease is also taken a second time,
when dhclient-script sets the server's MTU again unless netcompile's enter hook
clears it.

The router behind the server's one interface runs dnsmasq, which offers an MTU of
SERVER_MTU with every lease.
"""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import netcompile
from netcompile.backends import ifupdown

from .appliers import applier
from .appliers.ifupdown import Ifupdown
from .procs import Process, in_ns, ns_run, run, stop_pid_file, wait_until
from .topology import Topology, lab

pytestmark = pytest.mark.lab

SERVER_MTU = 1400
SPEC_MTU = 1450
ROUTER = "10.9.0.1/24"
POOL = "10.9.0.50,10.9.0.60,255.255.255.0,1h"
DAEMONS = [b for b in netcompile.targets() if b != "ifupdown"]
CASES = [pytest.param(None, SERVER_MTU, id="server-mtu"),
         pytest.param(SPEC_MTU, SPEC_MTU, id="spec-mtu")]


def _spec(tmp_path: Path, mtu: int | None) -> Path:
    spec = tmp_path / "spec.yaml"
    extra = "" if mtu is None else f", mtu: {mtu}"
    spec.write_text(f"version: 1\ninterfaces:\n  eth0: {{dhcp4: true{extra}}}\n")
    return spec


def _require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@contextmanager
def _dhcp_lab(network: netcompile.Network, work: Path) -> Iterator[Topology]:
    """The lab for `network` (one interface), dnsmasq serving its link."""
    with lab(network) as topo:
        router = topo.uplinks[0].router
        ns_run(router, ["ip", "addr", "add", ROUTER, "dev", "srv"])
        server = Process(in_ns(router, [
            "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--leasefile-ro",
            "--interface=srv", "--bind-interfaces", f"--dhcp-range={POOL}",
            f"--dhcp-option=option:mtu,{SERVER_MTU}"]), work / "dnsmasq.log")
        try:
            yield topo
        finally:
            server.stop()


def _leased(ns: str) -> bool:
    out = ns_run(ns, ["ip", "-j", "-4", "addr", "show", "dev", "eth0"]).stdout
    return any(a.get("dynamic") for link in json.loads(out) for a in link["addr_info"])


def _mtu(ns: str) -> int:
    return int(json.loads(ns_run(ns, ["ip", "-j", "link", "show", "dev", "eth0"]).stdout)[0]["mtu"])


@pytest.mark.parametrize(("mtu", "expected"), CASES)
@pytest.mark.parametrize("backend", DAEMONS)
def test_daemon_backends_agree_on_the_dhcp_mtu(backend: str, mtu: int | None, expected: int,
                                               tmp_path: Path) -> None:
    _require("dnsmasq")
    compiled = netcompile.load_spec(str(_spec(tmp_path, mtu)))
    files = netcompile.render(compiled.network, backend, compiled.options)
    with (_dhcp_lab(compiled.network, tmp_path) as topo,
          applier(backend, topo, tmp_path / backend) as app):
        app.apply(files)
        assert wait_until(lambda: _leased(topo.server), timeout=15, interval=0.1), app.logs()
        wait_until(lambda: _mtu(topo.server) == expected, timeout=5, interval=0.1)
        assert _mtu(topo.server) == expected


# ifup in a private mount namespace: /run (dhclient's pid file), its leases, hooks
# and resolv.conf are the test's. After ifup, dhclient releases the lease and a new
# dhclient takes one again (once the first has exited, at most 5 s later), which
# has dhclient-script set the server's MTU again unless the enter hook clears it
# (the new dhclient writes its pid file once it has gone to the background); ifdown
# then ends dhclient.
_IFUPDOWN = """set -e
mount --bind {dhcp}/run /run
mount --bind {dhcp}/lib /var/lib/dhcp
mount --bind {dhcp}/enter /etc/dhcp/dhclient-enter-hooks.d
mount --bind {dhcp}/exit /etc/dhcp/dhclient-exit-hooks.d
mount --bind {dhcp}/resolv.conf /etc/resolv.conf
mount --bind {network} /etc/network
mount --bind {iproute} /etc/iproute2
ifup -v --no-loopback -i /etc/network/interfaces --state-dir {state} -a
echo "first lease: $(cat /sys/class/net/eth0/mtu)"
first=$(cat /run/dhclient.eth0.pid)
dhclient -4 -r -pf /run/dhclient.eth0.pid -lf /var/lib/dhcp/dhclient.eth0.leases eth0
for _ in $(seq 50); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
dhclient -1 -4 -pf /run/dhclient.eth0.pid -lf /var/lib/dhcp/dhclient.eth0.leases eth0
for _ in $(seq 50); do [ -s /run/dhclient.eth0.pid ] && break; sleep 0.1; done
echo "second lease: $(cat /sys/class/net/eth0/mtu)"
ifdown -v --no-loopback -i /etc/network/interfaces --state-dir {state} -a
"""


@pytest.mark.parametrize(("mtu", "expected"), CASES)
def test_ifupdown_agrees_on_the_dhcp_mtu_lease_after_lease(mtu: int | None, expected: int,
                                                           tmp_path: Path) -> None:
    _require("dnsmasq", "dhclient")
    compiled = netcompile.load_spec(str(_spec(tmp_path, mtu)))
    files = netcompile.render(compiled.network, "ifupdown", compiled.options)
    hooks = [f for f in files if f.path == ifupdown.DHCLIENT_HOOK]
    assert len(hooks) == (0 if mtu is None else 1)
    dhcp = tmp_path / "dhcp"
    for sub in ("run", "lib", "enter", "exit"):
        (dhcp / sub).mkdir(parents=True)
    (dhcp / "resolv.conf").write_text("")
    for hook in hooks:
        (dhcp / "enter" / Path(hook.path).name).write_text(hook.content)
    with _dhcp_lab(compiled.network, tmp_path) as topo:
        app = Ifupdown(topo, tmp_path / "ifupdown")
        app.place([f for f in files if f.path != ifupdown.DHCLIENT_HOOK])
        root = tmp_path / "ifupdown" / "root"
        script = _IFUPDOWN.format(dhcp=shlex.quote(str(dhcp)),
                                  network=shlex.quote(str(root / "etc/network")),
                                  iproute=shlex.quote(str(root / "etc/iproute2")),
                                  state=shlex.quote(str(app.state)))
        try:
            result = run(in_ns(topo.server, ["unshare", "-m", "-u", "--propagation", "private",
                                             "sh", "-c", script]), check=False, timeout=60)
        finally:  # a dhclient that ifdown did not end, by the pid it wrote
            for pid_file in sorted((dhcp / "run").glob("dhclient*.pid")):
                stop_pid_file(pid_file)
        transcript = result.stdout + result.stderr
        assert result.returncode == 0, transcript
        assert f"first lease: {expected}\n" in result.stdout, transcript
        assert f"second lease: {expected}\n" in result.stdout, transcript
