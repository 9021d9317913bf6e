"""ifupdown, run for real in the server namespace.

Each ifup/ifdown runs in a private mount namespace where /etc/network is the
generated tree (with Debian's default `source /etc/network/interfaces.d/*` and
empty hook directories, so the host's if-up.d scripts never run) and
/etc/iproute2 holds the host's files plus the generated rt_tables.d, so `ip`
resolves the table names. State lives in the work directory (--state-dir).

`inet dhcp` runs dhclient, which stays running after ifup: its pid file (/run),
leases (/var/lib/dhcp), configuration and hook scripts (/etc/dhcp, hooks left
empty but for netcompile's own enter hook) and /etc/resolv.conf are the work
directory's, so ifdown finds the same dhclient and nothing of the host's is read
or written; stop() ends whatever dhclient is left by the pid it wrote.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from netcompile.output import OutputFile

from ..procs import in_ns, run, stop_pid_file
from ..topology import Topology
from .base import Applier, ApplyError, replace_dir, unexpected, write_tree

NETWORK_DIR = "etc/network/"
IPROUTE_DIR = "etc/iproute2/"
HOOKS = ("if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d")
DHCLIENT_HOOKS = ("dhclient-enter-hooks.d", "dhclient-exit-hooks.d")
DHCLIENT_HOOK_DIR = "etc/dhcp/dhclient-enter-hooks.d/"
DHCLIENT_CONF = Path("/etc/dhcp/dhclient.conf")
DEBIAN_INTERFACES = "auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n"

_MOUNTS = """set -e
mount --bind {network} /etc/network
mount --bind {iproute} /etc/iproute2
mount --bind {dhcp}/run /run
mount --bind {dhcp}/lib /var/lib/dhcp
mount --bind {dhcp}/etc /etc/dhcp
mount --bind {dhcp}/resolv.conf /etc/resolv.conf
"""
_RUN = "exec {command} -v --no-loopback -i /etc/network/interfaces --state-dir {state} -a\n"


class Ifupdown(Applier):
    name = "ifupdown"

    def __init__(self, topology: Topology, work: Path) -> None:
        super().__init__(topology, work)
        self.state = replace_dir(work / "ifstate")
        self.transcript: list[str] = []
        self.dhcp = work / "dhcp"
        for sub in ("run", "lib", "etc", *(f"etc/{h}" for h in DHCLIENT_HOOKS)):
            replace_dir(self.dhcp / sub)
        if DHCLIENT_CONF.exists():
            shutil.copy(DHCLIENT_CONF, self.dhcp / "etc" / DHCLIENT_CONF.name)
        (self.dhcp / "resolv.conf").write_text("")

    def place(self, files: Sequence[OutputFile]) -> None:
        extra = unexpected(files, (NETWORK_DIR, IPROUTE_DIR, DHCLIENT_HOOK_DIR))
        if extra:
            raise ApplyError(f"files ifupdown does not read: {extra}")
        hooks = replace_dir(self.dhcp / "etc" / DHCLIENT_HOOK_DIR.removeprefix("etc/dhcp/"))
        for hook in write_tree(self.work / "hooks", files, DHCLIENT_HOOK_DIR):
            shutil.copy(hook, hooks / hook.name)
        root = replace_dir(self.work / "root")
        write_tree(root, files)
        network = root / NETWORK_DIR
        network.mkdir(parents=True, exist_ok=True)
        if not (network / "interfaces").exists():
            (network / "interfaces").write_text(DEBIAN_INTERFACES)
        for hook in HOOKS:
            replace_dir(network / hook)
        iproute = root / IPROUTE_DIR
        generated = iproute / "rt_tables.d"
        staging = self.work / "rt_tables.d"
        if staging.exists():
            shutil.rmtree(staging)
        if generated.exists():
            shutil.move(generated, staging)
        if iproute.exists():
            shutil.rmtree(iproute)
        shutil.copytree("/etc/iproute2", iproute, symlinks=True)
        if staging.exists():
            (iproute / "rt_tables.d").mkdir(exist_ok=True)
            for table_file in staging.iterdir():
                shutil.copy(table_file, iproute / "rt_tables.d" / table_file.name)

    def ifupdown(self, command: str, check: bool = True) -> str:
        result = self.shell(_RUN.format(command=command, state=shlex.quote(str(self.state))))
        self.transcript.append(f"$ {command}\n{result.stdout}{result.stderr}")
        if check and result.returncode != 0:
            raise ApplyError(f"{command} exited {result.returncode}:\n"
                             f"{result.stdout}{result.stderr}")
        return result.stdout + result.stderr

    def shell(self, script: str) -> subprocess.CompletedProcess[str]:
        """`script` (sh) in the server namespace with ifup's mounts: the generated
        tree, and dhclient's pid files, leases and hooks of this work directory."""
        root = self.work / "root"
        mounts = _MOUNTS.format(network=shlex.quote(str(root / NETWORK_DIR)),
                                iproute=shlex.quote(str(root / IPROUTE_DIR)),
                                dhcp=shlex.quote(str(self.dhcp)))
        return run(in_ns(self.topology.server, ["unshare", "-m", "--propagation", "private",
                                                "sh", "-c", mounts + script]),
                   check=False, timeout=30)

    def apply(self, files: Sequence[OutputFile]) -> None:
        self.place(files)
        self.up()

    def up(self) -> None:
        self.ifupdown("ifup")

    def down(self) -> None:
        self.ifupdown("ifdown")

    def reapply(self, files: Sequence[OutputFile]) -> None:
        """What an administrator does: ifdown with the old files, ifup with the new."""
        self.down()
        self.place(files)
        self.up()

    def stop(self) -> None:
        """End the dhclients ifup left running (by the pids they wrote); deleting the
        namespace undoes the rest."""
        for pid_file in sorted((self.dhcp / "run").glob("dhclient*.pid")):
            stop_pid_file(pid_file)

    def logs(self) -> str:
        return "\n".join(self.transcript)

    def problems(self) -> list[str]:
        """Errors `ip` printed during an ifup (a post-up line that failed). ifdown's
        are left out: taking the link down flushes IPv6 addresses before the inet6
        stanza deletes them, and `ip` says so (see docs/lab.md)."""
        lines = []
        for entry in self.transcript:
            if entry.startswith("$ ifup"):
                lines += [line for line in entry.splitlines()
                          if line.startswith(("RTNETLINK", "Error:")) or "Cannot find" in line]
        return lines
