"""The ifupdown backend: structural checks of the generated interfaces file, and
the real `ifup`/`ifdown` (ifupdown 0.8.41) parsing it.

- Every `post-up ip ... add ...` has a `pre-down ip ... del ...` twin with the same
  arguments, the twins in reverse order, so ifdown removes exactly what ifup added.
- A hostile value that bypassed validation cannot inject shell syntax.
- specs/unsupported/ifupdown-*.yaml pin every gap's exact error.
- `ifup --no-act` and `ifdown --no-act --force` accept the file of every example,
  for all interfaces and for each one, with exit 0 and nothing on stderr.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import shlex
import subprocess
from pathlib import Path

import pytest

import netcompile
from netcompile.backends import ifupdown
from netcompile.errors import Location
from netcompile.model import Kind, Network, Origin, Route, Rule
from tests.conftest import EXAMPLES, require_tool

HERE = Location("test.yaml", 1, 1)


def interfaces_file(files: list[netcompile.OutputFile]) -> str:
    [found] = [f for f in files if f.path == ifupdown.PATH]
    assert found.mode == 0o644
    return found.content


def stanzas(text: str) -> dict[str, list[list[tuple[str, str]]]]:
    """Interface -> its stanzas in order, each a list of (key, value) lines."""
    result: dict[str, list[list[tuple[str, str]]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "iface":
            current = []
            result.setdefault(value.split()[0], []).append(current)
        elif key in ("auto", "rename") or key.startswith("allow-"):
            current = None
        else:
            assert current is not None, f"option outside a stanza: {line!r}"
            current.append((key, value))
    return result


def ip_commands(lines: list[tuple[str, str]], key: str) -> list[list[str]]:
    return [shlex.split(value.removesuffix(" || true")) for k, value in lines if k == key]


# -- structure ------------------------------------------------------------------------------
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_post_up_add_has_its_pre_down_del_in_reverse(example: Path) -> None:
    text = interfaces_file(netcompile.compile_file(str(example), "ifupdown"))
    for name, blocks in stanzas(text).items():
        options = [line for block in blocks for line in block]
        adds = [c for c in ip_commands(options, "post-up") if "add" in c]
        dels = ip_commands(options, "pre-down")
        assert all(c[0] == "ip" and c[3] == "add" for c in adds), name
        assert all(c[0] == "ip" and c[3] == "del" for c in dels), name
        twins = [[*c[:3], "add", *c[4:]] for c in reversed(dels)]
        assert twins == adds, f"{name}: pre-down is not post-up reversed"
        # Removal runs before the first stanza takes addresses down (ifdown goes
        # through stanzas in order); additions after the last stanza is up.
        assert all(k != "pre-down" for block in blocks[1:] for k, _ in block), name
        assert all(k != "post-up" for block in blocks[:-1] for k, _ in block), name


def test_routes_and_rules_all_reach_the_file() -> None:
    """Nothing dropped: one add per model route and rule, all with table and metric."""
    for example in EXAMPLES:
        network = netcompile.build_network(str(example))
        text = interfaces_file(netcompile.render(network, "ifupdown"))
        adds = [c for block in stanzas(text).values() for s in block
                for c in ip_commands(s, "post-up") if c[2:4] in (["route", "add"], ["rule", "add"])]
        assert len([c for c in adds if c[2] == "route"]) == len(network.routes)
        assert len([c for c in adds if c[2] == "rule"]) == len(network.rules)
        for command in adds:
            assert "table" in command
            if command[2] == "route":
                assert "metric" in command
            else:
                assert "priority" in command


def test_uplink_example_exact_lines() -> None:
    example = next(p for p in EXAMPLES if p.stem == "two-uplinks")
    text = interfaces_file(netcompile.compile_file(str(example), "ifupdown"))
    assert ("    post-up ip -4 rule add priority 1000 from 192.0.2.10/32 table 100\n"
            in text)
    assert ("    pre-down ip -4 rule del priority 1000 from 192.0.2.10/32 table 100 || true\n"
            in text)
    assert ("    post-up ip -4 route add default via 192.0.2.1 dev eth0 table 254 metric 0\n"
            in text)
    assert "gateway" not in text


def _network(spec: str) -> Network:
    return netcompile.load_network(spec.encode(), "test.yaml")


def test_a_hostile_value_cannot_inject() -> None:
    """Values that bypassed validation: interface names are refused outright, and
    every token of a command line is shell-quoted."""
    network = _network("version: 1\ninterfaces:\n  eth0: {addresses: [192.0.2.10/24]}\n")
    hostile = dataclasses.replace(network, interfaces=(dataclasses.replace(
        network.interfaces[0], name="eth0;reboot"),))
    with pytest.raises(ValueError, match="not validated"):
        netcompile.render(hostile, "ifupdown")
    route = Route(interface="eth0", destination=ipaddress.ip_network("10.0.0.0/8"),
                  table=100, metric=0, where=HERE, gateway=ipaddress.ip_address("192.0.2.1"))
    rule = Rule(family=4, priority=100, table=100, interface="eth0", where=HERE,
                origin=Origin.SPEC, source=ipaddress.ip_network("10.0.0.0/8"))
    with pytest.raises(ValueError, match="not validated"):
        netcompile.render(dataclasses.replace(network, routes=(route,), rules=(
            dataclasses.replace(rule, iif="x`id`"),)), "ifupdown")
    # The quoting itself: a token with shell syntax comes out as one inert word.
    command = ifupdown._command("ip", "route", "add", "$(reboot)", "dev", "eth0")
    assert shlex.split(command) == ["ip", "route", "add", "$(reboot)", "dev", "eth0"]
    assert "'$(reboot)'" in command


def test_rule_selectors_and_route_types() -> None:
    text = interfaces_file(netcompile.render(_network("""
