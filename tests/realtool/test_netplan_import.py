"""`netcompile import netplan` against the real `netplan generate` (netplan.io 0.106).

The corpus, tests/specs/netplan-import/ (origin and licence in its README.md): netplan's
own example files, and the YAML its generator tests hand to `netplan generate`. For
each input the importer accepts, `netplan generate` on the original and netcompile's
networkd backend on the imported spec must give networkd units that mean the same,
compared by `meaning` from test_netplan.py, with these normalisations (each one a
fact about networkd or the kernel, not a difference hidden):

- rules are compared host-wide: the kernel holds them in one list per family, and
  which link's unit carries a rule only decides when it is added;
- a netplan rule without Priority= gets the one the kernel gives it on a host with
  no other rules (32765), which the importer writes (it refuses rules whose order
  would depend on that);
- a unit without IPv6AcceptRA= has networkd's default: router advertisements taken
  when the link has IPv6 link-local addressing and is not a bridge or a member;
- a bond without Mode= is the kernel's balance-rr.

Where netplan's defaults and netcompile's differ, the importer warns at the device;
the meanings may then differ in exactly that setting of exactly that interface, and
every warning must correspond to such a difference. Inputs written for netplan's
NetworkManager renderer are generated with its networkd renderer (the comparison is
of networkd units); that the spec keeps the renderer is checked too.

Every input the importer refuses states, in `# refused:` lines at its end, every
message the import prints for it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import netcompile
from netcompile.errors import SpecError
from netcompile.importers.convert import Converted, convert_netplan
from netcompile.importers.netplan import KERNEL_RULE_PRIORITY
from tests.conftest import ROOT, require_tool
from tests.realtool.test_netplan import (
    first,
    meaning,
    networkd_table_names,
    parse_unit,
    values,
    write_tree,
)

pytestmark = pytest.mark.realtool

CORPUS = ROOT / "tests" / "specs" / "netplan-import"
INPUTS = sorted(CORPUS.glob("*/*.yaml"))
GENERATOR = [p for p in INPUTS if p.parent.name == "generator"]

# An input the importer refuses states every message it must print, in order, as
# `# refused: LINE:COLUMN: PATH: MESSAGE (HINT)` lines at its end.
REFUSED_LINE = "# refused: "
# One whose spec the networkd backend refuses states the message as `# networkd refuses: `.
NETWORKD_LINE = "# networkd refuses: "


def stated(path: Path, prefix: str) -> list[str]:
    return [line[len(prefix):] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(prefix)]


REFUSED = {p: stated(p, REFUSED_LINE) for p in INPUTS if stated(p, REFUSED_LINE)}
NETWORKD_REFUSES = {p: stated(p, NETWORKD_LINE) for p in INPUTS if stated(p, NETWORKD_LINE)}

# netplan 0.106 writes a route metric above 2147483647 as a negative number (Metric=-2
# for 4294967294), which networkd rejects; the spec keeps the number the file gives.
# For these inputs netplan's negative metrics are read as the numbers they stand for.
SIGNED_METRICS = {"generator/routing-route-metric-rendering-lp2023681"}


def name_of(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


# -- running netplan ----------------------------------------------------------------------
# netplan 0.106 warns on stderr about these keys and goes on; anything else is a failure.
DEPRECATED = re.compile(r"\*\* \(generate:\d+\): WARNING \*\*: [0-9:.]+: `gateway[46]` has been "
                        r"deprecated, use default routes instead\.\nSee the 'Default routes' "
                        r"section of the documentation for more details\.\n")


def netplan_generate(source: Path, root: Path) -> None:
    """netplan's networkd units for one file; its NetworkManager renderer is swapped
    for the networkd one, since networkd units are what is compared."""
    target = root / "etc" / "netplan" / source.name
    target.parent.mkdir(parents=True)
    target.write_text(re.sub(r"renderer: *NetworkManager", "renderer: networkd",
                             source.read_text(encoding="utf-8")), encoding="utf-8")
    target.chmod(0o600)
    done = subprocess.run(["netplan", "generate", "--root-dir", str(root)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"netplan generate failed:\n{done.stderr}"
    assert DEPRECATED.sub("", done.stderr).strip() == "", done.stderr


# -- what networkd does where a unit is silent ---------------------------------------------
def units(unit_dir: Path) -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    """Each .network unit by the interface it matches."""
    found = {}
    for path in sorted(unit_dir.glob("*.network")):
        unit = parse_unit(path.read_text())
        name = first(unit, "Match", "Name")
        assert name is not None
        found[name] = unit
    return found


def with_kernel_priorities(unit_dir: Path) -> None:
    """Give each rule without Priority= the kernel's choice on an otherwise empty host."""
    for path in sorted(unit_dir.glob("*.network")):
        text = path.read_text()
        sections = re.split(r"(?m)^(?=\[)", text)
        path.write_text("".join(
            section.rstrip("\n") + f"\nPriority={KERNEL_RULE_PRIORITY}\n\n"
            if section.startswith("[RoutingPolicyRule]") and "\nPriority=" not in section
            else section for section in sections))


def networkd_defaults(unit_dir: Path, found: dict[str, dict[str, Any]]) -> None:
    bridges = set()
    for path in unit_dir.glob("*.netdev"):
        unit = parse_unit(path.read_text())
        if first(unit, "NetDev", "Kind") == "bridge":
            bridges.add(first(unit, "NetDev", "Name"))
        if first(unit, "NetDev", "Kind") == "bond":
            found[first(unit, "NetDev", "Name") or ""]["bond"].setdefault("Mode", "balance-rr")
    for name, unit in units(unit_dir).items():
        if values(unit, "Network", "IPv6AcceptRA"):
            continue
        member = bool(values(unit, "Network", "Bond") + values(unit, "Network", "Bridge"))
        link_local = first(unit, "Network", "LinkLocalAddressing") in ("ipv6", "yes")
        found[name]["accept_ra"] = link_local and not member and name not in bridges


