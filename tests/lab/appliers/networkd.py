"""systemd-networkd, run for real in the server namespace.

In a private mount namespace: a tmpfs on /run/systemd (its state must not be the
host's), the files bind-mounted on /run/systemd/network and
/run/systemd/networkd.conf.d, a tmpfs over /etc/systemd/network (the host's
files must not apply), a private D-Bus for `networkctl reload`, and /sys
read-only (with a writable /sys, networkd waits for udev forever).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from netcompile.output import OutputFile

from ..procs import Process, in_ns, nsenter, run, wait_until
from ..topology import Topology
from .base import ApplyError, DaemonApplier, comm, replace_dir, unexpected, write_tree

NETWORKD = "/lib/systemd/systemd-networkd"
WAIT_ONLINE = "/lib/systemd/systemd-networkd-wait-online"
NETWORK_DIR = "etc/systemd/network/"
CONF_DIR = "etc/systemd/networkd.conf.d/"
# networkd names every line of config it could not use with one of these.
LINT = re.compile(r"Unknown key name|Unknown section|Failed to parse|[Ii]gnoring")

_SETUP = """set -e
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir -p /run/systemd/network /run/systemd/networkd.conf.d /run/dbus
mount --bind {network} /run/systemd/network
mount --bind {conf} /run/systemd/networkd.conf.d
mount -t tmpfs tmpfs /etc/systemd/network
if [ -d /etc/systemd/networkd.conf.d ]; then mount -t tmpfs tmpfs /etc/systemd/networkd.conf.d; fi
mount -t tmpfs tmpfs /run/dbus
mount -t tmpfs tmpfs /usr/share/dbus-1/system-services
mount -o remount,bind,ro /sys
dbus-daemon --system --fork --print-pid=1 > {dbus_pid}
exec env SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 {networkd}
"""


class Networkd(DaemonApplier):
    name = "networkd"
    LINT = LINT

    def __init__(self, topology: Topology, work: Path) -> None:
        super().__init__(topology, work)
        self.network_dir = replace_dir(work / "network")
        self.conf_dir = replace_dir(work / "networkd.conf.d")

    def place(self, files: Sequence[OutputFile]) -> None:
        """The backend's files where this daemon reads them."""
        extra = unexpected(files, (NETWORK_DIR, CONF_DIR, "etc/iproute2/"))
        if extra:
            raise ApplyError(f"files networkd does not read: {extra}")
        self.place_dirs(write_tree(self.work / "root", files, NETWORK_DIR),
                        write_tree(self.work / "root", files, CONF_DIR))

    def place_dirs(self, network: Sequence[Path], conf: Sequence[Path]) -> None:
        replace_dir(self.network_dir)
        replace_dir(self.conf_dir)
        for src in network:
            (self.network_dir / src.name).write_bytes(src.read_bytes())
        for src in conf:
            (self.conf_dir / src.name).write_bytes(src.read_bytes())

    def apply(self, files: Sequence[OutputFile]) -> None:
        self.place(files)
        self.start()

    def start(self) -> None:
        script = _SETUP.format(network=shlex.quote(str(self.network_dir)),
                               conf=shlex.quote(str(self.conf_dir)),
                               dbus_pid=shlex.quote(str(self.work / "dbus.pid")),
                               networkd=NETWORKD)
        self.process = Process(
            in_ns(self.topology.server,
                  ["unshare", "-m", "--propagation", "private", "sh", "-c", script]),
            self.work / "networkd.log")
        pid = self.process.pid
        # Before the exec, the pid is still the shell in the host's mount namespace.
        if not wait_until(lambda: comm(pid) == "systemd-network" or not self.process.alive(),
                          timeout=10):
            raise ApplyError(f"networkd did not start:\n{self.logs()}")
        if not self.process.alive():
            raise ApplyError(f"networkd exited:\n{self.logs()}")
        self.wait_online()

    def wait_online(self) -> None:
        assert self.process is not None
        argv = [WAIT_ONLINE, *(a for i in self.interfaces for a in ("-i", i)), "--timeout=15"]
        result = run(nsenter(self.process.pid, argv), check=False, timeout=20)
        if result.returncode != 0:
            raise ApplyError(f"wait-online failed: {result.stderr}\n{self.logs()}")

    def reapply(self, files: Sequence[OutputFile]) -> None:
        self.place(files)
        self.reload()

    CLEARS_LEARNED = True

    def clear_learned(self) -> None:
        """networkd keeps the addresses and routes the kernel took from router
        advertisements before it started; `networkctl reconfigure` drops them."""
        assert self.process is not None
        run(nsenter(self.process.pid, ["networkctl", "reconfigure", *self.interfaces]),
            timeout=15)
        self.wait_online()

    def reload(self) -> None:
        """`networkctl reload` reconfigures the links whose files changed."""
        assert self.process is not None
        pid = self.process.pid
        run(nsenter(pid, ["networkctl", "reload"]), timeout=15)
        run(nsenter(pid, ["networkctl", "reconfigure", *self.interfaces]), timeout=15)
        self.wait_online()
