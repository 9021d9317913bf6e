"""`netcompile plan OLD NEW` over two fleets: a side is a fleet directory,
`git:REV:DIR` (the directory as committed at REV) or /dev/null. Hosts are paired by
name; a host on one side only is planned against /dev/null. Each host's plan is
made in a worker process, as `netcompile fleet` compiles."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from .errors import NetcompileError
from .fleet import Host, hosts, hosts_from_names
from .plan import GIT_PREFIX, GIT_TIMEOUT, NO_SPEC

JSON_FORMAT = "netcompile-fleet-plan"
JSON_VERSION = 1


def is_fleet(argument: str) -> bool:
    """A directory, or git:REV:PATH naming a tree."""
    if argument.startswith(GIT_PREFIX):
        revision, sep, path = argument[len(GIT_PREFIX):].partition(":")
        if not sep or not revision:
            return False
        return _git(["cat-file", "-t"], f"{revision}:{path}", argument,
                    quiet=True).strip() == "tree"
    return argument != NO_SPEC and os.path.isdir(argument)


def _git(words: list[str], name: str, argument: str, quiet: bool = False) -> str:
    # --end-of-options: a revision such as `--output=FILE` is a name, never an option.
    try:
        result = subprocess.run(["git", *words, "--end-of-options", name],
                                capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NetcompileError(f"cannot run git to read {argument}: {error}") from None
    if result.returncode != 0:
        if quiet:
            return ""
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NetcompileError(f"git cannot read {argument}: "
                              f"{reason[0] if reason else f'exit {result.returncode}'}")
    return result.stdout.decode("utf-8", "surrogateescape")


def fleet_side(argument: str) -> dict[str, str]:
    """host -> the argument `netcompile plan` takes for that host's spec."""
    if argument == NO_SPEC:
        return {}
    if not argument.startswith(GIT_PREFIX):
        return {h.name: h.spec for h in hosts(argument)}
    revision, _, path = argument[len(GIT_PREFIX):].partition(":")
    listing = _git(["ls-tree", "-z"], f"{revision}:{path}", argument)
    names = []
    for entry in listing.split("\0"):
        info, _, name = entry.partition("\t")
        if info.split(" ")[1:2] == ["blob"]:
            names.append(name)
    found = hosts_from_names(path, names, argument)
    return {h.name: f"{GIT_PREFIX}{revision}:{h.spec}" for h in found}


@dataclass(frozen=True, slots=True)
class HostPlan:
    host: str
    changed: bool
    rendered: str  # text or Markdown
    data: dict[str, Any] | None  # JSON
    problems: tuple[Any, ...]


def _plan_host(pair: tuple[str, str, str], targets: Sequence[str], form: str) -> HostPlan:
    from . import planformat
    from .diagnostics import problems
    from .plan import make_plan, read_side

    host, old, new = pair
    try:
        plan = make_plan(read_side(old), read_side(new), targets)
    except NetcompileError as error:
        return HostPlan(host, False, "", None, tuple(problems(error)))
    if form == "json":
        return HostPlan(host, plan.changed, "", planformat.to_json(plan), ())
    rendered = planformat.markdown(plan) if form == "markdown" else planformat.text(plan)
    return HostPlan(host, plan.changed, rendered, None, ())


def _plan_chunk(chunk: Sequence[Host], targets: Sequence[str], form: str,
                pairs: dict[str, tuple[str, str, str]]) -> list[HostPlan]:
    return [_plan_host(pairs[h.name], targets, form) for h in chunk]


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The plan subcommand when a side is a fleet; exit 0 nothing changes, 1 some host
    changes, 2 an error (every host's errors reported)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .backends import NAMES
    from .diagnostics import report_all
    from .fleet import chunks, default_jobs, warm_up

    targets = NAMES if args.target == "all" else (args.target,)
    try:
        for side in (args.old, args.new):
            if side != NO_SPEC and not is_fleet(side):
                raise NetcompileError(f"{side}: one side of the plan is a fleet directory, "
                                      "so this one must be a directory (or /dev/null) too")
        old, new = fleet_side(args.old), fleet_side(args.new)
    except NetcompileError as error:
        err.write(f"netcompile: error: {error}\n")
        return 2
    names = sorted(old.keys() | new.keys())
    pairs = {name: (name, old.get(name, NO_SPEC), new.get(name, NO_SPEC)) for name in names}
    work = [Host(name, "") for name in names]
    jobs = default_jobs()
    warm_up()
    if jobs <= 1 or len(work) <= 1:
        plans = _plan_chunk(work, targets, args.format, pairs)
    else:
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        parts = chunks(work, jobs)
        with ProcessPoolExecutor(max_workers=min(jobs, len(parts)), mp_context=context) as pool:
            plans = [p for chunk in pool.map(_plan_chunk, parts, [targets] * len(parts),
                                             [args.format] * len(parts),
                                             [pairs] * len(parts)) for p in chunk]
    failed = [p for p in plans if p.problems]
    if failed:
        report_all([q for p in failed for q in p.problems], args.diagnostics_format, out, err)
        err.write(f"netcompile: errors in {len(failed)} of {len(plans)} hosts\n")
        return 2
    changed = [p for p in plans if p.changed]
    if args.format == "json":
        out.write(json.dumps({"format": JSON_FORMAT, "version": JSON_VERSION,
                              "old": args.old, "new": args.new,
                              "hosts": [{"host": p.host, "changed": p.changed,
                                         "plan": p.data} for p in plans]}, indent=2) + "\n")
    elif args.format == "markdown":
        out.write(f"# Fleet plan: {args.old} -> {args.new}\n\n"
                  f"{len(changed)} of {len(plans)} hosts change.\n")
        for p in changed:
            out.write(f"\n## {p.host}\n\n{p.rendered}")
    else:
        out.write(f"fleet plan: {args.old} -> {args.new}\n")
        for p in changed:
            out.write(f"\n== {p.host}\n{p.rendered}")
        unchanged = len(plans) - len(changed)
        out.write(f"\n{len(changed)} of {len(plans)} hosts change; {unchanged} unchanged\n")
    return 1 if changed else 0
