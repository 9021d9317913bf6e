"""netplan's NetworkManager renderer against the real `netplan generate` (0.106).

For every example that compiles with `netplan: {renderer: NetworkManager}`, netplan
must accept the file without a word on stderr, and the keyfiles it writes must mean
the same as netcompile's own networkmanager backend output for that example. Both
sides are first read back by NetworkManager itself (`nmcli --offline`), then compared
as parsed keyfiles. And the refusal of rules is shown to be needed: netplan 0.106
drops every routing-policy entry from the keyfiles it writes.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

import netcompile
from tests.conftest import EXAMPLES, require_tool
from tests.realtool.keyfile import Keyfile, addresses, nm_roundtrip, parse_keyfile, rules
from tests.realtool.test_netplan import first, netplan_generate, parse_unit, write_tree

pytestmark = pytest.mark.realtool

NM_RENDERER = "netplan: {renderer: NetworkManager}\n"
KEYFILE_DIR = "run/NetworkManager/system-connections"

# Keys left out of the comparison, each for its reason:
IGNORED = {
    # Names and identities: netplan calls the profile netplan-<name> with its own uuid.
    ("connection", "id"), ("connection", "uuid"),
    # netcompile writes autoconnect=true, NetworkManager's default, which nmcli omits.
    ("connection", "autoconnect"),
    # netplan turns Wake-on-LAN off on every ethernet it writes (as in its .link
    # files); netcompile leaves the device's setting alone.
    ("ethernet", "wake-on-lan"),
    # netplan writes ip6-privacy=0; netcompile leaves NetworkManager's default (-1),
    # which follows the kernel's use_tempaddr, 0 unless changed.
    ("ipv6", "ip6-privacy"),
    # netcompile writes never-default=true on static families; netplan writes no
    # gateway= either, and a static profile without one adds no default route.
    ("ipv4", "never-default"), ("ipv6", "never-default"),
    # A device matched by MAC or driver: both rename it with a udev .link file (compared
    # in renames() below); netcompile's profile also names the MAC or driver itself.
    ("ethernet", "mac-address"), ("match", "driver"),
}


def route_meaning(keyfile: Keyfile) -> set[tuple[object, ...]]:
    """(section, destination, gateway, metric, options) with NetworkManager's defaults
    spelled out: no table= is the main table (254), and an IPv4 route without scope=
    gets scope link without a gateway and global (0) with one; the kernel keeps no
    scope on IPv6 routes."""
    result: set[tuple[object, ...]] = set()
    for (section, key), value in keyfile.items():
        if not key.startswith("route") or not key[5:].isdigit():
            continue
        fields = value.split(",")
        destination = ipaddress.ip_network(fields[0])
        gateway = ipaddress.ip_address(fields[1]) if len(fields) > 1 and fields[1] else None
        if gateway is not None and gateway.is_unspecified:
            gateway = None
        metric = int(fields[2]) if len(fields) > 2 and fields[2] else None
        raw = keyfile.get((section, f"{key}_options"), "")
        options = dict(o.partition("=")[::2] for o in raw.split(",") if o)
        options.setdefault("table", "254")
        if destination.version == 4:
            options.setdefault("scope", "253" if gateway is None else "0")
        else:
            options.pop("scope", None)
        if "src" in options:
            options["src"] = str(ipaddress.ip_address(options["src"]))
        result.add((section, destination, gateway, metric, tuple(sorted(options.items()))))
    return result


def meaning(keyfile: Keyfile) -> dict[str, object]:
    """Everything that reaches NetworkManager, with structured keys as sets."""
    plain = {k: v for k, v in keyfile.items()
             if k not in IGNORED and not k[1].startswith(("address", "route", "routing-rule"))
             and k[1] not in ("dns-search", "dns") and k[0] != "proxy"}
    # route-metric is a scalar key, not a route: keep it.
    plain.update({k: v for k, v in keyfile.items() if k[1] == "route-metric"})
    return {
        "keys": plain,
        "addresses": addresses(keyfile),
        "routes": route_meaning(keyfile),
        "rules": rules(keyfile),
        # DNS servers per family; NetworkManager keeps one search list per connection,
        # which netplan repeats in both families and netcompile writes once.
        "dns": {(s, d) for (s, k), v in keyfile.items() if k == "dns"
                for d in v.split(";") if d},
        "search": {d for (_, k), v in keyfile.items() if k == "dns-search"
                   for d in v.split(";") if d},
    }


def by_interface(texts: list[str], tmp_path: Path) -> dict[str, dict[str, object]]:
    """NetworkManager's own reading of each keyfile, by interface name."""
    result = {}
    for text in texts:
        keyfile = parse_keyfile(nm_roundtrip(text, tmp_path))
        result[keyfile[("connection", "interface-name")]] = meaning(keyfile)
    return result


