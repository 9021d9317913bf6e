"""The netplan backend against the real `netplan generate` (netplan.io 0.106).

For every example: netplan must accept the file without a word on stderr, and
the networkd units it writes must mean the same as netcompile's own networkd
backend output for that example (addresses, routes, rules, bond/VLAN/bridge
settings, MTU, DNS, link-local and RA choices). The specs under
specs/unsupported/netplan-*.yaml pin every gap's exact error.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import netcompile
from netcompile.backends import netplan
from tests.conftest import EXAMPLES, require_tool

pytestmark = pytest.mark.realtool


Unit = list[tuple[str, list[tuple[str, str]]]]


# -- running netplan ----------------------------------------------------------------------
def write_tree(root: Path, files: Iterable[netcompile.OutputFile]) -> None:
    for f in files:
        path = root / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
        os.chmod(path, f.mode)


def netplan_generate(root: Path) -> None:
    """`netplan generate` into a scratch root; fails on a non-zero exit *or* any
    stderr (netplan only warns, exit 0, about e.g. conflicting default routes)."""
    done = subprocess.run(["netplan", "generate", "--root-dir", str(root)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"netplan generate failed:\n{done.stderr}"
    assert done.stderr == "", f"netplan generate warned:\n{done.stderr}"


# -- reading networkd units -------------------------------------------------------------------
def parse_unit(text: str) -> Unit:
    """systemd's INI dialect: repeated sections and keys kept, in order."""
    sections: Unit = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], []))
            continue
        key, _, value = line.partition("=")
        assert sections, f"a key outside any section: {raw!r}"
        sections[-1][1].append((key.strip(), value.strip()))
    return sections


def values(unit: Unit, section: str, key: str) -> list[str]:
    return [v for name, pairs in unit if name == section for k, v in pairs if k == key]


def first(unit: Unit, section: str, key: str) -> str | None:
    found = values(unit, section, key)
    return found[-1] if found else None


def timespan_ms(text: str) -> int:
    """systemd time spans: a bare number means seconds, so "100" is not "100ms"."""
    units = {"ms": 1, "msec": 1, "s": 1000, "sec": 1000, "": 1000, "min": 60000}
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", text)
    assert match and match.group(2) in units, f"unexpected time span {text!r}"
    return int(match.group(1)) * units[match.group(2)]


def boolean(text: str) -> bool:
    # systemd accepts yes/true/on/1 and no/false/off/0; netplan writes true, networkd yes.
    return text.lower() in ("yes", "true", "on", "1")


def table_number(text: str | None, names: dict[str, int]) -> int:
    if text is None:
        return 254  # no Table= is the main table
    return names[text] if text in names else int(text)


def route_meaning(pairs: list[tuple[str, str]], names: dict[str, int]) -> dict[str, Any]:
    keys = dict(pairs)
    gateway = keys.get("Gateway")
    destination = keys.get("Destination")
    if destination is None:
        # No Destination= is the default route of the gateway's family.
        assert gateway is not None
        destination = "0.0.0.0/0" if ":" not in gateway else "::/0"
    network = ipaddress.ip_network(destination)
    route_type = keys.get("Type", "unicast")
    scope = keys.get("Scope")
    if network.version == 6:
        scope = None  # the kernel keeps no scope on IPv6 routes; netplan writes Scope=link anyway
    elif scope is None:
        # networkd's default scope (systemd.network(5)); netplan spells it out.
        scope = "link" if route_type == "unicast" and gateway is None else "global"
    metric = keys.get("Metric")
    return {
        "destination": str(network),
        "gateway": str(ipaddress.ip_address(gateway)) if gateway else None,
        "table": table_number(keys.get("Table"), names),
        # No Metric= is the kernel's default, which the model makes explicit anyway.
        "metric": int(metric) if metric is not None else (0 if network.version == 4 else 1024),
        "scope": scope,
        "source": keys.get("PreferredSource"),
        "on_link": boolean(keys.get("GatewayOnLink", "no")),
        "type": route_type,
    }


