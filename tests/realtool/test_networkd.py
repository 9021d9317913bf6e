"""systemd-networkd itself as the parser of the networkd backend's output.

`systemd-analyze verify` does not read .network/.netdev files on systemd 252
("Failed to prepare filename"), so every example is fed to the real
`systemd-networkd`, started in a throw-away network namespace and a private
mount namespace (its state on a tmpfs, the host's /etc/systemd/network hidden,
/sys read-only), with a veth per ethernet interface. Its log names every line
it could not use ("Unknown key", "Failed to parse", "ignoring"): none may
appear. Where the kernel has every device the example needs, the routes and
rules the model holds must then be in the kernel. .link files are read by udev,
not networkd: `udevadm test-builtin net_setup_link` parses them the same way.

tests/specs/unsupported/networkd-*.yaml pin every gap's exact error.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import netcompile
from netcompile.backends import networkd
from netcompile.model import Kind, Network
from netcompile.output import RT_TABLES_PATH, OutputFile
from tests.conftest import EXAMPLES, IN_CI, require_tool
from tests.lab.guard import check_pid, netns_path

pytestmark = pytest.mark.realtool

NETWORKD = "/lib/systemd/systemd-networkd"
WAIT_ONLINE = "/lib/systemd/systemd-networkd-wait-online"
# networkd and udev name every line of configuration they could not use.
LINT = re.compile(r"Unknown key|Unknown section|Failed to parse|[Ii]gnoring|"
                  r"will be ignored|Invalid")
# Lines about the host or the namespace, not about our files.
NOT_OURS = re.compile(r"\$container|SELinux|/proc/|hwdb")
# Devices this kernel cannot create (lab.md): examples using them are parsed only.
NO_KERNEL_SUPPORT = {Kind.BOND, Kind.VLAN}
START_TIMEOUT = 10.0
ONLINE_TIMEOUT = 15

_SETUP = """set -e
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir -p /run/systemd/network /run/systemd/networkd.conf.d
cp {root}/etc/systemd/network/. /run/systemd/network/ -r
if [ -d {root}/etc/systemd/networkd.conf.d ]; then
  cp {root}/etc/systemd/networkd.conf.d/. /run/systemd/networkd.conf.d/ -r
