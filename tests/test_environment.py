"""The suite runs in the project's own virtualenv and sees nothing from outside it:
on a fresh machine only what `make` installs exists, so nothing else may make a
test pass here (the base interpreter's packages, the user site, PYTHONPATH, a
netcompile installed elsewhere)."""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from pathlib import Path

from tests.conftest import ROOT

PREFIX = Path(sys.prefix).resolve()


BASE = sys.base_prefix
# The base interpreter's standard library, the one part of it a venv uses (its
# site-packages lies inside it and is excluded below).
STDLIB = {Path(p).resolve() for key, p in sysconfig.get_paths(vars={
    "base": BASE, "platbase": BASE, "installed_base": BASE, "installed_platbase": BASE,
}).items() if key in ("stdlib", "platstdlib")}
ZIPPED_STDLIB = Path(BASE, "lib", f"python{sys.version_info[0]}{sys.version_info[1]}.zip")
# setuptools' editable install puts a path hook on sys.path: it maps netcompile to
# compiler/ (checked below), and is not a directory.
EDITABLE_HOOK = "__editable__."


def _inside(path: Path) -> bool:
    if path.is_relative_to(PREFIX) or path.is_relative_to(ROOT) or path == ZIPPED_STDLIB:
        return True
    return (any(path.is_relative_to(base) for base in STDLIB)
            and not {"site-packages", "dist-packages"} & set(path.parts))


def _allowed(path: str) -> bool:
    """`path` as written or as resolved: the base interpreter's own files may be links
    (Debian's /usr/lib/python3.11/sitecustomize.py points into /etc)."""
    return _inside(Path(os.path.abspath(path))) or _inside(Path(path).resolve())


def test_the_interpreter_is_the_projects_virtualenv() -> None:
    assert (ROOT / ".venv").resolve() == PREFIX, (
        f"the suite runs under {sys.prefix}, not {ROOT / '.venv'}: run `make test`")
    config = (PREFIX / "pyvenv.cfg").read_text(encoding="utf-8")
    settings = dict(line.split(" = ", 1) for line in config.splitlines() if " = " in line)
    assert settings["include-system-site-packages"] == "false", (
        "the virtualenv sees the base interpreter's packages: remove .venv and run `make test`")


def test_no_path_outside_the_environment() -> None:
    assert not site.ENABLE_USER_SITE
    assert not os.environ.get("PYTHONPATH"), os.environ.get("PYTHONPATH")
    outside = [p for p in sys.path
               if p and not p.startswith(EDITABLE_HOOK) and not _allowed(p)]
    assert outside == [], "sys.path reaches outside the project's environment"


def test_every_loaded_module_comes_from_the_environment() -> None:
    outside = sorted(f"{name}: {module.__file__}" for name, module in list(sys.modules.items())
                     if getattr(module, "__file__", None)
                     and not _allowed(module.__file__))  # type: ignore[arg-type]
    assert outside == []


def test_netcompile_is_this_checkout() -> None:
    import netcompile

    assert Path(netcompile.__file__).resolve() == ROOT / "compiler" / "__init__.py"
