"""docs/errors.md lists every error message: each literal fragment of each message
in the code must appear in it, so the catalogue cannot fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hardening.catalogue import COMPILER, fragments, messages

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def normal(text: str) -> str:
    """Backticks and spacing differ between code and Markdown; the words may not."""
    return re.sub(r"\s+", " ", text.replace("`", "").replace("\\|", "|")).strip()


FRAGMENTS = [(module, text) for module, texts in fragments().items() for text in texts]


@pytest.mark.parametrize(("module", "text"), FRAGMENTS, ids=[f"{m}:{t[:40]}" for m, t in FRAGMENTS])
def test_message_is_in_the_catalogue(module: str, text: str) -> None:
    assert normal(text) in normal(CATALOGUE.read_text(encoding="utf-8")), (
        f"{module}: {text!r} is not in docs/errors.md")


def test_the_scan_finds_messages_everywhere() -> None:
    modules = {m for m, _ in FRAGMENTS}
    for expected in ("loader.py", "schema.py", "build.py", "passes.py", "cli.py", "output.py"):
        assert expected in modules
    for backend in (COMPILER / "backends").glob("*.py"):
        if backend.name not in ("__init__.py", "base.py"):  # the registry, the protocol
            assert f"backends/{backend.name}" in modules, backend.name
    assert len(FRAGMENTS) > 100


def test_the_scan_sees_a_new_message(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text('self.error(path, f"a brand new {thing} failure", "hint")\n')
    assert [text for _, text in messages(module)] == ["a brand new ", " failure"]
