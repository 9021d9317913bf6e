"""Backend bugs found by the hardening work, kept as regression tests."""

from __future__ import annotations

import netcompile
from tests.hardening.common import SPEC_NAME

COLLIDING_LINK_NAMES = b"""\
version: 1
interfaces:
  a: {match: {mac: "00:11:22:33:44:55"}, dhcp4: true}
  netcompile-a: {match: {mac: "00:11:22:33:44:66"}, dhcp4: true}
"""


def test_networkd_and_networkmanager_link_files_never_share_a_path() -> None:
    """Both backends take their udev .link files from one renderer: a path they
    share holds the same bytes, so `--target all` and separate installs agree."""
    network = netcompile.load_network(COLLIDING_LINK_NAMES, SPEC_NAME)
    networkd = {f.path: f for f in netcompile.render(network, "networkd")}
    manager = {f.path: f for f in netcompile.render(network, "networkmanager")}
    shared = set(networkd) & set(manager)
    assert {p for p in shared if p.endswith(".link")} == {
        "etc/systemd/network/10-a.link", "etc/systemd/network/10-netcompile-a.link"}
    assert all(networkd[p] == manager[p] for p in shared), sorted(shared)
