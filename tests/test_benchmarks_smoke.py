"""The benchmarks still run and report what they promise (a short run of each):
figures positive and consistent with each other, never compared with a target."""

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
    for sample in (size["netcompile"], size["netcompile_root"], report["cold_start"]):
        assert sample["median_s"] > 0 and sample["max_rss_kib"] > 0
        assert sample["runs_s"] == [pytest.approx(sample["median_s"], abs=1e-5)]
    # netplan is timed where it is installed, and CI installs it.
    netplan = shutil.which("netplan")
    assert netplan or not IN_CI, "CI must install netplan.io"
    if netplan is None:
        assert size["netplan"] is None and size["ratio"] is None
    else:
        assert size["netplan"]["median_s"] > 0
        assert size["ratio"] == pytest.approx(
            size["netcompile"]["median_s"] / size["netplan"]["median_s"], rel=1e-4)
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
        assert case["aggregate_mbit"] == pytest.approx(
            sum(stream["mbit_s"] for stream in case["streams"]), rel=1e-4)
        assert case["ratio_to_limit"] == pytest.approx(
            case["aggregate_mbit"] / (case["uplinks"] * case["rate_mbit"]), rel=1e-4)
        assert len(case["tx_bytes"]) == 2
    assert cases["uplinks"]["ratio_to_baseline"] == pytest.approx(
        cases["uplinks"]["aggregate_mbit"] / cases["baseline"]["aggregate_mbit"], rel=1e-4)
    # With the intent applied, both uplinks carry a share of the bytes; without it,
    # replies leave by the default route's uplink only.
    sent = cases["uplinks"]["tx_bytes"].values()
    assert min(sent) > 0.1 * sum(sent), cases["uplinks"]["tx_bytes"]
    baseline = cases["baseline"]["tx_bytes"].values()
    assert min(baseline) < 0.01 * max(baseline), cases["baseline"]["tx_bytes"]
    assert (tmp_path / "throughput.svg").read_text().startswith("<svg")
