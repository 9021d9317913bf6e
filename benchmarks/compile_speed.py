"""Compile speed: `netcompile SPEC --target networkd` against `netplan generate` on
netcompile's own netplan output for the same spec, whole processes, same run.

netplan generate writes its files (two per uplink), while `netcompile SPEC` prints
them: each size is also timed as `netcompile SPEC --target networkd --root DIR`,
writing every file (durably, all or nothing) into an empty DIR, interleaved with
the others."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import netcompile

from .fit import LinearFit, growth_exponent, linear
from .specs import uplinks_spec
from .timing import ChildRun, median, netcompile_argv, run_child

SIZES = (1, 10, 100, 1000)
COLD_START_TARGET_S = 0.5
LINEAR_EXPONENT_MAX = 1.15  # a little slack above 1 for timing noise


class BenchmarkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Sample:
    median_s: float
    runs_s: list[float]
    max_rss_kib: int
    rss_exact: bool


@dataclass(frozen=True, slots=True)
class SizeResult:
    interfaces: int
    spec_bytes: int
    netcompile: Sample
    netplan: Sample | None  # None where netplan is not installed
    netcompile_root: Sample | None = None  # `--root DIR`: every file written

    @property
    def ratio(self) -> float | None:
        """netcompile time / netplan time: below 1 means netcompile is faster."""
        return self.netcompile.median_s / self.netplan.median_s if self.netplan else None

    @property
    def root_ratio(self) -> float | None:
        """The same with netcompile writing its files too."""
        if self.netplan is None or self.netcompile_root is None:
            return None
        return self.netcompile_root.median_s / self.netplan.median_s


@dataclass(slots=True)
class CompileReport:
    repeats: int
    sizes: list[SizeResult] = field(default_factory=list)
    cold_start: Sample | None = None
    fit: LinearFit | None = None
    exponent: float | None = None
    netplan_version: str = ""
    byte_compiled: int = 0  # netcompile modules byte-compiled before timing

    @property
    def faster_everywhere(self) -> bool | None:
        ratios = [s.ratio for s in self.sizes]
        return None if any(r is None for r in ratios) else all(r < 1 for r in ratios if r)

    @property
    def cold_start_ok(self) -> bool | None:
        return None if self.cold_start is None else self.cold_start.median_s < COLD_START_TARGET_S

    @property
    def linear(self) -> bool | None:
        return None if self.exponent is None else self.exponent <= LINEAR_EXPONENT_MAX


def _sample(runs: list[ChildRun]) -> Sample:
    return Sample(median([r.seconds for r in runs]), [round(r.seconds, 5) for r in runs],
                  max(r.max_rss_kib for r in runs), all(r.rss_exact for r in runs))


def _checked(run: ChildRun, what: str) -> ChildRun:
    # netplan only warns (exit 0) about what it dislikes: stderr counts as failure too.
    if run.returncode != 0 or run.stderr.strip():
        raise BenchmarkError(f"{what} failed ({run.returncode}): {run.stderr[:2000]}")
    return run


def _netplan_root(spec: Path, root: Path) -> None:
    """netcompile's netplan files for `spec`, where `netplan generate --root-dir` reads them."""
    for f in netcompile.compile_file(str(spec), "netplan"):
        if f.path.startswith("etc/netplan/"):
            target = root / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f.content)
            target.chmod(f.mode)


def netplan_version() -> str:
    found = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "netplan.io"],
                           capture_output=True, text=True, timeout=10, check=False)
    return found.stdout.strip() if found.returncode == 0 else "unknown"


def measure_size(count: int, repeats: int, work: Path) -> SizeResult:
    spec = work / f"uplinks-{count}.yaml"
    spec.write_text(uplinks_spec(count, ipv6=True))
    root = work / f"netplan-{count}"
    _netplan_root(spec, root)
    netplan = shutil.which("netplan")
    written = work / f"networkd-{count}"
    ours: list[ChildRun] = []
    ours_root: list[ChildRun] = []
    theirs: list[ChildRun] = []
    # Interleaved, so that all three see the same machine noise.
    for _ in range(repeats):
        ours.append(_checked(run_child([*netcompile_argv(), str(spec), "--target", "networkd"]),
                             "netcompile"))
        shutil.rmtree(written, ignore_errors=True)  # every file is new, none skipped
        ours_root.append(_checked(run_child([*netcompile_argv(), str(spec), "--target",
                                             "networkd", "--root", str(written)]),
                                  "netcompile --root"))
        if netplan:
            theirs.append(_checked(run_child([netplan, "generate", "--root-dir", str(root)]),
                                   "netplan generate"))
    return SizeResult(count, spec.stat().st_size, _sample(ours),
                      _sample(theirs) if theirs else None, _sample(ours_root))


def byte_compile() -> int:
    """Write netcompile's bytecode, as `pip install` does, and return how many modules
    needed it. A checkout installed in editable mode under PYTHONDONTWRITEBYTECODE has
    none, and would otherwise compile every module's source again in every timed run."""
    import compileall
    import io
    from contextlib import redirect_stdout

    package = Path(netcompile.__file__).parent
    before = len(list(package.rglob("__pycache__/*.pyc")))
    with redirect_stdout(io.StringIO()):
        if not compileall.compile_dir(package, quiet=1):
            raise BenchmarkError(f"byte-compiling {package} failed")
    return len(list(package.rglob("__pycache__/*.pyc"))) - before


def run(sizes: tuple[int, ...] = SIZES, repeats: int = 7) -> CompileReport:
    report = CompileReport(repeats, netplan_version=netplan_version())
    report.byte_compiled = byte_compile()
    with tempfile.TemporaryDirectory(prefix="netcompile-bench-") as tmp:
        for count in sizes:
            report.sizes.append(measure_size(count, repeats, Path(tmp)))
    report.cold_start = _sample([_checked(run_child([*netcompile_argv(), "--help"]), "--help")
                                 for _ in range(repeats)])
    if len(sizes) >= 2:
        seconds = [s.netcompile.median_s for s in report.sizes]
        report.fit = linear(list(sizes), seconds)
        report.exponent = growth_exponent(list(sizes), seconds)
    return report
