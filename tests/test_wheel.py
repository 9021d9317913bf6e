"""`pip install` of the built wheel gives a working command outside the checkout, in
an environment that holds the wheel and what its metadata asks for, nothing else."""

from __future__ import annotations

import importlib.metadata
import io
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from netcompile.cli import main
from tests.conftest import ROOT

RUNTIME_MODULES = ("jinja2", "jsonschema", "ruamel.yaml", "netcompile")


def clean_environ() -> dict[str, str]:
    """This process's environment without what could make the installed command find
    modules outside its own environment (or this checkout's virtualenv)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV",
                        "PYTHONUSERBASE")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def runtime_pins() -> list[str]:
    """`name==version` for netcompile's runtime dependencies and theirs, as installed in
    the environment running the suite: the wheel is tried with the versions tested."""
    pins: dict[str, str] = {}
    pending = [r for r in importlib.metadata.requires("netcompile") or []]
    while pending:
        requirement = Requirement(pending.pop())
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in pins:
            continue
        pins[name] = importlib.metadata.version(name)
        pending.extend(importlib.metadata.requires(name) or [])
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work), str(ROOT)], check=True, env=clean_environ())
    wheel = next(work.glob("netcompile-*.whl"))
    env_dir = work / "venv"
    # No system site packages: the base interpreter's modules must not make it work.
    venv.create(env_dir, with_pip=True, system_site_packages=False, clear=True)
    constraints = work / "constraints.txt"
    constraints.write_text("".join(f"{pin}\n" for pin in runtime_pins()))
    # The dependencies come from the package index, resolved from the wheel's own
    # metadata as `pip install .` does for a user: a dependency missing from
    # pyproject.toml is missing here too.
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--constraint", str(constraints), str(wheel)],
                   check=True, env=clean_environ(), cwd=work, timeout=600)
    return env_dir


def test_the_environment_is_isolated(installed: Path) -> None:
    config = (installed / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in config
    # Each runtime module comes from the new environment, none from the checkout or
    # the base interpreter.
    code = ("import importlib, sys\n"
            f"for name in {RUNTIME_MODULES!r}:\n"
            "    print(importlib.import_module(name).__file__)\n")
    where = subprocess.run([str(installed / "bin" / "python"), "-I", "-c", code],
                           cwd="/", capture_output=True, text=True, check=True,
                           env=clean_environ()).stdout.split()
    assert len(where) == len(RUNTIME_MODULES)
    site_packages = next((installed / "lib").glob("python3*/site-packages"))
    for module, path in zip(RUNTIME_MODULES, where, strict=True):
        assert Path(path).is_relative_to(site_packages), (module, path)


def test_wheel_runs_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text((ROOT / "examples" / "two-uplinks.yaml").read_text())
    result = subprocess.run([str(installed / "bin" / "netcompile"), "spec.yaml",
                             "--target", "all"], cwd=tmp_path, capture_output=True, text=True,
                            check=False, env=clean_environ())
    assert result.returncode == 0, result.stderr
    # Byte for byte what the checkout's own code prints for the same file.
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert main(["spec.yaml", "--target", "all"], out=out, err=io.StringIO()) == 0
    finally:
        os.chdir(cwd)
    assert result.stdout == out.getvalue()
    assert "RouteTable=isp-a:100 isp-b:101" in result.stdout


def test_wheel_carries_schema_and_templates(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(installed / "bin" / "netcompile"), "--schema"], cwd=tmp_path,
                            capture_output=True, text=True, check=True, env=clean_environ())
    assert result.stdout.strip() == (ROOT / "schemas" / "netcompile.schema.json").read_text(
        encoding="utf-8").strip()
    package = next((installed / "lib").glob("python3*/site-packages/netcompile"))
    shipped = sorted(p.relative_to(package / "templates").as_posix()
                     for p in (package / "templates").glob("*/*.j2"))
    assert shipped == sorted(p.relative_to(ROOT / "templates").as_posix()
                             for p in (ROOT / "templates").glob("*/*.j2"))
