"""The `netcompile` command. Heavy imports happen after argument parsing so that
`netcompile --help` starts fast."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from .backends import NAMES as TARGETS
from .backends import target_name
from .commands import SUBCOMMANDS

if TYPE_CHECKING:
    from .errors import Diagnostic
    from .model import Network
    from .output import OutputFile
    from .rootdir import RefusedPath
    from .writer import Change

# `-` as the spec reads standard input; errors then name it so.
STDIN = "-"
STDIN_NAME = "<stdin>"

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_INVALID = 2
# What a shell reports for a command killed by SIGPIPE (128 + 13): the reader of the
# output stopped early (`netcompile spec | head`). Not 1, which means "--check found
# differences", nor 2, which means the spec is wrong.
EXIT_BROKEN_PIPE = 141

# Installing every backend's files on the running host configures the same NICs four
# times over; it takes this flag, spelled out, to do it.
LIVE_ROOT_ALL = "--yes-all-backends-on-live-root"

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
  netcompile spec.yaml --target all --root img/ every backend's files in an image tree
  netcompile spec.yaml --root image/ --check    exit 1 if image/ is out of date
  netcompile spec.yaml --validate -t netplan    check the spec, and that netplan can say it
  generate-spec | netcompile - --root image/    read the spec from standard input
  netcompile import netplan 50-cloud.yaml -o spec.yaml
                                                convert a netplan file into a spec
  netcompile --schema > netcompile.schema.json  the JSON Schema, for editors

commands (each with its own --help):
  netcompile plan OLD NEW        what a change of spec means: items and files
  netcompile explain SPEC --from SRC --to DST
                                 the path the kernel would choose for a packet
  netcompile verify SPEC         compare the running kernel with the spec
  netcompile diagram SPEC        the routing as a picture (SVG or Mermaid)
  netcompile completion bash|zsh, netcompile manpage
  (a spec file named like a command is given as a path: ./plan)

exit codes:
  0    success (with --check: nothing would change)
  1    --check found differences
  2    invalid spec, a backend cannot express the spec, or bad usage
  141  the reader of the output closed the pipe early (`| head`)

The spec reference is in README.md; every error message is explained in
docs/errors.md."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netcompile", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument("spec", nargs="?",
                        help="the spec file (YAML); `-` reads it from standard input")
    parser.add_argument("-t", "--target", choices=(*TARGETS, "all"), type=target_name,
                        help="backend to compile for (default: networkd; any case, "
                        "e.g. NetworkManager); `all` renders every backend")
    parser.add_argument("-r", "--root", metavar="DIR",
                        help="write the files under DIR at their real paths")
    parser.add_argument("--check", action="store_true",
                        help="with --root: write nothing; print a unified diff and how "
                        "many files would change (stale files included), exit 1, or say "
                        "that DIR is up to date")
    parser.add_argument("--prune", action="store_true",
                        help="with --root: also remove files an earlier run generated "
                        "that the spec no longer produces")
    parser.add_argument("--validate", action="store_true",
                        help="only validate the spec (with --target: also everything "
                        "compiling for it checks); print a summary")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors (exit 2, nothing written)")
    parser.add_argument(LIVE_ROOT_ALL, action="store_true",
                        help="let --target all write into this running system (every "
                        "backend's files for the same interfaces)")
    parser.add_argument("--schema", action="store_true",
                        help="print the spec's JSON Schema (Draft 2020-12) and exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None, stdin: BinaryIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        code = _main(argv, out, err, stdin)
        # Flushed here, not at exit, so that a closed pipe is seen and answered below.
        out.flush()
        err.flush()
        return code
    except BrokenPipeError:
        _silence(out, err)
        return EXIT_BROKEN_PIPE


def _silence(*streams: TextIO) -> None:
    """Point each closed pipe at /dev/null: the interpreter flushes what is left in
    its buffer at exit and would print a complaint of its own."""
    for stream in streams:
        try:
            stream.flush()
            continue  # still open
        except BrokenPipeError:
            pass
        try:
            descriptor = stream.fileno()
        except (OSError, ValueError):
            continue  # not a file: nothing is flushed at exit
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, descriptor)
        finally:
            os.close(null)


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO,
          stdin: BinaryIO | None) -> int:
    # `netcompile plan|explain|verify|...` (commands.py); a spec file of such a name
    # is still compiled when given as a path (`./plan`).
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import"]:  # `netcompile import netplan FILE...` (importers/)
        from . import importers

        return importers.main(list(argv[1:]), out, err)
    if argv and argv[0] in SUBCOMMANDS:
        from .commands import run

        return run(argv, out, err)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_INVALID

    if args.help:
        out.write(parser.format_help())  # print_help() would swallow a closed pipe
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
    if args.root == "":
        # Path("") is the current directory: an unset variable in `--root "$IMAGE"`
        # must not install into wherever the command happens to run.
        err.write("netcompile: error: --root needs a directory, not an empty string "
                  "(write --root . to mean the current directory)\n")
        return EXIT_INVALID
    if (args.target == "all" and args.root is not None and not args.check
            and not args.yes_all_backends_on_live_root and Path(args.root).resolve() == Path("/")):
        err.write("netcompile: error: --target all with --root / would install the "
                  "configuration of every network stack for the same interfaces on this "
                  f"host; choose one --target, or add {LIVE_ROOT_ALL} if that is meant\n")
        return EXIT_INVALID
    # One short-lived compile allocates tens of thousands of objects and makes
    # almost no cycles: the collector's passes over them were a tenth of the time.
    gc.disable()
    try:
        return _run(args, out, err, stdin)
    finally:
        gc.enable()


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from dataclasses import replace

    from . import load_spec_bytes, render
    from .errors import NetcompileError, SpecError, UnsupportedErrors
    from .loader import read_file, read_stream

    targets = TARGETS if args.target == "all" else (args.target or "networkd",)
    from_stdin = args.spec == STDIN
    name = STDIN_NAME if from_stdin else args.spec
    # The spec is read once, within the loader's size limit; error messages quote
    # their lines from this buffer, never from the file again.
    data = b""
    try:
        data = (read_stream(stdin or getattr(sys.stdin, "buffer", None), name) if from_stdin
                else read_file(name))
        spec = load_spec_bytes(data, name)
        for warning in spec.warnings:
            err.write(_format_located(_warning_text(warning), warning.where.line,
                                      warning.where.column,
                                      _lines_of(warning.where.file, name, data)))
        if spec.warnings and args.strict:
            err.write(f"netcompile: {counted(len(spec.warnings), 'warning')}, and --strict "
                      "makes warnings errors; nothing was written\n")
            return EXIT_INVALID
        network = spec.network
        if from_stdin:
            network = replace(network, source_name="standard input")
        if args.validate and args.target is None:
            out.write(f"{name}: valid: {_summary(network)}\n")
            return EXIT_OK
        files = _merge([f for target in targets for f in render(network, target, spec.options)])
        if args.validate:
            out.write(f"{name}: valid for {args.target}: {_summary(network)}\n")
            return EXIT_OK
    except SpecError as error:
        for diagnostic in error.diagnostics:
            err.write(_format_located(str(diagnostic), diagnostic.where.line,
                                      diagnostic.where.column,
                                      _lines_of(diagnostic.where.file, name, data)))
        err.write(f"netcompile: {counted(len(error.diagnostics), 'error')}; nothing was "
                  "written\n")
        return EXIT_INVALID
    except UnsupportedErrors as error:
        for problem in error.errors:
            err.write(_format_located(str(problem), problem.where.line, problem.where.column,
                                      _lines_of(problem.where.file, name, data)))
        err.write("netcompile: the spec asks for something this backend cannot express; "
                  "nothing was written\n")
        return EXIT_INVALID
    except NetcompileError as error:
        err.write(f"netcompile: error: {error}\n")
        return EXIT_INVALID

    return _output(args, files, targets, out, err)


def _output(args: argparse.Namespace, files: list[OutputFile], targets: Sequence[str],
            out: TextIO, err: TextIO) -> int:
    if args.root is None:
        for f in files:
            out.write(f"# ==> {f.path} (mode {f.mode:04o}) <==\n{f.content}")
            if f is not files[-1]:
                out.write("\n")
        return EXIT_OK

    from .rootdir import RefusedPath
    from .writer import changes, unified_diff, write_tree

    root = Path(args.root)
    if args.check:
        try:
            pending = changes(root, files, targets)
        except RefusedPath as error:
            err.write(f"netcompile: error: {error}\n")
            return EXIT_INVALID
        except OSError as error:
            err.write(f"netcompile: error: reading under {root} failed: {error}\n")
            return EXIT_INVALID
        out.write(unified_diff(pending))
        if not pending:
            err.write(f"netcompile: {root} is up to date\n")
            return EXIT_OK
        err.write(f"netcompile: {counted(len(pending), 'file')} would change\n")
        return EXIT_CHANGES
    try:
        done = write_tree(root, files, targets, prune=args.prune)
    except (OSError, RefusedPath) as error:
        report_write_failure(error, root, err)
        return EXIT_INVALID
    report_written(done, root, args.prune, out, err)
    return EXIT_OK


def report_write_failure(error: OSError | RefusedPath, root: Path, err: TextIO) -> None:
    """What a failed --root write left behind: nothing changed, or (when a rollback
    failed too) which it could not put back. A refused link is named as it is."""
    from .writer import IncompleteRollback

    if not isinstance(error, OSError):  # a refused link or non-file under the root
        err.write(f"netcompile: error: {error}; nothing was changed\n")
        return
    outcome = ("some files could not be put back" if isinstance(error, IncompleteRollback)
               else "nothing was changed")
    err.write(f"netcompile: error: writing under {root} failed: {error}; {outcome}\n")


def report_written(done: Sequence[Change], root: Path, prune: bool, out: TextIO,
                   err: TextIO) -> None:
    """One line per file written, or removed with --prune; stale files otherwise."""
    for change in done:
        if change.kind != "stale":
            out.write(f"{change.kind:7} {root / change.path}\n")
        elif prune:
            out.write(f"removed {root / change.path}\n")
        else:
            err.write(f"netcompile: stale: {root / change.path} is no longer produced "
                      "(remove it with --prune)\n")


def counted(count: int, noun: str) -> str:
    """"1 rule", "2 rules": the plural agrees with the count (regular nouns only)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _summary(network: Network) -> str:
    return (f"{counted(len(network.interfaces), 'interface')}, "
            f"{counted(len(network.routes), 'route')}, {counted(len(network.rules), 'rule')}")


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


