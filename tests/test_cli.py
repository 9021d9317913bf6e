"""The command line: printing, --root writes, --check, --prune, exit codes."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from netcompile.cli import main
from tests.conftest import ROOT

SEED = str(ROOT / "examples" / "two-uplinks.yaml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_prints_every_file_with_its_path() -> None:
    code, out, _ = run(SEED, "--target", "networkd")
    assert code == 0
    assert "# ==> etc/iproute2/rt_tables.d/netcompile.conf (mode 0644) <==" in out
    assert "100\tisp-a" in out
    assert "Table=101" in out


def test_root_writes_real_paths_with_modes(tmp_path: Path) -> None:
    code, out, _ = run(SEED, "--target", "all", "--root", str(tmp_path))
    assert code == 0
    netplan = next((tmp_path / "etc" / "netplan").iterdir())
    assert stat.S_IMODE(netplan.stat().st_mode) == 0o600
    keyfiles = list((tmp_path / "etc" / "NetworkManager" / "system-connections").iterdir())
    assert keyfiles and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keyfiles)
    rt_tables = tmp_path / "etc" / "iproute2" / "rt_tables.d" / "netcompile.conf"
    assert rt_tables.read_text().endswith("100\tisp-a\n101\tisp-b\n")
    assert "add" in out


def test_check_is_clean_after_write_and_reports_a_change(tmp_path: Path) -> None:
    assert run(SEED, "--root", str(tmp_path))[0] == 0
    assert run(SEED, "--root", str(tmp_path), "--check") == (0, "", "")
    unit = next((tmp_path / "etc" / "systemd" / "network").glob("*eth1.network"))
    unit.write_text(unit.read_text().replace("Table=101", "Table=999"))
    code, out, _ = run(SEED, "--root", str(tmp_path), "--check")
    assert code == 1
    assert "-Table=999" in out and "+Table=101" in out
    assert "999" in unit.read_text(), "--check must not write"


def test_check_reports_mode_changes(tmp_path: Path) -> None:
    run(SEED, "--root", str(tmp_path))
    rt_tables = tmp_path / "etc" / "iproute2" / "rt_tables.d" / "netcompile.conf"
    rt_tables.chmod(0o600)
    code, out, _ = run(SEED, "--root", str(tmp_path), "--check")
    assert (code, out) == (1, "mode of etc/iproute2/rt_tables.d/netcompile.conf: 0600 -> 0644\n")


def test_stale_files_are_reported_and_removed_only_with_prune(tmp_path: Path) -> None:
    run(SEED, "--root", str(tmp_path))
    one_uplink = tmp_path / "one.yaml"
    one_uplink.write_text("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n")
    code, out, _ = run(str(one_uplink), "--root", str(tmp_path), "--check")
    assert code == 1 and "stale: etc/systemd/network/" in out and "eth1" in out
    code, _, err = run(str(one_uplink), "--root", str(tmp_path))
    assert code == 0 and "stale:" in err
    units = tmp_path / "etc" / "systemd" / "network"
    assert any("eth1" in p.name for p in units.iterdir())
    assert run(str(one_uplink), "--root", str(tmp_path), "--prune")[0] == 0
    assert not any("eth1" in p.name for p in units.iterdir())
    assert run(str(one_uplink), "--root", str(tmp_path), "--check")[0] == 0


def test_a_hand_written_file_is_never_stale(tmp_path: Path) -> None:
    units = tmp_path / "etc" / "systemd" / "network"
    units.mkdir(parents=True)
    (units / "99-mine.network").write_text("[Match]\nName=lo\n")
    run(SEED, "--root", str(tmp_path), "--prune")
    assert (units / "99-mine.network").exists()


def test_validate_only(tmp_path: Path) -> None:
    code, out, _ = run(SEED, "--validate")
    assert code == 0 and "valid: 2 interfaces, 5 routes, 4 rules" in out


def test_schema_is_printed() -> None:
    code, out, _ = run("--schema")
    assert code == 0 and '"$schema": "https://json-schema.org/draft/2020-12/schema"' in out


@pytest.mark.parametrize("argv", [[], ["--check", SEED], ["--target", "nope", SEED],
                                  ["/nonexistent.yaml"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    assert run(*argv)[0] == 2


def test_help_teaches() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for words in ("--root", "--check", "exit codes", "--target"):
        assert words in out


def test_located_error_shows_the_line_and_a_caret(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n")
    code, _, err = run(str(spec))
    assert code == 2
    assert err.splitlines()[:3] == [
        f"{spec}:4:10: interfaces.eth0.mtu: 10 is out of range (use a value from 68 to 65535)",
        "        mtu: 10",
        "             ^",
    ]


def test_prune_for_one_backend_leaves_another_backends_files(tmp_path: Path) -> None:
    """networkd and NetworkManager share etc/systemd/network: NetworkManager owns only
    its udev .link files there, so pruning it never removes networkd's units."""
    spec = str(ROOT / "examples" / "bond-balance-alb.yaml")
    assert run(spec, "--target", "networkd", "--root", str(tmp_path))[0] == 0
    units = sorted(p.name for p in (tmp_path / "etc" / "systemd" / "network").iterdir())
    assert any(name.endswith(".network") for name in units)
    code, out, _ = run(spec, "--target", "networkmanager", "--root", str(tmp_path), "--check")
    assert code == 1 and "stale" not in out
    assert run(spec, "--target", "networkmanager", "--root", str(tmp_path), "--prune")[0] == 0
    assert sorted(p.name for p in (tmp_path / "etc" / "systemd" / "network").iterdir()) == units
