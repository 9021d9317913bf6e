"""compiler/addresses.py answers exactly as the ipaddress module does."""

from __future__ import annotations

import ipaddress
import random

import pytest

from netcompile import addresses

EDGE_GROUPS = (0, 1, 0x10, 0x100, 0xFFF, 0xFFFF)


def _values() -> list[int]:
    rng = random.Random(5952)
    values = [0, 1, 2**128 - 1, 1 << 112, 0xFFFF << 32, 0xFFFF_0000_0000_0000_0000_0000]
    for _ in range(20_000):
        groups = [rng.choice((0, 0, 0, *EDGE_GROUPS, rng.randrange(1 << 16)))
                  for _ in range(8)]
        values.append(sum(g << (16 * (7 - i)) for i, g in enumerate(groups)))
    values += [rng.randrange(1 << 128) for _ in range(2_000)]
    # every pattern of zero and non-zero groups
    values += [sum(0xAB << (16 * i) for i in range(8) if mask >> i & 1) for mask in range(256)]
    return values


def test_ipv6_text_is_ipaddress_spelling() -> None:
    for value in _values():
        assert addresses.ipv6_text(value) == str(ipaddress.IPv6Address(value)), hex(value)


@pytest.mark.parametrize("text", [
    "192.0.2.1", "2001:db8::1", "::", "::1", "::ffff:192.0.2.1", "2001:DB8:0:0:1::",
    "fe80::1:0:0:1", "1:0:0:2:0:0:0:3",
])
def test_text_and_parse_match_ipaddress(text: str) -> None:
    address = addresses.parse_address(text)
    assert address == ipaddress.ip_address(text)
    assert addresses.text(address) == str(ipaddress.ip_address(text))
    for length in (0, 1, 64, 96, 127, 128) if address.version == 6 else (0, 8, 24, 31, 32):
        interface = addresses.parse_interface(f"{text}/{length}")
        assert interface == ipaddress.ip_interface(f"{text}/{length}")
        assert addresses.text(interface) == str(interface)
        assert addresses.text(interface.network) == str(interface.network)
        assert addresses.text(addresses.host_network(address)) == str(
            ipaddress.ip_network(address))


@pytest.mark.parametrize("text", ["", "1.2.3", "1.2.3.4.5", "::g", "1:2:3", "fe80::1%eth0x/"])
def test_invalid_text_is_refused_as_ipaddress_does(text: str) -> None:
    with pytest.raises(ValueError):
        addresses.parse_address(text)
    with pytest.raises(ValueError):
        ipaddress.ip_address(text)
