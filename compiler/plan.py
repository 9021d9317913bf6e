"""`netcompile plan OLD NEW`: what a change to a spec means, and which files it touches.

The meaning is compared item by item (semantic.py); the files are every selected
backend's output for both specs, compared by path, content and mode. A side may be
a file, `git:REV:PATH` (the spec as committed at REV), or /dev/null for no spec (a
spec added or deleted).
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import semantic
from .errors import NetcompileError
from .model import Network
from .options import RenderOptions
from .output import OutputFile

NO_SPEC = "/dev/null"
GIT_PREFIX = "git:"
GIT_TIMEOUT = 30


@dataclass(frozen=True, slots=True)
class Side:
    """One spec of the comparison, as named on the command line; `network` is None
    for /dev/null."""

    label: str
    network: Network | None
    options: RenderOptions


@dataclass(frozen=True, slots=True)
class FileChange:
    backend: str
    path: str
    action: str  # "added", "removed", "changed", "mode"
    old_mode: int | None
    new_mode: int | None
    diff: str


@dataclass(frozen=True, slots=True)
class Plan:
    old: Side
    new: Side
    targets: tuple[str, ...]
    changes: tuple[semantic.Change, ...]
    files: tuple[FileChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.files)

    def files_of(self, backend: str) -> list[FileChange]:
        return [f for f in self.files if f.backend == backend]

    def counts(self) -> dict[str, int]:
        counted = {"added": 0, "removed": 0, "changed": 0}
        for change in self.changes:
            counted[change.action] += 1
        return counted


def read_side(argument: str) -> Side:
    """Load one side; raises SpecError or NetcompileError."""
    from . import load_spec, load_spec_bytes

    if argument == NO_SPEC:
        return Side(argument, None, RenderOptions())
    if argument.startswith(GIT_PREFIX):
        from .compose import GitSource

        spec = load_spec_bytes(_git_show(argument), argument, GitSource())
    else:
        spec = load_spec(argument)
    return Side(argument, spec.network, spec.options)


def _git_show(argument: str) -> bytes:
    """The bytes of `git:REV:PATH`, as `git show REV:PATH` in the current directory
    prints them (PATH from the repository's top, or `./PATH` from here)."""
    revision, sep, path = argument[len(GIT_PREFIX):].partition(":")
    if not sep or not revision or not path:
        raise NetcompileError(f"{argument} is not of the form git:REV:PATH "
                              "(e.g. git:HEAD:./spec.yaml or git:origin/main:net/host.yaml)")
    try:
        # --end-of-options: a revision such as `--output=FILE` is a name, never an option.
        result = subprocess.run(["git", "show", "--end-of-options", f"{revision}:{path}"],
                                capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NetcompileError(f"cannot run git to read {argument}: {error}") from None
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NetcompileError(f"git cannot show {argument}: "
                              f"{reason[0] if reason else f'exit {result.returncode}'}")
    return result.stdout


def _render(side: Side, target: str, name: str | None) -> list[OutputFile]:
    from . import render

    if side.network is None:
        return []
    network = side.network
    if name is not None and network.source_name != name:
        # The header names the spec file: both sides carry the new one's name, so a
        # file whose content does not change does not differ by its first line.
        network = replace(network, source_name=name)
    return render(network, target, side.options)


def file_changes(old: Side, new: Side, targets: Sequence[str]) -> list[FileChange]:
    either = new.network or old.network
    name = either.source_name if either is not None else None
    found = []
    for target in targets:
        before = {f.path: f for f in _render(old, target, name)}
        after = {f.path: f for f in _render(new, target, name)}
        for path in sorted(before.keys() | after.keys()):
            was, now = before.get(path), after.get(path)
            if was == now:
                continue
            action = ("added" if was is None else "removed" if now is None
                      else "mode" if was.content == now.content else "changed")
            text = "".join(difflib.unified_diff(
                (was.content if was else "").splitlines(keepends=True),
                (now.content if now else "").splitlines(keepends=True),
                f"a/{path}" if was else NO_SPEC, f"b/{path}" if now else NO_SPEC))
            found.append(FileChange(target, path, action, was.mode if was else None,
                                    now.mode if now else None, text))
    return found


def make_plan(old: Side, new: Side, targets: Sequence[str]) -> Plan:
    """Raises UnsupportedErrors when a target cannot express one of the specs."""
    changes = semantic.diff(semantic.items(old.network, old.options),
                            semantic.items(new.network, new.options))
    return Plan(old, new, tuple(targets), tuple(changes),
                tuple(file_changes(old, new, targets)))
