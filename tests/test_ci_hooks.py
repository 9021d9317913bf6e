"""Where CI and editors meet netcompile: the pre-commit hooks under the real
`pre-commit`, the GitHub Action's script in a scratch repository, `validate` with
JSON and SARIF diagnostics, and the schema's `$id` for editors."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from netcompile.cli import main
from tests.conftest import ROOT, require_tool

SEED = ROOT / "examples" / "two-uplinks.yaml"
BIN = Path(sys.executable).parent
SCRIPT = ROOT / "action" / "plan-changed-specs"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *argv], check=True, capture_output=True, text=True).stdout


def _repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


# -- validate, diagnostics ---------------------------------------------------------------
def _bad(tmp_path: Path) -> Path:
    bad = tmp_path / "bad.netcompile.yaml"
    bad.write_text("version: 1\ninterfaces:\n  eth0:\n    mtu: 10\n")
    return bad


def test_validate_checks_many_specs_on_every_backend(tmp_path: Path) -> None:
    assert run("validate", str(SEED), str(ROOT / "examples" / "dual-stack.yaml")) == (
        0, "2 specs valid\n", "")
    unsupported = ROOT / "tests" / "specs" / "unsupported" / "ifupdown-vlan-name.yaml"
    code, _, err = run("validate", str(SEED), str(_bad(tmp_path)), str(unsupported))
    assert code == 2
    assert "bad.netcompile.yaml:4:10: interfaces.eth0.mtu: 10 is out of range" in err
    assert "ifupdown cannot express this" in err
    assert err.endswith("netcompile: 2 problems in 3 specs\n")
    assert run("validate", str(unsupported), "--target", "networkd")[0] == 0


def test_diagnostics_as_sarif(tmp_path: Path) -> None:
    bad = _bad(tmp_path)
    code, out, err = run("validate", str(bad), "--diagnostics-format", "sarif")
    assert (code, err) == (2, "")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run_] = sarif["runs"]
    assert run_["tool"]["driver"]["name"] == "netcompile"
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"spec", "unsupported", "error"}
    [result] = run_["results"]
    assert result["ruleId"] == "spec" and result["level"] == "error"
    assert result["message"]["text"] == (
        "interfaces.eth0.mtu: 10 is out of range (use a value from 68 to 65535)")
    assert result["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": str(bad)}, "region": {"startLine": 4, "startColumn": 10}}}]
    code, out, _ = run("validate", str(SEED), "--diagnostics-format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []


def test_diagnostics_as_json(tmp_path: Path) -> None:
    code, out, _ = run("validate", str(_bad(tmp_path)), "--diagnostics-format", "json")
    assert code == 2
    [problem] = json.loads(out)["diagnostics"]
    assert problem == {"rule": "spec", "message": "10 is out of range",
                       "hint": "use a value from 68 to 65535", "path": "interfaces.eth0.mtu",
                       "backend": "", "location": {"file": str(tmp_path / "bad.netcompile.yaml"),
                                                   "line": 4, "column": 10}}


# -- pre-commit -------------------------------------------------------------------------
def _hook_repository(path: Path) -> str:
    """This work tree's package and hook definitions, committed in a scratch
    repository, as pre-commit clones and installs a hook repository."""
    path.mkdir()
    for name in ("compiler", "schemas", "templates"):
        shutil.copytree(ROOT / name, path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, path / name)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "hooks")
    return git(path, "rev-parse", "HEAD").strip()


def test_the_hooks_run_under_the_real_pre_commit(tmp_path: Path) -> None:
    pre_commit = BIN / "pre-commit"
    if not pre_commit.exists():
        require_tool("pre-commit")
    hooks = tmp_path / "hooks"
    revision = _hook_repository(hooks)
    project = _repo(tmp_path / "project")
    (project / "web1.netcompile.yaml").write_text(SEED.read_text())
    (project / "notes.yaml").write_text("not: [a spec\n")  # not a spec: not validated
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {revision}\n  hooks:\n"
        "  - id: netcompile-validate\n"
        "  - id: netcompile-check\n"
        "    args: [web1.netcompile.yaml, --target, networkd, --root, image]\n")
    assert run(str(project / "web1.netcompile.yaml"), "--target", "networkd", "--root",
               str(project / "image"))[0] == 0
    git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def pre_commit_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pre_commit), "run", "--all-files", "--color", "never"],
                              cwd=project, env=env, capture_output=True, text=True,
                              timeout=600)

    clean = pre_commit_run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "netcompile validate" in clean.stdout and "Passed" in clean.stdout

    # A unit edited by hand: the check hook shows the diff and fails.
    unit = project / "image" / "etc" / "systemd" / "network" / "30-eth1.network"
    unit.write_text(unit.read_text().replace("Table=101", "Table=999"))
    stale = pre_commit_run()
    assert stale.returncode == 1
    assert "-Table=999" in stale.stdout and "+Table=101" in stale.stdout

    # An invalid spec: the validate hook names file:line:column.
    unit.write_text(unit.read_text().replace("Table=999", "Table=101"))
    spec = project / "web1.netcompile.yaml"
    spec.write_text(spec.read_text().replace("  eth1:\n", "  eth1:\n    mtu: 10\n"))
    invalid = pre_commit_run()
    assert invalid.returncode == 1
    assert "web1.netcompile.yaml:11:10: interfaces.eth1.mtu: 10 is out of range" in (
        invalid.stdout)


# -- the GitHub Action ------------------------------------------------------------------
def test_the_action_is_a_composite_running_the_script() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all(s["shell"] == "bash" for s in steps)
    assert '"$GITHUB_ACTION_PATH/action/plan-changed-specs" "$BASE" $SPECS' in steps[1]["run"]
    # Inputs reach the scripts through the environment only, never spliced into code.
    assert all("${{" not in s["run"] for s in steps)
    assert set(action["inputs"]) == {"base", "specs", "target", "python"}
    assert os.access(SCRIPT, os.X_OK)


def _script(repo: Path, base: str, tmp_path: Path, *specs: str
            ) -> tuple[subprocess.CompletedProcess[str], str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("")
    output.write_text("")
    env = {**os.environ, "NETCOMPILE": str(BIN / "netcompile"), "NETCOMPILE_TARGET": "networkd",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "NETCOMPILE_MARKDOWN": str(tmp_path / "plan.md")}
    result = subprocess.run([str(SCRIPT), base, *specs], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=120)
    return result, summary.read_text(), output.read_text()


def test_the_action_script_plans_the_changed_specs(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "hosts").mkdir()
    (repo / "hosts" / "web1.netcompile.yaml").write_text(SEED.read_text())
    (repo / "hosts" / "gone.netcompile.yaml").write_text(SEED.read_text())
    (repo / "README").write_text("hosts\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()

    result, summary, output = _script(repo, base, tmp_path)
    assert result.returncode == 0, result.stderr
    assert summary == f"### netcompile plan\n\nNo spec changed since `{base}`.\n"
    assert output == f"changed=false\nmarkdown={tmp_path / 'plan.md'}\n"

    web1 = repo / "hosts" / "web1.netcompile.yaml"
    web1.write_text(web1.read_text().replace("198.51.100.1]", "198.51.100.254]"))
    (repo / "hosts" / "gone.netcompile.yaml").unlink()
    (repo / "hosts" / "new.netcompile.yaml").write_text(SEED.read_text())
    (repo / "README").write_text("changed, not a spec\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    result, summary, output = _script(repo, base, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == summary == (tmp_path / "plan.md").read_text()
    assert output.startswith("changed=true\n")
    titles = [line for line in summary.splitlines() if line.startswith("### ")]
    assert titles == [f"### netcompile plan: `git:{base}:hosts/gone.netcompile.yaml`",
                      "### netcompile plan: `hosts/new.netcompile.yaml`",
                      "### netcompile plan: `hosts/web1.netcompile.yaml`"]
    assert "via 198.51.100.1 | via 198.51.100.254 |" in summary
    assert "```diff\n--- a/etc/systemd/network/30-eth1.network" in summary
    assert "README" not in summary
    # Only the specs a pathspec names.
    result, summary, _ = _script(repo, base, tmp_path, "hosts/web1.*")
    assert [line for line in summary.splitlines() if line.startswith("### ")] == [
        "### netcompile plan: `hosts/web1.netcompile.yaml`"]


def test_the_action_script_fails_on_an_invalid_spec(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    spec = repo / "web1.netcompile.yaml"
    spec.write_text(SEED.read_text())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    spec.write_text(spec.read_text().replace("  eth1:\n", "  eth1:\n    mtu: 10\n"))
    result, summary, _ = _script(repo, base, tmp_path)
    assert result.returncode == 2
    assert "### netcompile plan: `web1.netcompile.yaml` failed" in summary
    assert "web1.netcompile.yaml:11:10: interfaces.eth1.mtu: 10 is out of range" in summary
    result, _, _ = _script(repo, "no-such-revision", tmp_path)
    assert result.returncode == 2 and "is not a commit here" in result.stderr


# -- editors ----------------------------------------------------------------------------
def test_the_schema_has_an_id_and_the_editor_docs_use_it(tmp_path: Path) -> None:
    schema = json.loads(run("--schema")[1])
    assert schema["$id"] == "https://netcompile.dev/schemas/netcompile-spec-v1.json"
    editors = (ROOT / "docs" / "editors.md").read_text()
    assert "# yaml-language-server: $schema=" in editors and schema["$id"] in editors
    assert "*.netcompile.yaml" in editors
    # The modeline is a comment: a spec that carries it compiles as before.
    spec = tmp_path / "web1.netcompile.yaml"
    spec.write_text(f"# yaml-language-server: $schema={schema['$id']}\n" + SEED.read_text())
    assert run(str(spec), "--validate")[0] == 0


@pytest.mark.parametrize("name", ["action.yml", ".pre-commit-hooks.yaml"])
def test_ci_files_are_documented(name: str) -> None:
    assert name in (ROOT / "docs" / "ci.md").read_text()
