"""`netcompile diagram`: the SVG is well-formed and shows the routing; the Mermaid
(also in `plan --format markdown`) is accepted and drawn by the real Mermaid
renderer (@mermaid-js/mermaid-cli under Debian's Chromium: `make node-deps`)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import netcompile
from netcompile.cli import main
from netcompile.diagram import mermaid, svg
from tests.conftest import EXAMPLES, IN_CI, ROOT

WORKOUT = ROOT / "tests" / "lab" / "policy-routing.yaml"
SPECS = [*EXAMPLES, WORKOUT]
MERMAID = ROOT / "tools" / "mermaid"
MMDC = MERMAID / "node_modules" / ".bin" / "mmdc"
CHROMIUM = "/usr/bin/chromium"
SVG = "{http://www.w3.org/2000/svg}"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _texts(drawing: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(drawing).iter(f"{SVG}text")]


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_the_svg_shows_every_rule_table_and_interface(spec: Path) -> None:
    network = netcompile.build_network(str(spec))
    drawing = svg(network)
    texts = _texts(drawing)
    for interface in network.interfaces:
        assert any(t.startswith(interface.name) for t in texts), interface.name
    for rule in network.rules:
        assert any(t.startswith(f"{rule.priority}: ") for t in texts), rule
    assert "32766: from all" in texts
    assert any(t.startswith("table main (254)") for t in texts)
    for table in network.tables:
        assert f"table {table.name} ({table.number})" in texts
    # Every box lies inside the picture.
    root = ET.fromstring(drawing)
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("x") is not None:
            assert float(rect.get("x", 0)) + float(rect.get("width", 0)) <= width
            assert float(rect.get("y", 0)) + float(rect.get("height", 0)) <= height


def test_the_main_default_is_drawn_bold() -> None:
    network = netcompile.build_network(str(ROOT / "examples" / "two-uplinks.yaml"))
    root = ET.fromstring(svg(network))
    bold = [p for p in root.iter(f"{SVG}path") if p.get("stroke-width") == "3"]
    assert len(bold) == 1
    assert "linkStyle" in mermaid(network) and "class i0 maindefault" in mermaid(network)


def test_the_command_writes_svg_or_mermaid(tmp_path: Path) -> None:
    spec = str(ROOT / "examples" / "dual-stack.yaml")
    target = tmp_path / "routing.svg"
    assert run("diagram", spec, "-o", str(target)) == (0, "", "")
    assert target.read_text() == svg(netcompile.build_network(spec))
    code, out, _ = run("diagram", spec, "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR\n")
    assert run("diagram", spec, "-o", str(tmp_path / "missing" / "x.svg"))[0] == 2


def test_drawings_are_deterministic() -> None:
    network = netcompile.build_network(str(WORKOUT))
    assert svg(network) == svg(netcompile.build_network(str(WORKOUT)))
    assert mermaid(network) == mermaid(netcompile.build_network(str(WORKOUT)))


def _renderer() -> None:
    missing = [str(p) for p in (MMDC, Path(CHROMIUM)) if not p.exists()]
    if missing:
        message = f"the Mermaid renderer needs {', '.join(missing)} (make node-deps)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _render(source: str, work: Path, name: str) -> Path:
    (work / f"{name}.mmd").write_text(source)
    config = work / "puppeteer.json"
    config.write_text(f'{{"executablePath": "{CHROMIUM}", "args": ["--no-sandbox", '
                      '"--disable-gpu"]}')
    png = work / f"{name}.png"
    result = subprocess.run(
        [str(MMDC), "-p", str(config), "-i", str(work / f"{name}.mmd"), "-o", str(png),
         "-b", "white", "-q"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(work)})
    assert result.returncode == 0, result.stderr + result.stdout
    return png


def test_the_real_mermaid_renderer_draws_every_example(tmp_path: Path) -> None:
    _renderer()
    # One diagram per spec; mermaid-cli renders each Markdown fence as its own file.
    fences = "".join(f"```mermaid\n{mermaid(netcompile.build_network(str(s)))}```\n\n"
                     for s in SPECS)
    (tmp_path / "all.md").write_text(fences)
    config = tmp_path / "puppeteer.json"
    config.write_text(f'{{"executablePath": "{CHROMIUM}", "args": ["--no-sandbox"]}}')
    result = subprocess.run(
        [str(MMDC), "-p", str(config), "-i", str(tmp_path / "all.md"), "-o",
         str(tmp_path / "out.md"), "-e", "png", "-q"], capture_output=True, text=True,
        timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr + result.stdout
    pngs = sorted(tmp_path.glob("out-*.png"))
    assert len(pngs) == len(SPECS)
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_the_real_mermaid_renderer_refuses_a_broken_diagram(tmp_path: Path) -> None:
    """The check can fail: a label with an unescaped quote breaks the syntax."""
    _renderer()
    broken = re.sub(r'\["', '["x"', mermaid(netcompile.build_network(str(WORKOUT))), count=1)
    with pytest.raises(AssertionError, match="Parse error on line 2"):
        _render(broken, tmp_path, "broken")


def test_a_plans_mermaid_is_drawn(tmp_path: Path) -> None:
    _renderer()
    new = tmp_path / "two-uplinks.yaml"
    new.write_text((ROOT / "examples" / "two-uplinks.yaml").read_text()
                   .replace("isp-b: 101", "isp-b: 111"))
    code, out, _ = run("plan", str(ROOT / "examples" / "two-uplinks.yaml"), str(new),
                       "--format", "markdown", "--target", "networkd")
    assert code == 1
    source = out.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "table isp-b (111)" in source
    assert _render(source, tmp_path, "plan").stat().st_size > 5000
