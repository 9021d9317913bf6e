"""Specs built on shared files (`include:`): the merge rule, and errors located in
the file where the bad value was written."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

import netcompile
from netcompile import compose
from netcompile.cli import main
from netcompile.loader import load_bytes
from tests.conftest import ROOT

FLEET = ROOT / "examples" / "fleet"

BASE = """\
version: 1
tables: {isp-a: 100, isp-b: 101}
interfaces:
  eth0:
    gateways: [192.0.2.1]
    uplink: {table: isp-a, default: true}
    dns: {servers: [192.0.2.53], search: [example.net]}
  eth1:
    gateways: [198.51.100.1]
    uplink: {table: isp-b}
"""


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def loaded(path: Path) -> compose.LoadedSpec:
    return compose.load(path.read_bytes(), str(path))


def test_mappings_merge_by_key_lists_are_replaced_and_null_removes(tmp_path: Path) -> None:
    write(tmp_path, {"common/base.yaml": BASE, "extra.yaml": "tables: {isp-b: 111}\n",
                     "host.yaml": """\
include: [common/base.yaml, extra.yaml]
interfaces:
  eth0:
    addresses: [192.0.2.10/24]
    dns: {search: ~}
  eth1:
    addresses: [198.51.100.10/24]
    gateways: [198.51.100.254]
