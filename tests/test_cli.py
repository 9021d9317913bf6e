"""The command line: printing, --root writes, --check, --prune, exit codes."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert code == 0 and "valid: 2 interfaces, 5 routes, 2 rules" in out


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


def run_into_closed_pipe(*argv: str, closed: str = "stdout") -> subprocess.CompletedProcess[bytes]:
    """The command as a shell pipeline runs it when the reader has already gone
    (`netcompile spec | head -1` once head has exited): a write end whose read end
    is closed, so the first write fails with EPIPE, every time."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    streams: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    streams[closed] = write_end
    try:
        return subprocess.run([sys.executable, "-m", "netcompile", *argv], **streams,
                              timeout=60, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [[SEED], [SEED, "--target", "all"], ["--help"]],
                         ids=["networkd", "all", "help"])
def test_a_closed_stdout_exits_141_without_a_traceback(argv: list[str]) -> None:
    done = run_into_closed_pipe(*argv)
    assert (done.returncode, done.stderr) == (141, b"")


def test_a_closed_pipe_under_check_is_not_reported_as_differences(tmp_path: Path) -> None:
    done = run_into_closed_pipe(SEED, "--root", str(tmp_path), "--check")
    assert (done.returncode, done.stderr) == (141, b"")
    assert not any(tmp_path.iterdir()), "--check writes nothing"


def test_a_closed_stderr_exits_141_without_a_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n")
    done = run_into_closed_pipe(str(spec), closed="stderr")
    assert (done.returncode, done.stdout) == (141, b"")


def run_stdin(spec: bytes, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, stdin=io.BytesIO(spec))
    return code, out.getvalue(), err.getvalue()


def test_dash_reads_the_spec_from_standard_input() -> None:
    code, out, _ = run_stdin(Path(SEED).read_bytes(), "-")
    assert code == 0
    assert out == run(SEED)[1].replace("from two-uplinks.yaml.", "from standard input.")
    assert "# Generated by netcompile from standard input. Do not edit:" in out


def test_errors_in_standard_input_name_it_and_quote_the_line() -> None:
    code, _, err = run_stdin(b"version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n", "-")
    assert code == 2
    assert err.splitlines() == [
        "<stdin>:4:10: interfaces.eth0.mtu: 10 is out of range (use a value from 68 to 65535)",
        "        mtu: 10",
        "             ^",
        "netcompile: 1 error; nothing was written",
    ]


def test_standard_input_with_root_writes_and_checks(tmp_path: Path) -> None:
    spec = Path(SEED).read_bytes()
    code, out, _ = run_stdin(spec, "-", "--target", "all", "--root", str(tmp_path))
    assert code == 0 and "add" in out
    rt_tables = tmp_path / "etc" / "iproute2" / "rt_tables.d" / "netcompile.conf"
    assert rt_tables.read_text().endswith("100\tisp-a\n101\tisp-b\n")
    assert run_stdin(spec, "-", "--target", "all", "--root", str(tmp_path), "--check") == (
        0, "", "")
    assert run_stdin(spec, "-", "--validate")[1] == (
        "<stdin>: valid: 2 interfaces, 5 routes, 2 rules\n")


def test_an_empty_root_is_refused_not_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--check"], ["--prune"]):
        code, out, err = run(SEED, "--root", "", *extra)
        assert (code, out) == (2, "")
        assert err == ("netcompile: error: --root needs a directory, not an empty string "
                       "(write --root . to mean the current directory)\n")
    assert list(tmp_path.iterdir()) == []
    assert run(SEED, "--root", ".")[0] == 0
    assert (tmp_path / "etc" / "systemd" / "network").is_dir()





def test_validate_with_a_target_checks_what_compiling_for_it_checks(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\ninterfaces:\n  eth0:\n    addresses: [192.0.2.10/24]\n"
                    "rules:\n  - {fwmark: 0, family: ipv4, table: main, priority: 10}\n")
    assert run(str(spec), "--validate")[0] == 0
    code, out, err = run(str(spec), "--validate", "--target", "networkd")
    assert (code, out) == (2, "")
    assert "networkd cannot express this: the firewall mark 0x0" in err
    code, out, _ = run(SEED, "--validate", "-t", "all")
    assert code == 0 and out.endswith(": valid for all: 2 interfaces, 5 routes, 2 rules\n")


def test_help_shows_no_live_root_install_of_every_backend() -> None:
    _, out, _ = run("--help")
    assert "--root /" not in out and "--yes-all-backends-on-live-root" in out


def test_all_backends_on_the_live_root_need_the_explicit_flag(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer is replaced: this test must never write to the real root, whether
    the refusal works or not."""
    from netcompile import writer

    reached: list[Path] = []

    def record(root: Path, *args: object, **kwargs: object) -> list[object]:
        reached.append(root)
        return []

    monkeypatch.setattr(writer, "write_tree", record)
    monkeypatch.setattr(writer, "changes", record)
    code, out, err = run(SEED, "--target", "all", "--root", "/")
    assert (code, out, reached) == (2, "", [])
    assert err == ("netcompile: error: --target all with --root / would install the "
                   "configuration of every network stack for the same interfaces on this host; "
                   "choose one --target, or add --yes-all-backends-on-live-root if that is "
                   "meant\n")
    assert run(SEED, "--target", "all", "--root", "/tmp/..")[0] == 2
    assert reached == []
    # --check writes nothing, and the flag says it is meant: both reach the writer.
    assert run(SEED, "--target", "all", "--root", "/", "--check")[0] == 0
    assert run(SEED, "--target", "all", "--root", "/", "--yes-all-backends-on-live-root")[0] == 0
    assert reached == [Path("/"), Path("/")]


SHADOWING = """\
version: 1
tables: {isp-a: 100, isp-b: 101}
interfaces:
  eth0:
    addresses: [192.0.2.10/24]
    gateways: [192.0.2.1]
    uplink: {table: isp-a, default: true}
  eth1:
    addresses: [198.51.100.10/24]
    gateways: [198.51.100.1]
    uplink: {table: isp-b}
rules:
  - {fwmark: 2, family: ipv4, table: isp-b, priority: 900}
"""


def test_warnings_are_located_and_strict_makes_them_errors(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SHADOWING)
    code, out, err = run(str(spec))
    assert code == 0 and "[Match]" in out
    assert err.splitlines() == [
        f"{spec}:13:5: warning: rules: this rule (priority 900) comes before eth0's uplink "
        "rules (priority 1000) and sends packets from eth0's 192.0.2.10 to table isp-b (101), "
        "the uplink table of eth1: replies leave by eth1 with eth0's address, and strict "
        "reverse-path filtering upstream drops them (give it a priority above 1000, or limit "
        "`from:` to eth1's addresses)",
        "      - {fwmark: 2, family: ipv4, table: isp-b, priority: 900}",
        "        ^",
    ]
    root = tmp_path / "root"
    code, out, err = run(str(spec), "--strict", "--root", str(root))
    assert (code, out) == (2, "") and not root.exists()
    assert err.endswith("netcompile: 1 warning, and --strict makes warnings errors; nothing "
                        "was written\n")


def test_import_is_a_subcommand(tmp_path: Path) -> None:
    source = tmp_path / "01-netcfg.yaml"
    source.write_text("network:\n  version: 2\n  ethernets:\n    eth0:\n"
                      "      addresses: [192.0.2.10/24]\n      accept-ra: no\n")
    code, out, err = run("import", "netplan", str(source))
    assert (code, err) == (0, "") and "  eth0:\n    addresses: [192.0.2.10/24]\n" in out
