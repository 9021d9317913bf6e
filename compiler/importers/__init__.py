"""Ways into netcompile from another tool's configuration: `netcompile import netplan
FILE...` writes an equivalent spec (see importers/netplan.py). Only this module is
imported when the command line starts; the importers load when a subcommand runs."""

from __future__ import annotations

from typing import TextIO


def main(argv: list[str], out: TextIO, err: TextIO) -> int:
    """`netcompile import ...`: the words after `import`."""
    from .command import main as run

    return run(argv, out, err)
