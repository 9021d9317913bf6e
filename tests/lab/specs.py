"""Variants of an example spec, made on its YAML data, for the control cases."""

from __future__ import annotations

import copy
import io
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

import netcompile
from netcompile.model import Network


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def uplinks(data: dict[str, Any]) -> list[str]:
    """Interfaces with the uplink intent, the main-default one first."""
    names = [n for n, i in (data.get("interfaces") or {}).items() if (i or {}).get("uplink")]
    return sorted(names, key=lambda n: not data["interfaces"][n]["uplink"].get("default"))


def without_uplinks(data: dict[str, Any]) -> dict[str, Any]:
    """The spec with no uplink intent. Only the main-default uplink keeps its
    gateways: two default routes in main with one metric is an error."""
    keep = uplinks(data)[:1]
    out = copy.deepcopy(data)
    for name, interface in out["interfaces"].items():
        if interface and interface.pop("uplink", None) is not None and name not in keep:
            interface.pop("gateways", None)
    return out


def changed(data: dict[str, Any]) -> dict[str, Any]:
    """Something an administrator changes: every table renumbered (+10) and the
    last uplink's addresses moved (+10 in the host part), so stale rules, routes
    and addresses of the old spec would show."""
    out = copy.deepcopy(data)
    out["tables"] = {name: number + 10 for name, number in (out.get("tables") or {}).items()}
    last = uplinks(out)[-1:]
    for name in last:
        interface = out["interfaces"][name]
        interface["addresses"] = [str(_moved(a)) for a in interface.get("addresses", [])]
    return out


def _moved(address: str) -> object:
    iface = ip_interface(address)
    return ip_interface(f"{iface.ip + 10}/{iface.network.prefixlen}")


def build(data: dict[str, Any], name: str) -> Network:
    stream = io.StringIO()
    YAML(typ="safe").dump(data, stream)
    return netcompile.load_network(stream.getvalue().encode(), name)
