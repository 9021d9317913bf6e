"""IP addresses parsed from text, and spelled as text, once per distinct value.

Python's `ipaddress` is exact but slow: parsing an IPv6 address takes some 7 µs and
spelling one (`str()`, `with_prefixlen`) as long again. A spec's addresses are
parsed by the schema's format check and again by the builder, and the same values
are spelled for sort keys and again in every backend's files. These functions
remember their answers, so each distinct text is parsed once and each distinct
value spelled once; the results are the `ipaddress` module's own, unchanged.

The caches are bounded, so a long-lived process that compiles many specs keeps a
fixed amount of memory; a spec larger than a cache only loses some of the saving.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model.py uses this module: its names only for annotations here
    from .model import IPAddress, IPInterface, IPNetwork

CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_address(text: str) -> IPAddress:
    """`ipaddress.ip_address(text)`; raises ValueError as it does. Only IPv6 is
    written with colons: the other family is not tried (and failed) first."""
    if ":" in text:
        return ipaddress.IPv6Address(text)
    return ipaddress.IPv4Address(text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_interface(text: str) -> IPInterface:
    """`ipaddress.ip_interface(text)`; raises ValueError as it does."""
    if ":" in text:
        return ipaddress.IPv6Interface(text)
    return ipaddress.IPv4Interface(text)


def host_network(address: IPAddress) -> IPNetwork:
    """The /32 or /128 of `address`: `ip_network(address)`, without spelling the
    address as text and parsing it back, as that does."""
    if address.version == 4:
        return ipaddress.IPv4Network((int(address), 32))
    return ipaddress.IPv6Network((int(address), 128))


# typed: an IPv4Address and an IPv4Interface can compare equal, yet spell differently.
@functools.lru_cache(maxsize=CACHE_SIZE, typed=True)
def text(value: IPAddress | IPNetwork | IPInterface) -> str:
    """`str(value)`: an address, a network or an interface (address/prefix length)."""
    if value.version == 4 or getattr(value, "scope_id", None) is not None:
        return str(value)
    if isinstance(value, ipaddress.IPv6Network):
        return f"{ipv6_text(int(value.network_address))}/{value.prefixlen}"
    if isinstance(value, ipaddress.IPv6Interface):
        return f"{ipv6_text(int(value))}/{value.network.prefixlen}"
    return ipv6_text(int(value))


# A run of two or more zero groups in "0:0:1:..." (the colon before it included).
_GROUPS = ":".join(["{:x}"] * 8)
_ZERO_RUN = re.compile(r"(?:^|:)0(?::0)+(?=:|$)")


def ipv6_text(number: int) -> str:
    """An IPv6 address as `ipaddress` spells it (RFC 5952: lower-case groups without
    leading zeros, the first longest run of two or more zero groups as `::`), in half
    its time. tests/test_addresses.py compares the two on edge and random values."""
    full = _GROUPS.format(
        number >> 112, number >> 96 & 0xFFFF, number >> 80 & 0xFFFF, number >> 64 & 0xFFFF,
        number >> 48 & 0xFFFF, number >> 32 & 0xFFFF, number >> 16 & 0xFFFF, number & 0xFFFF)
    start = end = longest = 0
    for run in _ZERO_RUN.finditer(full):
        zeros = run.group().count("0")
        if zeros > longest:
            start, end, longest = run.start(), run.end(), zeros
    if not longest:
        return full
    return full[:start] + "::" + full[end + 1:]
