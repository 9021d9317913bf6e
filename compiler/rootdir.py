"""Files under --root, reached without following symbolic links.

An image tree holds absolute links: followed, a link at etc/systemd/network would
make netcompile write, prune and read in the building host's own directories, or
anywhere. So every path under the root is opened one component at a time, each
from its parent's descriptor with O_NOFOLLOW, and a link on the way is refused
with its name and target. The root itself may be a link: the user named it.
"""

from __future__ import annotations

import errno
import os
import stat
from fnmatch import fnmatchcase
from pathlib import Path
from types import TracebackType

from .errors import NetcompileError

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO planted where a file belongs must not hang.
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_READ_CHUNK = 1 << 16


class RefusedPath(NetcompileError):
    """A path under the root that netcompile will not go through or read: a
    symbolic link, or something other than a plain file where a file belongs."""


class Tree:
    """The directories under one root, each opened from its parent's descriptor
    and kept open, by path relative to the root ("" is the root), until close()."""

    def __init__(self, root: Path):
        self.root = root
        self._directories: dict[str, int] = {}
        # Directories made here, in order: (parent's descriptor, name), or (None,
        # path) for the root and its missing ancestors.
        self.created: list[tuple[int | None, str]] = []

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        while self._directories:
            os.close(self._directories.popitem()[1])

    def directory(self, relative: str, purpose: str) -> int | None:
        """A descriptor of root/relative, or None where it does not exist yet.
        `purpose` is the file it is opened for, named in a refusal."""
        return self._directory(relative, purpose, create=False)

    def make_directory(self, relative: str, purpose: str) -> int:
        """Like directory(), creating what is missing (mode 0755)."""
        descriptor = self._directory(relative, purpose, create=True)
        assert descriptor is not None
        return descriptor

    def read(self, relative: str, limit: int | None = None) -> tuple[bytes, int] | None:
        """The bytes (at most `limit`) and permission bits of the file at root/relative,
        or None if there is none."""
        directory, _, name = relative.rpartition("/")
        parent = self.directory(directory, relative)
        if parent is None:
            return None
        try:
            descriptor = os.open(name, _FILE, dir_fd=parent)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                self._refuse_link(parent, name, relative, relative)
            raise
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                message = (f"{self.root / relative} is not a regular file (netcompile "
                           "writes a plain file there: move it away)")
                raise RefusedPath(message)
            chunks: list[bytes] = []
            size = 0
            while limit is None or size < limit:
                wanted = _READ_CHUNK if limit is None else min(_READ_CHUNK, limit - size)
                chunk = os.read(descriptor, wanted)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(descriptor)
        return b"".join(chunks), stat.S_IMODE(info.st_mode)

    def files(self, relative: str, pattern: str) -> list[str]:
        """The names of the plain files in root/relative that match `pattern` (a
        glob), sorted; links are not listed, whatever they point at."""
        descriptor = self.directory(relative, relative)
        if descriptor is None:
            return []
        with os.scandir(descriptor) as entries:
            return sorted(entry.name for entry in entries
                          if fnmatchcase(entry.name, pattern)
                          and entry.is_file(follow_symlinks=False))

    def _directory(self, relative: str, purpose: str, create: bool) -> int | None:
        known = self._directories.get(relative)
        if known is not None:
            return known
        if relative:
            above, _, name = relative.rpartition("/")
            parent = self._directory(above, purpose, create)
            if parent is None:
                return None
            descriptor = self._open_child(parent, name, relative, purpose, create)
        else:
            descriptor = self._open_root(create)
        if descriptor is not None:
            self._directories[relative] = descriptor
        return descriptor

    def _open_child(self, parent: int, name: str, relative: str, purpose: str,
                    create: bool) -> int | None:
        try:
            return os.open(name, _DIRECTORY, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as error:
            # O_NOFOLLOW|O_DIRECTORY on a link fails with ENOTDIR (ELOOP elsewhere).
            if error.errno in (errno.ENOTDIR, errno.ELOOP):
                self._refuse_link(parent, name, relative, purpose)
            raise
        os.mkdir(name, 0o755, dir_fd=parent)
        self.created.append((parent, name))
        return os.open(name, _DIRECTORY, dir_fd=parent)

    def _open_root(self, create: bool) -> int | None:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC  # the root may be a link
        try:
            return os.open(self.root, flags)
        except FileNotFoundError:
            if not create:
                return None
        missing: list[Path] = []
        path = self.root.absolute()
        while not os.path.lexists(path) and path != path.parent:
            missing.append(path)
            path = path.parent
        for directory in reversed(missing):
            os.mkdir(directory, 0o755)
            self.created.append((None, str(directory)))
        return os.open(self.root, flags)

    def _refuse_link(self, parent: int, name: str, relative: str, purpose: str) -> None:
        """Raise RefusedPath if root/relative is a symbolic link; return if it is not."""
        try:
            target = os.readlink(name, dir_fd=parent)
        except OSError:
            return
        where = self.root / relative
        shown = repr(target) if len(target) <= 200 else repr(target[:196] + "...")
        if relative == purpose:
            message = (f"{where} is a symbolic link (to {shown}); netcompile does not follow "
                       "links under --root (remove the link: netcompile writes a plain "
                       "file there)")
        else:
            message = (f"{where} is a symbolic link (to {shown}), on the way to {purpose}; "
                       "netcompile does not follow links under --root (make it a real "
                       "directory, or give the directory it leads to as --root)")
        raise RefusedPath(message)
