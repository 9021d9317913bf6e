"""Whole-process timings and peak memory of child programs."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Linux keeps a process's peak RSS across exec, so a child forked from this (large)
# Python process reports at least our own RSS. GNU time is a small process in
# between: the program's peak is then its own. Without it, the figure is an upper bound.
GNU_TIME = "/usr/bin/time"


@dataclass(frozen=True, slots=True)
class ChildRun:
    seconds: float
    max_rss_kib: int
    rss_exact: bool  # False: an upper bound (no GNU time)
    returncode: int
    stderr: str


def run_child(argv: Sequence[str], timeout: float = 120.0) -> ChildRun:
    """Run `argv` to completion, killed after `timeout` s. stdout goes to /dev/null
    (printing to a pipe is not what is measured), stderr to a file (a pipe could fill
    up and block the child)."""
    exact = os.access(GNU_TIME, os.X_OK)
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *argv] if exact else list(argv)
        start = time.perf_counter()
        # Its own process group, so a timeout ends the program under GNU time too.
        child = subprocess.Popen(wrapped, stdout=null, stderr=err, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        # A blocking wait, and a timer for the timeout: `wait(timeout)` polls with sleeps
        # of up to 50 ms, which added as much to a 0.1 s run.
        timer = threading.Timer(timeout, _kill_group, (child.pid,))
        timer.start()
        try:
            returncode = child.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode(errors="replace")
        peak = rss.read().strip()
    if not exact or not peak.isdigit():
        exact = False
        peak = str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return ChildRun(seconds, int(peak), exact, returncode, text)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(pgid, signal.SIGKILL)  # the group we made, by its id


def netcompile_argv() -> list[str]:
    """The installed `netcompile` script beside this interpreter, as a user runs it;
    `python -m netcompile` where there is none."""
    script = Path(sys.executable).parent / "netcompile"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "netcompile"]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
