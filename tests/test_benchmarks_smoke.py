"""The benchmarks still run and report what they promise (a short run of each;
figures must be positive, never compared with a target here)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from tests.conftest import IN_CI


def test_compile_speed_report(tmp_path: Path) -> None:
    assert main(["--quick", "--only", "compile", "--repeats", "1", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "compile.json").read_text())
    (size,) = report["sizes"]
    assert size["interfaces"] == 10
    assert size["netcompile"]["median_s"] > 0
    assert size["netcompile"]["max_rss_kib"] > 0
    if shutil.which("netplan"):
        assert size["netplan"]["median_s"] > 0
        assert size["ratio"] > 0
    assert report["cold_start"]["median_s"] > 0
    assert "| 10 |" in (tmp_path / "compile.md").read_text()


def _lab_ready() -> str:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    missing = [t for t in ("ip", "tc", "iperf3", "ss", "nsenter", "unshare") if not shutil.which(t)]
    if not os.path.exists("/lib/systemd/systemd-networkd"):
        missing.append("systemd-networkd")
    return f"missing: {', '.join(missing)}" if missing else ""


@pytest.mark.lab
def test_throughput_report(tmp_path: Path) -> None:
    reason = _lab_ready()
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI must provide it)")
        pytest.skip(reason)
    assert main(["--quick", "--only", "throughput", "--duration", "1", "--backends", "networkd",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    cases = {c["configuration"]: c for c in report["cases"]}
    assert set(cases) == {"uplinks", "baseline"}
    for case in cases.values():
        assert case["error"] == "", case["error"]
        assert case["uplinks"] == 2
        assert case["aggregate_mbit"] > 0
        assert case["ratio_to_limit"] > 0
        assert len(case["tx_bytes"]) == 2
    # With the intent applied, both uplinks carry traffic.
    assert all(b > 0 for b in cases["uplinks"]["tx_bytes"].values())
    assert cases["uplinks"]["ratio_to_baseline"] > 0
    assert (tmp_path / "throughput.svg").read_text().startswith("<svg")
