"""`netcompile import netplan`: the command, the translation rules the corpus does not
reach, source routing recognised as `uplink:`, and a round trip through netcompile's
own netplan backend. The proof against the real `netplan generate` is in
tests/realtool/test_netplan_import.py."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import netcompile
from netcompile.cli import main
from netcompile.errors import SpecError
from netcompile.importers.convert import convert_netplan
from netcompile.model import Network
from tests.conftest import EXAMPLES


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def netplan_file(tmp_path: Path, text: str, name: str = "50-test.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def imported(tmp_path: Path, text: str) -> dict[str, Any]:
    return convert_netplan([str(netplan_file(tmp_path, text))]).data


def refusals(tmp_path: Path, text: str) -> list[str]:
    path = netplan_file(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        convert_netplan([str(path)])
    return [str(d).removeprefix(f"{path}:") for d in caught.value.diagnostics]


STATIC = """\
network:
  version: 2
  ethernets:
    eth0:
      addresses: [192.0.2.10/24]
      accept-ra: false
      routes: [{to: default, via: 192.0.2.1}]
"""


# -- the command ------------------------------------------------------------------------------
def test_import_writes_a_spec_that_compiles(tmp_path: Path) -> None:
    source = netplan_file(tmp_path, STATIC)
    out_file = tmp_path / "spec.yaml"
    assert run("import", "netplan", str(source), "-o", str(out_file)) == (0, "", "")
    spec = out_file.read_text()
    assert spec.startswith(f"# Imported by `netcompile import netplan` from {source}.\n")
    network = netcompile.build_network(str(out_file))
    assert [(i.name, [str(a.address) for a in i.addresses]) for i in network.interfaces] == [
        ("eth0", ["192.0.2.10/24"])]
    assert [(str(r.destination), str(r.gateway)) for r in network.routes] == [
        ("0.0.0.0/0", "192.0.2.1")]


def test_without_output_the_spec_is_printed(tmp_path: Path) -> None:
    code, out, _ = run("import", "netplan", str(netplan_file(tmp_path, STATIC)))
    assert code == 0
    assert "  eth0:\n    addresses: [192.0.2.10/24]\n    gateways: [192.0.2.1]\n" in out


def test_a_refusal_is_located_with_the_line_and_writes_nothing(tmp_path: Path) -> None:
    source = netplan_file(tmp_path, STATIC.replace("accept-ra: false", "macaddress: "
                                                   "\"52:54:00:00:00:01\""))
    out_file = tmp_path / "spec.yaml"
    code, out, err = run("import", "netplan", str(source), "-o", str(out_file))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{source}:6:7: network.ethernets.eth0.macaddress: `macaddress: 52:54:00:00:00:01` "
        "has no netcompile equivalent (netcompile does not set MAC addresses) (remove it "
        "from the netplan file if the host can do without it, or keep netplan for this host)",
        "          macaddress: \"52:54:00:00:00:01\"",
        "          ^",
        "netcompile: 1 error; nothing was written",
    ]
    assert not out_file.exists()


def test_warnings_are_printed_and_strict_makes_them_errors(tmp_path: Path) -> None:
    source = netplan_file(tmp_path, STATIC.replace("      accept-ra: false\n", ""))
    out_file = tmp_path / "spec.yaml"
    code, _, err = run("import", "netplan", str(source), "-o", str(out_file))
    assert code == 0 and out_file.exists()
    assert err.startswith(f"{source}:4:5: warning: network.ethernets.eth0: netplan leaves "
                          "router advertisements to the renderer")
    out_file.unlink()
    code, _, err = run("import", "netplan", str(source), "-o", str(out_file), "--strict")
    assert code == 2 and not out_file.exists()
    assert err.endswith("netcompile: 1 warning, and --strict makes warnings errors; nothing "
                        "was written\n")


def test_an_unreadable_file_is_not_reported_at_a_line(tmp_path: Path) -> None:
    code, _, err = run("import", "netplan", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert err == f"netcompile: error: cannot read {tmp_path / 'missing.yaml'}: No such file " \
                  "or directory\n"


def test_import_help_and_bad_usage() -> None:
    assert run("import", "--help")[0] == 0
    assert run("import", "nmstate", "x.yaml")[0] == 2
    assert run("import", "netplan")[0] == 2


# -- translation rules --------------------------------------------------------------------------
def test_netplan_booleans_numbers_and_names(tmp_path: Path) -> None:
    data = imported(tmp_path, """\
network:
  version: 2
  ethernets:
    nic0:
      match: {macaddress: "52:54:00:12:34:01"}
      set-name: lan0
      dhcp4: yes
      dhcp6: "on"
      mtu: "9000"
      dhcp4-overrides: {route-metric: 1024, use-mtu: n}
      dhcp6-overrides: {route-metric: 1024}
    eth1: {}
    eth2: {}
  bonds:
    bond0:
      interfaces: [eth1, eth2]
      parameters: {mii-monitor-interval: 2s, up-delay: "200"}
  vlans:
    v10: {id: 10, link: nic0, addresses: ["2001:db8::10/64"], accept-ra: false}
