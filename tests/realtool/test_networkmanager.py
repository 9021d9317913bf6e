"""NetworkManager keyfiles through NetworkManager's own keyfile reader and writer.

`nmcli --offline connection modify < FILE` (NetworkManager >= 1.40, no daemon, no
D-Bus) parses a keyfile, normalises the profile and prints it as a keyfile again. It
exits 0 even when it drops what it cannot parse (a rule without priority, a route it
reads as a bad gateway, an unknown key), so the check compares what went in with what
came out: the sets of addresses, routes (with every option) and rules, and every other
key we wrote. It also holds the spec files NetworkManager cannot express to the exact
error they must produce."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

import netcompile
from netcompile.output import OutputFile
from tests.conftest import EXAMPLES, require_tool
from tests.realtool.keyfile import (
    NM_DEFAULTS,
    addresses,
    nm_roundtrip,
    other_keys,
    parse_keyfile,
    routes,
    rules,
)

pytestmark = pytest.mark.realtool

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


def keyfiles(files: Iterable[OutputFile]) -> list[OutputFile]:
    return [f for f in files if f.path.endswith(".nmconnection")]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_nmcli_keeps_every_setting(example: Path, tmp_path: Path) -> None:
    require_tool("nmcli")
    profiles = keyfiles(netcompile.compile_file(str(example), "networkmanager"))
    # One profile per interface of the spec, each then read back by nmcli.
    assert sorted(Path(p.path).name for p in profiles) == sorted(
        f"{interface.name}.nmconnection"
        for interface in netcompile.build_network(str(example)).interfaces)
    lost = {}
    for profile in profiles:
        assert profile.mode == 0o600, profile.path
        theirs = nm_roundtrip(profile.content, tmp_path)
        lost[profile.path] = losses(profile.content, theirs)
    assert lost == {profile.path: [] for profile in profiles}


def losses_after_edit(example: str, keyfile: str, old: str, new: str,
                      tmp_path: Path) -> list[str]:
    """What the round trip loses from one of an example's keyfiles, edited by hand."""
    require_tool("nmcli")
    spec = next(e for e in EXAMPLES if e.stem == example)
    profile = next(f for f in netcompile.compile_file(str(spec), "networkmanager")
                   if f.path.endswith(f"/{keyfile}"))
    broken = profile.content.replace(old, new)
    assert broken != profile.content
    return losses(broken, nm_roundtrip(broken, tmp_path))


def test_the_check_notices_a_rule_nm_drops(tmp_path: Path) -> None:
    """A rule without priority: nmcli exits 0 and drops it; the comparison must fail."""
    problems = losses_after_edit("two-uplinks", "eth0.nmconnection",
                                 "routing-rule2=priority 1000 from", "routing-rule2=from",
                                 tmp_path)
    assert problems and problems[0].startswith("rules: lost")


def test_the_check_notices_a_route_nm_misreads(tmp_path: Path) -> None:
    """`dest,metric` without a gateway field: keyfile reads the metric as a gateway."""
    problems = losses_after_edit("vlan-bond-bridge", "br0.nmconnection",
                                 "route1=10.0.0.0/8,0.0.0.0,0", "route1=10.0.0.0/8,0", tmp_path)
    assert problems and problems[0].startswith("routes: lost")
