"""Find the schema and templates, installed (inside the package) or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(kind: str, *parts: str) -> Path:
    """`kind` is "schemas" or "templates". An installed wheel carries them inside the
    package; a source checkout keeps them beside compiler/ at the top level."""
    for base in (_PACKAGE_DIR / kind, _PACKAGE_DIR.parent / kind):
        if base.is_dir():
            return base.joinpath(*parts)
    raise FileNotFoundError(f"netcompile's {kind} directory is missing from the installation")
