"""`python -m benchmarks [--quick] [--only compile|throughput]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import netcompile

from . import compile_speed
from .report import compile_markdown, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: N = 2 for 2 s, compile speed at size 10")
    parser.add_argument("--only", choices=("compile", "throughput"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="report directory")
    parser.add_argument("--repeats", type=int, help="compile runs per size (default 7)")
    parser.add_argument("--rate", type=float, default=100.0, help="tbf rate per uplink, Mbit/s")
    parser.add_argument("--duration", type=float, help="seconds of traffic per case (default 5)")
    parser.add_argument("--backends", default=",".join(netcompile.targets()),
                        help="comma-separated appliers for the throughput run "
                        "(default: every backend)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "compile"):
        sizes = (10,) if args.quick else compile_speed.SIZES
        repeats = args.repeats or (2 if args.quick else 7)
        report = compile_speed.run(sizes, repeats)
        write_json(out / "compile.json", report)
        text = compile_markdown(report)
        (out / "compile.md").write_text(text)
        sys.stdout.write("## Compile speed\n\n" + text + "\n")
    if args.only in (None, "throughput"):
        from . import throughput

        text = throughput.main(args, out)
        sys.stdout.write("## Throughput\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
