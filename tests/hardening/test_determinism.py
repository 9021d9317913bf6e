"""Byte-identical output whatever the hash seed, locale, working directory or order
of mapping keys in the spec: whole `netcompile --target all` runs in child processes."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.hardening.bounded import run_cli
from tests.hardening.common import dump_yaml
from tests.hardening.test_fuzz import shuffled

ENVIRONMENTS = [
    {"PYTHONHASHSEED": "0", "LC_ALL": "C"},
    {"PYTHONHASHSEED": "1", "LC_ALL": "C.UTF-8"},
    {"PYTHONHASHSEED": "4294967295", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
    {"PYTHONHASHSEED": "random", "LC_ALL": "C", "TZ": "Pacific/Kiritimati"},
]


def compile_all(spec: Path, cwd: Path, extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONHASH"))}
    env.update(extra)
    result = run_cli(spec, "--target", "all", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_same_bytes_across_seeds_locales_and_directories(example: Path, tmp_path: Path) -> None:
    here = tmp_path / "elsewhere"
    here.mkdir()
    copy = here / example.name
    shutil.copy(example, copy)
    reference = compile_all(example, example.parent, ENVIRONMENTS[0])
    assert reference.count("# ==> ") >= 4
    for index, env in enumerate(ENVIRONMENTS[1:]):
        cwd = tmp_path if index % 2 else Path("/")
        assert compile_all(copy, cwd, env) == reference, env


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_same_bytes_whatever_the_key_order(example: Path, tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    data: Any = YAML(typ="safe", pure=True).load(example.read_text())
    reference = compile_all(example, example.parent, ENVIRONMENTS[0])
    texts = {dump_yaml(data)}
    for seed in range(3):
        spec = tmp_path / example.name  # same name: headers carry it
        text = dump_yaml(shuffled(data, random.Random(seed)))
        texts.add(text)
        spec.write_text(text)
        assert compile_all(spec, tmp_path, ENVIRONMENTS[seed % 2]) == reference, seed
    assert len(texts) > 1, "the shuffles did not reorder anything"
