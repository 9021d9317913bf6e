"""The spec is read once and never past the size limit: error messages quote their
lines from that one buffer, so a FIFO, /dev/zero or a huge sparse file gives its
located error at once, in bounded memory, instead of hanging or exhausting memory
while the error path reads the file a second time."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netcompile.loader import MAX_BYTES

INVALID = b"version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n"
MEMORY_LIMIT = 512 * 1024 * 1024  # the command needs some 30 MiB
TIMEOUT = 30


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def netcompile(spec: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netcompile", spec], capture_output=True,
                          text=True, timeout=TIMEOUT, preexec_fn=limit_memory, check=False)


@contextlib.contextmanager
def fifo_holding(tmp_path: Path, content: bytes) -> Iterator[Path]:
    """A FIFO that gives `content` to the first reader, once, as a generator's
    `<(...)` would."""
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as stream:  # blocks until the command opens it
            stream.write(content)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield fifo
    finally:
        # A reader that never came: opening the read end releases the blocked writer.
        if writer.is_alive():
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=TIMEOUT)


def test_an_invalid_spec_in_a_fifo_is_quoted_without_reading_it_again(tmp_path: Path) -> None:
    with fifo_holding(tmp_path, INVALID) as fifo:
        done = netcompile(str(fifo))
    assert done.returncode == 2
    assert done.stderr.splitlines()[:3] == [
        f"{fifo}:4:10: interfaces.eth0.mtu: 10 is out of range (use a value from 68 to 65535)",
        "        mtu: 10",
        "             ^",
    ]


def test_dev_zero_is_too_large_in_bounded_memory() -> None:
    done = netcompile("/dev/zero")
    assert done.returncode == 2
    assert done.stderr.startswith(f"/dev/zero: the spec is larger than {MAX_BYTES} bytes")
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


def test_a_huge_sparse_file_is_too_large_in_bounded_memory(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.yaml"
    with open(sparse, "wb") as stream:
        stream.truncate(3 * 1024**3)  # 3 GiB of zeros that take no disk space
    done = netcompile(str(sparse))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{sparse}: the spec is larger than {MAX_BYTES} bytes")
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


@pytest.mark.parametrize("size", [MAX_BYTES, MAX_BYTES + 1])
def test_the_limit_is_exact_on_standard_input(size: int) -> None:
    """A pipe delivers the spec in pieces: every piece up to the limit is read."""
    text = INVALID + b"#" * (size - len(INVALID))
    done = subprocess.run([sys.executable, "-m", "netcompile", "-"], input=text,
                          capture_output=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 2
    too_large = b"<stdin>: the spec is larger than"
    assert done.stderr.startswith(too_large) == (size > MAX_BYTES)
    if size == MAX_BYTES:
        assert done.stderr.startswith(b"<stdin>:4:10: interfaces.eth0.mtu: 10 is out of range")


def test_a_closed_standard_input_is_an_error_about_the_input() -> None:
    done = subprocess.run([sys.executable, "-m", "netcompile", "-"], capture_output=True,
                          text=True, timeout=TIMEOUT, preexec_fn=lambda: os.close(0),
                          check=False)
    assert (done.returncode, done.stderr.splitlines()) == (2, [
        "<stdin>: cannot read the spec: standard input is closed "
        "(give the spec on standard input, or its file's path instead of `-`)",
        "netcompile: 1 error; nothing was written"])
