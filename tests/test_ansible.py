"""The Ansible collection (ansible/collections/.../netcompile/net) run by the real
ansible-core against a local target whose root is a directory: the first run
changes, the second changes nothing, check mode predicts exactly what the first run
does, files are pruned, the handler runs the backend's reload commands (through a
recorder: this host's own network is never touched), and a bad spec fails the task
with netcompile's located error."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

COLLECTIONS = ROOT / "ansible" / "collections"
BIN = Path(sys.executable).parent
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  roles:
    - role: netcompile.net.network
      vars:
        netcompile_spec: "{{ playbook_dir }}/fleet/db1.yaml"
        netcompile_target: "{{ target }}"
        netcompile_root: "{{ playbook_dir }}/root"
        netcompile_command: "%(netcompile)s"
        netcompile_reload_prefix: ["%(recorder)s"]
"""
RECORDER = """\
#!/bin/sh
# Records the reload command it is given instead of running it.
printf '%s\\n' "$*" >> "$(dirname "$0")/reloads.log"
"""


@pytest.fixture
def play(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "fleet", tmp_path / "fleet")
    recorder = tmp_path / "record-reload"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    (tmp_path / "site.yml").write_text(PLAYBOOK % {"netcompile": BIN / "netcompile",
                                                   "recorder": recorder})
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")  # none of this machine's
    (tmp_path / "inventory").write_text(
        f"web ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return tmp_path


def ansible(play: Path, *options: str, target: str = "networkd") -> dict[str, Any]:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(play),
           "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS), "ANSIBLE_STDOUT_CALLBACK": "record",
           "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "tests" / "ansible"),
           "ANSIBLE_LOCAL_TEMP": str(play / ".ansible-tmp"),
           "ANSIBLE_REMOTE_TEMP": str(play / ".ansible-tmp"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_CONFIG": str(play / "ansible.cfg"),
           "LC_ALL": "C.UTF-8"}
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(play / "inventory"),
                           "-e", f"target={target}", *options, str(play / "site.yml")],
                          capture_output=True, text=True, env=env, timeout=300, check=False,
                          cwd=play)
    assert done.stdout.startswith("{"), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    report["returncode"] = done.returncode
    return report


