"""`netcompile fleet DIR` (fleet.py) and `netcompile compose SPEC` (compose.py)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .backends import NAMES as TARGETS

if TYPE_CHECKING:
    from .fleet import Compiled

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .diagnostics import FORMATS

    parser = sub.add_parser(
        "fleet", help="compile every host spec of a directory into ROOT/HOST/",
        description="Compile every host spec in DIR (DIR/*.yaml and DIR/*.yml; the host is "
        "the file name without the suffix; shared files that hosts include belong in "
        "subdirectories) in parallel over the machine's cores. With --root, write each "
        "host's files under ROOT/HOST/ at their real paths: every host or none. With "
        "--check, write nothing: print the differences, exit 1 if any. Any invalid spec "
        "stops the whole fleet (exit 2, every host's errors printed). `netcompile plan` "
        "compares two fleet directories host by host.")
    parser.add_argument("directory", metavar="DIR", help="the directory of host specs")
    parser.add_argument("-t", "--target", choices=(*TARGETS, "all"), default="networkd",
                        help="backend to compile for (default: networkd)")
    parser.add_argument("-r", "--root", metavar="ROOT",
                        help="write host HOST's files under ROOT/HOST/")
    parser.add_argument("--check", action="store_true",
                        help="with --root: write nothing, print a unified diff, exit 1 if "
                        "anything would change")
    parser.add_argument("--prune", action="store_true",
                        help="with --root: also remove files an earlier run generated that "
                        "are no longer produced (hosts no longer in DIR included)")
    parser.add_argument("-j", "--jobs", type=int, metavar="N",
                        help="worker processes (default: the cores this process may use)")
    parser.add_argument("--diagnostics-format", choices=FORMATS, default="text",
                        help="how spec errors are reported: text on stderr (default), or "
                        "JSON or SARIF 2.1.0 on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import fleet
    from .diagnostics import report_all
    from .errors import NetcompileError

    if (args.check or args.prune) and args.root is None:
        err.write("netcompile: error: --check and --prune need --root ROOT\n")
        return EXIT_INVALID
    if args.root == "":
        err.write("netcompile: error: --root needs a directory, not an empty string "
                  "(write --root . to mean the current directory)\n")
        return EXIT_INVALID
    if args.jobs is not None and args.jobs < 1:
        err.write("netcompile: error: --jobs needs a number of processes, 1 or more\n")
        return EXIT_INVALID
    targets = TARGETS if args.target == "all" else (args.target,)
    started = time.monotonic()
    try:
        hosts = fleet.hosts(args.directory)
    except NetcompileError as error:
        err.write(f"netcompile: error: {error}\n")
        return EXIT_INVALID
    jobs = args.jobs or fleet.default_jobs()
    fleet.warm_up()
    compiled = fleet.compile_all(hosts, targets, jobs)
    failed = [c for c in compiled if c.problems]
    if failed:
        report_all([p for c in failed for p in c.problems], args.diagnostics_format, out, err)
        count = sum(len(c.problems) for c in failed)
        err.write(f"netcompile: {count} error{'s' if count != 1 else ''} in {len(failed)} "
                  f"of {len(hosts)} host{'s' if len(hosts) != 1 else ''} "
                  f"({', '.join(c.host for c in failed[:10])}"
                  f"{', ...' if len(failed) > 10 else ''}); nothing was written\n")
        return EXIT_INVALID
    files = sum(len(c.files) for c in compiled)
    if args.root is None:
        for host in compiled:
            out.write(f"{host.host}: {len(host.files)} files\n")
        out.write(f"{len(hosts)} hosts valid for {', '.join(targets)}: {files} files "
                  f"({time.monotonic() - started:.2f} s, {jobs} jobs)\n")
        return EXIT_OK
    return _write(args, compiled, targets, out, err)


def _write(args: argparse.Namespace, compiled: list[Compiled],
           targets: tuple[str, ...], out: TextIO, err: TextIO) -> int:
    from . import fleet
    from .cli import report_write_failure, report_written
    from .rootdir import RefusedPath
    from .writer import unified_diff

    root = Path(args.root)
    try:
        done = fleet.changes(root, compiled, targets, prune=args.prune,
                             write=not args.check)
    except (OSError, RefusedPath) as error:
        report_write_failure(error, root, err)
        return EXIT_INVALID
    if args.check:
        out.write(unified_diff(done))
        return EXIT_CHANGES if done else EXIT_OK
    report_written(done, root, args.prune, out, err)
    written = sum(1 for c in done if c.kind != "stale")
    out.write(f"{len(compiled)} hosts: {written} file{'s' if written != 1 else ''} "
              f"written under {root}\n")
    return EXIT_OK


def add_compose_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compose", help="print a spec with the files it includes merged in (JSON)",
        description="Validate SPEC, then print it with every file it includes merged in, "
        "as JSON (which is YAML too): what the host's spec amounts to, and a spec that "
        "needs no other file (the Ansible collection keeps it on the host for its plan).")
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.set_defaults(handler=compose)


def compose(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from . import compose as composer
    from . import load_spec_bytes
    from .diagnostics import report
    from .errors import NetcompileError
    from .loader import read_file

    try:
        raw = read_file(args.spec)
        load_spec_bytes(raw, args.spec)
        data = composer.load(raw, args.spec).data
    except NetcompileError as error:
        report(error, "text", out, err)
        return EXIT_INVALID
    out.write(json.dumps(data, indent=2) + "\n")
    return EXIT_OK
