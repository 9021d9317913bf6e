"""Refuse to touch the host's own network namespace.

The host this runs on may use the very prefixes the examples use (192.0.2.0/24),
so a command meant for a lab namespace that lands in the host's namespace would
change the host's network. Every lab helper that runs a command in a namespace
goes through `netns_path`/`check_pid` first.

The reference is the network namespace of this process when the module is first
imported (the test process itself). `/proc/1/ns/net` is not readable on every
machine, and a guard built on it would pass vacuously.
"""

from __future__ import annotations

import os
import re

HOST_NETNS_INODE = os.stat("/proc/self/ns/net").st_ino
# Lab namespaces are named `nclab-<unique>-<role>`; anything else is not ours.
NAME_RE = re.compile(r"^nclab-[0-9a-z]+-[0-9a-z]+$")


class HostNamespaceError(RuntimeError):
    """A lab helper was about to act on the host's network namespace."""


def netns_path(name: str) -> str:
    """The bind mount of lab namespace `name`, after checking it is not the host's."""
    if not NAME_RE.fullmatch(name):
        raise HostNamespaceError(f"not a lab namespace name: {name!r}")
    path = f"/run/netns/{name}"
    try:
        inode = os.stat(path).st_ino
    except FileNotFoundError:
        raise HostNamespaceError(f"lab namespace {name} does not exist") from None
    if inode == HOST_NETNS_INODE:
        raise HostNamespaceError(f"{name} is the host's own network namespace")
    return path


def check_pid(pid: int) -> None:
    """Refuse to enter the namespaces of `pid` when it lives in the host's network."""
    if os.stat(f"/proc/{pid}/ns/net").st_ino == HOST_NETNS_INODE:
        raise HostNamespaceError(f"process {pid} runs in the host's network namespace")
