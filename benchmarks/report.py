"""Reports: JSON for machines, Markdown tables for docs/performance.md."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .compile_speed import COLD_START_TARGET_S, CompileReport


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        # Derived figures (ratios, targets) are properties: keep them in the JSON too.
        for name, attr in vars(type(value)).items():
            if isinstance(attr, property):
                data[name] = to_jsonable(getattr(value, name))
        return data
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 6)
    return value


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(value), indent=2) + "\n")


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def compile_markdown(report: CompileReport) -> str:
    lines = [f"Median of {report.repeats} runs each, whole process, interleaved; netplan.io "
             f"{report.netplan_version}; netcompile's bytecode written before timing, as "
             f"an install does ({report.byte_compiled} modules needed it).", "",
             "| uplinks | spec bytes | netcompile s | netplan generate s | ratio | "
             "netcompile --root s | ratio | netcompile peak MiB | netplan peak MiB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in report.sizes:
        netplan = s.netplan
        written = s.netcompile_root
        lines.append(
            f"| {s.interfaces} | {s.spec_bytes} | {s.netcompile.median_s:.3f} | "
            f"{f'{netplan.median_s:.3f}' if netplan else 'n/a'} | "
            f"{f'{s.ratio:.2f}' if s.ratio else 'n/a'} | "
            f"{f'{written.median_s:.3f}' if written else 'n/a'} | "
            f"{f'{s.root_ratio:.2f}' if s.root_ratio else 'n/a'} | "
            f"{s.netcompile.max_rss_kib / 1024:.1f} | "
            f"{f'{netplan.max_rss_kib / 1024:.1f}' if netplan else 'n/a'} |")
    lines.append("")
    lines.append("`netcompile s` prints the files to stdout (to /dev/null here); `netcompile "
                 "--root s` writes every file into an empty directory, as "
                 "netplan generate writes its own; both ratios are against netplan generate.")
    lines.append("")
    if report.cold_start:
        lines.append(f"- cold start, `netcompile --help`: {report.cold_start.median_s:.3f} s "
                     f"(target < {COLD_START_TARGET_S} s: {_yes(report.cold_start_ok)})")
    if report.fit:
        lines.append(f"- linear fit t = a + b·n: a = {report.fit.fixed_s * 1000:.0f} ms, "
                     f"b = {report.fit.per_item_s * 1000:.3f} ms per uplink, "
                     f"R² = {report.fit.r_squared:.4f}")
    if report.exponent is not None:
        lines.append(f"- growth exponent of the size-dependent time: {report.exponent:.2f} "
                     f"(linear: {_yes(report.linear)})")
    lines.append(f"- faster than netplan generate at every size: {_yes(report.faster_everywhere)}")
    return "\n".join(lines) + "\n"
