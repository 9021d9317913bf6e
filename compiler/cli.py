"""The `netcompile` command. Heavy imports happen after argument parsing so that
`netcompile --help` starts fast."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .backends import NAMES as TARGETS

if TYPE_CHECKING:
    from .output import OutputFile

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_INVALID = 2

DESCRIPTION = """\
Compile one declarative network spec (YAML) into the configuration files of
systemd-networkd, netplan, NetworkManager or ifupdown, plus rt_tables.d names.

Without --root, every file is printed with its path. With --root DIR, the files
are written at their real paths under DIR (DIR/etc/systemd/network/...), all or
none. With --root DIR --check, nothing is written: the differences are shown as
a unified diff."""

EPILOG = """\
examples:
  netcompile spec.yaml                          print the networkd files
  netcompile spec.yaml --target netplan         print the netplan YAML
  netcompile spec.yaml --target all --root /    install every backend's files
  netcompile spec.yaml --root image/ --check    exit 1 if image/ is out of date
  netcompile spec.yaml --validate               only check the spec
  netcompile --schema > netcompile.schema.json  the JSON Schema, for editors

exit codes:
  0  success (with --check: nothing would change)
  1  --check found differences
  2  invalid spec, a backend cannot express the spec, or bad usage

The spec reference is in README.md; every error message is explained in
docs/errors.md."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netcompile", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument("spec", nargs="?", help="the spec file (YAML)")
    parser.add_argument("-t", "--target", choices=(*TARGETS, "all"), default="networkd",
                        help="backend to compile for (default: networkd); `all` renders "
                        "every backend")
    parser.add_argument("-r", "--root", type=Path, metavar="DIR",
                        help="write the files under DIR at their real paths")
    parser.add_argument("--check", action="store_true",
                        help="with --root: write nothing, print a unified diff, exit 1 "
                        "if anything would change (stale files included)")
    parser.add_argument("--prune", action="store_true",
                        help="with --root: also remove files an earlier run generated "
                        "that the spec no longer produces")
    parser.add_argument("--validate", action="store_true",
                        help="only validate the spec; print a summary")
    parser.add_argument("--schema", action="store_true",
                        help="print the spec's JSON Schema (Draft 2020-12) and exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_INVALID

    if args.help:
        parser.print_help(out)
        return EXIT_OK
    if args.version:
        from . import __version__

        out.write(f"netcompile {__version__}\n")
        return EXIT_OK
    if args.schema:
        from .schema import schema_text

        out.write(schema_text())
        return EXIT_OK
    if args.spec is None:
        parser.print_usage(err)
        err.write("netcompile: error: the spec file is required\n")
        return EXIT_INVALID
    if (args.check or args.prune) and args.root is None:
        err.write("netcompile: error: --check and --prune need --root DIR\n")
        return EXIT_INVALID
    # One short-lived compile allocates tens of thousands of objects and makes
    # almost no cycles: the collector's passes over them were a tenth of the time.
    gc.disable()
    try:
        return _run(args, out, err)
    finally:
        gc.enable()


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import load_spec, render
    from .errors import NetcompileError, SpecError, UnsupportedErrors

    targets = TARGETS if args.target == "all" else (args.target,)
    try:
        spec = load_spec(args.spec)
        network = spec.network
        if args.validate:
            out.write(f"{args.spec}: valid: {len(network.interfaces)} interfaces, "
                      f"{len(network.routes)} routes, {len(network.rules)} rules\n")
            return EXIT_OK
        files = _merge([f for target in targets for f in render(network, target, spec.options)])
    except SpecError as error:
        for diagnostic in error.diagnostics:
            err.write(_format_located(str(diagnostic), diagnostic.where.line,
                                      diagnostic.where.column, args.spec))
        err.write(f"netcompile: {len(error.diagnostics)} error"
                  f"{'s' if len(error.diagnostics) != 1 else ''}; nothing was written\n")
        return EXIT_INVALID
    except UnsupportedErrors as error:
        for problem in error.errors:
            err.write(_format_located(str(problem), problem.where.line, problem.where.column,
                                      args.spec))
        err.write("netcompile: the spec asks for something this backend cannot express; "
                  "nothing was written\n")
        return EXIT_INVALID
    except NetcompileError as error:
        err.write(f"netcompile: error: {error}\n")
        return EXIT_INVALID

    if args.root is None:
        for f in files:
            out.write(f"# ==> {f.path} (mode {f.mode:04o}) <==\n{f.content}")
            if f is not files[-1]:
                out.write("\n")
        return EXIT_OK

    from .writer import changes, unified_diff, write_tree

    if args.check:
        try:
            pending = changes(args.root, files, targets)
        except OSError as error:
            err.write(f"netcompile: error: reading under {args.root} failed: {error}\n")
            return EXIT_INVALID
        out.write(unified_diff(pending))
        return EXIT_CHANGES if pending else EXIT_OK
    try:
        done = write_tree(args.root, files, targets, prune=args.prune)
    except OSError as error:
        from .writer import IncompleteRollback

        outcome = ("some files could not be put back" if isinstance(error, IncompleteRollback)
                   else "nothing was changed")
        err.write(f"netcompile: error: writing under {args.root} failed: {error}; "
                  f"{outcome}\n")
        return EXIT_INVALID
    for change in done:
        if change.kind != "stale":
            out.write(f"{change.kind:7} {args.root / change.path}\n")
        elif args.prune:
            out.write(f"removed {args.root / change.path}\n")
        else:
            err.write(f"netcompile: stale: {args.root / change.path} is no longer produced "
                      "(remove it with --prune)\n")
    return EXIT_OK


def _merge(files: list[OutputFile]) -> list[OutputFile]:
    """With --target all, backends may share a file (rt_tables.d): keep one copy,
    and refuse two different contents for one path."""
    from .errors import NetcompileError

    by_path: dict[str, OutputFile] = {}
    for f in files:
        seen = by_path.setdefault(f.path, f)
        if seen != f:
            raise NetcompileError(f"two backends produce different contents for {f.path}")
    return sorted(by_path.values(), key=lambda f: f.path)


def _format_located(message: str, line: int, column: int, spec: str) -> str:
    """The message, then the spec line and a caret under the column (netplan style)."""
    try:
        with open(spec, encoding="utf-8", errors="replace") as stream:
            for number, text in enumerate(stream, start=1):
                if number == line:
                    source = text.rstrip("\n")
                    break
            else:
                return f"{message}\n"
    except OSError:
        return f"{message}\n"
    if len(source) > 200:
        return f"{message}\n"
    # The line is echoed to a terminal: a control character in it (the very error
    # being reported, perhaps) must not reach it as an escape sequence.
    source = "".join(c if c.isprintable() or c == "\t" else "?" for c in source)
    caret = " " * (column - 1) + "^"
    return f"{message}\n    {source}\n    {caret}\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