def renames(texts: list[str]) -> set[tuple[str | None, ...]]:
    """(new name, MAC, driver, kernel name) of each udev .link file that names a device;
    netplan's Type=/WakeOnLan= and netcompile's Type=ether are left out."""
    result = set()
    for text in texts:
        unit = parse_unit(text)
        if first(unit, "Link", "Name") is not None:
            result.add(tuple(first(unit, s, k) for s, k in (
                ("Link", "Name"), ("Match", "PermanentMACAddress"), ("Match", "Driver"),
                ("Match", "OriginalName"))))
    return result


def with_renderer(example: Path, tmp_path: Path, netplan_key: str) -> Path:
    """The example with a top-level `netplan:` key; one that has its own stays as it is."""
    text = example.read_text(encoding="utf-8")
    if any(line.startswith("netplan:") for line in text.splitlines()):
        return example
    spec = tmp_path / example.name
    spec.write_text(text + netplan_key, encoding="utf-8")
    return spec


def compiles_under_nm_renderer(example: Path) -> bool:
    text = example.read_text(encoding="utf-8")
    if not any(line.startswith("netplan:") for line in text.splitlines()):
        text += NM_RENDERER
    try:
        spec = netcompile.load_spec_bytes(text.encode(), example.name)
        netcompile.render(spec.network, "netplan", spec.options)
    except netcompile.UnsupportedErrors:
        return False  # each refusal is pinned in specs/unsupported/netplan-nm-*.yaml
    return True


NM_EXAMPLES = [e for e in EXAMPLES if compiles_under_nm_renderer(e)]


@pytest.mark.parametrize("example", NM_EXAMPLES, ids=lambda p: p.stem)
def test_netplan_nm_means_what_networkmanager_backend_means(example: Path,
                                                            tmp_path: Path) -> None:
    require_tool("netplan", "nmcli")
    spec = with_renderer(example, tmp_path, NM_RENDERER)
    files = netcompile.compile_file(str(spec), "netplan")
    root = tmp_path / "root"
    write_tree(root, files)
    netplan_generate(root)
    theirs = by_interface([p.read_text() for p in sorted((root / KEYFILE_DIR).glob("*"))],
                          tmp_path)
    direct = netcompile.compile_file(str(example), "networkmanager")
    ours = by_interface([f.content for f in direct if f.path.endswith(".nmconnection")],
                        tmp_path)
    assert renames([p.read_text() for p in (root / "run/systemd/network").glob("*.link")]) \
        == renames([f.content for f in direct if f.path.endswith(".link")])
    assert sorted(theirs) == sorted(ours)
    for name in sorted(ours):
        assert theirs[name] == ours[name], name


def test_some_examples_compile_under_the_nm_renderer() -> None:
    """The comparison above must cover real ground."""
    compiled = [e.stem for e in NM_EXAMPLES]
    assert "netplan-networkmanager" in compiled and len(compiled) >= 3, compiled


def test_netplan_0_106_nm_renderer_drops_every_rule(tmp_path: Path) -> None:
    """Why rules are refused before 1.2: rendered for 1.2, the file holds routing-policy
    entries, and netplan 0.106 writes keyfiles without a single routing rule."""
    require_tool("netplan")
    example = next(e for e in EXAMPLES if e.stem == "two-uplinks")
    spec = with_renderer(example, tmp_path,
                         'netplan: {renderer: NetworkManager, version: "1.2"}\n')
    compiled = netcompile.load_spec(str(spec))
    assert compiled.network.rules
    root = tmp_path / "root"
    files = netcompile.render(compiled.network, "netplan", compiled.options)
    write_tree(root, files)
    yaml = next(f.content for f in files if f.path.startswith("etc/netplan/"))
    assert yaml.count("routing-policy:") == 2
    netplan_generate(root)
    generated = [parse_keyfile(p.read_text()) for p in sorted((root / KEYFILE_DIR).glob("*"))]
    assert len(generated) == 2
    assert [rules(k) for k in generated] == [set(), set()]
    # ... while the addresses and routes did arrive, so the files are not just empty.
    assert all(addresses(k) and route_meaning(k) for k in generated)
