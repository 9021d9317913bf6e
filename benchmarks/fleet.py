"""A fleet in one run: `netcompile fleet DIR --root ROOT` over N hosts of 2-4 uplinks,
against one `netcompile HOST.yaml --root ROOT/HOST` process per host run with the
same parallelism, interleaved in the same run. Wall time and peak memory (the sum
of the resident sets of every process of the run, sampled every 10 ms; and the
largest single process). Both must leave byte-identical trees.

    python -m benchmarks.fleet [--hosts 1000] [--repeats 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .timing import netcompile_argv

RESULTS = Path(__file__).resolve().parent / "results"
TABLE_BASE = 100
SAMPLE_S = 0.01
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def uplinks_of(host: int) -> int:
    return 2 + host % 3  # 2, 3, 4, 2, ...


def write_fleet(directory: Path, hosts: int) -> None:
    """A shared base (tables, four uplinks, DNS) and one small file per host that
    includes it, adds addresses and gateways, and removes the uplinks it lacks."""
    (directory / "common").mkdir(parents=True)
    base = ["# Shared by every host: tables and the uplink intent.", "version: 1", "tables:"]
    base += [f"  isp-{u}: {TABLE_BASE + u}" for u in range(4)]
    base += ["interfaces:"]
    for u in range(4):
        default = ", default: true" if u == 0 else ""
        base += [f"  up{u}:", f"    uplink: {{table: isp-{u}{default}}}"]
        if u == 0:
            base += ["    dns: {servers: [198.18.255.53], search: [example.net]}"]
    (directory / "common" / "base.yaml").write_text("\n".join(base) + "\n")
    for host in range(hosts):
        lines = ["include: common/base.yaml", "interfaces:"]
        for u in range(4):
            if u >= uplinks_of(host):
                lines.append(f"  up{u}: ~")
                continue
            # 198.18.0.0/15 (RFC 2544), a /28 per uplink: 4 per host, 8192 in all.
            block = (host * 4 + u) * 16
            prefix = f"198.{18 + block // 65536}.{block // 256 % 256}.{block % 256}"
            first, second = prefix.rsplit(".", 1)
            lines.append(f"  up{u}: {{addresses: [{first}.{int(second) + 2}/28], "
                         f"gateways: [{first}.{int(second) + 1}]}}")
        (directory / f"host{host:04d}.yaml").write_text("\n".join(lines) + "\n")


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_total_kib: int  # all processes of the run at once
    peak_process_kib: int  # the largest single process


class _Sampler:
    """Peak resident memory of a set of process trees, polled from /proc."""

    def __init__(self, roots: Callable[[], list[int]]):
        self.roots = roots
        self.total = 0
        self.single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            sizes = [_rss_kib(pid) for root in self.roots() for pid in _tree(root)]
            self.total = max(self.total, sum(sizes))
            self.single = max(self.single, max(sizes, default=0))
            self._stop.wait(SAMPLE_S)


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo and len(found) < 10_000:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as stream:
                todo += [int(child) for child in stream.read().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as stream:
            return int(stream.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def run_fleet(directory: Path, root: Path, jobs: int) -> Run:
    argv = [*netcompile_argv(), "fleet", str(directory), "--root", str(root), "--jobs",
            str(jobs)]
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        child = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE)
        with _Sampler(lambda: [child.pid]) as sampler:
            _, err = child.communicate(timeout=600)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(f"netcompile fleet failed: {err.decode(errors='replace')}")
    return Run(seconds, sampler.total, sampler.single)


def run_per_host(directory: Path, root: Path, jobs: int) -> Run:
    specs = sorted(directory.glob("*.yaml"))
    running: list[subprocess.Popen[bytes]] = []
    start = time.perf_counter()
    deadline = start + 1800
    with open(os.devnull, "wb") as null, \
            _Sampler(lambda: [p.pid for p in list(running)]) as sampler:
        for spec in specs:
            while len(running) >= jobs:
                _reap(running, block=True)
            if time.perf_counter() > deadline:
                raise RuntimeError("one process per host took longer than 30 minutes")
            running.append(subprocess.Popen(
                [*netcompile_argv(), str(spec), "--root", str(root / spec.stem)],
                stdout=null, stderr=subprocess.DEVNULL))
        while running:
            _reap(running, block=True)
    return Run(time.perf_counter() - start, sampler.total, sampler.single)


def _reap(running: list[subprocess.Popen[bytes]], block: bool) -> None:
    pid, status = os.wait() if block else (0, 0)
    for process in running:
        if process.pid == pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            running.remove(process)
            if process.returncode != 0:
                raise RuntimeError(f"{process.args} failed with {process.returncode}")
            return


def same_tree(a: Path, b: Path) -> bool:
    def listing(root: Path) -> dict[str, tuple[bytes, int]]:
        return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode)
                for p in root.rglob("*") if p.is_file()}
    return listing(a) == listing(b)


def measure(hosts: int, repeats: int, jobs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="netcompile-fleet-") as scratch:
        directory = Path(scratch) / "fleet"
        write_fleet(directory, hosts)
        fleet_runs: list[Run] = []
        host_runs: list[Run] = []
        for attempt in range(repeats):  # interleaved: the machine's load hits both
            one, two = Path(scratch) / f"fleet-{attempt}", Path(scratch) / f"hosts-{attempt}"
            fleet_runs.append(run_fleet(directory, one, jobs))
            host_runs.append(run_per_host(directory, two, jobs))
            if not same_tree(one, two):
                raise RuntimeError("the fleet and the per-host runs wrote different trees")
            files = sum(1 for p in one.rglob("*") if p.is_file())
            shutil.rmtree(one)
            shutil.rmtree(two)
    fleet_s = statistics.median(r.seconds for r in fleet_runs)
    hosts_s = statistics.median(r.seconds for r in host_runs)
    return {
        "hosts": hosts, "uplinks": "2-4", "files": files, "jobs": jobs, "repeats": repeats,
        "cores": os.cpu_count(), "load_average": os.getloadavg(),
        "fleet": [asdict(r) for r in fleet_runs], "per_host": [asdict(r) for r in host_runs],
        "fleet_median_s": fleet_s, "per_host_median_s": hosts_s,
        "speedup": hosts_s / fleet_s,
        "fleet_peak_total_kib": max(r.peak_total_kib for r in fleet_runs),
        "per_host_peak_total_kib": max(r.peak_total_kib for r in host_runs),
        "fleet_peak_process_kib": max(r.peak_process_kib for r in fleet_runs),
        "per_host_peak_process_kib": max(r.peak_process_kib for r in host_runs),
    }


def markdown(report: dict[str, object]) -> str:
    def mib(kib: object) -> str:
        return f"{int(str(kib)) / 1024:.0f} MiB"

    fleet_runs = ", ".join(f"{r['seconds']:.2f}" for r in report["fleet"])  # type: ignore[attr-defined]
    host_runs = ", ".join(f"{r['seconds']:.2f}" for r in report["per_host"])  # type: ignore[attr-defined]
    return (
        f"{report['hosts']} hosts of {report['uplinks']} uplinks ({report['files']} files, "
        f"networkd), {report['jobs']} processes at a time, {report['cores']} cores, "
        f"median of {report['repeats']} interleaved runs:\n\n"
        "| | wall time | peak memory, all processes | largest process |\n"
        "| --- | ---: | ---: | ---: |\n"
        f"| `netcompile fleet DIR --root ROOT` | {report['fleet_median_s']:.2f} s "
        f"({fleet_runs}) | {mib(report['fleet_peak_total_kib'])} | "
        f"{mib(report['fleet_peak_process_kib'])} |\n"
        f"| one `netcompile HOST.yaml --root ROOT/HOST` per host | "
        f"{report['per_host_median_s']:.2f} s ({host_runs}) | "
        f"{mib(report['per_host_peak_total_kib'])} | "
        f"{mib(report['per_host_peak_process_kib'])} |\n\n"
        f"The fleet run is {report['speedup']:.1f} times as fast; both wrote "
        "byte-identical trees.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = measure(args.hosts, args.repeats, args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fleet.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / "fleet.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
