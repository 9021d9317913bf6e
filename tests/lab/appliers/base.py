"""What every applier shares: a work directory, files written under a root,
logs kept for the report, and a list of problems the real tool reported."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from netcompile.output import OutputFile

from ..procs import Process, stop_pid_file
from ..topology import Topology


class ApplyError(RuntimeError):
    """The real tool refused the configuration or never became ready."""


def write_tree(root: Path, files: Iterable[OutputFile], prefix: str = "") -> list[Path]:
    """Write the files whose path starts with `prefix` under `root`, with their mode."""
    written = []
    for f in files:
        if not f.path.startswith(prefix):
            continue
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.content)
        target.chmod(f.mode)
        written.append(target)
    return written


def replace_dir(path: Path) -> Path:
    """An empty `path`, in place (bind mounts of it stay valid)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    return path


def unexpected(files: Iterable[OutputFile], known: Sequence[str]) -> list[str]:
    """Paths a backend emitted that no applier knows where to put."""
    return [f.path for f in files if not any(f.path.startswith(k) for k in known)]


def grep(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [line for line in text.splitlines() if pattern.search(line)]


class Applier:
    """Apply one backend's files in the topology's server namespace."""

    name = ""

    def __init__(self, topology: Topology, work: Path):
        self.topology = topology
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.interfaces = tuple(p.interface for p in topology.ports)

    def apply(self, files: Sequence[OutputFile]) -> None:
        raise NotImplementedError

    def reapply(self, files: Sequence[OutputFile]) -> None:
        """Apply changed files the way an administrator would, in the same namespaces."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    # Whether a host whose links were up and learned router advertisements before
    # the backend started needs clear_learned() (docs/backends/<backend>.md).
    CLEARS_LEARNED = False

    def clear_learned(self) -> None:
        """The step docs/backends/<backend>.md gives for a running host: drop what the
        kernel learned from router advertisements before the backend took over."""

    def logs(self) -> str:
        return ""

    def problems(self) -> list[str]:
        """Log lines in which the tool says it could not use part of the config."""
        return []

    def __enter__(self) -> Applier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DaemonApplier(Applier):
    """A backend whose daemon runs inside the server namespace with a private D-Bus:
    ended by its pid, its log linted with the daemon's own `LINT` pattern."""

    LINT: re.Pattern[str] = re.compile(r"(?!)")  # matches nothing; each daemon sets its own

    def __init__(self, topology: Topology, work: Path) -> None:
        super().__init__(topology, work)
        self.process: Process | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        stop_pid_file(self.work / "dbus.pid")

    def logs(self) -> str:
        return self.process.text() if self.process else ""

    def problems(self) -> list[str]:
        return grep(self.logs(), self.LINT)


def comm(pid: int) -> str:
    """The command name of `pid`: it changes once the daemon has exec'd in the namespace."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