version: 1
tables: {t: 100}
interfaces:
  eth0:
    addresses: [192.0.2.10/24]
    routes:
      - {to: 198.51.100.0/24, via: 192.0.2.254, on_link: true, metric: 5, table: t}
      - {to: 203.0.113.0/24, type: blackhole}
  eth1: {addresses: ["2001:db8::10/64"]}
rules:
  - {family: ipv4, iif: eth0, fwmark: "0x10/0xff", table: t, priority: 200}
  - {to: "2001:db8:1::/48", oif: eth1, table: t, priority: 201}
"""), "ifupdown"))
    assert ("post-up ip -4 route add 198.51.100.0/24 via 192.0.2.254 dev eth0 onlink "
            "table 100 metric 5\n") in text
    assert "post-up ip -4 route add blackhole 203.0.113.0/24 table 254 metric 0\n" in text
    assert "post-up ip -4 rule add priority 200 iif eth0 fwmark 0x10/0xff table 100\n" in text
    assert ("post-up ip -6 rule add priority 201 to 2001:db8:1::/48 oif eth1 table 100\n"
            in text)


def test_dhcp_only_interface_keeps_its_mtu() -> None:
    """The dhcp method ignores `mtu` silently; a manual stanza carries it."""
    text = interfaces_file(netcompile.render(_network(
        "version: 1\ninterfaces:\n  eth0: {dhcp4: true, mtu: 1400}\n"), "ifupdown"))
    assert "iface eth0 inet dhcp\n    metric 1024\n" in text
    assert text.endswith("iface eth0 inet manual\n    mtu 1400\n")


RA_OFF = ("    pre-up sysctl -q -e -w net.ipv6.conf.{0}.accept_ra=0 net.ipv6.conf.{0}.autoconf=0\n"
          "    pre-up ip link set dev {0} down\n")


def test_router_advertisements_are_off_before_the_link_comes_up() -> None:
    """ifupdown leaves accept_ra=1: an RA default route would make the spec's own
    `ip -6 route add default` fail with "File exists" and stop ifup. Every interface
    that does not ask for RA turns it off in its first stanza, then drops what the
    kernel learned; one with dhcp6 keeps it."""
    text = interfaces_file(netcompile.render(_network("""
