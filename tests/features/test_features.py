"""Feature by feature, each backend's spelling of a minimal spec: every case of
tests/features/*.yaml is compiled through the public API for every backend and
checked against that backend's expected lines or refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

import netcompile
from tests.features.cases import Case, Check, load
from tests.features.text import has_line, has_lines, has_section

BACKENDS = netcompile.targets()
CASES = load(BACKENDS)


def _params() -> list[object]:
    return [pytest.param(case, backend, id=f"{case.group}/{case.name}/{backend}",
                         marks=[pytest.mark.xfail(strict=True, reason=case.xfail[backend])]
                         if backend in case.xfail else [])
            for case in CASES for backend in BACKENDS]


def _verify(check: Check, files: dict[str, str]) -> None:
    if not check.exists:
        assert check.file not in files, f"{check.file} should not be written"
        return
    assert check.file in files, f"no {check.file}; the backend wrote {sorted(files)}"
    content = files[check.file]
    shown = f"\n--- {check.file} ---\n{content}"
    lines = content.splitlines()
    if check.lines:
        assert has_lines(lines, check.lines), "these lines, in this order:\n" + "\n".join(
            check.lines) + shown
    if check.section:
        assert has_section(lines, check.section), "this whole section:\n" + "\n".join(
            check.section) + shown
    for line in check.absent:
        assert not has_line(lines, line), f"{line!r} should be absent" + shown


@pytest.mark.parametrize(("case", "backend"), _params())
def test_feature(case: Case, backend: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(case.spec, encoding="utf-8")
    expected = case.expected[backend]
    files: dict[str, str] = {}
    refused: list[str] = []
    try:
        files = {f.path: f.content for f in netcompile.compile_file(str(spec), backend)}
    except netcompile.UnsupportedErrors as refusal:
        refused = [str(e).removeprefix(f"{spec}:") for e in refusal.errors]
    assert refused == list(expected.refused), (
        f"{backend} refused:\n" + "\n".join(refused) if refused
        else f"{backend} compiled the spec, expected it to refuse")
    for check in expected.checks:
        _verify(check, files)

def test_every_group_is_there() -> None:
    groups = {case.group for case in CASES}
    assert groups == {"addresses", "bonds", "dhcp", "dns", "match", "mtu", "netplan-renderer",
                      "routes", "rules", "vlan-bridge"}
