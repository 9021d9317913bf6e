"""Traffic from the client to the server's addresses, every wait bounded.

A TCP listener in the server namespace answers "ok" to each connection; the
client tries ICMP and TCP to every address at once, so a whole probe costs one
timeout at most, however many addresses fail.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from netcompile.model import IPAddress

from .procs import Process, in_ns, ns_run, wait_until
from .topology import CLIENT4, CLIENT6, PROBE_PORT, Topology

TIMEOUT = 1.0
# Lives at most LIFETIME seconds even if nobody stops it.
LIFETIME = 120

_LISTENER = """
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(64)
s.settimeout(1.0)
end = time.monotonic() + float(sys.argv[2])
print("listening", flush=True)
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except TimeoutError:
        continue
    with c:
        c.sendall(b"ok\\n")
"""

# Runs in the client namespace: ping and TCP to every address in parallel.
_PROBE = """
import json, socket, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
port, timeout, targets = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
def tcp(a):
    try:
        with socket.create_connection((a, port), timeout=timeout) as c:
            c.settimeout(timeout)
            return c.recv(3) == b"ok\\n"
    except OSError:
        return False
def icmp(a):
    w = str(max(1, int(timeout)))
    return subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", w, a],
                          capture_output=True, timeout=timeout + 5).returncode == 0
with ThreadPoolExecutor(2 * len(targets)) as pool:
    t = {a: pool.submit(tcp, a) for a in targets}
    i = {a: pool.submit(icmp, a) for a in targets}
    print(json.dumps({a: {"icmp": i[a].result(), "tcp": t[a].result()} for a in targets}))
"""


@dataclass(frozen=True, slots=True)
class Reach:
    address: str
    icmp: bool
    tcp: bool

    @property
    def reached(self) -> bool:
        return self.icmp and self.tcp

    @property
    def blocked(self) -> bool:
        return not self.icmp and not self.tcp


@contextlib.contextmanager
def listener(topology: Topology, log: Path) -> Iterator[Process]:
    process = Process(in_ns(topology.server, ["python3", "-c", _LISTENER, str(PROBE_PORT),
                                             str(LIFETIME)]), log)
    try:
        if not wait_until(lambda: "listening" in process.text() or not process.alive(), 10):
            raise RuntimeError(f"the TCP listener did not start: {process.text()}")
        yield process
    finally:
        process.stop()


def reach(topology: Topology, addresses: Iterable[str],
          client: str | None = None) -> dict[str, Reach]:
    """Try every address from the client (or the namespace `client`, e.g. a LAN
    client) with ICMP and TCP (needs a `listener`)."""
    targets = list(addresses)
    out = ns_run(client or topology.client, ["python3", "-c", _PROBE, str(PROBE_PORT),
                                             str(TIMEOUT), *targets],
                 timeout=TIMEOUT * 4 + 10).stdout
    return {a: Reach(a, r["icmp"], r["tcp"]) for a, r in json.loads(out).items()}


def route_get(topology: Topology, address: str, to: IPAddress | None = None) -> str:
    """The interface a reply from `address` to the client (or to `to`) leaves the
    server by."""
    if to is None:
        to = CLIENT4 if ip_address(address).version == 4 else CLIENT6
    out = ns_run(topology.server, ["ip", "-j", "route", "get", str(to), "from", address])
    routes = json.loads(out.stdout)
    return str(routes[0].get("dev", "")) if routes else ""