"""})
    data = loaded(tmp_path / "host.yaml").data
    assert "include" not in data
    assert data["tables"] == {"isp-a": 100, "isp-b": 111}  # a later include wins
    assert data["interfaces"]["eth0"] == {
        "gateways": ["192.0.2.1"], "uplink": {"table": "isp-a", "default": True},
        "dns": {"servers": ["192.0.2.53"]}, "addresses": ["192.0.2.10/24"]}
    assert data["interfaces"]["eth1"]["gateways"] == ["198.51.100.254"]  # replaced whole


def test_a_spec_without_include_is_loaded_as_before(tmp_path: Path) -> None:
    raw = (ROOT / "examples" / "two-uplinks.yaml").read_bytes()
    plain = load_bytes(raw, "two-uplinks.yaml")
    composed = compose.load(raw, "two-uplinks.yaml")
    assert composed.data == plain.data
    assert composed.positions.values == plain.positions.values
    assert not composed.positions.value_files


def test_every_value_keeps_its_file_line_and_column(tmp_path: Path) -> None:
    write(tmp_path, {"common/base.yaml": BASE, "host.yaml":
                     "include: common/base.yaml\ninterfaces:\n  eth0:\n"
                     "    addresses: [192.0.2.10/24]\n"})
    positions = loaded(tmp_path / "host.yaml").positions
    base, host = str(tmp_path / "common/base.yaml"), str(tmp_path / "host.yaml")
    gateway = positions.of(("interfaces", "eth0", "gateways", 0))
    assert (gateway.file, gateway.line, gateway.column) == (base, 5, 16)
    address = positions.of(("interfaces", "eth0", "addresses", 0))
    assert (address.file, address.line, address.column) == (host, 4, 17)
    # The mapping both files write is the including file's.
    assert positions.of_key(("interfaces", "eth0")).file == host
    assert positions.of_key(("interfaces", "eth1")).file == base


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"common/base.yaml": BASE.replace("table: isp-b", "table: isp-c"),
                     "host.yaml": "include: common/base.yaml\ninterfaces:\n  eth0:\n"
                     "    addresses: [192.0.2.10/24]\n  eth1:\n"
                     "    addresses: [198.51.100.10/24]\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run("host.yaml")
    assert code == 2 and out == ""
    assert err.startswith("common/base.yaml:10:21: interfaces.eth1.uplink.table: unknown "
                          "table 'isp-c'")
    # The quoted line and the caret are the included file's.
    assert "\n        uplink: {table: isp-c}\n                        ^\n" in err


def test_errors_in_both_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, {"base.yaml": BASE.replace("192.0.2.1]", "192.0.2.1000]"),
                     "host.yaml": "include: base.yaml\ninterfaces:\n  eth0:\n"
                     "    addresses: [192.0.2.10/24]\n    mtu: 1\n"
                     "  eth1:\n    addresses: [198.51.100.10/24]\n"})
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_spec(str(tmp_path / "host.yaml"))
    files = [(Path(d.where.file).name, d.where.line) for d in caught.value.diagnostics]
    assert ("base.yaml", 5) in files and ("host.yaml", 5) in files


def test_a_second_place_in_another_file_is_named_with_its_file(tmp_path: Path) -> None:
    write(tmp_path, {"base.yaml": BASE, "host.yaml":
                     "include: base.yaml\ntables: {isp-c: 100}\ninterfaces:\n  eth0:\n"
                     "    addresses: [192.0.2.10/24]\n  eth1:\n"
                     "    addresses: [198.51.100.10/24]\n"})
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_spec(str(tmp_path / "host.yaml"))
    text = str(caught.value)
    assert f"{tmp_path / 'host.yaml'}:2:" in text
    assert f"{tmp_path / 'base.yaml'}:2:" in text, text  # the first table, in the base


def test_includes_are_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    write(tmp_path, {"hosts/web1.yaml": "include: ../layers/site.yaml\n"
                     "interfaces:\n  eth0: {addresses: [192.0.2.10/24]}\n"
                     "  eth1: {addresses: [198.51.100.10/24]}\n",
                     "layers/site.yaml": "include: common/base.yaml\n",
                     "layers/common/base.yaml": BASE})
    spec = netcompile.load_spec(str(tmp_path / "hosts" / "web1.yaml"))
    assert [i.name for i in spec.network.interfaces] == ["eth0", "eth1"]
    assert spec.network.source_name == "web1.yaml"


def test_standard_input_includes_from_the_current_directory(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    write(tmp_path, {"base.yaml": BASE})
    monkeypatch.chdir(tmp_path)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "netcompile"), "-"], capture_output=True, check=False,
        input=b"include: base.yaml\ninterfaces:\n  eth0: {addresses: [192.0.2.10/24]}\n"
              b"  eth1: {addresses: [198.51.100.10/24]}\n")
    assert result.returncode == 0, result.stderr
    assert b"From=198.51.100.10/32" in result.stdout


@pytest.mark.parametrize(("files", "message", "where"), [
    ({"host.yaml": "include: host.yaml\n"},
     "include: the spec includes itself: {d}/host.yaml -> {d}/host.yaml", "host.yaml:1:10"),
    ({"host.yaml": "include: [a.yaml]\n", "a.yaml": "include: [host.yaml]\n"},
     "include[0]: the spec includes itself: {d}/host.yaml -> {d}/a.yaml -> {d}/host.yaml",
     "a.yaml:1:11"),
    ({"host.yaml": "version: 1\ninclude: [missing.yaml]\n"},
     "include[0]: cannot read the included file {d}/missing.yaml: No such file or directory",
     "host.yaml:2:11"),
    ({"host.yaml": "include: sub\n", "sub/x.yaml": "version: 1\n"},
     "include: cannot read the included file {d}/sub: it is a directory", "host.yaml:1:10"),
    ({"host.yaml": "include: [base.yaml, 7]\n"},
     "include[1]: `include` must be a file name or a list of file names", "host.yaml:1:22"),
    ({"host.yaml": "include: []\n"},
     "include: `include` must be a file name or a list of file names", "host.yaml:1:10"),
    ({"host.yaml": 'include: "a\\nb.yaml"\n'},
     "include: `include` must be a file name or a list of file names", "host.yaml:1:10"),
    ({"host.yaml": "include: {file: a.yaml}\n"},
     "include: `include` must be a file name or a list of file names", "host.yaml:1:10"),
    ({"host.yaml": "include: base.yaml\n", "base.yaml": "version: [1\n"},
     "invalid YAML", "base.yaml:1:10"),  # at the `[` that is never closed
])
def test_bad_includes_are_located(tmp_path: Path, files: dict[str, str], message: str,
                                  where: str) -> None:
    write(tmp_path, files)
    with pytest.raises(netcompile.SpecError) as caught:
        netcompile.load_spec(str(tmp_path / "host.yaml"))
    [diagnostic] = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{tmp_path}/{where}: {message.format(d=tmp_path)}"), \
        str(diagnostic)


def test_includes_nest_and_fan_out_within_bounds(tmp_path: Path) -> None:
    chain = {f"l{i}.yaml": f"include: l{i + 1}.yaml\n" for i in range(compose.MAX_DEPTH + 1)}
    write(tmp_path, {**chain, f"l{compose.MAX_DEPTH + 1}.yaml": BASE})
    with pytest.raises(netcompile.SpecError, match="includes nest deeper than 8 files"):
        netcompile.load_spec(str(tmp_path / "l0.yaml"))
    many = [f"p{i}.yaml" for i in range(compose.MAX_FILES + 1)]
    write(tmp_path, {name: "version: 1\n" for name in many})
    write(tmp_path, {"wide.yaml": f"include: [{', '.join(many)}]\n"})
    with pytest.raises(netcompile.SpecError, match="the spec includes more than 64 files"):
        netcompile.load_spec(str(tmp_path / "wide.yaml"))


def test_the_fleet_example_compiles_like_a_written_out_spec(tmp_path: Path) -> None:
    written_out = (FLEET / "common" / "uplinks.yaml").read_text().replace(
        "uplinks.yaml", "").replace(
        "    gateways: [192.0.2.1]", "    addresses: [192.0.2.11/24]\n    gateways: [192.0.2.1]"
    ).replace("    gateways: [198.51.100.1]",
              "    addresses: [198.51.100.11/24]\n    gateways: [198.51.100.1]")
    (tmp_path / "web1.yaml").write_text(written_out)
    for target in netcompile.targets():
        assert netcompile.compile_file(str(FLEET / "web1.yaml"), target) == \
            netcompile.compile_file(str(tmp_path / "web1.yaml"), target)


def test_plan_reads_the_includes_of_a_git_side_from_the_same_revision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = ("include: common/base.yaml\ninterfaces:\n  eth0: {addresses: [192.0.2.10/24]}\n"
            "  eth1: {addresses: [198.51.100.10/24]}\n")
    write(tmp_path, {"net/common/base.yaml": BASE, "net/web1.yaml": host})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.net"]
    monkeypatch.chdir(tmp_path)
    for words in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run([*git, *words], check=True)
    (tmp_path / "net/common/base.yaml").write_text(BASE.replace("isp-b: 101", "isp-b: 102"))
    code, out, _ = run("plan", "git:HEAD:net/web1.yaml", "net/web1.yaml", "-t", "networkd")
    assert code == 1
    assert "number: 101 -> 102" in out
    assert "(was git:HEAD:net/common/base.yaml:2:22)" in out
    monkeypatch.chdir(tmp_path / "net")
    code, out, _ = run("plan", "git:HEAD:./web1.yaml", "web1.yaml", "-t", "networkd")
    assert code == 1 and "(was git:HEAD:./common/base.yaml:2:22)" in out
