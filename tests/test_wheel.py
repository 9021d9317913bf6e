"""`pip install` of the built wheel gives a working command outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work), str(ROOT)], check=True)
    wheel = next(work.glob("netcompile-*.whl"))
    env_dir = work / "venv"
    # The runtime dependencies come from this interpreter's site-packages; the
    # wheel itself is installed into the fresh environment, which shadows any
    # development install of netcompile.
    venv.create(env_dir, with_pip=True, system_site_packages=True)
    subprocess.run([str(env_dir / "bin" / "pip"), "install", "-q", "--no-deps", str(wheel)],
                   check=True)
    return env_dir


def test_wheel_runs_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text((ROOT / "examples" / "two-uplinks.yaml").read_text())
    result = subprocess.run([str(installed / "bin" / "netcompile"), "spec.yaml",
                             "--target", "all"], cwd=tmp_path, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "RouteTable=isp-a:100 isp-b:101" in result.stdout or "100\tisp-a" in result.stdout
    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import netcompile; print(netcompile.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where


def test_wheel_carries_schema_and_templates(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(installed / "bin" / "netcompile"), "--schema"], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    assert '"title": "netcompile network spec, version 1"' in result.stdout
    package = next((installed / "lib").glob("python3*/site-packages/netcompile"))
    assert (package / "templates").is_dir() and (package / "schemas").is_dir()