def _lines_of(file: str, name: str, data: bytes) -> list[str]:
    """The lines of the spec, or of a file it includes (read again for the quote:
    included files are named by their path)."""
    if file == name:
        return _source_lines(data)
    from .errors import NetcompileError
    from .loader import read_file

    try:
        return _source_lines(read_file(file))
    except NetcompileError:
        return []


def _source_lines(data: bytes) -> list[str]:
    """The spec's lines as the loader numbers them (a byte-order mark dropped)."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _warning_text(warning: Diagnostic) -> str:
    """`FILE:LINE:COLUMN: warning: PATH: MESSAGE (HINT)`."""
    text = str(warning)
    located = f"{warning.where}: "
    return f"{located}warning: {text.removeprefix(located)}"


def _format_located(message: str, line: int, column: int, lines: Sequence[str]) -> str:
    """The message, then the spec line and a caret under the column (netplan style)."""
    if not 1 <= line <= len(lines):
        return f"{message}\n"
    source = lines[line - 1]
    if not source or len(source) > 200:
        return f"{message}\n"
    # The line is echoed to a terminal: a control character in it (the very error
    # being reported, perhaps) must not reach it as an escape sequence.
    source = "".join(c if c.isprintable() or c == "\t" else "?" for c in source)
    caret = " " * (column - 1) + "^"
    return f"{message}\n    {source}\n    {caret}\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
