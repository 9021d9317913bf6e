"""`netcompile plan OLD NEW`: the meaning of a change, the files it touches, formats
and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from netcompile.cli import main
from tests.conftest import ROOT

SEED = ROOT / "examples" / "two-uplinks.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _changed(tmp_path: Path) -> Path:
    """The seed with eth1's gateway moved and a second address on eth1."""
    text = SEED.read_text()
    text = text.replace("gateways: [198.51.100.1]", "gateways: [198.51.100.254]")
    text = text.replace("addresses: [198.51.100.10/24]",
                        "addresses: [198.51.100.10/24, 198.51.100.11/24]")
    new = tmp_path / "two-uplinks.yaml"
    new.write_text(text)
    return new


def test_the_same_spec_plans_nothing() -> None:
    assert run("plan", str(SEED), str(SEED)) == (
        0, f"plan: {SEED} -> {SEED}\nno changes\n", "")


def test_reordered_keys_mean_the_same(tmp_path: Path) -> None:
    reordered = tmp_path / "two-uplinks.yaml"
    reordered.write_text(
        "version: 1\ninterfaces:\n"
        "  eth1: {uplink: {table: isp-b}, gateways: [198.51.100.1],"
        " addresses: [198.51.100.10/24]}\n"
        "  eth0: {gateways: [192.0.2.1], addresses: [192.0.2.10/24],"
        " uplink: {default: true, table: isp-a}}\n"
        "tables: {isp-b: 101, isp-a: 100}\n")
    code, out, _ = run("plan", str(SEED), str(reordered))
    assert (code, out.splitlines()[-1]) == (0, "no changes")


def test_a_change_lists_items_with_their_lines_and_files(tmp_path: Path) -> None:
    new = _changed(tmp_path)
    code, out, err = run("plan", str(SEED), str(new))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"plan: {SEED} -> {new}",
        f"  + address eth1 198.51.100.11/24    {new}:11:35",
        f"  ~ route 0.0.0.0/0 table isp-b (101) dev eth1 metric 0    {new}:12:16",
        "      via: 198.51.100.1 -> 198.51.100.254",
        "  + rule ipv4 priority 1000 from 198.51.100.11/32: lookup isp-b (101)    "
        f"{new}:11:35",
        "networkd:",
        "  ~ etc/systemd/network/30-eth1.network (changed)",
        "netplan:",
        "  ~ etc/netplan/90-netcompile.yaml (changed)",
        "networkmanager:",
        "  ~ etc/NetworkManager/system-connections/eth1.nmconnection (changed)",
        "ifupdown:",
        "  ~ etc/network/interfaces.d/netcompile (changed)",
        "3 changes (2 added, 0 removed, 1 changed); 4 files change for networkd, netplan, "
        "networkmanager, ifupdown",
    ]


def test_removed_items_name_the_old_spec(tmp_path: Path) -> None:
    new = tmp_path / "one.yaml"
    new.write_text("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n"
                   "    gateways: [192.0.2.1]\n")
    code, out, _ = run("plan", str(SEED), str(new), "--target", "networkd")
    assert code == 1
    assert f"  - table isp-b: number 101    {SEED}:4:22" in out
    assert f"  - interface eth1: type ethernet    {SEED}:10:3" in out
    assert (f"  - uplink eth0: table isp-a (100), main default ipv4, priority 1000    {SEED}:9:5"
            in out)
    # eth0's main default route came from the uplink and now from `gateways`: same route.
    assert "route 0.0.0.0/0 table main (254) dev eth0" not in out
    assert "  - etc/systemd/network/30-eth1.network (removed)" in out
    assert "  - etc/systemd/networkd.conf.d/netcompile.conf (removed)" in out


def test_a_renamed_table_is_one_change(tmp_path: Path) -> None:
    new = tmp_path / "two-uplinks.yaml"
    new.write_text(SEED.read_text().replace("isp-b", "carrier-b"))
    code, out, _ = run("plan", str(SEED), str(new), "--target", "networkd")
    assert code == 1
    assert "  ~ table carrier-b" in out and "      name: isp-b -> carrier-b" in out
    assert "      table: isp-b (101) -> carrier-b (101)" in out
    assert "interface" not in out


def test_json_shape(tmp_path: Path) -> None:
    new = _changed(tmp_path)
    code, out, _ = run("plan", str(SEED), str(new), "--format", "json", "-t", "networkd")
    assert code == 1
    plan = json.loads(out)
    assert (plan["format"], plan["version"], plan["changed"]) == ("netcompile-plan", 1, True)
    assert plan["summary"] == {"added": 2, "removed": 0, "changed": 1, "files": 1}
    route = plan["changes"][1]
    assert route["action"] == "changed" and route["kind"] == "route"
    assert route["differences"] == [{"field": "via", "old": "198.51.100.1",
                                     "new": "198.51.100.254"}]
    assert route["old_location"] == {"file": str(SEED), "line": 12, "column": 16}
    assert route["new"]["via"] == "198.51.100.254" and "src" not in route["new"]
    [backend] = plan["backends"]
    assert backend["name"] == "networkd"
    [changed] = backend["files"]
    assert changed["path"] == "etc/systemd/network/30-eth1.network"
    assert changed["action"] == "changed" and changed["old_mode"] == changed["new_mode"] == 0o644
    assert "+Gateway=198.51.100.254\n" in changed["diff"]