version: 1
interfaces:
  eth0: {addresses: [192.0.2.10/24, "2001:db8::10/64"], gateways: ["2001:db8::1"]}
  eth1: {addresses: [198.51.100.10/24]}
  eth2: {dhcp4: true}
  eth3: {dhcp6: true}
"""), "ifupdown"))
    assert "iface eth0 inet6 static\n    address 2001:db8::10/64\n" + RA_OFF.format("eth0") in text
    assert "iface eth1 inet static\n    address 198.51.100.10/24\n" + RA_OFF.format("eth1") in text
    assert "iface eth2 inet dhcp\n    metric 1024\n" + RA_OFF.format("eth2") in text
    assert "accept_ra" not in text.split("auto eth3")[1]
    # The main IPv6 default route goes in after any router's default route is gone.
    ups = re.findall(r"post-up (.*)", text)
    assert ups.index("ip -6 route flush exact ::/0 proto ra") < next(
        i for i, c in enumerate(ups) if c.startswith("ip -6 route add default"))


def test_a_device_made_by_a_hook_turns_router_advertisements_off_once_it_exists() -> None:
    """A bond, VLAN or bridge does not exist at pre-up time (ifenslave, vlan and
    bridge-utils create it in if-pre-up.d): its post-up turns RA off and drops what
    came in meanwhile; a bond member only turns it off."""
    text = interfaces_file(netcompile.render(_network("""
version: 1
interfaces:
  eth0: {}
  eth1: {}
  bond0: {type: bond, members: [eth0, eth1], bond: {mode: active-backup},
          addresses: [192.0.2.10/24]}
"""), "ifupdown"))
    bond = text.split("auto bond0")[1]
    assert ("    post-up sysctl -q -e -w net.ipv6.conf.bond0.accept_ra=0 "
            "net.ipv6.conf.bond0.autoconf=0\n"
            "    post-up ip -6 route flush dev bond0 proto ra\n"
            "    post-up ip -6 address flush dev bond0 scope global dynamic\n") in bond
    member = text.split("allow-bond0 eth0")[1].split("allow-bond0 eth1")[0]
    assert "accept_ra=0" in member and "down" not in member


def test_dhcp_routes_take_the_dhcp_metric_of_every_backend() -> None:
    """dhclient adds its default route at metric 0 unless told; the spec's uplink
    default (metric 0) then fails with "File exists" on a host with a DHCP port."""
    text = interfaces_file(netcompile.render(_network(
        "version: 1\ninterfaces:\n  eth3: {dhcp4: true}\n"), "ifupdown"))
    assert "iface eth3 inet dhcp\n    metric 1024\n" in text


def test_a_fwmark_always_carries_its_mask() -> None:
    """`ip rule add fwmark 0` sends no mark at all: a rule that matches every packet."""
    text = interfaces_file(netcompile.render(_network("""
version: 1
tables: {marked: 100}
interfaces:
  eth0: {addresses: [192.0.2.10/24]}
rules:
  - {from: 10.0.0.0/8, fwmark: 0, table: marked, priority: 101}
  - {from: 10.1.0.0/16, fwmark: 16, table: marked, priority: 102}
  - {from: 10.2.0.0/16, fwmark: "0x10/0xff", table: marked, priority: 103}
"""), "ifupdown"))
    marks = re.findall(r"rule add priority \d+ from \S+ fwmark (\S+)", text)
    assert marks == ["0x0/0xffffffff", "0x10/0xffffffff", "0x10/0xff"]


def test_vlan_named_after_its_id_and_bond_options() -> None:
    network = _network("""
