"""`--root DIR` completes or leaves DIR exactly as it was: every system call the
writer makes is failed in turn, and the whole tree (paths, bytes, modes, links,
directories) is compared before and after. Stale files are reported by --check
and removed only with --prune."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netcompile.cli import main

OLD_SPEC = "version: 1\ninterfaces:\n  eth0: {dhcp4: true}\n  eth1: {dhcp4: true}\n" \
           "  eth2: {addresses: [192.0.2.10/24]}\n"
NEW_SPEC = "version: 1\ninterfaces:\n  eth0: {dhcp4: true, mtu: 9000}\n" \
           "  eth3: {addresses: [198.51.100.10/24]}\n"
Snapshot = dict[str, tuple[str, int, bytes]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under root: kind, permission bits, and content or link target."""
    tree: Snapshot = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            info = path.lstat()
            relative = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                tree[relative] = ("link", 0, os.readlink(path).encode())
            elif stat.S_ISDIR(info.st_mode):
                tree[relative] = ("dir", stat.S_IMODE(info.st_mode), b"")
            else:
                tree[relative] = ("file", stat.S_IMODE(info.st_mode), path.read_bytes())
    return tree


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def specs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(OLD_SPEC)
    new.write_text(NEW_SPEC)
    return old, new


@pytest.fixture
def lived_in_root(tmp_path: Path, specs: tuple[Path, Path]) -> Path:
    """A root an earlier run wrote to, plus files netcompile does not own."""
    root = tmp_path / "root"
    assert run(str(specs[0]), "--target", "all", "--root", str(root))[0] == 0
    (root / "etc/systemd/network/99-admin.network").write_text("[Match]\nName=lo\n")
    (root / "etc/systemd/network/50-link.network").symlink_to("99-admin.network")
    os.chmod(root / "etc/systemd/network/99-admin.network", 0o640)
    return root


def failing_on(n: int, real: Callable[..., Any], error: int = errno.EIO,
               counted: Callable[..., bool] = lambda *args, **kwargs: True
               ) -> Callable[..., Any]:
    """`real`, failing at its Nth call among those `counted`."""
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if counted(*args, **kwargs):
            calls += 1
            if calls == n:
                raise OSError(error, os.strerror(error))
        return real(*args, **kwargs)

    wrapper.calls = lambda: calls  # type: ignore[attr-defined]
    return wrapper


# Calls that the interpreter's own machinery also makes (gettext looks for catalogues
# with os.stat and shrugs off a failure): only the writer's, made from a directory
# descriptor under the root, are failed.
UNDER_ROOT: dict[str, Callable[..., bool]] = {
    "stat": lambda *args, **kwargs: "dir_fd" in kwargs,
    "scandir": lambda *args, **kwargs: bool(args) and isinstance(args[0], int),
}


@pytest.mark.parametrize("call", ["replace", "open", "link", "unlink", "mkdir", "fsync",
                                  "rename", "stat", "fstat", "read", "scandir"])
def test_a_failure_at_any_step_leaves_the_root_untouched(
        call: str, lived_in_root: Path, specs: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(lived_in_root)
    real = getattr(os, call)
    failures = 0
    for n in range(1, 200):
        patched = failing_on(n, real, counted=UNDER_ROOT.get(call, lambda *a, **k: True))
        monkeypatch.setattr(os, call, patched)
        code, _, err = run(str(specs[1]), "--target", "all", "--root", str(lived_in_root),
                           "--prune")
        monkeypatch.setattr(os, call, real)
        if code == 0:
            break  # the Nth call never came: the write went through
        failures += 1
        assert code == 2 and "nothing was changed" in err, err
        assert snapshot(lived_in_root) == before, f"os.{call} failing at call {n}"
    else:
        pytest.fail(f"the write never completed with os.{call} failing")
    assert snapshot(lived_in_root) != before
    if call in ("replace", "open", "link", "unlink", "fsync", "stat", "fstat", "read", "scandir"):
        assert failures >= 1, f"the writer never called os.{call}"


def test_complete_write_gives_exactly_the_new_tree(lived_in_root: Path,
                                                   specs: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert run(str(specs[1]), "--target", "all", "--root", str(fresh))[0] == 0
    assert run(str(specs[1]), "--target", "all", "--root", str(lived_in_root), "--prune")[0] == 0
    mine = {k: v for k, v in snapshot(lived_in_root).items()
            if "99-admin" not in k and "50-link" not in k}
    assert mine == snapshot(fresh)
    assert (lived_in_root / "etc/systemd/network/50-link.network").is_symlink()
    assert not [p for p in lived_in_root.rglob("*") if "netcompile-" in p.name]


def test_read_only_root_changes_nothing(lived_in_root: Path, specs: tuple[Path, Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """As a file system mounted read-only answers (root ignores permission bits)."""
    before = snapshot(lived_in_root)
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    code, _, err = run(str(specs[1]), "--target", "all", "--root", str(lived_in_root))
    assert code == 2
    assert "Read-only file system" in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert snapshot(lived_in_root) == before


def test_leftover_staging_file_is_not_overwritten(lived_in_root: Path,
                                                  specs: tuple[Path, Path]) -> None:
    leftover = lived_in_root / "etc/systemd/network/.30-eth0.network.netcompile-new"
    leftover.write_text("someone's\n")
    before = snapshot(lived_in_root)
    code, _, err = run(str(specs[1]), "--target", "networkd", "--root", str(lived_in_root))
    assert code == 2 and "File exists" in err
    assert snapshot(lived_in_root) == before


def test_stale_files_reported_by_check_removed_only_with_prune(
        lived_in_root: Path, specs: tuple[Path, Path]) -> None:
    new = str(specs[1])
    stale = lived_in_root / "etc/systemd/network/30-eth1.network"
    assert stale.exists()
    code, out, _ = run(new, "--target", "all", "--root", str(lived_in_root), "--check")
    assert code == 1
    assert "stale: etc/systemd/network/30-eth1.network" in out
    assert "stale: etc/NetworkManager/system-connections/eth2.nmconnection" in out
    assert "99-admin" not in out  # not generated by netcompile: never ours

    code, _, err = run(new, "--target", "all", "--root", str(lived_in_root))
    assert code == 0 and stale.exists()
    assert f"stale: {stale}" in err

    code, out, _ = run(new, "--target", "all", "--root", str(lived_in_root), "--prune")
    assert code == 0 and not stale.exists()
    assert (lived_in_root / "etc/systemd/network/99-admin.network").exists()
    code, out, _ = run(new, "--target", "all", "--root", str(lived_in_root), "--check")
    assert (code, out) == (0, "")


def test_check_on_an_unreadable_root_is_an_error_not_a_traceback(
        lived_in_root: Path, specs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def denied(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        # Files are opened by name from their directory's descriptor: deny networkd's.
        if str(path).endswith(".network") and not flags & os.O_DIRECTORY:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code, _, err = run(str(specs[1]), "--target", "all", "--root", str(lived_in_root),
                       "--check")
    assert code == 2 and "Permission denied" in err
