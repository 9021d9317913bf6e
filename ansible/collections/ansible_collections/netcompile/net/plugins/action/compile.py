# The controller's half of netcompile.net.compile: run the installed netcompile on
# the host's spec, then hand the files to the module of the same name on the host.

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

TARGETS = ("networkd", "netplan", "networkmanager", "ifupdown")
# The files each backend owns (netcompile's backends/*.py `owns`), plus rt_tables.d:
# only files in these that carry netcompile's header are ever pruned.
MANAGED = {
    "networkd": ["etc/systemd/network/*", "etc/systemd/networkd.conf.d/*"],
    "netplan": ["etc/netplan/*"],
    "networkmanager": ["etc/NetworkManager/system-connections/*",
                       "etc/systemd/network/*.link"],
    "ifupdown": ["etc/network/interfaces.d/*"],
}
RT_TABLES = "etc/iproute2/rt_tables.d/*"
STATE = "var/lib/netcompile/spec.json"
IFUPDOWN_FILE = "etc/network/interfaces.d/netcompile"
IFUPDOWN_OLD = "var/lib/netcompile/interfaces.old"
TIMEOUT = 120


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("spec", "target", "root", "prune", "netcompile"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        spec = args.get("spec")
        target = args.get("target", "networkd")
        root = args.get("root", "/")
        command = args.get("netcompile", "netcompile")
        if not spec:
            raise AnsibleActionFail("spec is required: the host's netcompile spec")
        if target not in TARGETS:
            raise AnsibleActionFail(f"target must be one of {', '.join(TARGETS)}")
        scratch = tempfile.mkdtemp(prefix="netcompile-ansible-")
        try:
            files = self._compile(command, spec, target, os.path.join(scratch, "root"))
            composed = _run([command, "compose", spec]).stdout
            files.append({"path": STATE, "mode": "0600",
                          "content": base64.b64encode(composed.encode()).decode()})
            plan = self._plan(command, root, target, composed, scratch, task_vars)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        module_args = {"root": root, "files": files, "prune": bool(args.get("prune", True)),
                       "managed": [*MANAGED[target], RT_TABLES],
                       "keep_old": [{"path": IFUPDOWN_FILE, "copy": IFUPDOWN_OLD}]
                       if target == "ifupdown" else []}
        installed = self._execute_module(module_name="netcompile.net.compile",
                                         module_args=module_args, task_vars=task_vars)
        result.update(installed)
        if installed.get("failed"):
            return result
        result["plan"] = plan
        result["reload_commands"] = _reload(target, root, composed, files,
                                            installed.get("kept", []))
        if self._play_context.diff and result.get("changed"):
            # The plan first (what the change means), then each file's diff.
            result["diff"] = [{"prepared": plan}, *installed.get("diff", [])]
        else:
            result.pop("diff", None)
        return result

    def _compile(self, command, spec, target, into):
        _run([command, spec, "--target", target, "--root", into])
        files = []
        for directory, _, names in sorted(os.walk(into)):
            for name in sorted(names):
                path = os.path.join(directory, name)
                with open(path, "rb") as stream:
                    content = stream.read()
                files.append({"path": os.path.relpath(path, into),
                              "mode": f"{os.stat(path).st_mode & 0o7777:04o}",
                              "content": base64.b64encode(content).decode()})
        return files

    def _plan(self, command, root, target, composed, scratch, task_vars):
        """`netcompile plan` from the spec the host had (kept by the last run) to this
        one; from /dev/null on a host that has none."""
        old = "/dev/null"
        found = self._execute_module(module_name="ansible.legacy.slurp",
                                     module_args={"src": os.path.join(root, STATE)},
                                     task_vars=task_vars)
        if not found.get("failed") and "content" in found:
            old = os.path.join(scratch, "host.json")
            with open(old, "wb") as stream:
                stream.write(base64.b64decode(found["content"]))
        new = os.path.join(scratch, "spec.json")
        with open(new, "w", encoding="utf-8") as stream:
            stream.write(composed)
        return _run([command, "plan", old, new, "--target", target, "--color", "never"],
                    ok=(0, 1)).stdout


def _run(argv, ok=(0,)):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AnsibleActionFail(f"cannot run {argv[0]}: {error}") from None
    if done.returncode not in ok:
        # netcompile's own message: every error with its file:line:column.
        raise AnsibleActionFail(f"{' '.join(argv[:2])} failed (exit {done.returncode}):\n"
                                f"{done.stderr.strip()}")
    return done


def _reload(target, root, composed, files, kept):
    interfaces = sorted(json.loads(composed).get("interfaces", {}))
    if target == "networkd":
        return [["networkctl", "reload"], ["networkctl", "reconfigure", *interfaces]]
    if target == "netplan":
        return [["netplan", "apply"]]
    if target == "networkmanager":
        ids = []
        for f in files:
            if f["path"].endswith(".nmconnection"):
                text = base64.b64decode(f["content"]).decode("utf-8", "replace")
                found = re.search(r"^id=(.*)$", text, re.MULTILINE)
                if found:
                    ids.append(found.group(1))
        return [["nmcli", "connection", "reload"],
                *(["nmcli", "connection", "up", i] for i in sorted(ids))]
    commands = [["ifdown", "-a", "-i", os.path.join(root, IFUPDOWN_OLD)]] if kept else []
    return [*commands, ["ifup", "-a", "-i", os.path.join(root, IFUPDOWN_FILE)]]