version: 1
interfaces:
  eth0: {}
  eth1: {}
  bond0:
    type: bond
    members: [eth0, eth1]
    bond: {mode: balance-tlb, tlb_dynamic_lb: false, xmit_hash_policy: layer2+3,
           primary: eth1}
  vlan0042: {type: vlan, vlan: {id: 42, link: bond0}, mtu: 1500}
""")
    assert [i.kind for i in network.interfaces].count(Kind.VLAN) == 1
    text = interfaces_file(netcompile.render(network, "ifupdown"))
    assert ("auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n"
            "    bond-mode balance-tlb\n    bond-xmit-hash-policy layer2+3\n"
            "    bond-primary eth1\n    bond-tlb-dynamic-lb 0\n") in text
    assert "allow-bond0 eth0\niface eth0 inet manual\n" in text
    assert ("auto vlan0042\niface vlan0042 inet manual\n    mtu 1500\n"
            "    vlan-raw-device bond0\n") in text
    assert text.index("auto bond0") < text.index("auto vlan0042")


# -- the real ifup/ifdown ------------------------------------------------------------------------
def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def alarming(stderr: str) -> list[str]:
    """With --no-act, ifup prints its plan on stderr; its own complaints are the lines
    it prefixes with its name ("ifup: missing required variable: address",
    "ifup: /path:4: option with empty value"), and any warning."""
    return [line for line in stderr.splitlines()
            if re.match(r"(ifup|ifdown|ifquery):", line) or "warning" in line.lower()]


def test_alarming_recognises_ifup_complaints() -> None:
    assert alarming("run-parts --exit-on-error /etc/network/if-pre-up.d\n") == []
    assert alarming("ifup: missing required variable: address\n") != []


@pytest.mark.realtool
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_ifup_and_ifdown_parse_every_example(example: Path, tmp_path: Path) -> None:
    require_tool("ifup", "ifdown", "ifquery")
    network = netcompile.build_network(str(example))
    path = tmp_path / "interfaces"
    path.write_text(interfaces_file(netcompile.render(network, "ifupdown")), encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()
    common = ["--no-act", "--no-loopback", "-i", str(path), "--state-dir", str(state)]
    names = [i.name for i in network.interfaces]

    listed = run(["ifquery", "-i", str(path), "--state-dir", str(state), "--list", "-a"])
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    auto = [i.name for i in network.interfaces
            if not (i.controller and network.interface(i.controller).kind == Kind.BOND)]
    assert sorted(n for n in listed.stdout.split() if n != "lo") == sorted(auto)

    for command in (["ifup", *common, "-a"], *(["ifup", *common, n] for n in names),
                    *(["ifdown", *common, "--force", n] for n in names)):
        done = run(command)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        assert alarming(done.stderr) == [], f"{command}: {done.stderr}"

    # What ifup would run for the routes and rules is exactly what the file says.
    up = run(["ifup", *common, "-a"]).stderr
    for route in network.routes:
        assert f"table {route.table} metric {route.metric}" in up
    for rule in network.rules:
        assert f"rule add priority {rule.priority}" in up


@pytest.mark.realtool
def test_ifquery_reads_options_back(tmp_path: Path) -> None:
    require_tool("ifquery")
    example = next(p for p in EXAMPLES if p.stem == "vlan-bond-bridge")
    path = tmp_path / "interfaces"
    path.write_text(interfaces_file(netcompile.compile_file(str(example), "ifupdown")),
                    encoding="utf-8")
    done = run(["ifquery", "-i", str(path), "--state-dir", str(tmp_path), "bond0"])
    assert done.returncode == 0, done.stderr
    options = dict(re.findall(r"^([\w-]+): (.*)$", done.stdout, re.M))
    assert options["bond-mode"] == "active-backup"
    assert options["bond-slaves"] == "eno1 eno2"
    assert options["bond-primary"] == "eno1"