""")
    assert data["interfaces"] == {
        "lan0": {"match": {"mac": "52:54:00:12:34:01"}, "dhcp4": True, "dhcp6": True,
                 "mtu": 9000},
        "eth1": {}, "eth2": {},
        "bond0": {"type": "bond", "members": ["eth1", "eth2"],
                  "bond": {"mode": "balance-rr", "miimon": 2000, "updelay": 200}},
        "v10": {"type": "vlan", "addresses": ["2001:db8::10/64"],
                "vlan": {"id": 10, "link": "lan0"}},
    }


def test_renderer_networkmanager_is_kept_for_the_netplan_target(tmp_path: Path) -> None:
    both = "network:\n  version: 2\n  renderer: NetworkManager\n  ethernets:\n" \
           "    eth0: {dhcp4: true}\n"
    assert imported(tmp_path, both)["netplan"] == {"renderer": "NetworkManager"}
    typed = both.replace("  ethernets:\n", "  ethernets:\n    renderer: networkd\n")
    assert "netplan" not in imported(tmp_path, typed)
    mixed = both + "  bridges:\n    br0: {interfaces: [eth0], renderer: networkd}\n"
    assert refusals(tmp_path, mixed) == [
        "7:31: network.bridges.br0.renderer: br0 is rendered by networkd, the other devices "
        "by NetworkManager (netcompile configures a host with one backend: give every device "
        "the same renderer)"]


def test_rules_without_priority_get_the_kernels_unless_their_order_matters(
        tmp_path: Path) -> None:
    text = """\
network:
  version: 2
  ethernets:
    eth0:
      addresses: [192.0.2.10/24, "2001:db8::10/64"]
      accept-ra: false
      routing-policy:
        - {from: 192.0.2.10, table: 100}
        - {from: "2001:db8::10", table: 100}
        - {from: 198.51.100.0/24, to: 10.0.0.0/8, table: 101}
"""
    # Rules of two families, or of disjoint sources, can never match one packet.
    assert imported(tmp_path, text)["rules"] == [
        {"from": "192.0.2.10", "table": 100, "priority": 32765},
        {"from": "2001:db8::10", "table": 100, "priority": 32765},
        {"from": "198.51.100.0/24", "to": "10.0.0.0/8", "table": 101, "priority": 32765}]
    clash = text.replace("{from: 198.51.100.0/24, to: 10.0.0.0/8, table: 101}",
                         "{to: 10.0.0.0/8, table: 101}")
    assert refusals(tmp_path, clash) == [
        f"8:11: network.ethernets.eth0.routing-policy[0]: a rule without `priority:` that can "
        f"match the same packets as the rule at {tmp_path / '50-test.yaml'}:10:11: the kernel "
        "numbers rules without one in the order their links come up, so which comes first "
        "is left to chance (give both rules a `priority:`)",
        f"10:11: network.ethernets.eth0.routing-policy[2]: a rule without `priority:` that can "
        f"match the same packets as the rule at {tmp_path / '50-test.yaml'}:8:11: the kernel "
        "numbers rules without one in the order their links come up, so which comes first "
        "is left to chance (give both rules a `priority:`)"]


def test_netcompile_errors_are_reported_at_the_netplan_key(tmp_path: Path) -> None:
    assert refusals(tmp_path, """\
network:
  version: 2
  ethernets:
    eth0:
      addresses: [192.0.2.10/24, 10.0.0.1]
      gateway4: 198.51.100.1
""") == [
        "5:34: network.ethernets.eth0.addresses[1]: address '10.0.0.1' is missing "
        "/prefixlength (write its subnet's prefix length, e.g. 10.0.0.1/24)"]
    assert refusals(tmp_path, """\
network:
  version: 2
  ethernets:
    eth0:
      addresses: [192.0.2.10/24]
      gateway4: 198.51.100.1
