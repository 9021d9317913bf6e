"""A fleet: every host spec of one directory, compiled in parallel, written under
ROOT/HOST/ all or nothing.

The hosts are the `*.yaml` and `*.yml` files directly in the directory; the host's
name is the file's name without the suffix. Shared files that hosts include
(compose.py) live in subdirectories, which are not hosts themselves.

Compiling is spread over worker processes, hosts in chunks (a spec compiles in
milliseconds: sending hosts one at a time would cost more than compiling them).
Writing happens afterwards in this process, in one transaction over the whole
fleet (writer.py): if any host's spec is invalid or any write fails, no host's
files change.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import stat
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Problem
from .errors import NetcompileError
from .output import OutputFile
from .writer import Change

SUFFIXES = (".yaml", ".yml")
# A host's name is a directory under ROOT: a host name's characters, no dot first.
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# Chunks per worker: enough that a slow chunk does not leave the others idle.
_CHUNKS_PER_WORKER = 4


class FleetError(NetcompileError):
    """The fleet directory itself is unusable (missing, empty, two specs for a host)."""


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    spec: str  # the spec's path (or git:REV:PATH), as errors name it


@dataclass(frozen=True, slots=True)
class Compiled:
    """One host's files, or the problems that stopped it."""

    host: str
    files: tuple[OutputFile, ...]
    problems: tuple[Problem, ...]


def host_name(file_name: str) -> str | None:
    """The host a directory entry is the spec of, or None if it is not a host spec."""
    for suffix in SUFFIXES:
        if file_name.endswith(suffix) and not file_name.startswith("."):
            return file_name[: -len(suffix)]
    return None


def hosts_from_names(directory: str, names: Sequence[str], where: str) -> list[Host]:
    """The hosts among the file names of a directory (`where` names it in errors)."""
    found: dict[str, str] = {}
    for file_name in sorted(names):
        name = host_name(file_name)
        if name is None:
            continue
        if not _HOST.fullmatch(name):
            raise FleetError(f"{where}/{file_name}: {name!r} cannot be a host name (letters, "
                             "digits, '.', '_' and '-', not starting with a dot; at most 63): "
                             "rename the file, or move a shared file into a subdirectory")
        if name in found:
            raise FleetError(f"{where}: two specs for host {name}: {found[name]} and "
                             f"{file_name} (keep one)")
        found[name] = file_name
    if not found:
        raise FleetError(f"{where}: no host spec (*.yaml or *.yml) in the directory")
    prefix = "" if directory in ("", ".") else f"{directory.rstrip('/')}/"
    return [Host(name, f"{prefix}{file_name}") for name, file_name in sorted(found.items())]


def hosts(directory: str) -> list[Host]:
    """The host specs directly in `directory`, sorted by host name."""
    try:
        with os.scandir(directory) as entries:
            names = [entry.name for entry in entries if entry.is_file()]
    except OSError as error:
        raise FleetError(f"cannot read the fleet directory {directory}: "
                         f"{error.strerror or error}") from None
    return hosts_from_names(directory, names, directory.rstrip("/") or "/")


def compile_host(host: Host, targets: Sequence[str]) -> Compiled:
    from . import load_spec, render
    from .diagnostics import problems

    try:
        spec = load_spec(host.spec)
        files: dict[str, OutputFile] = {}
        for target in targets:
            for f in render(spec.network, target, spec.options):
                if files.setdefault(f.path, f) != f:  # rt_tables.d is shared
                    raise NetcompileError(f"{host.spec}: two backends produce different "
                                          f"contents for {f.path}")
    except NetcompileError as error:
        return Compiled(host.name, (), tuple(problems(error)))
    return Compiled(host.name, tuple(sorted(files.values(), key=lambda f: f.path)), ())


def _compile_chunk(chunk: Sequence[Host], targets: Sequence[str]) -> list[Compiled]:
    # As for one command-line compile: many short-lived objects, almost no cycles.
    gc.disable()
    try:
        return [compile_host(host, targets) for host in chunk]
    finally:
        gc.enable()


def chunks(items: Sequence[Host], jobs: int) -> list[Sequence[Host]]:
    count = max(1, min(len(items), jobs * _CHUNKS_PER_WORKER))
    size = -(-len(items) // count)
    return [items[start:start + size] for start in range(0, len(items), size)]


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def compile_all(fleet: Sequence[Host], targets: Sequence[str], jobs: int) -> list[Compiled]:
    """Every host compiled, in host order; over `jobs` processes when jobs > 1."""
    if jobs <= 1 or len(fleet) <= 1:
        return _compile_chunk(fleet, targets)
    # fork: the workers start with netcompile already imported (the schema and the
    # templates loaded), which is most of what one compile costs.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    work = chunks(fleet, jobs)
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=context) as pool:
        done = pool.map(_compile_chunk, work, [targets] * len(work))
        return [compiled for chunk in done for compiled in chunk]


def warm_up() -> None:
    """Import what every compile needs before the workers fork, so each inherits it."""
    from . import backends, build, passes, schema  # noqa: F401
    from .backends import NAMES, backend

    for name in NAMES:
        backend(name)


# -- writing under ROOT --------------------------------------------------------------
def prefixed(host: str, files: Sequence[OutputFile]) -> list[OutputFile]:
    return [OutputFile(f"{host}/{f.path}", f.content, f.mode) for f in files]


def other_hosts(root: Path, fleet: set[str]) -> list[str]:
    """Directories directly under ROOT named like a host that the fleet no longer
    has: their generated files are stale (links are not followed, nor listed)."""
    try:
        descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return []
    try:
        found = []
        for name in os.listdir(descriptor):
            if name in fleet or not _HOST.fullmatch(name):
                continue
            info = os.stat(name, dir_fd=descriptor, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                found.append(name)
        return sorted(found)
    finally:
        os.close(descriptor)


def changes(root: Path, compiled: Sequence[Compiled], targets: Sequence[str],
            prune: bool = False, write: bool = False) -> list[Change]:
    """What the fleet's files change under ROOT (paths start with the host), stale
    files of every host included, also of hosts the fleet no longer has; with
    `write`, carried out in one transaction (stale files removed only with prune)."""
    from .rootdir import Tree
    from .writer import apply, changes_in, managed_files

    managed = managed_files(targets)
    every: list[OutputFile] = []
    planned: list[Change] = []
    with Tree(root) as tree:
        for host in compiled:
            files = prefixed(host.host, host.files)
            every += files
            planned += changes_in(tree, files, [f"{host.host}/{p}" for p in managed])
        for name in other_hosts(root, {c.host for c in compiled}):
            planned += changes_in(tree, [], [f"{name}/{p}" for p in managed])
        if write:
            apply(tree, every, planned, prune, sync_renames=True)
    return planned