fi
mount -t tmpfs tmpfs /etc/systemd/network
if [ -d /etc/systemd/networkd.conf.d ]; then mount -t tmpfs tmpfs /etc/systemd/networkd.conf.d; fi
mount -o remount,bind,ro /sys
{command}
"""


def _root() -> None:
    if os.geteuid() != 0:
        message = "needs root for network namespaces"
        if IN_CI:
            pytest.fail(message + " (CI runs as root)")
        pytest.skip(message)


def write_tree(root: Path, files: list[OutputFile]) -> None:
    for f in files:
        path = root / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content)


def run(argv: list[str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True)


@contextmanager
def namespace(ethernets: list[str]) -> Iterator[str]:
    """A fresh lab namespace with one veth per ethernet interface (peer up, so
    the link gets carrier); removed afterwards."""
    name = f"nclab-{uuid.uuid4().hex[:10]}-nd"
    run(["ip", "netns", "add", name])
    try:
        netns_path(name)
        for index, interface in enumerate(ethernets):
            run(["ip", "-n", name, "link", "add", interface, "type", "veth",
                 "peer", "name", f"ndpeer{index}"])
            run(["ip", "-n", name, "link", "set", f"ndpeer{index}", "up"])
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def in_namespace(ns: str, root: Path, command: str) -> list[str]:
    script = _SETUP.format(root=root, command=command)
    return ["ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private",
            "sh", "-c", script]


@dataclass
class Daemon:
    pid: int
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@contextmanager
def networkd_running(ns: str, root: Path, log: Path) -> Iterator[Daemon]:
    """systemd-networkd in namespace `ns`, stopped by its pid with SIGTERM."""
    command = f"exec env SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 {NETWORKD}"
    with log.open("w") as out:
        process = subprocess.Popen(in_namespace(ns, root, command), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _comm(process.pid) != "systemd-network" and process.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail(f"networkd did not start:\n{log.read_text()}")
            time.sleep(0.02)
        if process.poll() is not None:
            pytest.fail(f"networkd exited:\n{log.read_text()}")
        check_pid(process.pid)
        yield Daemon(process.pid, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_for(daemon: Daemon, needle: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in daemon.text():
        if time.monotonic() > deadline:
            pytest.fail(f"networkd never logged {needle!r}:\n{daemon.text()}")
        time.sleep(0.05)


def problems(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if LINT.search(line) and not NOT_OURS.search(line)]


def ethernets(network: Network) -> list[str]:
    return [i.name for i in network.interfaces if i.kind == Kind.ETHERNET]


def applicable(network: Network) -> bool:
    return not any(i.kind in NO_KERNEL_SUPPORT for i in network.interfaces)


def kernel_rules(ns: str, family: int) -> set[tuple[int, str, str, str]]:
    """(priority, table number, from, to) of every rule. A dump that networkd's
    rule changes interrupt makes `ip` fail: read again, a few times at most."""
    argv = ["ip", "-n", ns, f"-{family}", "-N", "-j", "rule", "show"]
    for _ in range(4):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
        if result.returncode == 0:
            break
        time.sleep(0.1)
    else:
        result = run(argv)
    return {(r["priority"], str(r["table"]), _rule_prefix(r, "src"), _rule_prefix(r, "dst"))
            for r in json.loads(result.stdout)}


def _rule_prefix(rule: dict[str, object], key: str) -> str:
    prefix = str(rule.get(key, "all"))
    if prefix == "all":
        return prefix
    length = f"/{rule[key + 'len']}" if key + "len" in rule else ""
    return ipaddress.ip_network(prefix + length).with_prefixlen


def kernel_routes(ns: str, family: int, table: int) -> set[tuple[str, str, str]]:
    result = run(["ip", "-n", ns, f"-{family}", "-j", "route", "show", "table", str(table)])
    return {(r["dst"], r.get("gateway", ""), r.get("dev", "")) for r in json.loads(result.stdout)}


def _dst(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    if prefix.prefixlen == 0:
        return "default"
    if prefix.prefixlen == prefix.max_prefixlen:
        return str(prefix.network_address)
    return prefix.with_prefixlen


def _src(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network | None) -> str:
    return "all" if prefix is None else prefix.with_prefixlen


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_networkd_reads_example_without_complaint(example: Path, tmp_path: Path) -> None:
    require_tool(NETWORKD, WAIT_ONLINE, "ip", "unshare")
    _root()
    network = netcompile.build_network(str(example))
    files = netcompile.render(network, "networkd")
    root = tmp_path / "root"
    write_tree(root, files)
    names = ethernets(network)
    with namespace(names) as ns, networkd_running(ns, root, tmp_path / "networkd.log") as daemon:
        wait_for(daemon, "Enumeration completed")
        # A veth has no permanent MAC address nor the spec's driver, so an interface
        # matched by MAC or driver is (rightly) left alone; every other one is taken.
        for name in (i.name for i in network.interfaces
                     if i.kind == Kind.ETHERNET
                     and not (i.match and (i.match.mac or i.match.driver))):
            wait_for(daemon, f"{name}: Configuring with /run/systemd/network/"
                             f"{networkd.PREFIX['network']}-{name}.network")
        # No DHCP server answers in the namespace: a DHCP interface never comes online.
        if applicable(network) and not any(i.dhcp4 or i.dhcp6 for i in network.interfaces):
            online = subprocess.run(
                ["nsenter", "-t", str(daemon.pid), "-m", "-n", WAIT_ONLINE,
                 *(a for n in names for a in ("-i", n)), f"--timeout={ONLINE_TIMEOUT}"],
                capture_output=True, text=True, timeout=ONLINE_TIMEOUT + 5, check=False)
            assert online.returncode == 0, f"{online.stderr}\n{daemon.text()}"
            for rule in network.rules:
                key = (rule.priority, str(rule.table), _src(rule.source), _src(rule.destination))
                assert key in kernel_rules(ns, rule.family), f"rule missing: {rule}"
            for route in network.routes:
                expected = (_dst(route.destination), str(route.gateway or ""), route.interface)
                assert expected in kernel_routes(ns, route.family, route.table), (
                    f"route missing: {route}")
        log = daemon.text()
    assert problems(log) == [], log


def found_by_mac_or_driver(example: Path) -> list[str]:
    """Interfaces whose kernel name the spec does not know: udev must name them."""
    return [i.name for i in netcompile.build_network(str(example)).interfaces
            if i.match is not None and i.match.name is None]


WITH_LINK_FILES = [e for e in EXAMPLES if found_by_mac_or_driver(e)]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_link_files_exactly_for_devices_found_by_mac_or_driver(example: Path) -> None:
    links = sorted(f.path for f in netcompile.compile_file(str(example), "networkd")
                   if f.path.endswith(".link"))
    assert links == sorted(f"etc/systemd/network/10-{name}.link"
                           for name in found_by_mac_or_driver(example))


@pytest.mark.parametrize("example", WITH_LINK_FILES, ids=lambda p: p.stem)
def test_udev_reads_link_files_without_complaint(example: Path, tmp_path: Path) -> None:
    files = netcompile.compile_file(str(example), "networkd")
    links = [f for f in files if f.path.endswith(".link")]
    require_tool("udevadm", "ip", "unshare")
    _root()
    root = tmp_path / "root"
    write_tree(root, files)
    with namespace(["ndlink0"]) as ns:
        command = ("SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_COLOR=0 "
                   "udevadm test-builtin net_setup_link /sys/class/net/ndlink0 2>&1")
        result = subprocess.run(in_namespace(ns, root, command), capture_output=True,
                                text=True, timeout=30, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    for f in links:
        assert f'Parsed configuration file "/run/systemd/network/{Path(f.path).name}"' in log
    assert problems(log) == [], log


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_route_table_dropin_and_rt_tables_list_every_table(example: Path) -> None:
    network = netcompile.build_network(str(example))
    files = {f.path: f.content for f in netcompile.render(network, "networkd")}
    if not network.tables:
        assert networkd.CONF_DROPIN not in files
        assert RT_TABLES_PATH not in files
        return
    expected = {(t.name, t.number) for t in network.tables}
    dropin = [line.removeprefix("RouteTable=") for line in
              files[networkd.CONF_DROPIN].splitlines() if line.startswith("RouteTable=")]
    assert len(dropin) == 1
    listed = {(name, int(number)) for name, number in
              (pair.split(":") for pair in dropin[0].split())}
    assert listed == expected
    rt_tables = {(name, int(number)) for number, name in
                 (line.split() for line in files[RT_TABLES_PATH].splitlines()
                  if line and not line.startswith("#"))}
    assert rt_tables == expected
    # Units refer to tables by number only.
    names = {t.name for t in network.tables}
    for path, content in files.items():
        if path.startswith(networkd.UNIT_DIR):
            for line in content.splitlines():
                if line.startswith("Table="):
                    assert line.removeprefix("Table=").isdigit(), (path, line)
                    assert line.removeprefix("Table=") not in names


def test_networkd_applies_the_route_table_names(tmp_path: Path) -> None:
    """networkd accepts the drop-in: a unit naming a table it defines works
    (the backend itself writes numbers only)."""
    require_tool(NETWORKD, "ip", "unshare")
    _root()
    network = netcompile.build_network(str(EXAMPLES[0].parent / "two-uplinks.yaml"))
    files = netcompile.render(network, "networkd")
    root = tmp_path / "root"
    write_tree(root, files)
    probe = root / networkd.UNIT_DIR / "31-probe.network"
    probe.write_text("[Match]\nName=ndprobe\n\n[Network]\nAddress=203.0.113.1/24\n\n"
                     "[RoutingPolicyRule]\nFrom=203.0.113.1/32\nTable=isp-b\nPriority=4000\n")
    with namespace(["eth0", "eth1", "ndprobe"]) as ns, \
            networkd_running(ns, root, tmp_path / "networkd.log") as daemon:
        wait_for(daemon, "ndprobe: Configuring with")
        deadline = time.monotonic() + ONLINE_TIMEOUT
        while (4000, "101", "203.0.113.1/32", "all") not in kernel_rules(ns, 4):
            assert time.monotonic() < deadline, daemon.text()
            time.sleep(0.1)
        log = daemon.text()
    assert problems(log) == [], log
