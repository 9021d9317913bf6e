"""netplan: `netplan generate --root-dir`, then the real systemd-networkd on what
it wrote. netplan 0.106 has no validate-only command and exits 0 on some
warnings, so anything it prints on stderr counts as a problem."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from netcompile.output import OutputFile

from ..procs import in_ns, run
from ..topology import Topology
from .base import ApplyError, replace_dir, unexpected, write_tree
from .networkd import Networkd

NETPLAN_DIR = "etc/netplan/"
GENERATED = "run/systemd/network"


class Netplan(Networkd):
    name = "netplan"

    def __init__(self, topology: Topology, work: Path) -> None:
        super().__init__(topology, work)
        self.generate_log: list[str] = []

    def place(self, files: Sequence[OutputFile]) -> None:
        extra = unexpected(files, (NETPLAN_DIR, "etc/iproute2/"))
        if extra:
            raise ApplyError(f"files netplan does not read: {extra}")
        root = replace_dir(self.work / "netplan-root")
        write_tree(root, files, NETPLAN_DIR)
        # Inside the server's namespace, though it only writes under --root-dir.
        result = run(in_ns(self.topology.server,
                           ["netplan", "generate", "--root-dir", str(root)]), check=False)
        self.generate_log.append(result.stderr)
        if result.returncode != 0:
            raise ApplyError(f"netplan generate exited {result.returncode}: {result.stderr}")
        generated = sorted((root / GENERATED).glob("*"))
        if not generated:
            raise ApplyError(f"netplan generate wrote nothing under {GENERATED}")
        self.place_dirs([p for p in generated if p.suffix in (".network", ".netdev")], [])

    def logs(self) -> str:
        return "".join(self.generate_log) + super().logs()

    def problems(self) -> list[str]:
        return [f"netplan: {line}" for text in self.generate_log
                for line in text.splitlines() if line.strip()] + super().problems()