def rule_meaning(pairs: list[tuple[str, str]], names: dict[str, int]) -> dict[str, Any]:
    keys = dict(pairs)
    selectors = {k: str(ipaddress.ip_network(keys[k])) if k in keys else None
                 for k in ("From", "To")}
    mark = keys.get("FirewallMark")
    family = next((4 if ":" not in s else 6 for s in selectors.values() if s), None)
    return {
        "family": family or (6 if keys.get("Family") == "ipv6" else 4),
        "from": selectors["From"],
        "to": selectors["To"],
        "table": table_number(keys.get("Table"), names),
        "priority": int(keys["Priority"]),
        "fwmark": int(mark.split("/")[0], 0) if mark else None,
        "iif": keys.get("IncomingInterface"),
        "oif": keys.get("OutgoingInterface"),
    }


def frozen(d: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(d.items()))


def meaning(unit_dir: Path, table_names: dict[str, int]) -> dict[str, dict[str, Any]]:
    """What the kernel and networkd end up with, per interface name."""
    result: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return result.setdefault(name, {"mtu": set(), "primary": False})

    for path in sorted(unit_dir.glob("*.netdev")):
        unit = parse_unit(path.read_text())
        name = first(unit, "NetDev", "Name")
        assert name is not None, path
        e = entry(name)
        e["kind"] = first(unit, "NetDev", "Kind")
        if (mtu := first(unit, "NetDev", "MTUBytes")) is not None:
            e["mtu"].add(int(mtu))
        bond = {k: v for s, pairs in unit if s == "Bond" for k, v in pairs}
        for key in ("MIIMonitorSec", "UpDelaySec", "DownDelaySec", "ARPIntervalSec"):
            if key in bond:
                bond[key] = str(timespan_ms(bond[key]))
        if "ARPIPTargets" in bond:
            bond["ARPIPTargets"] = " ".join(sorted(bond["ARPIPTargets"].split()))
        e["bond"] = bond
        e["vlan"] = {k: v for s, pairs in unit if s == "VLAN" for k, v in pairs}
        e["bridge"] = {k: str(boolean(v)) if k == "STP" else v
                       for s, pairs in unit if s == "Bridge" for k, v in pairs}
    for path in sorted(unit_dir.glob("*.link")):
        unit = parse_unit(path.read_text())
        name = first(unit, "Link", "Name") or first(unit, "Match", "OriginalName")
        assert name is not None, path
        if (mtu := first(unit, "Link", "MTUBytes")) is not None:
            entry(name)["mtu"].add(int(mtu))
    for path in sorted(unit_dir.glob("*.network")):
        unit = parse_unit(path.read_text())
        name = first(unit, "Match", "Name")
        assert name is not None, f"{path}: no [Match] Name="
        e = entry(name)
        if (mtu := first(unit, "Link", "MTUBytes")) is not None:
            e["mtu"].add(int(mtu))
        e["addresses"] = {str(ipaddress.ip_interface(a)) for a in
                          values(unit, "Network", "Address") + values(unit, "Address", "Address")}
        routes = [route_meaning(pairs, table_names) for s, pairs in unit if s == "Route"]
        routes += [route_meaning([("Gateway", g)], table_names)
                   for g in values(unit, "Network", "Gateway")]
        e["routes"] = {frozen(r) for r in routes}
        e["rules"] = {frozen(rule_meaning(pairs, table_names))
                      for s, pairs in unit if s == "RoutingPolicyRule"}
        e["dns"] = [str(ipaddress.ip_address(a)) for v in values(unit, "Network", "DNS")
                    for a in v.split()]
        e["domains"] = [d for v in values(unit, "Network", "Domains") for d in v.split()]
        dhcp = first(unit, "Network", "DHCP") or "no"
        e["dhcp"] = {"yes": "ipv4+ipv6", "true": "ipv4+ipv6"}.get(dhcp, dhcp)
        # netplan writes the DHCP client's settings under [DHCP], networkd under [DHCPv4];
        # unset means networkd's defaults (route metric 1024, the server's MTU ignored).
        dhcp_keys = {k: v for s, pairs in unit if s in ("DHCP", "DHCPv4") for k, v in pairs}
        e["dhcp_route_metric"] = int(dhcp_keys.get("RouteMetric", "1024"))
        e["dhcp_use_mtu"] = boolean(dhcp_keys.get("UseMTU", "no"))
        e["link_local"] = first(unit, "Network", "LinkLocalAddressing")
        e["accept_ra"] = boolean(first(unit, "Network", "IPv6AcceptRA") or "no")
        e["controller"] = (first(unit, "Network", "Bond"), first(unit, "Network", "Bridge"))
        e["vlans"] = sorted(values(unit, "Network", "VLAN"))
        e["primary"] = boolean(first(unit, "Network", "PrimarySlave") or "no")
    return result


