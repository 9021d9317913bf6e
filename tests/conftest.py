"""Shared fixtures: the examples, and a text-file snapshot per emitted file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
IN_CI = bool(os.environ.get("CI"))


class TextFileSnapshot(SingleFileSnapshotExtension):
    """One readable file per snapshot, so a changed output shows as a plain diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def text_snapshot(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(TextFileSnapshot)


def require_tool(*commands: str) -> None:
    """Skip when a real tool is missing on a developer's machine; in CI, where
    .ci/run installs every tool, a missing one is a failure instead."""
    import shutil

    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        message = f"missing tool(s): {', '.join(missing)}"
        if IN_CI:
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)
