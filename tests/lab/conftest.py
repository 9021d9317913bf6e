"""The lab's pytest policy.

A lab test that cannot run here (not root, a tool missing) skips on a
developer's machine but fails when CI is set: CI must run the whole lab. The one
allowed skip is a link type this kernel cannot create (bond, 802.1q VLAN),
found by trying it at run time (capability.py). Tests that fail today because of
a known backend defect are strict xfail (known.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
from collections.abc import Generator

import pytest

from .capability import KERNEL_SKIP
from .known import known_failure
from .topology import destroy_all, remove_stale

TOOLS = ("ip", "nft", "ping", "unshare", "nsenter", "dbus-daemon", "NetworkManager",
         "nmcli", "nm-online", "ifup", "ifdown", "dhclient", "netplan", "radvd", "dnsmasq",
         "python3")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/lab/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.lab)
            reason = known_failure(f"{item.path.name}::{item.name}")
            if reason is not None:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture(scope="session", autouse=True)
def lab_environment() -> Generator[None, None, None]:
    """Only as root, with every tool; namespaces left by a dead run are removed,
    and whatever this run leaves is removed at exit, even after an interrupt."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not os.path.exists("/lib/systemd/systemd-networkd"):
        missing.append("systemd-networkd")
    if missing:
        pytest.skip(f"the lab needs: {', '.join(missing)}")
    remove_stale()
    atexit.register(destroy_all)
    yield
    destroy_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator:  # type: ignore[type-arg]
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("CI")) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if KERNEL_SKIP not in reason:
        report.outcome = "failed"
        report.longrepr = f"CI must run the lab, but it skipped: {reason}"
