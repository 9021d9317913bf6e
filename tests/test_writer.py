"""How --root makes staged files durable before renaming them into place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netcompile import writer
from netcompile.output import OutputFile

FILES = [OutputFile(f"etc/systemd/network/30-eth{i}.network", f"[Match]\nName=eth{i}\n")
         for i in range(5)]


def test_one_syncfs_per_file_system_instead_of_an_fsync_per_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[Path] = []
    fsynced: list[int] = []
    # The writer hands syncfs a descriptor of the directory: which one it is open on.
    monkeypatch.setattr(writer, "_syncfs",
                        lambda d: synced.append(Path(os.readlink(f"/proc/self/fd/{d}"))) or True)
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsynced.append(fd), real_fsync(fd)))
    writer.write_tree(tmp_path, FILES, ["networkd"])
    assert synced == [tmp_path / "etc" / "systemd" / "network"]
    assert len(fsynced) <= 1, "only the directory is fsynced"
    assert sorted(p.name for p in (tmp_path / "etc/systemd/network").iterdir()) == [
        f"30-eth{i}.network" for i in range(5)]


def test_without_syncfs_every_staged_file_is_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fsynced: list[int] = []
    monkeypatch.setattr(writer, "_syncfs", lambda d: False)
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsynced.append(fd), real_fsync(fd)))
    writer.write_tree(tmp_path, FILES, ["networkd"])
    assert len(fsynced) == len(FILES) + 1  # each file, then its directory


def test_syncfs_is_available_here(tmp_path: Path) -> None:
    descriptor = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert writer._syncfs(descriptor) is True
    finally:
        os.close(descriptor)