def networkd_table_names(root: Path) -> dict[str, int]:
    names: dict[str, int] = {}
    for path in sorted((root / "etc/systemd/networkd.conf.d").glob("*.conf")):
        for value in values(parse_unit(path.read_text()), "Network", "RouteTable"):
            for item in value.split():
                name, _, number = item.partition(":")
                names[name] = int(number)
    return names


# -- the tests ----------------------------------------------------------------------------
def networkd_rendered(example: Path) -> list[netcompile.OutputFile]:
    """The example's netplan output with the networkd renderer, whatever its `netplan:`
    says (test_netplan_nm.py checks the NetworkManager renderer)."""
    return netcompile.render(netcompile.build_network(str(example)), "netplan")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_netplan_generate_accepts_example(example: Path, tmp_path: Path) -> None:
    require_tool("netplan")
    write_tree(tmp_path, networkd_rendered(example))
    netplan_generate(tmp_path)
    # One unit per interface of the spec: netplan configured every one of them.
    generated = sorted(p.name for p in (tmp_path / "run/systemd/network").glob("*.network"))
    assert generated == sorted(f"10-netplan-{interface.name}.network"
                               for interface in netcompile.build_network(str(example)).interfaces)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_netplan_means_what_networkd_backend_means(example: Path, tmp_path: Path) -> None:
    require_tool("netplan")
    via_netplan, direct = tmp_path / "netplan", tmp_path / "networkd"
    write_tree(via_netplan, networkd_rendered(example))
    netplan_generate(via_netplan)
    write_tree(direct, netcompile.compile_file(str(example), "networkd"))
    ours = meaning(via_netplan / "run/systemd/network", {})
    theirs = meaning(direct / "etc/systemd/network", networkd_table_names(direct))
    assert sorted(ours) == sorted(theirs)
    for name in sorted(ours):
        assert ours[name] == theirs[name], name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_netplan_output_holds_every_route_and_rule_of_the_model(example: Path,
                                                               tmp_path: Path) -> None:
    """Independent of the networkd backend: every model route and rule, and nothing
    else, comes out of netplan under its owning interface."""
    require_tool("netplan")
    network = netcompile.build_network(str(example))
    write_tree(tmp_path, netcompile.render(network, "netplan"))
    netplan_generate(tmp_path)
    got = meaning(tmp_path / "run/systemd/network", {})
    for interface in network.interfaces:
        routes = {frozen({
            "destination": str(r.destination),
            "gateway": str(r.gateway) if r.gateway else None, "table": r.table,
            "metric": r.metric,
            "scope": None if r.family == 6 else (r.scope.value if r.scope else (
                "link" if r.type.value == "unicast" and r.gateway is None else "global")),
            "source": str(r.source) if r.source else None, "on_link": r.on_link,
            "type": r.type.value}) for r in network.routes_of(interface.name)}
        rules = {frozen({
            "family": r.family, "from": str(r.source) if r.source else None,
            "to": str(r.destination) if r.destination else None, "table": r.table,
            "priority": r.priority, "fwmark": r.fwmark, "iif": r.iif, "oif": r.oif})
            for r in network.rules_of(interface.name)}
        assert got[interface.name]["routes"] == routes, interface.name
        assert got[interface.name]["rules"] == rules, interface.name
        assert got[interface.name]["addresses"] == {
            str(a.address) for a in interface.addresses}, interface.name


