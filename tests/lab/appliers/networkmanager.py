"""NetworkManager, run for real in the server namespace.

In a private mount namespace: tmpfs over /run, /var/lib/NetworkManager and the
host's connection and dispatcher directories, an empty D-Bus service directory
(else D-Bus activates helpers that run the host's hooks), a private D-Bus, a
copy of resolv.conf, and /sys read-only. Only the spec's interfaces are managed.
"""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from netcompile.output import OutputFile

from ..procs import Process, in_ns, nsenter, run, wait_until
from ..topology import Topology
from .base import ApplyError, DaemonApplier, comm, replace_dir, unexpected, write_tree

KEYFILE_DIR = "etc/NetworkManager/system-connections/"
# Every warning or error counts (keyfile content NetworkManager drops or cannot
# read shows as one), except the lab's missing ModemManager, which is expected.
LINT = re.compile(r"<(warn|error)>(?!.*modem-manager)")

_CONF = """[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false

[keyfile]
unmanaged-devices={unmanaged}

[connectivity]
enabled=false

[logging]
level=INFO
"""

_SETUP = """set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/NetworkManager/system-connections /run/dbus
mount --bind {keyfiles} /run/NetworkManager/system-connections
mount -t tmpfs tmpfs /var/lib/NetworkManager
mount -t tmpfs tmpfs /etc/NetworkManager/system-connections
mount -t tmpfs tmpfs /etc/NetworkManager/dispatcher.d
mount -t tmpfs tmpfs /usr/share/dbus-1/system-services
mount --bind {resolv} /etc/resolv.conf
mount -o remount,bind,ro /sys
dbus-daemon --system --fork --print-pid=1 > {dbus_pid}
exec NetworkManager --debug --config {conf} --config-dir {empty} --system-config-dir {empty} \\
  --state-file /run/NetworkManager/NetworkManager.state \\
  --intern-config /run/NetworkManager/NetworkManager-intern.conf \\
  --pid-file /run/NetworkManager/NetworkManager.pid
"""


class NetworkManager(DaemonApplier):
    name = "networkmanager"
    LINT = LINT

    def __init__(self, topology: Topology, work: Path) -> None:
        super().__init__(topology, work)
        self.keyfiles = replace_dir(work / "system-connections")
        self.keyfiles.chmod(0o700)
        self.ids: list[str] = []

    def place(self, files: Sequence[OutputFile]) -> list[str]:
        """Keyfiles where NetworkManager reads them; returns the connection ids."""
        extra = unexpected(files, (KEYFILE_DIR, "etc/iproute2/"))
        if extra:
            raise ApplyError(f"files NetworkManager does not read: {extra}")
        replace_dir(self.keyfiles)
        ids = []
        for path in write_tree(self.work / "root", files, KEYFILE_DIR):
            target = self.keyfiles / path.name
            target.write_bytes(path.read_bytes())
            target.chmod(path.stat().st_mode & 0o777)
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(target.read_text())
            ids.append(parser.get("connection", "id"))
        self.ids = ids
        return ids

    def apply(self, files: Sequence[OutputFile]) -> None:
        self.place(files)
        conf = self.work / "NetworkManager.conf"
        unmanaged = ",".join(["*", *(f"except:interface-name:{i}" for i in self.interfaces)])
        conf.write_text(_CONF.format(unmanaged=unmanaged))
        empty = replace_dir(self.work / "empty")
        resolv = self.work / "resolv.conf"
        resolv.write_text("")
        script = _SETUP.format(keyfiles=shlex.quote(str(self.keyfiles)),
                               resolv=shlex.quote(str(resolv)),
                               dbus_pid=shlex.quote(str(self.work / "dbus.pid")),
                               conf=shlex.quote(str(conf)), empty=shlex.quote(str(empty)))
        self.process = Process(
            in_ns(self.topology.server,
                  ["unshare", "-m", "--propagation", "private", "sh", "-c", script]),
            self.work / "NetworkManager.log")
        pid = self.process.pid
        if not wait_until(lambda: comm(pid) == "NetworkManager" or not self.process.alive(),
                          timeout=10):
            raise ApplyError(f"NetworkManager did not start:\n{self.logs()}")
        self.nmcli("nm-online", "-s", "-q", "-t", "15")
        self.wait_active()

    def nmcli(self, *argv: str) -> str:
        assert self.process is not None
        result = run(nsenter(self.process.pid, list(argv)), check=False, timeout=20)
        if result.returncode != 0:
            raise ApplyError(f"{' '.join(argv)}: {result.stdout}{result.stderr}\n{self.logs()}")
        return result.stdout

    def wait_active(self) -> None:
        """Every managed device activated (nm-online -s only waits for startup)."""
        def active() -> bool:
            out = self.nmcli("nmcli", "-t", "-f", "DEVICE,STATE", "device")
            states = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
            return all(states.get(i, "").startswith("connected") for i in self.interfaces)
        if not wait_until(active, timeout=15, interval=0.05):
            raise ApplyError(f"devices not activated:\n{self.logs()}")

    CLEARS_LEARNED = True

    def clear_learned(self) -> None:
        """NetworkManager takes a link that already carries addresses (those the
        kernel made from router advertisements) as configured by someone else and
        does not activate its profile; `nmcli connection up` does."""
        for name in self.ids:
            self.nmcli("nmcli", "connection", "up", "id", name)
        self.wait_active()

    def reapply(self, files: Sequence[OutputFile]) -> None:
        """Reload the keyfiles, then bring each connection up again."""
        ids = self.place(files)
        self.nmcli("nmcli", "connection", "reload")
        for name in ids:
            self.nmcli("nmcli", "connection", "up", "id", name)
        self.wait_active()
