"""Run the command line on a spec in a child process under hard resource limits:
address space and CPU time. Exceeding them kills the child (or raises MemoryError,
a traceback), which the tests then see; no wall-clock assertion is needed."""

from __future__ import annotations

import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space
CPU_SECONDS = 60
# Only a guard against a hang; generous so that a loaded CI machine never trips it.
GUARD_SECONDS = 300


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_cli(*args: str | Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Result:
    done = subprocess.run([sys.executable, "-m", "netcompile", *map(str, args)],
                          capture_output=True, text=True, preexec_fn=_limit,
                          timeout=GUARD_SECONDS, cwd=cwd, env=env, check=False)
    return Result(done.returncode, done.stdout, done.stderr)
