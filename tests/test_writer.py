"""How --root makes staged files durable before renaming them into place: one
syncfs(2) per file system holding staged files, an fsync per file where syncfs is
not to be had. The C library is replaced by a recorder, so each test sees exactly
which descriptors the writer hands to syncfs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from netcompile import writer
from netcompile.output import OutputFile

UNITS = "etc/systemd/network"
FILES = [*(OutputFile(f"{UNITS}/30-eth{i}.network", f"[Match]\nName=eth{i}\n") for i in range(5)),
         OutputFile("etc/systemd/networkd.conf.d/netcompile.conf", "[Network]\n"),
         OutputFile("etc/NetworkManager/system-connections/eth0.nmconnection", "[connection]\n",
                    0o600)]


class RecordingLibc:
    """Stands for the C library: records the file system and directory each syncfs
    call names, and answers as told."""

    def __init__(self, result: int = 0) -> None:
        self.result = result
        self.calls: list[tuple[int, int]] = []  # (st_dev, st_ino) of the descriptor

    def syncfs(self, descriptor: int) -> int:
        status = os.fstat(descriptor)
        self.calls.append((status.st_dev, status.st_ino))
        return self.result


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        status = os.fstat(descriptor)
        calls.append((status.st_dev, status.st_ino))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


@pytest.fixture
def other_file_system(tmp_path: Path) -> Iterator[Path]:
    """A directory on another file system than tmp_path (tmpfs in /dev/shm)."""
    with tempfile.TemporaryDirectory(dir="/dev/shm") as directory:
        assert os.stat(directory).st_dev != os.stat(tmp_path).st_dev, "/dev/shm is not tmpfs"
        yield Path(directory)


def identity(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def test_one_syncfs_for_files_in_several_directories_of_one_file_system(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fsynced: list[tuple[int, int]]) -> None:
    libc = RecordingLibc()
    monkeypatch.setattr(writer, "_libc", lambda: libc)
    writer.write_tree(tmp_path, FILES, ["networkd", "networkmanager"])
    assert len(libc.calls) == 1
    (device, directory), = libc.calls
    assert device == os.stat(tmp_path).st_dev
    staged_in = {identity((tmp_path / f.path).parent) for f in FILES}
    assert (device, directory) in staged_in
    # No file is fsynced one by one: only the directories that received renames.
    assert set(fsynced) == staged_in
    for f in FILES:
        assert (tmp_path / f.path).read_text() == f.content


def test_one_syncfs_per_file_system(tmp_path: Path, other_file_system: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    fsynced: list[tuple[int, int]]) -> None:
    # NetworkManager's directory lies on another file system, reached by a link.
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "NetworkManager").symlink_to(other_file_system)
    libc = RecordingLibc()
    monkeypatch.setattr(writer, "_libc", lambda: libc)
    writer.write_tree(tmp_path, FILES, ["networkd", "networkmanager"])
    assert sorted(device for device, _ in libc.calls) == sorted(
        [os.stat(tmp_path).st_dev, os.stat(other_file_system).st_dev])
    keyfile = other_file_system / "system-connections" / "eth0.nmconnection"
    assert keyfile.read_text() == "[connection]\n"
    assert not any(identity(tmp_path / f.path) in fsynced for f in FILES)


@pytest.mark.parametrize("libc", [RecordingLibc(result=-1), None], ids=["fails", "missing"])
def test_without_syncfs_every_staged_file_is_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsynced: list[tuple[int, int]],
        libc: RecordingLibc | None) -> None:
    monkeypatch.setattr(writer, "_libc", lambda: libc)
    writer.write_tree(tmp_path, FILES, ["networkd", "networkmanager"])
    # Each staged file once, before any rename (a staged file is the target's inode
    # now), then each directory that received a rename.
    files = {identity(tmp_path / f.path) for f in FILES}
    directories = {identity((tmp_path / f.path).parent) for f in FILES}
    assert len(fsynced) == len(files) + len(directories)
    assert set(fsynced[:len(files)]) == files
    assert set(fsynced[len(files):]) == directories