# What the examples do not reach: DHCPv6, ARP monitoring, on-link and IPv6 link-local
# gateways, host scope, blackhole/prohibit routes, marks and tables at netplan's
# signed-int limit, an interface named like a YAML boolean.
CORNERS = """\
version: 1
tables: {edge: 2147483647}
interfaces:
  eth0: {}
  eth1: {}
  "yes": {mtu: 1500}
  bond0:
    type: bond
    members: [eth0, eth1]
    bond: {mode: balance-xor, arp_interval: 100, arp_ip_target: [192.0.2.1, 192.0.2.2],
           xmit_hash_policy: encap3+4}
    addresses: [192.0.2.10/24]
    dhcp6: true
    routes:
      - {to: 10.0.0.0/8, type: prohibit, table: edge, metric: 2147483647}
      - {to: 10.1.0.0/16, type: blackhole}
      - {to: 192.0.3.0/24, via: 192.0.2.99, scope: global}
      - {to: 198.18.0.0/15, via: 198.18.0.1, on_link: true}
      - {to: "2001:db8:c::/48", via: "fe80::1", on_link: true}
      - {to: 192.0.2.77, scope: host, source: 192.0.2.10}
rules:
  - {to: 10.0.0.0/8, fwmark: "0x10/0xffffffff", table: edge, priority: 7}
  - {from: "2001:db8::/32", fwmark: 2147483647, table: main, priority: 8}
"""


def test_netplan_means_what_networkd_backend_means_in_corners(tmp_path: Path) -> None:
    require_tool("netplan")
    spec = tmp_path / "corners.yaml"
    spec.write_text(CORNERS, encoding="utf-8")
    via_netplan, direct = tmp_path / "netplan", tmp_path / "networkd"
    write_tree(via_netplan, netcompile.compile_file(str(spec), "netplan"))
    netplan_generate(via_netplan)
    write_tree(direct, netcompile.compile_file(str(spec), "networkd"))
    ours = meaning(via_netplan / "run/systemd/network", {})
    theirs = meaning(direct / "etc/systemd/network", networkd_table_names(direct))
    assert sorted(ours) == ["bond0", "eth0", "eth1", "yes"]
    assert ours == theirs


@pytest.mark.parametrize("case", ["conflicting-defaults", "mode-0644"])
def test_netplan_warnings_fail_the_check(case: str, tmp_path: Path) -> None:
    """netplan exits 0 with only a warning in both cases: the check must still fail."""
    require_tool("netplan")
    yaml = ("network:\n  version: 2\n  renderer: networkd\n  ethernets:\n"
            "    eth0:\n      addresses: [\"192.0.2.10/24\"]\n"
            "      routes: [{to: \"0.0.0.0/0\", via: \"192.0.2.1\"}]\n")
    mode = 0o600
    if case == "conflicting-defaults":
        yaml += ("    eth1:\n      addresses: [\"198.51.100.10/24\"]\n"
                 "      routes: [{to: \"0.0.0.0/0\", via: \"198.51.100.1\"}]\n")
    else:
        mode = 0o644
    write_tree(tmp_path, [netcompile.OutputFile(netplan.PATH, yaml, mode)])
    with pytest.raises(AssertionError, match="netplan generate warned"):
        netplan_generate(tmp_path)
