"""Specs with N uplinks, written in netcompile's own spec language.

Addresses come from the benchmarking prefix 198.18.0.0/15 (RFC 2544) and the
documentation prefix 2001:db8::/32, so a generated spec can never collide with
a real network (the lab's client side uses 203.0.113.0/24, the host 192.0.2.0/24).
"""

from __future__ import annotations

from ipaddress import IPv4Network

# A /28 per uplink: 8192 of them fit in the /15, far more than any benchmark size.
_V4 = IPv4Network("198.18.0.0/15")
_V4_BITS = 28
# Above the reserved 253-255, so every table number is valid whatever the count.
TABLE_BASE = 1000
MAX_UPLINKS = 2 ** (_V4_BITS - _V4.prefixlen)


def interface_name(index: int) -> str:
    return f"up{index}"


def uplink_v4(index: int) -> tuple[str, str]:
    """(server address with prefix, gateway) of uplink `index`."""
    size = 2 ** (32 - _V4_BITS)
    base = _V4.network_address + index * size
    return f"{base + 2}/{_V4_BITS}", str(base + 1)


def uplink_v6(index: int) -> tuple[str, str]:
    return f"2001:db8:{index:x}::10/64", f"2001:db8:{index:x}::1"


def uplinks_spec(count: int, *, ipv6: bool = False) -> str:
    """A spec with `count` uplinks, each with its own table and symmetric routing;
    the first holds the default route. YAML written by hand: every value is simple."""
    if not 1 <= count <= MAX_UPLINKS:
        raise ValueError(f"between 1 and {MAX_UPLINKS} uplinks, not {count}")
    lines = ["version: 1", "tables:"]
    lines += [f"  t{i}: {TABLE_BASE + i}" for i in range(count)]
    lines.append("interfaces:")
    for i in range(count):
        address, gateway = uplink_v4(i)
        addresses, gateways = [address], [gateway]
        if ipv6:
            address6, gateway6 = uplink_v6(i)
            addresses.append(f'"{address6}"')
            gateways.append(f'"{gateway6}"')
        default = ", default: true" if i == 0 else ""
        lines += [f"  {interface_name(i)}:",
                  f"    addresses: [{', '.join(addresses)}]",
                  f"    gateways: [{', '.join(gateways)}]",
                  f"    uplink: {{table: t{i}{default}}}"]
    return "\n".join(lines) + "\n"


def baseline_spec(count: int) -> str:
    """The same host without the uplink intent: the same addresses, one default
    route by the first uplink, no per-uplink tables or rules."""
    lines = ["version: 1", "interfaces:"]
    for i in range(count):
        address, gateway = uplink_v4(i)
        lines += [f"  {interface_name(i)}:", f"    addresses: [{address}]"]
        if i == 0:
            lines.append(f"    gateways: [{gateway}]")
    return "\n".join(lines) + "\n"
