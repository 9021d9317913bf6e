"""The guard refuses the host's network namespace, even under a lab name."""

from __future__ import annotations

import os

import pytest

from .guard import HostNamespaceError, check_pid, netns_path
from .procs import in_ns, run
from .topology import new_prefix

pytestmark = pytest.mark.lab


def test_a_handle_on_the_host_namespace_is_refused() -> None:
    name = f"{new_prefix()}-host"
    # A lab-looking name bound to this process's (the host's) namespace.
    run(["ip", "netns", "attach", name, str(os.getpid())])
    try:
        with pytest.raises(HostNamespaceError):
            netns_path(name)
        with pytest.raises(HostNamespaceError):
            in_ns(name, ["true"])
    finally:
        run(["ip", "netns", "del", name], check=False)


def test_names_that_are_not_the_labs_are_refused() -> None:
    for name in ("default", "", "../x", "nclab", "other-ns"):
        with pytest.raises(HostNamespaceError):
            netns_path(name)


def test_entering_a_host_process_is_refused() -> None:
    with pytest.raises(HostNamespaceError):
        check_pid(os.getpid())
