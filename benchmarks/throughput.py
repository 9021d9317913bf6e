"""Aggregate throughput over N uplinks: netcompile's output applied by a real
backend, against the same host without the uplink intent (one default route).

Each case builds a fresh lab from the N-uplink spec (the lab wires one router per
uplink), applies the backend's files, shapes every server uplink with tbf to R,
and downloads from every uplink address at once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import netcompile
from tests.lab.deploy import deployed
from tests.lab.topology import remove_stale

from . import iperf, shaping
from .report import write_json
from .specs import baseline_spec, uplinks_spec
from .svg import line_chart

COUNTS = (1, 2, 4)
TARGET_RATIO = 0.95
# TCP payload per frame tbf counts (1448 of 1514 bytes with timestamps): the most
# goodput a shaped link can carry, whatever the routing.
GOODPUT_CEILING = 1448 / 1514


@dataclass(slots=True)
class Case:
    backend: str
    configuration: str  # "uplinks" (netcompile's intent) or "baseline"
    uplinks: int
    rate_mbit: float
    seconds: float
    aggregate_mbit: float = 0.0
    streams: list[iperf.Stream] = field(default_factory=list)
    tx_bytes: dict[str, int] = field(default_factory=dict)
    ratio_to_baseline: float | None = None
    error: str = ""

    @property
    def ratio_to_limit(self) -> float:
        return self.aggregate_mbit / (self.uplinks * self.rate_mbit)

    @property
    def fairness(self) -> float:
        """Least-loaded uplink's bytes over the mean: 1.0 is a perfectly fair share."""
        values = list(self.tx_bytes.values())
        mean = sum(values) / len(values) if values else 0
        return min(values) / mean if mean else 0.0


def _network(text: str, name: str, work: Path) -> netcompile.Network:
    path = work / name
    path.write_text(text)
    return netcompile.build_network(str(path))


def run_case(backend: str, configuration: str, count: int, rate: float, seconds: float,
             work: Path) -> Case:
    case = Case(backend, configuration, count, rate, seconds)
    wired = _network(uplinks_spec(count), f"uplinks-{count}.yaml", work)
    applied = wired if configuration == "uplinks" else _network(
        baseline_spec(count), f"baseline-{count}.yaml", work)
    files = netcompile.render(applied, backend)
    with deployed(backend, wired, files, work / "lab") as deployment:
        topo = deployment.topology
        if configuration == "baseline":
            shaping.relax_rp_filter(topo)
        shaping.shape(topo, rate)
        interfaces = [u.interface for u in topo.uplinks]
        addresses = [str(a.ip) for u in topo.uplinks for a in u.addresses]
        with iperf.servers(topo.server, addresses, work) as ports:
            before = shaping.tx_bytes(topo.server, interfaces)
            case.streams = iperf.download(topo.client, list(zip(addresses, ports, strict=True)),
                                          seconds, work)
            after = shaping.tx_bytes(topo.server, interfaces)
    case.tx_bytes = {i: after[i] - before[i] for i in interfaces}
    case.aggregate_mbit = sum(s.mbit_s for s in case.streams)
    case.error = "; ".join(f"{s.address}: {s.error}" for s in case.streams if s.error)
    return case


@dataclass(slots=True)
class ThroughputReport:
    rate_mbit: float
    seconds: float
    cases: list[Case] = field(default_factory=list)

    def targets_met(self) -> bool:
        return all(c.ratio_to_limit >= TARGET_RATIO for c in self.cases
                   if c.configuration == "uplinks" and c.uplinks >= 2)


def run(backends: list[str], counts: tuple[int, ...], rate: float, seconds: float,
        deadline_s: float = 1800) -> ThroughputReport:
    """Every case once; cases past `deadline_s` are skipped, so the run is bounded."""
    remove_stale()
    report = ThroughputReport(rate, seconds)
    start = time.monotonic()
    for backend in backends:
        for count in counts:
            for configuration in ("uplinks", "baseline"):
                if time.monotonic() - start > deadline_s:
                    continue
                with tempfile.TemporaryDirectory(prefix="netcompile-tput-") as tmp:
                    try:
                        case = run_case(backend, configuration, count, rate, seconds,
                                        Path(tmp))
                    except Exception as error:  # one failed case must not hide the others
                        case = Case(backend, configuration, count, rate, seconds,
                                    error=f"{type(error).__name__}: {error}"[:2000])
                report.cases.append(case)
    for case in report.cases:
        base = next((b for b in report.cases if b.configuration == "baseline"
                     and b.backend == case.backend and b.uplinks == case.uplinks), None)
        if base and base.aggregate_mbit:
            case.ratio_to_baseline = case.aggregate_mbit / base.aggregate_mbit
    return report


def markdown(report: ThroughputReport) -> str:
    lines = [f"tbf {report.rate_mbit:g} Mbit/s (burst {shaping.BURST}) on each server uplink; "
             f"iperf3 -R from every uplink address at once for {report.seconds:g} s.", "",
             "| backend | configuration | N | aggregate Mbit/s | / NxR | / baseline | "
             "bytes sent per uplink (MB) | least share / mean |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for c in report.cases:
        sent = ", ".join(f"{i} {b / 1e6:.1f}" for i, b in c.tx_bytes.items())
        base = f"{c.ratio_to_baseline:.2f}" if c.ratio_to_baseline is not None else "n/a"
        lines.append(f"| {c.backend} | {c.configuration} | {c.uplinks} | "
                     f"{c.aggregate_mbit:.1f} | {c.ratio_to_limit:.3f} | {base} | {sent} | "
                     f"{c.fairness:.2f} |" + (f" error: {c.error}" if c.error else ""))
    lines += ["", f"- target ≥ {TARGET_RATIO} of NxR for N ≥ 2 with netcompile's output: "
              f"{'met' if report.targets_met() else '**not met**'} (TCP goodput can reach "
              f"at most {GOODPUT_CEILING:.3f} of a shaped link's rate: headers count too)"]
    return "\n".join(lines) + "\n"


def chart(report: ThroughputReport) -> str:
    series: dict[str, list[tuple[float, float]]] = {}
    for c in report.cases:
        series.setdefault(f"{c.backend} {c.configuration}", []).append(
            (c.uplinks, c.aggregate_mbit))
    limit = sorted({(c.uplinks, c.uplinks * c.rate_mbit) for c in report.cases})
    series["limit NxR"] = [(float(n), float(r)) for n, r in limit]
    return line_chart(series, "uplinks N", "aggregate Mbit/s",
                      f"Aggregate download over N uplinks, tbf {report.rate_mbit:g} Mbit/s each")


def main(args: argparse.Namespace, out: Path) -> str:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    counts = (2,) if args.quick else COUNTS
    seconds = args.duration or (2.0 if args.quick else 5.0)
    report = run(backends, counts, args.rate, seconds)
    write_json(out / "throughput.json", report)
    text = markdown(report)
    (out / "throughput.md").write_text(text)
    (out / "throughput.svg").write_text(chart(report))
    return text