""") == [
        "6:7: network.ethernets.eth0.gateway4: imported as interfaces.eth0.gateways[0]: "
        "gateway 198.51.100.1 is not inside any of the interface's IPv4 prefixes (fix the "
        "address or prefix length, or write a route with `on_link: true`)"]


def test_a_definition_in_two_files_is_refused(tmp_path: Path) -> None:
    first = netplan_file(tmp_path, STATIC, "10-a.yaml")
    second = netplan_file(tmp_path, "network:\n  ethernets:\n    eth0: {mtu: 9000}\n",
                          "20-b.yaml")
    with pytest.raises(SpecError) as caught:
        convert_netplan([str(second), str(first)])
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{second}:3:5: network.ethernets.eth0: eth0 is defined again (first at {first}:4:5) "
        "(netplan amends a definition key by key across files: merge the two into one "
        "definition before importing)"]


def test_a_file_that_is_not_netplan_is_refused(tmp_path: Path) -> None:
    assert refusals(tmp_path, "version: 1\ninterfaces: {eth0: {}}\n") == [
        "1:1: not a netplan file: its top level has no `network:` (name the netplan files, "
        "e.g. /etc/netplan/*.yaml)"]


# -- source routing -------------------------------------------------------------------------------
SOURCE_ROUTING = """\
network:
  version: 2
  ethernets:
    eth0:
      addresses: [192.0.2.10/24]
      accept-ra: false
      routes:
        - {to: default, via: 192.0.2.1}
        - {to: default, via: 192.0.2.1, table: 100}
        - {to: 192.0.2.0/24, scope: link, from: 192.0.2.10, table: 100}
      routing-policy:
        - {from: 192.0.2.10, table: 100, priority: 1000}
    eth1:
      addresses: [198.51.100.10/24]
      accept-ra: false
      routes:
        - {to: 0.0.0.0/0, via: 198.51.100.1, table: 101}
        - {to: 198.51.100.0/24, from: 198.51.100.10, table: 101}
        - {to: 10.0.0.0/8, via: 198.51.100.254}
      routing-policy:
        - {from: 198.51.100.10/32, table: 101, priority: 1100}
        - {to: 10.0.0.0/8, table: 254, priority: 500}
"""


def test_source_routing_becomes_uplink(tmp_path: Path) -> None:
    data = imported(tmp_path, SOURCE_ROUTING)
    assert data["interfaces"] == {
        "eth0": {"addresses": ["192.0.2.10/24"], "gateways": ["192.0.2.1"],
                 "uplink": {"table": 100, "default": True}},
        "eth1": {"addresses": ["198.51.100.10/24"], "gateways": ["198.51.100.1"],
                 "uplink": {"table": 101, "priority": 1100},
                 "routes": [{"to": "10.0.0.0/8", "via": "198.51.100.254"}]},
    }
    assert data["rules"] == [{"to": "10.0.0.0/8", "table": "main", "priority": 500}]


def test_a_table_that_is_not_exactly_an_uplinks_stays_routes_and_rules(tmp_path: Path) -> None:
    """Without eth0's connected route in table 100, `uplink:` would add one: the
    import keeps what netplan says instead."""
    text = SOURCE_ROUTING.replace(
        "        - {to: 192.0.2.0/24, scope: link, from: 192.0.2.10, table: 100}\n", "")
    data = imported(tmp_path, text)
    assert "uplink" not in data["interfaces"]["eth0"]
    assert data["interfaces"]["eth0"]["routes"] == [
        {"to": "default", "via": "192.0.2.1", "table": 100}]
    assert {"from": "192.0.2.10", "table": 100, "priority": 1000} in data["rules"]
    assert data["interfaces"]["eth1"]["uplink"] == {"table": 101, "priority": 1100}


def meaning(network: Network) -> dict[str, Any]:
    """What a host is, independent of how the spec said it."""
    return {
        "interfaces": {(i.name, i.kind, tuple(str(a.address) for a in i.addresses), i.mtu,
                        i.dhcp4, i.dhcp6, tuple(map(str, i.dns_servers)), i.dns_search,
                        i.members, i.bond, i.vlan, i.bridge,
                        (i.match.mac, i.match.driver) if i.match else None)
                       for i in network.interfaces},
        "routes": sorted((r.interface, str(r.destination), r.table, r.metric, str(r.gateway),
                          r.on_link, r.scope, str(r.source), r.type) for r in network.routes),
        "rules": sorted((r.family, r.priority, r.table, str(r.source), str(r.destination),
                         r.iif, r.oif, r.fwmark) for r in network.rules),
    }


ROUND_TRIP = [e for e in EXAMPLES if "netplan:" not in e.read_text()]


@pytest.mark.parametrize("example", ROUND_TRIP, ids=lambda p: p.stem)
def test_netcompiles_own_netplan_output_imports_as_the_same_host(example: Path,
                                                                tmp_path: Path) -> None:
    """The netplan backend spells uplinks out as tables, routes and rules: the import
    must find them again, and the whole host must come back unchanged."""
    network = netcompile.build_network(str(example))
    rendered = next(f for f in netcompile.render(network, "netplan")
                    if f.path.startswith("etc/netplan/"))
    source = netplan_file(tmp_path, rendered.content, "90-netcompile.yaml")
    converted = convert_netplan([str(source)])
    assert converted.warnings == ()
    spec = tmp_path / "spec.yaml"
    spec.write_text(converted.text, encoding="utf-8")
    assert meaning(netcompile.build_network(str(spec))) == meaning(network)
    # An uplink comes back as one; so do routes and rules that are exactly an uplink's
    # (vlan-bond-bridge's management table on bond0).
    uplinks = {i.name for i in network.interfaces if i.uplink is not None}
    assert {n for n, i in converted.data["interfaces"].items() if "uplink" in i} >= uplinks