def task(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    for found in report["plays"][0]["tasks"]:
        if found["task"]["name"].split(" : ")[-1] == name:
            result: dict[str, Any] = found["hosts"]["web"]
            return result
    return None


COMPILE = "Compile the network spec and install the files"
RELOAD = "netcompile reload"


def tree(root: Path) -> dict[str, tuple[str, int]]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (p.read_text(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(root.rglob("*")) if p.is_file()}


def reloads(play: Path) -> list[str]:
    log = play / "reloads.log"
    return log.read_text().splitlines() if log.exists() else []


def test_check_mode_predicts_the_first_run_and_the_second_changes_nothing(play: Path) -> None:
    predicted = ansible(play, "--check", "--diff")
    assert predicted["returncode"] == 0
    check = task(predicted, COMPILE)
    assert check is not None and check["changed"] is True
    assert tree(play / "root") == {} and reloads(play) == []  # check mode wrote nothing
    assert check["plan"].startswith("plan: /dev/null -> ")
    assert "+ uplink eth2: table isp-c (102)" in check["plan"]
    # The diff shows the plan, then each file.
    assert check["diff"][0]["prepared"] == check["plan"]
    assert {d["after_header"] for d in check["diff"][1:]} == {
        f["path"] for f in check["files"]}

    first = ansible(play)
    applied = task(first, COMPILE)
    assert first["returncode"] == 0 and applied is not None and applied["changed"] is True
    assert applied["files"] == check["files"]  # exactly what check mode said
    assert [f["action"] for f in applied["files"]] == ["add"] * 6
    written = tree(play / "root")
    assert sorted(written) == sorted(f["path"] for f in check["files"])
    alone = play / "alone"
    subprocess.run([str(BIN / "netcompile"), str(play / "fleet" / "db1.yaml"), "--root",
                    str(alone)], check=True, capture_output=True)
    assert {p: v for p, v in written.items() if not p.startswith("var/")} == tree(alone)
    assert written["var/lib/netcompile/spec.json"][1] == 0o600
    assert reloads(play) == ["networkctl reload", "networkctl reconfigure eth0 eth1 eth2"]

    second = ansible(play)
    unchanged = task(second, COMPILE)
    assert unchanged is not None and unchanged["changed"] is False
    assert task(second, RELOAD) is None and len(reloads(play)) == 2  # no handler ran
    assert ansible(play, "--check")["stats"]["web"]["changed"] == 0


def test_a_change_shows_its_plan_then_prunes_and_reloads(play: Path) -> None:
    ansible(play)
    db1 = play / "fleet" / "db1.yaml"
    db1.write_text("include: common/uplinks.yaml\ninterfaces:\n"
                   "  eth0: {addresses: [192.0.2.21/24]}\n"
                   "  eth1: {addresses: [198.51.100.22/24]}\n")
    predicted = task(ansible(play, "--check", "--diff"), COMPILE)
    assert predicted is not None and predicted["changed"] is True
    plan = predicted["plan"]
    assert "- uplink eth2: table isp-c (102)" in plan
    assert "+ address eth1 198.51.100.22/24" in plan
    assert {(f["path"], f["action"]) for f in predicted["files"]} >= {
        ("etc/systemd/network/30-eth2.network", "remove"),
        ("etc/systemd/network/30-eth1.network", "modify")}
    before = tree(play / "root")
    assert "etc/systemd/network/30-eth2.network" in before
    applied = task(ansible(play), COMPILE)
    assert applied is not None and applied["files"] == predicted["files"]
    after = tree(play / "root")
    assert "etc/systemd/network/30-eth2.network" not in after
    assert "Address=198.51.100.22/24" in after["etc/systemd/network/30-eth1.network"][0]
    assert reloads(play)[-1] == "networkctl reconfigure eth0 eth1"


def test_a_file_not_generated_by_netcompile_is_never_pruned(play: Path) -> None:
    own = play / "root" / "etc" / "systemd" / "network" / "10-own.network"
    own.parent.mkdir(parents=True)
    own.write_text("[Match]\nName=eth7\n")
    assert ansible(play)["returncode"] == 0
    assert own.read_text() == "[Match]\nName=eth7\n"


@pytest.mark.parametrize(("target", "expected", "mode"), [
    ("networkmanager", ["nmcli connection reload", "nmcli connection up eth0",
                        "nmcli connection up eth1", "nmcli connection up eth2"], 0o600),
    ("netplan", ["netplan apply"], 0o600),
    ("ifupdown", ["ifup -a -i {root}/etc/network/interfaces.d/netcompile"], 0o644),
])
def test_each_backend_is_reloaded_its_own_way(play: Path, target: str, expected: list[str],
                                              mode: int) -> None:
    applied = task(ansible(play, target=target), COMPILE)
    assert applied is not None and applied["changed"] is True
    root = str(play / "root")
    assert reloads(play) == [line.format(root=root) for line in expected]
    main = next(f for f in applied["files"] if not f["path"].startswith(
        ("etc/iproute2", "var/")))
    assert int(main["mode"], 8) == mode == stat.S_IMODE((play / "root" / main["path"])
                                                        .stat().st_mode)


def test_ifupdown_takes_interfaces_down_with_the_old_file(play: Path) -> None:
    ansible(play, target="ifupdown")
    db1 = play / "fleet" / "db1.yaml"
    db1.write_text(db1.read_text().replace("203.0.113.21", "203.0.113.22"))
    ansible(play, target="ifupdown")
    root = play / "root"
    assert reloads(play)[-2:] == [
        f"ifdown -a -i {root}/var/lib/netcompile/interfaces.old",
        f"ifup -a -i {root}/etc/network/interfaces.d/netcompile"]
    assert "203.0.113.21" in (root / "var/lib/netcompile/interfaces.old").read_text()


def test_a_bad_spec_fails_the_task_with_the_located_error(play: Path) -> None:
    ansible(play)
    before = tree(play / "root")
    shared = play / "fleet" / "common" / "uplinks.yaml"
    shared.write_text(shared.read_text().replace("table: isp-b", "table: isp-x"))
    report = ansible(play)
    failed = task(report, COMPILE)
    assert report["returncode"] != 0 and failed is not None and failed["failed"] is True
    assert (f"{shared}:12:21: interfaces.eth1.uplink.table: unknown table 'isp-x'"
            in failed["msg"])
    assert tree(play / "root") == before
