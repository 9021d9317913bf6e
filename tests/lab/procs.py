"""Running programs inside lab namespaces, each bounded in time.

Long-running programs are started in their own session and ended by their pid
only (SIGTERM, then SIGKILL after a bounded wait): the lab never signals a
process it did not start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .guard import check_pid, netns_path

DEFAULT_TIMEOUT = 15.0


class CommandError(RuntimeError):
    def __init__(self, argv: Sequence[str], result: subprocess.CompletedProcess[str]):
        self.result = result
        super().__init__(f"{' '.join(argv)} exited {result.returncode}:\n"
                         f"{result.stdout}{result.stderr}")


def run(argv: Sequence[str], *, check: bool = True, timeout: float = DEFAULT_TIMEOUT,
        stdin: str | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                            timeout=timeout, check=False,
                            env=None if env is None else {**os.environ, **env})
    if check and result.returncode != 0:
        raise CommandError(argv, result)
    return result


def in_ns(ns: str, argv: Sequence[str]) -> list[str]:
    """`argv` run inside lab namespace `ns` (guarded)."""
    netns_path(ns)
    return ["ip", "netns", "exec", ns, *argv]


def ns_run(ns: str, argv: Sequence[str], *, check: bool = True,
           timeout: float = DEFAULT_TIMEOUT, stdin: str | None = None,
           ) -> subprocess.CompletedProcess[str]:
    return run(in_ns(ns, argv), check=check, timeout=timeout, stdin=stdin)


def nsenter(pid: int, argv: Sequence[str]) -> list[str]:
    """`argv` run in the mount and network namespaces of lab process `pid` (guarded)."""
    check_pid(pid)
    return ["nsenter", "-t", str(pid), "-m", "-n", *argv]


class Process:
    """A program started by the lab, its output going to `log`."""

    def __init__(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None):
        self.argv = list(argv)
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=None if env is None else {**os.environ, **env})
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL: only this pid, which we started and still own."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout)


def stop_pid_file(path: Path, timeout: float = 5.0) -> None:
    """End a daemon that forked itself, by the pid it wrote (it is ours: we started it)."""
    try:
        pid = int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    path.unlink()  # never signal this pid twice: it could be reused later
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_until(lambda: not _running(pid), timeout):
        os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited daemon waits for its new parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll `predicate()` until true or `timeout` seconds pass (bounded in count too)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 1):
        if predicate():
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    return predicate()