def unsigned_metrics(found: dict[str, Any]) -> int:
    """Read netplan's negative metrics as 32-bit unsigned numbers; how many there were."""
    count = 0
    for entry in found["interfaces"].values():
        routes = set()
        for route in entry["routes"]:
            fields = dict(route)
            if fields["metric"] < 0:
                fields["metric"] += 2**32
                count += 1
            routes.add(tuple(sorted(fields.items())))
        entry["routes"] = routes
    return count


def host_meaning(unit_dir: Path, tables: dict[str, int]) -> dict[str, Any]:
    found = meaning(unit_dir, tables)
    networkd_defaults(unit_dir, found)
    for entry in found.values():
        # The DHCP client's settings matter only where it runs; UseMTU= only to DHCPv4.
        if entry.get("dhcp", "no") == "no":
            entry.pop("dhcp_route_metric", None)
        if "ipv4" not in entry.get("dhcp", "no"):
            entry.pop("dhcp_use_mtu", None)
    rules = set()
    for entry in found.values():
        rules |= entry.pop("rules", set())
    return {"interfaces": found, "rules": rules}


# -- the warnings, as differences they announce -------------------------------------------------
WARNED_KEYS = {"router advertisements": "accept_ra", "routes metric": "dhcp_route_metric",
               "MTU the DHCP server sends": "dhcp_use_mtu"}
# What netplan means, and what netcompile means instead, for each warned setting.
WARNED_VALUES = {"accept_ra": (True, False), "dhcp_route_metric": (100, 1024),
                 "dhcp_use_mtu": (True, False)}


def announced(converted: Converted) -> set[tuple[str, str]]:
    """(interface, meaning key) for every warning of the import."""
    devices = {source.path: path[1] for path, source in converted.sources.items()
               if len(path) == 2 and path[0] == "interfaces"}
    found = set()
    for warning in converted.warnings:
        device = next(name for prefix, name in devices.items()
                      if warning.path == prefix or warning.path.startswith(prefix + "."))
        key = next(k for words, k in WARNED_KEYS.items() if words in warning.message)
        found.add((str(device), key))
    return found


def convert(source: Path, spec: Path) -> Converted:
    converted = convert_netplan([str(source)], str(spec))
    spec.write_text(converted.text, encoding="utf-8")
    return converted


# -- the tests ------------------------------------------------------------------------------
ACCEPTED = [p for p in INPUTS if p not in REFUSED and p not in NETWORKD_REFUSES]


@pytest.mark.parametrize("source", ACCEPTED, ids=name_of)
def test_imported_spec_means_what_netplan_means(source: Path, tmp_path: Path) -> None:
    require_tool("netplan")
    converted = convert(source, tmp_path / "spec.yaml")
    netplan_generate(source, tmp_path / "netplan")
    write_tree(tmp_path / "ours", netcompile.compile_file(str(tmp_path / "spec.yaml"),
                                                          "networkd"))
    netplan_units = tmp_path / "netplan" / "run" / "systemd" / "network"
    with_kernel_priorities(netplan_units)
    theirs = host_meaning(netplan_units, {})
    if name_of(source) in SIGNED_METRICS:
        assert unsigned_metrics(theirs) > 0, "netplan wrote the metric right: drop the entry"
    ours = host_meaning(tmp_path / "ours" / "etc" / "systemd" / "network",
                        networkd_table_names(tmp_path / "ours"))
    assert ours["rules"] == theirs["rules"]
    assert sorted(ours["interfaces"]) == sorted(theirs["interfaces"])
    warned = announced(converted)
    differences = set()
    for name, entry in theirs["interfaces"].items():
        for key in sorted(set(entry) | set(ours["interfaces"][name])):
            if entry.get(key) != ours["interfaces"][name].get(key):
                assert (name, key) in warned, (name, key, entry.get(key),
                                               ours["interfaces"][name].get(key))
                assert (entry.get(key), ours["interfaces"][name].get(key)) == \
                    WARNED_VALUES[key], (name, key)
                differences.add((name, key))
    assert differences == warned, "a warning without a difference"


@pytest.mark.parametrize("source", sorted(NETWORKD_REFUSES), ids=name_of)
def test_imported_specs_networkd_refuses(source: Path, tmp_path: Path) -> None:
    """Imported, then refused by the networkd backend, as any spec saying this is."""
    spec = tmp_path / "spec.yaml"
    convert(source, spec)
    with pytest.raises(netcompile.UnsupportedErrors) as caught:
        netcompile.compile_file(str(spec), "networkd")
    assert [str(e).split(": ", 1)[1] for e in caught.value.errors] == NETWORKD_REFUSES[source]


@pytest.mark.parametrize("source", sorted(REFUSED), ids=name_of)
def test_refusals_are_located_and_named(source: Path) -> None:
    with pytest.raises(SpecError) as caught:
        convert_netplan([str(source)])
    got = [str(d).removeprefix(f"{source}:") for d in caught.value.diagnostics]
    assert got == REFUSED[source]


def test_the_corpus_is_large_enough() -> None:
    """netplan's examples and at least 50 generator-test inputs proven equivalent."""
    assert len([p for p in ACCEPTED if p.parent.name == "generator"]) >= 50
    assert len(list((CORPUS / "examples").glob("*.yaml"))) >= 30
    assert {name_of(p) for p in ACCEPTED} >= SIGNED_METRICS
