"""iperf3 servers on every uplink address, clients downloading (-R) from all at
once; every process bounded in time and ended by its pid."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.lab.procs import Process, in_ns, ns_run, wait_until

BASE_PORT = 5201


@dataclass(frozen=True, slots=True)
class Stream:
    address: str
    port: int
    mbit_s: float  # goodput the client received
    error: str = ""


def _listening(ns: str, ports: Sequence[int]) -> bool:
    out = ns_run(ns, ["ss", "-Hltn"]).stdout
    return all(f":{p} " in out for p in ports)


@contextlib.contextmanager
def servers(ns: str, addresses: Sequence[str], work: Path) -> Iterator[list[int]]:
    """One one-off iperf3 server per address, each on its own port."""
    ports = [BASE_PORT + k for k in range(len(addresses))]
    started: list[Process] = []
    try:
        for address, port in zip(addresses, ports, strict=True):
            started.append(Process(in_ns(ns, ["iperf3", "-s", "-1", "-B", address,
                                              "-p", str(port)]),
                                   work / f"iperf-server-{port}.log"))
        if not wait_until(lambda: _listening(ns, ports), timeout=10, interval=0.05):
            raise RuntimeError("iperf3 servers did not start: "
                               + " ".join(p.text() for p in started))
        yield ports
    finally:
        for process in started:
            process.stop()


def download(ns: str, targets: Sequence[tuple[str, int]], seconds: float,
             work: Path) -> list[Stream]:
    """Clients in `ns` receive from every (address, port) at once for `seconds`."""
    clients = [Process(in_ns(ns, ["iperf3", "-c", address, "-p", str(port), "-R",
                                  "-t", str(seconds), "-J", "--connect-timeout", "3000"]),
                       work / f"iperf-client-{port}.json")
               for address, port in targets]
    try:
        wait_until(lambda: not any(c.alive() for c in clients), timeout=seconds + 15,
                   interval=0.1)
    finally:
        for client in clients:
            client.stop()
    return [_stream(address, port, client.text())
            for (address, port), client in zip(targets, clients, strict=True)]


def _stream(address: str, port: int, text: str) -> Stream:
    try:
        result = json.loads(text)
    except json.JSONDecodeError:
        return Stream(address, port, 0.0, f"no JSON from iperf3: {text[:200]}")
    if "error" in result:
        return Stream(address, port, 0.0, str(result["error"]))
    received = result["end"]["sum_received"]["bits_per_second"]
    return Stream(address, port, received / 1e6)
