"""`netcompile import netplan FILE... [-o OUT]`: an equivalent spec from netplan files.

Errors and warnings are printed as the compiler prints them, located in the netplan
files (`FILE:LINE:COLUMN: PATH: MESSAGE (HINT)`, the line and a caret); any error
means nothing is written. Warnings do not change the exit code unless --strict.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import TextIO

from ..errors import Diagnostic, NetcompileError, SpecError

EXIT_OK = 0
EXIT_INVALID = 2

DESCRIPTION = """\
Write a netcompile spec that means what the netplan files mean: ethernets, bonds,
VLANs and bridges, addresses, gateways, routes, routing policy, nameservers,
match/set-name, MTU and DHCP. Per-interface source routing (a table holding the
interface's default route, and `from` rules for its addresses) becomes `uplink:`.
Whatever a spec cannot say is refused at its netplan line; nothing is written then.
Where netplan's defaults differ from netcompile's (DHCP route metric and MTU, router
advertisements), the import warns at the device."""

EPILOG = """\
examples:
  netcompile import netplan /etc/netplan/*.yaml -o spec.yaml
  netcompile import netplan 50-cloud-init.yaml        print the spec

Every case is listed in docs/import-netplan.md."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netcompile import", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", choices=("netplan",), help="the format to import from")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="netplan YAML files, read as netplan does: in order of their "
                        "base names")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write the spec to OUT (default: print it)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors (exit 2, nothing written)")
    return parser


def main(argv: list[str], out: TextIO, err: TextIO) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_INVALID
    from .convert import convert_netplan

    texts: dict[str, str] = {}
    try:
        converted = convert_netplan(args.files, args.output or "spec.yaml", texts)
    except SpecError as error:
        for diagnostic in error.diagnostics:
            err.write(_located(str(diagnostic), diagnostic, texts))
        count = len(error.diagnostics)
        err.write(f"netcompile: {count} error{'s' if count != 1 else ''}; nothing was "
                  "written\n")
        return EXIT_INVALID
    except NetcompileError as error:
        err.write(f"netcompile: error: {error}\n")
        return EXIT_INVALID
    for warning in converted.warnings:
        located = f"{warning.where}: "
        err.write(_located(located + "warning: " + str(warning).removeprefix(located),
                           warning, texts))
    if converted.warnings and args.strict:
        count = len(converted.warnings)
        err.write(f"netcompile: {count} warning{'s' if count != 1 else ''}, and --strict "
                  "makes warnings errors; nothing was written\n")
        return EXIT_INVALID
    if args.output is None:
        out.write(converted.text)
        return EXIT_OK
    try:
        _write(args.output, converted.text)
    except OSError as error:
        err.write(f"netcompile: error: writing {args.output} failed: {error.strerror}; "
                  "nothing was written\n")
        return EXIT_INVALID
    return EXIT_OK


def _write(path: str, text: str) -> None:
    """All or nothing: a temporary file beside the target, renamed over it."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".netcompile-import-", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _located(message: str, diagnostic: Diagnostic, texts: dict[str, str]) -> str:
    """The message, then the netplan line and a caret under the column."""
    lines = texts.get(diagnostic.where.file, "").splitlines()
    line = diagnostic.where.line
    if not 1 <= line <= len(lines) or len(lines[line - 1]) > 200:
        return f"{message}\n"
    source = "".join(c if c.isprintable() or c == "\t" else "?" for c in lines[line - 1])
    caret = " " * (diagnostic.where.column - 1) + "^"
    return f"{message}\n    {source}\n    {caret}\n"
