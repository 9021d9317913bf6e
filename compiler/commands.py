"""The review-and-operate subcommands: `netcompile plan|explain|verify|diagram|...`.

cli.py hands over when the first argument is one of SUBCOMMANDS; everything else
is the compile command as before. A spec file whose name is a subcommand is still
reachable by a path: `netcompile ./plan --target netplan`.

Each subcommand has its own parser (for --help, the man page and shell completion)
and a handler that returns the exit code: 0 fine, 1 a difference (plan: the specs
differ; verify: drift), 2 an error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from .backends import NAMES as TARGETS
from .backends import target_name

if TYPE_CHECKING:
    from . import explain as explain_types
    from .errors import NetcompileError
    from .model import IPAddress

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_INVALID = 2

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors are raised, not printed with sys.exit, so main() can return 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(self, message)


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser


def _diagnostics_option(parser: argparse.ArgumentParser) -> None:
    from .diagnostics import FORMATS

    parser.add_argument("--diagnostics-format", choices=FORMATS, default="text",
                        help="how spec errors are reported: text on stderr (default), or "
                        "JSON or SARIF 2.1.0 on stdout")


def _plan_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "plan", help="what a change to a spec means: items and files per backend",
        description="Compare two specs by meaning (interfaces, addresses, routes per table, "
        "rules, uplinks, bonds and other settings, each with its spec line), then list the "
        "files each backend would change. A spec is a file, git:REV:PATH (as committed at "
        "REV; PATH from the repository's top, or ./PATH from here), or /dev/null (no spec). "
        "Exit 0: nothing changes; 1: something does; 2: error.")
    parser.add_argument("old", metavar="OLD", help="the spec before the change")
    parser.add_argument("new", metavar="NEW", help="the spec after the change")
    parser.add_argument("-t", "--target", choices=(*TARGETS, "all"), default="all",
                        type=target_name,
                        help="backends whose files are compared (default: all)")
    parser.add_argument("-f", "--format", choices=("text", "markdown", "json"), default="text",
                        help="text (default), Markdown for a pull-request comment, or JSON "
                        "(docs/plan-json.md)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text format: on a terminal only (auto, default)")
    _diagnostics_option(parser)
    parser.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from . import fleetplan, planformat
    from .errors import NetcompileError
    from .plan import make_plan, read_side

    if fleetplan.is_fleet(args.old) or fleetplan.is_fleet(args.new):
        return fleetplan.run(args, out, err)
    targets = TARGETS if args.target == "all" else (args.target,)
    try:
        plan = make_plan(read_side(args.old), read_side(args.new), targets)
    except NetcompileError as error:
        return _failed(error, args, out, err)
    if args.format == "json":
        out.write(planformat.json_text(plan))
    elif args.format == "markdown":
        out.write(planformat.markdown(plan))
    else:
        colour = args.color == "always" or (
            args.color == "auto" and out.isatty() and not os.environ.get("NO_COLOR"))
        out.write(planformat.text(plan, colour))
    return EXIT_CHANGES if plan.changed else EXIT_OK


def _verify_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "verify", help="does the running host hold what the spec means?",
        description="Compare the kernel's addresses, routes of every table and rules (read "
        "with `ip -j`) with what the spec means, the kernel's own entries included; report "
        "missing, extra and different entries. Entries of other software (routes and rules "
        "of another protocol such as dhcp or ra, interfaces the spec does not name, dynamic "
        "addresses) are ignored unless --strict. Exit 0: in sync; 1: drift; 2: error.")
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument("--netns", metavar="NAME",
                        help="read network namespace NAME (`ip -n NAME`) instead of the "
                        "current one")
    parser.add_argument("--strict", action="store_true",
                        help="report entries of other software as extra too")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text",
                        help="text (default) or JSON")
    _diagnostics_option(parser)
    parser.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from . import kernel, load_spec, verify
    from .errors import NetcompileError

    try:
        network = load_spec(args.spec).network
        live = kernel.read(args.netns)
    except NetcompileError as error:
        return _failed(error, args, out, err)
    report = verify.compare(network, live, strict=args.strict)
    where = f"network namespace {args.netns}" if args.netns else "this host"
    if args.format == "json":
        out.write(json.dumps(verify.to_json(report, args.spec, where), indent=2) + "\n")
    else:
        out.write(verify.text(report, args.spec, where))
    return EXIT_OK if report.ok else EXIT_CHANGES


def _validate_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "validate", help="check one or more specs (and that the backends can express them)",
        description="Validate every SPEC and render it for the chosen backends in memory; "
        "report every error of every spec. For pre-commit hooks and CI (with "
        "--diagnostics-format sarif for code-scanning views). Exit 0: all valid; 2: errors.")
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files")
    parser.add_argument("-t", "--target", choices=(*TARGETS, "all", "none"), default="all",
                        type=target_name,
                        help="backends that must be able to express each spec (default: "
                        "all; none: the spec alone)")
    _diagnostics_option(parser)
    parser.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import load_spec, render
    from .diagnostics import Problem, problems, report_all
    from .errors import NetcompileError

    targets = {"all": TARGETS, "none": ()}.get(args.target, (args.target,))
    found: list[Problem] = []
    for spec_path in args.specs:
        try:
            spec = load_spec(spec_path)
        except NetcompileError as error:
            found += problems(error)
            continue
        for target in targets:
            try:
                render(spec.network, target, spec.options)
            except NetcompileError as error:
                found += problems(error)
    if args.diagnostics_format != "text" or found:
        report_all(found, args.diagnostics_format, out, err)
    if found:
        if args.diagnostics_format == "text":
            err.write(f"netcompile: {len(found)} problem{'s' if len(found) != 1 else ''} "
                      f"in {len(args.specs)} spec{'s' if len(args.specs) != 1 else ''}\n")
        return EXIT_INVALID
    if args.diagnostics_format == "text":
        out.write(f"{len(args.specs)} spec{'s' if len(args.specs) != 1 else ''} valid\n")
    return EXIT_OK


def _diagram_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "diagram", help="draw the host's routing: rules, tables, routes, interfaces",
        description="Draw the routing of SPEC: rules by priority point at tables, tables "
        "hold routes that leave by interfaces; the main default route is drawn bold. SVG "
        "(standalone, default) or Mermaid source.")
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument("-f", "--format", choices=("svg", "mermaid"), default="svg",
                        help="svg (default) or mermaid")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the drawing to FILE instead of standard output")
    _diagnostics_option(parser)
    parser.set_defaults(handler=_diagram)


def _diagram(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import load_spec
    from .diagram import mermaid, svg
    from .errors import NetcompileError

    try:
        network = load_spec(args.spec).network
    except NetcompileError as error:
        return _failed(error, args, out, err)
    drawing = svg(network) if args.format == "svg" else mermaid(network)
    if args.output is None:
        out.write(drawing)
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(drawing)
    except OSError as error:
        err.write(f"netcompile: error: cannot write the drawing to {args.output}: "
                  f"{error.strerror}\n")
        return EXIT_INVALID
    return EXIT_OK


def _explain_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "explain", help="which rule, table, route and interface a packet takes",
        description="Look up one packet in the routing the spec means, offline, as the "
        "kernel does: rules by priority (the kernel's own included), each with why it did "
        "not match; the table, the route, the interface and the next hop, or the error "
        "`ip route get` would give. Without --iif the host sends the packet itself.")
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument("--from", dest="source", metavar="ADDRESS",
                        help="the source address (for a packet the host sends: one of its "
                        "own; omitted: the source is not chosen yet)")
    parser.add_argument("--to", dest="destination", metavar="ADDRESS", required=True,
                        help="the destination address")
    parser.add_argument("--iif", metavar="INTERFACE",
                        help="the packet came in on INTERFACE (needs --from)")
    parser.add_argument("--fwmark", metavar="MARK", default="0",
                        help="the packet's firewall mark (16 or 0x10)")
    parser.add_argument("--forwarding", action="store_true",
                        help="the host forwards packets (net.ipv4/ipv6 forwarding=1)")
    parser.add_argument("--rp-filter", type=int, choices=(0, 1, 2), default=0,
                        help="the IPv4 reverse-path filter of the inbound interface "
                        "(default 0, the kernel's)")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text",
                        help="text (default) or JSON")
    _diagnostics_option(parser)
    parser.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from . import explain, load_spec
    from .errors import NetcompileError

    try:
        network = load_spec(args.spec).network
        flow = _flow(args, {i.name for i in network.interfaces})
    except NetcompileError as error:
        return _failed(error, args, out, err)
    answer = explain.explain(network, flow, forwarding=args.forwarding,
                             rp_filter=args.rp_filter)
    if args.format == "json":
        out.write(json.dumps(explain.to_json(network, answer), indent=2) + "\n")
    else:
        out.write(explain.text(network, answer))
    return EXIT_OK


def _flow(args: argparse.Namespace, interfaces: set[str]) -> explain_types.Flow:
    from .addresses import parse_address
    from .errors import NetcompileError
    from .explain import Flow

    def address(option: str, value: str) -> IPAddress:
        try:
            return parse_address(value)
        except ValueError:
            raise NetcompileError(f"{option} {value}: not an IP address") from None

    destination = address("--to", args.destination)
    source = None if args.source is None else address("--from", args.source)
    if source is not None and source.version != destination.version:
        raise NetcompileError("--from and --to are of different families")
    if args.iif is not None and args.iif not in interfaces:
        raise NetcompileError(f"--iif {args.iif}: not an interface of the spec "
                              f"(it has {', '.join(sorted(interfaces))})")
    if args.iif is not None and source is None:
        raise NetcompileError("--iif needs --from: a packet that comes in has a source")
    try:
        mark = int(args.fwmark, 0)
    except ValueError:
        mark = -1
    if not 0 <= mark <= 0xFFFFFFFF:
        raise NetcompileError(f"--fwmark {args.fwmark}: not a 32-bit number")
    return Flow(destination, source, args.iif, mark)


def _completion_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "completion", help="print shell completion for bash or zsh",
        description="Print the completion script for SHELL, generated from netcompile's own "
        "argument parsers. bash: save it as /usr/share/bash-completion/completions/netcompile; "
        "zsh: as _netcompile in a directory of $fpath.")
    parser.add_argument("shell", metavar="SHELL", choices=("bash", "zsh"), help="bash or zsh")
    parser.set_defaults(handler=_completion)


def _completion(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import manual

    out.write(manual.bash() if args.shell == "bash" else manual.zsh())
    return EXIT_OK


def _manpage_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "manpage", help="print the man page (roff)",
        description="Print netcompile(1) in roff, generated from the argument parsers: "
        "`netcompile manpage > /usr/share/man/man1/netcompile.1`.")
    parser.set_defaults(handler=_manpage)


def _manpage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import manual

    out.write(manual.manpage())
    return EXIT_OK


def _fleet_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from .fleetcmd import add_parser

    add_parser(sub)  # type: ignore[arg-type]


def _compose_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from .fleetcmd import add_compose_parser

    add_compose_parser(sub)  # type: ignore[arg-type]


PARSERS: tuple[Callable[[argparse._SubParsersAction[_Parser]], None], ...] = (
    _plan_parser, _explain_parser, _verify_parser, _diagram_parser, _validate_parser,
    _fleet_parser, _compose_parser, _completion_parser, _manpage_parser)
SUBCOMMANDS = ("plan", "explain", "verify", "diagram", "validate", "fleet", "compose",
               "completion", "manpage")


def parser() -> argparse.ArgumentParser:
    """Every subcommand's parser under one root (also read by the man page and the
    shell completion generators)."""
    root = _Parser(prog="netcompile", add_help=True)
    sub = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in PARSERS:
        add(sub)
    return root


def _failed(error: NetcompileError, args: argparse.Namespace, out: TextIO, err: TextIO
            ) -> int:
    from .diagnostics import report
    from .errors import SpecError

    report(error, args.diagnostics_format, out, err)
    if args.diagnostics_format == "text" and isinstance(error, SpecError):
        count = len(error.diagnostics)
        err.write(f"netcompile: {count} error{'s' if count != 1 else ''} in the spec\n")
    return EXIT_INVALID


def run(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        with contextlib.redirect_stdout(out):  # --help
            args = parser().parse_args(list(argv))
    except _UsageError as usage:
        usage.parser.print_usage(err)
        err.write(f"netcompile: error: {usage}\n")
        return EXIT_INVALID
    except SystemExit as exit_:  # --help
        return EXIT_OK if exit_.code in (0, None) else EXIT_INVALID
    handler: Handler = args.handler
    return handler(args, out, err)
