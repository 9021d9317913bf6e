"""What the throughput benchmark adds to the lab: tbf on the server's uplinks, the
routers' reverse-path filter relaxed for the baseline, and interface counters.
Every command goes through the lab's guarded namespace helpers."""

from __future__ import annotations

from collections.abc import Sequence

from tests.lab.procs import ns_run
from tests.lab.topology import Topology

# A larger burst than the usual 32kbit gave steadier figures on veth (see the lab notes).
BURST = "256kbit"
LATENCY = "50ms"


def shape(topology: Topology, rate_mbit: float) -> None:
    """The physical limit: every server uplink sends at most `rate_mbit`."""
    for uplink in topology.uplinks:
        ns_run(topology.server, ["tc", "qdisc", "replace", "dev", uplink.interface, "root",
                                 "tbf", "rate", f"{rate_mbit}mbit", "burst", BURST,
                                 "latency", LATENCY])


def relax_rp_filter(topology: Topology) -> None:
    """Let replies that left by the wrong uplink through the routers (the kernel uses
    the larger of `all` and the interface's value, so both go to 0)."""
    for uplink in topology.uplinks:
        ns_run(uplink.router, ["sysctl", "-q", "-w", *(f"net.ipv4.conf.{i}.rp_filter=0"
                                                        for i in ("all", "srv", "lan"))])


def tx_bytes(ns: str, interfaces: Sequence[str]) -> dict[str, int]:
    """Bytes sent so far by each interface of `ns` (its own /sys, via `ip netns exec`)."""
    paths = [f"/sys/class/net/{i}/statistics/tx_bytes" for i in interfaces]
    out = ns_run(ns, ["cat", *paths]).stdout.split()
    return {i: int(v) for i, v in zip(interfaces, out, strict=True)}
