"""NetworkManager keyfiles through NetworkManager's own keyfile reader and writer.

`nmcli --offline connection modify < FILE` (NetworkManager >= 1.40, no daemon, no
D-Bus) parses a keyfile, normalises the profile and prints it as a keyfile again. It
exits 0 even when it drops what it cannot parse (a rule without priority, a route it
reads as a bad gateway, an unknown key), so the check compares what went in with what
came out: the sets of addresses, routes (with every option) and rules, and every other
key we wrote. It also holds the spec files NetworkManager cannot express to the exact
error they must produce."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

import netcompile
from netcompile.output import OutputFile
from tests.conftest import EXAMPLES, require_tool

pytestmark = pytest.mark.realtool

# Keys NetworkManager's writer leaves out because they hold its default value.
NM_DEFAULTS = {("connection", "autoconnect"): "true"}
# Keys whose values are normalised below and compared as sets rather than one by one.
STRUCTURED = re.compile(r"^(address\d+|route\d+|route\d+_options|routing-rule\d+)$")
NO_MASK = 0xFFFFFFFF

Keyfile = dict[tuple[str, str], str]


def parse_keyfile(text: str) -> Keyfile:
    values: Keyfile = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        values[(section, key)] = value
    return values


def addresses(keyfile: Keyfile) -> set[tuple[str, object]]:
    return {(section, ipaddress.ip_interface(value))
            for (section, key), value in keyfile.items() if re.fullmatch(r"address\d+", key)}


def routes(keyfile: Keyfile) -> set[tuple[object, ...]]:
    """(section, destination, gateway or None, metric, sorted options)."""
    result: set[tuple[object, ...]] = set()
    for (section, key), value in keyfile.items():
        if not re.fullmatch(r"route\d+", key):
            continue
        fields = value.split(",")
        destination = ipaddress.ip_network(fields[0])
        gateway = _gateway(fields[1]) if len(fields) > 1 and fields[1] else None
        metric = int(fields[2]) if len(fields) > 2 else None
        raw = keyfile.get((section, f"{key}_options"), "")
        options = tuple(sorted(_route_option(o) for o in raw.split(",") if o))
        result.add((section, destination, gateway, metric, options))
    return result


def _gateway(text: str) -> object:
    """The next hop, None for the unspecified address; kept as text when it is not an
    address at all (so a misread field compares unequal instead of crashing)."""
    try:
        gateway = ipaddress.ip_address(text)
    except ValueError:
        return text
    return None if gateway.is_unspecified else gateway


def _route_option(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    if key == "src":
        value = str(ipaddress.ip_address(value))
    return key, value


def rules(keyfile: Keyfile) -> set[tuple[object, ...]]:
    """(section, sorted selector words) with prefixes and marks normalised."""
    result: set[tuple[object, ...]] = set()
    for (section, key), value in keyfile.items():
        if not re.fullmatch(r"routing-rule\d+", key):
            continue
        words = value.split()
        parsed: dict[str, object] = {}
        for name, argument in zip(words[::2], words[1::2], strict=True):
            if name in ("from", "to"):
                parsed[name] = ipaddress.ip_network(argument)
            elif name == "fwmark":
                mark, _, mask = argument.partition("/")
                parsed[name] = (int(mark, 0), int(mask, 0) if mask else NO_MASK)
            else:
                parsed[name] = argument
        result.add((section, tuple(sorted((k, str(v)) for k, v in parsed.items()))))
    return result


def other_keys(keyfile: Keyfile) -> Keyfile:
    return {k: v for k, v in keyfile.items() if not STRUCTURED.match(k[1])}


def losses(ours: str, theirs: str) -> list[str]:
    """What NetworkManager did not keep of our keyfile, in words; empty when nothing."""
    mine, nm = parse_keyfile(ours), parse_keyfile(theirs)
    problems = []
    for what, extract in (("addresses", addresses), ("routes", routes), ("rules", rules)):
        a, b = extract(mine), extract(nm)  # type: ignore[operator]
        if a != b:
            problems.append(f"{what}: lost {sorted(map(str, a - b))}, "
                            f"gained {sorted(map(str, b - a))}")
    for key, value in other_keys(mine).items():
        kept = nm.get(key, NM_DEFAULTS.get(key))
        if kept != value:
            problems.append(f"[{key[0]}] {key[1]}={value} came back as {kept!r}")
    return problems


def nm_roundtrip(content: str, tmp_path: Path) -> str:
    keyfile = tmp_path / "profile.nmconnection"
    keyfile.write_text(content, encoding="utf-8")
    keyfile.chmod(0o600)
    with keyfile.open("rb") as stdin:
        done = subprocess.run(["nmcli", "--offline", "connection", "modify"], stdin=stdin,
                              capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()
    return done.stdout.decode()


def keyfiles(files: Iterable[OutputFile]) -> list[OutputFile]:
    return [f for f in files if f.path.endswith(".nmconnection")]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_nmcli_keeps_every_setting(example: Path, tmp_path: Path) -> None:
    require_tool("nmcli")
    profiles = keyfiles(netcompile.compile_file(str(example), "networkmanager"))
    assert profiles
    lost = {}
    for profile in profiles:
        assert profile.mode == 0o600, profile.path
        theirs = nm_roundtrip(profile.content, tmp_path)
        lost[profile.path] = losses(profile.content, theirs)
    assert lost == {profile.path: [] for profile in profiles}


def test_the_check_notices_a_rule_nm_drops(tmp_path: Path) -> None:
    """A rule without priority: nmcli exits 0 and drops it; the comparison must fail."""
    require_tool("nmcli")
    example = next(e for e in EXAMPLES if e.stem == "two-uplinks")
    eth0 = next(f for f in netcompile.compile_file(str(example), "networkmanager")
                if f.path.endswith("/eth0.nmconnection"))
    broken = eth0.content.replace("routing-rule1=priority 1000 from", "routing-rule1=from")
    assert broken != eth0.content
    problems = losses(broken, nm_roundtrip(broken, tmp_path))
    assert problems and problems[0].startswith("rules: lost")


def test_the_check_notices_a_route_nm_misreads(tmp_path: Path) -> None:
    """`dest,metric` without a gateway field: keyfile reads the metric as a gateway."""
    require_tool("nmcli")
    example = next(e for e in EXAMPLES if e.stem == "vlan-bond-bridge")
    br0 = next(f for f in netcompile.compile_file(str(example), "networkmanager")
               if f.path.endswith("/br0.nmconnection"))
    broken = br0.content.replace("route1=10.0.0.0/8,0.0.0.0,0", "route1=10.0.0.0/8,0")
    assert broken != br0.content
    problems = losses(broken, nm_roundtrip(broken, tmp_path))
    assert problems and problems[0].startswith("routes: lost")
