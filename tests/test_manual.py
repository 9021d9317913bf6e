"""Shell completion and the man page are generated from the argument parsers: every
option and subcommand appears in each, and the shells and groff accept them."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from netcompile import manual
from netcompile.cli import main
from tests.conftest import require_tool

COMMANDS = manual.commands()
OPTIONS = sorted({n for c in COMMANDS for o in c.options for n in o.names})
NAMES = [c.name for c in COMMANDS if c.name]


def run(*argv: str) -> str:
    out = io.StringIO()
    assert main(list(argv), out=out, err=io.StringIO()) == 0
    return out.getvalue()


def test_the_parsers_are_all_read() -> None:
    assert NAMES == ["plan", "explain", "verify", "diagram", "validate", "fleet",
                     "compose", "completion", "manpage"]
    for option in ("--target", "--root", "--check", "--prune", "--schema", "--fwmark",
                   "--iif", "--strict", "--netns", "--diagnostics-format", "--output",
                   "--jobs"):
        assert option in OPTIONS


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_lists_every_option_and_command(shell: str) -> None:
    script = run("completion", shell)
    for command in COMMANDS:
        if command.name:
            assert command.name in script
        for option in command.options:
            for name in option.names:
                assert name in script, (command.name, name)
            for choice in option.choices:
                assert choice in script, (command.name, choice)


def test_the_man_page_lists_every_option_and_command() -> None:
    page = run("manpage")
    terms = [line for line in page.splitlines() if line.startswith(".B ")]
    for command in COMMANDS:
        if command.name:
            assert f".SH NETCOMPILE {command.name.upper()}" in page
        for option in command.options:
            for name in option.names:
                escaped = name.replace("-", "\\-")
                assert any(re.search(rf"{re.escape(escaped)}\b", t) for t in terms), name


def test_groff_reads_the_man_page_without_a_warning(tmp_path: Path) -> None:
    require_tool("groff")
    page = tmp_path / "netcompile.1"
    page.write_text(run("manpage"))
    result = subprocess.run(["groff", "-man", "-ww", "-z", str(page)], capture_output=True,
                            text=True, timeout=30)
    assert (result.returncode, result.stderr) == (0, "")
    text = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", str(page)], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    assert re.search(r"netcompile\s+explain", text) and "--fwmark" in text.replace("\u2010", "-")


def test_zsh_parses_its_script(tmp_path: Path) -> None:
    require_tool("zsh")
    script = tmp_path / "_netcompile"
    script.write_text(run("completion", "zsh"))
    result = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True,
                            timeout=30)
    assert (result.returncode, result.stderr) == (0, "")


def _complete(script: Path, *words: str) -> list[str]:
    """COMPREPLY for the command line `words` (the last word is being completed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = (f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
               "_netcompile; printf '%s\\n' \"${COMPREPLY[@]}\"")
    result = subprocess.run(["bash", "--norc", "-c", program], capture_output=True,
                            text=True, timeout=30, cwd=script.parent)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands_options_and_values(tmp_path: Path) -> None:
    require_tool("bash")
    script = tmp_path / "netcompile.bash"
    script.write_text(run("completion", "bash"))
    (tmp_path / "host.yaml").write_text("")
    assert _complete(script, "netcompile", "pl") == ["plan"]
    assert "host.yaml" in _complete(script, "netcompile", "ho")
    assert _complete(script, "netcompile", "--ta") == ["--target"]
    assert _complete(script, "netcompile", "-t", "net") == ["networkd", "netplan",
                                                            "networkmanager"]
    assert _complete(script, "netcompile", "explain", "host.yaml", "--fw") == ["--fwmark"]
    assert _complete(script, "netcompile", "plan", "--format", "") == ["text", "markdown",
                                                                       "json"]
    assert _complete(script, "netcompile", "verify", "--st") == ["--strict"]
    assert _complete(script, "netcompile", "completion", "z") == []  # a file, none here