def test_markdown_folds_file_diffs_and_draws_the_routing(tmp_path: Path) -> None:
    new = _changed(tmp_path)
    code, out, _ = run("plan", str(SEED), str(new), "--format", "markdown")
    assert code == 1
    assert out.startswith(f"### netcompile plan: `{new}`\n")
    assert "| ~ changed | `route 0.0.0.0/0 table isp-b (101) dev eth1 metric 0` | " \
           "via 198.51.100.1 | via 198.51.100.254 |" in out
    assert "```mermaid\nflowchart LR\n" in out
    assert out.count("<details><summary>") == 5  # the drawing and four backends
    assert "```diff\n--- a/etc/systemd/network/30-eth1.network\n" in out
    assert out.count("<details>") == out.count("</details>")


def test_colour_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    new = _changed(tmp_path)
    assert "\033[" not in run("plan", str(SEED), str(new))[1]
    coloured = run("plan", str(SEED), str(new), "--color", "always")[1]
    assert "\033[32m+ address eth1 198.51.100.11/24\033[0m" in coloured


def test_output_is_deterministic(tmp_path: Path) -> None:
    new = _changed(tmp_path)
    for form in ("text", "markdown", "json"):
        first = run("plan", str(SEED), str(new), "-f", form)
        assert run("plan", str(SEED), str(new), "-f", form) == first


def test_dev_null_stands_for_no_spec() -> None:
    code, out, _ = run("plan", "/dev/null", str(SEED), "-t", "networkd")
    assert code == 1
    assert "  + interface eth0: type ethernet" in out
    assert "  + etc/systemd/network/30-eth0.network (added)" in out
    code, out, _ = run("plan", str(SEED), "/dev/null", "-t", "networkd")
    assert code == 1 and "  - rule ipv4 priority 1000 from 192.0.2.10/32" in out


def _git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    *argv], check=True, capture_output=True)


def test_a_spec_against_its_git_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    repo = tmp_path / "repo"
    (repo / "net").mkdir(parents=True)
    spec = repo / "net" / "two-uplinks.yaml"
    spec.write_text(SEED.read_text())
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "spec")
    spec.write_text(_changed(tmp_path).read_text())
    monkeypatch.chdir(repo / "net")
    code, out, _ = run("plan", "git:HEAD:./two-uplinks.yaml", "two-uplinks.yaml",
                       "-t", "networkd")
    assert code == 1
    assert "  ~ route 0.0.0.0/0 table isp-b (101) dev eth1 metric 0    " \
           "two-uplinks.yaml:12:16 (was line 12, column 16)" not in out  # same place
    assert "  ~ route 0.0.0.0/0 table isp-b (101) dev eth1 metric 0    " \
           "two-uplinks.yaml:12:16" in out
    # Only the changed unit: the generated header names the same file on both sides.
    assert out.count("(changed)") == 1
    code, _, err = run("plan", "git:HEAD:net/two-uplinks.yaml", "two-uplinks.yaml",
                       "-t", "networkd")
    assert code == 1 and err == ""
    code, _, err = run("plan", "git:HEAD:./missing.yaml", "two-uplinks.yaml")
    assert code == 2 and err.startswith("netcompile: error: git cannot show "
                                        "git:HEAD:./missing.yaml: ")
    code, _, err = run("plan", "git:HEAD", "two-uplinks.yaml")
    assert code == 2 and "is not of the form git:REV:PATH" in err
    # A revision is never taken for one of git's options.
    written = tmp_path / "written"
    code, _, err = run("plan", f"git:--output={written}:x", "two-uplinks.yaml")
    assert code == 2 and "git cannot show" in err and not written.exists()


def test_an_invalid_side_exits_2_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n")
    code, out, err = run("plan", str(SEED), str(bad))
    assert (code, out) == (2, "")
    assert err.splitlines()[:3] == [
        f"{bad}:4:10: interfaces.eth0.mtu: 10 is out of range (use a value from 68 to 65535)",
        "        mtu: 10", "             ^"]
    code, out, _ = run("plan", str(SEED), str(bad), "--diagnostics-format", "json")
    assert code == 2
    [problem] = json.loads(out)["diagnostics"]
    assert problem["location"] == {"file": str(bad), "line": 4, "column": 10}


def test_a_backend_that_cannot_express_a_side_is_an_error() -> None:
    spec = ROOT / "tests" / "specs" / "unsupported" / "ifupdown-vlan-name.yaml"
    code, _, err = run("plan", str(SEED), str(spec), "--target", "ifupdown")
    assert code == 2 and "ifupdown cannot express this" in err
    assert run("plan", str(SEED), str(spec), "--target", "networkd")[0] == 1


def test_a_spec_named_like_a_subcommand_is_compiled_by_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plan").write_text(SEED.read_text())
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("./plan", "--target", "networkd")
    assert code == 0 and "# ==> etc/systemd/network/30-eth0.network" in out
    assert run("plan")[0] == 2  # the subcommand, missing its arguments
