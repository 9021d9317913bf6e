"""`netcompile fleet DIR`: every host compiled in parallel into ROOT/HOST/, all or
nothing, with --check, --prune and plan over the whole fleet."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import netcompile
from netcompile import fleet
from netcompile.cli import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "fleet"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tree(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (p.read_text(), p.stat().st_mode & 0o7777)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, directory)
    return directory


def test_each_host_gets_exactly_what_compiling_it_alone_gives(fleet_dir: Path,
                                                              tmp_path: Path) -> None:
    code, out, err = run("fleet", str(fleet_dir), "--root", str(tmp_path / "root"),
                         "--target", "all", "--jobs", "2")
    assert code == 0, err
    assert out.endswith(f"3 hosts: 26 files written under {tmp_path / 'root'}\n")
    for host in ("db1", "web1", "web2"):
        alone = tmp_path / f"alone-{host}"
        assert run(str(fleet_dir / f"{host}.yaml"), "-t", "all", "--root", str(alone))[0] == 0
        assert tree(tmp_path / "root" / host) == tree(alone)
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["db1", "web1", "web2"]


def test_parallel_and_serial_compiles_agree(fleet_dir: Path) -> None:
    hosts = fleet.hosts(str(fleet_dir))
    serial = fleet.compile_all(hosts, netcompile.targets(), jobs=1)
    parallel = fleet.compile_all(hosts, netcompile.targets(), jobs=2)
    assert serial == parallel
    assert [c.host for c in serial] == ["db1", "web1", "web2"]
    assert all(c.files and not c.problems for c in serial)


def test_one_bad_host_stops_the_fleet_and_writes_nothing(fleet_dir: Path,
                                                         tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert run("fleet", str(fleet_dir), "--root", str(root))[0] == 0
    before = tree(root)
    web2 = fleet_dir / "web2.yaml"
    web2.write_text(web2.read_text().replace("192.0.2.12/24", "192.0.2.12/33"))
    (fleet_dir / "web1.yaml").write_text((fleet_dir / "web1.yaml").read_text().replace(
        "198.51.100.11", "198.51.100.99"))
    code, out, err = run("fleet", str(fleet_dir), "--root", str(root))
    assert code == 2 and out == ""
    assert f"{web2}:3:22: interfaces.eth0.addresses[0]" in err
    assert "    eth0: {addresses: [192.0.2.12/33]}\n" in err  # the quoted line
    assert err.endswith("netcompile: 1 error in 1 of 3 hosts (web2); nothing was written\n")
    assert tree(root) == before  # web1's valid change is not written either


def test_an_error_in_the_shared_file_is_reported_once_per_host_at_its_line(
        fleet_dir: Path) -> None:
    shared = fleet_dir / "common" / "uplinks.yaml"
    shared.write_text(shared.read_text().replace("table: isp-b", "table: isp-x"))
    code, _, err = run("fleet", str(fleet_dir))
    assert code == 2
    assert err.count(f"{shared}:12:21: interfaces.eth1.uplink.table: unknown table "
                     "'isp-x'") == 3


def test_a_write_refused_for_one_host_changes_no_host(fleet_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "web2" / "etc" / "systemd").mkdir(parents=True)
    (root / "web2" / "etc" / "systemd" / "network").symlink_to(tmp_path)
    code, _, err = run("fleet", str(fleet_dir), "--root", str(root))
    assert code == 2
    assert "is a symbolic link" in err and "nothing was changed" in err
    assert not (root / "db1").exists() and not (root / "web1").exists()


def test_check_and_prune_cover_every_host(fleet_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    run("fleet", str(fleet_dir), "--root", str(root))
    assert run("fleet", str(fleet_dir), "--root", str(root), "--check") == (0, "", "")
    web1 = fleet_dir / "web1.yaml"
    web1.write_text(web1.read_text().replace("198.51.100.11", "198.51.100.99"))
    (fleet_dir / "db1.yaml").unlink()
    code, out, _ = run("fleet", str(fleet_dir), "--root", str(root), "--check")
    assert code == 1
    assert "+++ b/web1/etc/systemd/network/30-eth1.network" in out
    assert "+Address=198.51.100.99/24" in out
    assert "stale: db1/etc/systemd/network/30-eth2.network is no longer produced" in out
    assert (root / "db1" / "etc" / "systemd" / "network" / "30-eth2.network").exists()
    code, out, err = run("fleet", str(fleet_dir), "--root", str(root))
    assert code == 0 and "stale:" in err and (root / "db1" / "etc").exists()
    code, out, _ = run("fleet", str(fleet_dir), "--root", str(root), "--prune")
    assert code == 0
    assert f"removed {root}/db1/etc/systemd/network/30-eth2.network" in out
    assert not list((root / "db1").rglob("*.network"))
    assert run("fleet", str(fleet_dir), "--root", str(root), "--check") == (0, "", "")


@pytest.mark.parametrize(("files", "message"), [
    ({}, "no host spec (*.yaml or *.yml) in the directory"),
    ({"a.yaml": "", "a.yml": ""}, "two specs for host a: a.yaml and a.yml (keep one)"),
    ({"-x.yaml": ""}, "'-x' cannot be a host name"),
])
def test_the_fleet_directory_is_checked(tmp_path: Path, files: dict[str, str],
                                        message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code, _, err = run("fleet", str(tmp_path))
    assert code == 2 and message in err


def test_usage_errors() -> None:
    assert run("fleet", str(EXAMPLE), "--check")[0] == 2
    assert run("fleet", str(EXAMPLE), "--jobs", "0")[0] == 2
    code, _, err = run("fleet", "/nonexistent-fleet")
    assert code == 2 and "cannot read the fleet directory /nonexistent-fleet" in err


def test_without_root_every_host_is_validated(tmp_path: Path) -> None:
    code, out, _ = run("fleet", str(EXAMPLE), "-t", "netplan")
    assert code == 0
    assert out.splitlines()[:3] == ["db1: 2 files", "web1: 2 files", "web2: 2 files"]
    assert out.splitlines()[3].startswith("3 hosts valid for netplan: 6 files")


def test_plan_compares_two_fleets_host_by_host(fleet_dir: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(fleet_dir, old)
    (fleet_dir / "web2.yaml").unlink()
    shared = fleet_dir / "common" / "uplinks.yaml"
    shared.write_text(shared.read_text().replace("192.0.2.53", "192.0.2.54"))
    code, out, _ = run("plan", str(old), str(fleet_dir), "-t", "networkd")
    assert code == 1
    assert f"== web2\nplan: {old}/web2.yaml -> /dev/null\n" in out
    assert "== web1\n" in out and "== db1\n" in out
    assert "192.0.2.53 -> 192.0.2.54" in out or "192.0.2.54" in out
    assert out.endswith("3 of 3 hosts change; 0 unchanged\n")
    code, out, _ = run("plan", str(fleet_dir), str(fleet_dir), "--format", "json")
    assert code == 0
    assert '"format": "netcompile-fleet-plan"' in out and '"changed": true' not in out
    assert run("plan", str(fleet_dir), str(EXAMPLE / "web1.yaml"))[0] == 2


def test_plan_reads_a_fleet_from_git(fleet_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fleet_dir)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.net"]
    for words in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fleet"]):
        subprocess.run([*git, *words], check=True)
    assert run("plan", "git:HEAD:./", ".")[0] == 0
    shared = fleet_dir / "common" / "uplinks.yaml"
    shared.write_text(shared.read_text().replace("isp-b: 101", "isp-b: 105"))
    code, out, _ = run("plan", "git:HEAD:./", ".", "-t", "networkd")
    assert code == 1
    assert out.count("number: 101 -> 105") == 3
    assert "(was git:HEAD:./common/uplinks.yaml:4:" in out


@pytest.mark.parametrize("works", [True, False], ids=["syncfs", "no-syncfs"])
def test_a_fleet_write_is_made_durable_with_one_syncfs_per_step(
        fleet_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, works: bool) -> None:
    from netcompile import writer
    from tests.test_writer import RecordingLibc

    libc = RecordingLibc(result=0 if works else -1)
    monkeypatch.setattr(writer, "_libc", lambda: libc)
    fsynced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsynced.append(fd), real_fsync(fd))[1])
    assert run("fleet", str(fleet_dir), "--root", str(tmp_path / "root"), "--jobs", "1")[0] == 0
    if works:  # the staged bytes, then the renames: not one fsync per directory
        assert len(libc.calls) == 2 and fsynced == []
    else:  # every staged file, then every directory that received one
        assert len(fsynced) == 13 + len({p.parent for p in (tmp_path / "root").rglob("*")
                                         if p.is_file()})
