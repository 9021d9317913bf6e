"""Backend bugs found by the hardening work and not fixed yet, pinned as strict
xfails: each starts passing (and so fails) once its backend is fixed."""

from __future__ import annotations

import pytest

import netcompile
from tests.hardening.common import SPEC_NAME

COLLIDING_LINK_NAMES = b"""\
version: 1
interfaces:
  a: {match: {mac: "00:11:22:33:44:55"}, dhcp4: true}
  netcompile-a: {match: {mac: "00:11:22:33:44:66"}, dhcp4: true}
"""


@pytest.mark.xfail(strict=True, reason=(
    "networkd names a .link file 10-<name>.link and networkmanager 10-netcompile-<name>"
    ".link in the same directory: interfaces `a` and `netcompile-a` give both backends "
    "etc/systemd/network/10-netcompile-a.link with different contents, so --target all "
    "fails (and a separate install of each overwrites the other's file)"))
def test_networkd_and_networkmanager_link_files_never_share_a_path() -> None:
    network = netcompile.load_network(COLLIDING_LINK_NAMES, SPEC_NAME)
    networkd = {f.path: f for f in netcompile.render(network, "networkd")}
    manager = {f.path: f for f in netcompile.render(network, "networkmanager")}
    shared = set(networkd) & set(manager)
    assert all(networkd[p] == manager[p] for p in shared), sorted(shared)
