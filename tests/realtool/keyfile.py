"""NetworkManager keyfiles as data: parsing, the sets of addresses, routes and rules
they hold, and NetworkManager's own reading of one (`nmcli --offline`). Shared by the
real-tool checks of the networkmanager backend and of netplan's NetworkManager renderer."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from pathlib import Path

# Keys NetworkManager's writer leaves out because they hold its default value.
NM_DEFAULTS = {("connection", "autoconnect"): "true"}
# Keys whose values are normalised below and compared as sets rather than one by one.
STRUCTURED = re.compile(r"^(address\d+|route\d+|route\d+_options|routing-rule\d+)$")
NO_MASK = 0xFFFFFFFF

Keyfile = dict[tuple[str, str], str]


def parse_keyfile(text: str) -> Keyfile:
    values: Keyfile = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        values[(section, key)] = value
    return values


def addresses(keyfile: Keyfile) -> set[tuple[str, object]]:
    return {(section, ipaddress.ip_interface(value))
            for (section, key), value in keyfile.items() if re.fullmatch(r"address\d+", key)}


def routes(keyfile: Keyfile) -> set[tuple[object, ...]]:
    """(section, destination, gateway or None, metric, sorted options)."""
    result: set[tuple[object, ...]] = set()
    for (section, key), value in keyfile.items():
        if not re.fullmatch(r"route\d+", key):
            continue
        fields = value.split(",")
        destination = ipaddress.ip_network(fields[0])
        gateway = _gateway(fields[1]) if len(fields) > 1 and fields[1] else None
        metric = int(fields[2]) if len(fields) > 2 else None
        raw = keyfile.get((section, f"{key}_options"), "")
        options = tuple(sorted(_route_option(o) for o in raw.split(",") if o))
        result.add((section, destination, gateway, metric, options))
    return result


def _gateway(text: str) -> object:
    """The next hop, None for the unspecified address; kept as text when it is not an
    address at all (so a misread field compares unequal instead of crashing)."""
    try:
        gateway = ipaddress.ip_address(text)
    except ValueError:
        return text
    return None if gateway.is_unspecified else gateway


def _route_option(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    if key == "src":
        value = str(ipaddress.ip_address(value))
    return key, value


def rules(keyfile: Keyfile) -> set[tuple[object, ...]]:
    """(section, sorted selector words) with prefixes and marks normalised."""
    result: set[tuple[object, ...]] = set()
    for (section, key), value in keyfile.items():
        if not re.fullmatch(r"routing-rule\d+", key):
            continue
        words = value.split()
        parsed: dict[str, object] = {}
        for name, argument in zip(words[::2], words[1::2], strict=True):
            if name in ("from", "to"):
                parsed[name] = ipaddress.ip_network(argument)
            elif name == "fwmark":
                mark, _, mask = argument.partition("/")
                parsed[name] = (int(mark, 0), int(mask, 0) if mask else NO_MASK)
            else:
                parsed[name] = argument
        result.add((section, tuple(sorted((k, str(v)) for k, v in parsed.items()))))
    return result


def other_keys(keyfile: Keyfile) -> Keyfile:
    return {k: v for k, v in keyfile.items() if not STRUCTURED.match(k[1])}


def nm_roundtrip(content: str, tmp_path: Path) -> str:
    keyfile = tmp_path / "profile.nmconnection"
    keyfile.write_text(content, encoding="utf-8")
    keyfile.chmod(0o600)
    with keyfile.open("rb") as stdin:
        done = subprocess.run(["nmcli", "--offline", "connection", "modify"], stdin=stdin,
                              capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()
    return done.stdout.decode()
