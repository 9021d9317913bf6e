"""netplan YAML -> the data of an equivalent netcompile spec.

A translation table per netplan section, in netplan 0.106's terms: what each key
becomes in the spec, which values mean what netcompile does anyway (accepted), and
what the spec cannot say (refused, located at the netplan line, with the reason).
Where netplan and netcompile differ by default, without a key in the file that
asked for it (DHCP route metric and MTU, router advertisements), the import goes
on with netcompile's meaning and warns at the device. docs/import-netplan.md lists
every case.

The result is plain data plus, for every spec path, where it came from in the netplan
input; importers/spec.py validates it with netcompile's own checks and reports their
errors at those places.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Diagnostic, Location, SpecError
from ..loader import Path, shown
from ..model import MAIN_TABLE
from .netplan_yaml import Node, Problems

NETWORKD = "networkd"
NETWORK_MANAGER = "NetworkManager"

# netplan section -> the spec's interface `type` (ethernet is the spec's default).
KINDS = {"ethernets": "ethernet", "bonds": "bond", "bridges": "bridge", "vlans": "vlan"}
# Sections netcompile has no devices for.
OTHER_KINDS = {
    "wifis": "Wi-Fi devices", "modems": "modems", "tunnels": "tunnels (GRE, VXLAN, "
    "WireGuard, ...)", "vrfs": "VRFs", "nm-devices": "NetworkManager passthrough devices",
    "dummy-devices": "dummy devices", "virtual-ethernets": "veth pairs",
    "openvswitch": "Open vSwitch settings",
}

# A key whose value, when it is this one, is what netcompile does anyway.
SAME_AS_NETCOMPILE: dict[str, object] = {
    "critical": False, "ignore-carrier": False, "ipv6-privacy": False, "optional": False,
    "wakeonlan": False, "emit-lldp": False, "dhcp-identifier": "duid",
    "ipv6-address-generation": "eui64", "all-slaves-active": False,
    "all-members-active": False,
}
BOOLEAN_KEYS = frozenset({"critical", "ignore-carrier", "ipv6-privacy", "optional",
                          "wakeonlan", "emit-lldp", "all-slaves-active",
                          "all-members-active"})

_OFFLOAD = "netcompile does not set NIC offloads"
_SRIOV = "netcompile has no SR-IOV settings"
# netplan keys netcompile has no equivalent for (any other value than the one above).
NO_EQUIVALENT: dict[str, str] = {
    "activation-mode": "netcompile brings every interface up",
    "critical": "netcompile does not keep a DHCP lease's addresses when networkd stops",
    "ignore-carrier": "netcompile configures an interface only while it has carrier",
    "dhcp-identifier": "netcompile's DHCP client identifies itself by DUID, networkd's "
                       "default",
    "ipv6-address-generation": "netcompile leaves IPv6 addresses to the EUI-64 default",
    "ipv6-address-token": "netcompile has no IPv6 address token",
    "ipv6-mtu": "netcompile has no separate IPv6 MTU",
    "ipv6-privacy": "netcompile has no IPv6 privacy addresses",
    "macaddress": "netcompile does not set MAC addresses",
    "optional": "netcompile cannot mark an interface optional: the host waits for it to "
                "come online at boot",
    "optional-addresses": "netcompile has no optional addresses",
    "neigh-suppress": "netcompile has no neighbour suppression on bridge ports",
    "networkmanager": "netcompile has no NetworkManager passthrough",
    "openvswitch": "netcompile has no Open vSwitch settings",
    "wakeonlan": "netcompile does not configure Wake-on-LAN",
    "wakeonwlan": "netcompile does not configure Wake-on-WLAN",
    "emit-lldp": "netcompile does not send LLDP",
    "receive-checksum-offload": _OFFLOAD, "transmit-checksum-offload": _OFFLOAD,
    "tcp-segmentation-offload": _OFFLOAD, "tcp6-segmentation-offload": _OFFLOAD,
    "generic-segmentation-offload": _OFFLOAD, "generic-receive-offload": _OFFLOAD,
    "large-receive-offload": _OFFLOAD,
    "auth": "netcompile has no 802.1X authentication",
    "link": _SRIOV, "virtual-function-count": _SRIOV, "embedded-switch-mode": _SRIOV,
    "delay-virtual-functions-rebind": _SRIOV,
    "infiniband-mode": "netcompile has no InfiniBand settings",
    "all-slaves-active": "netcompile has no bond option for it",
    "all-members-active": "netcompile has no bond option for it",
}

# netplan bond parameter -> the spec's bond option (durations become milliseconds).
BOND_PARAMETERS = {
    "mode": "mode", "lacp-rate": "lacp_rate", "mii-monitor-interval": "miimon",
    "min-links": "min_links", "transmit-hash-policy": "xmit_hash_policy",
    "ad-select": "ad_select", "arp-interval": "arp_interval",
    "arp-ip-targets": "arp_ip_target", "up-delay": "updelay", "down-delay": "downdelay",
    "primary": "primary",
}
BOND_DURATIONS = frozenset({"mii-monitor-interval", "arp-interval", "up-delay", "down-delay"})
BOND_NUMBERS = frozenset({"min-links"})
BOND_WITHOUT_EQUIVALENT = frozenset({
    "arp-validate", "arp-all-targets", "fail-over-mac-policy", "gratuitous-arp",
    "gratuitious-arp", "packets-per-slave", "packets-per-member", "primary-reselect-policy",
    "resend-igmp", "learn-packet-interval"})
# The kernel's mode when netplan writes none.
DEFAULT_BOND_MODE = "balance-rr"
BRIDGE_WITHOUT_EQUIVALENT = frozenset({
    "ageing-time", "aging-time", "forward-delay", "hello-time", "max-age", "path-cost",
    "port-priority", "priority"})

# Route keys: netplan's -> the spec's; types the spec has besides unicast.
ROUTE_KEYS = {"to": "to", "via": "via", "from": "source", "metric": "metric"}
ROUTE_TYPES = frozenset({"blackhole", "unreachable", "prohibit"})
ROUTE_WITHOUT_EQUIVALENT = frozenset({"mtu", "congestion-window",
                                      "advertised-receive-window", "advertised-mss"})
RULE_KEYS = {"from": "from", "to": "to"}

# What netplan's own DHCP settings are when the file says nothing, and what
# netcompile (networkd's defaults) does instead.
NETPLAN_DHCP_METRIC = 100
NETCOMPILE_DHCP_METRIC = 1024
# DHCP override keys whose value is then what netcompile does.
DHCP_SAME: dict[str, object] = {"route-metric": NETCOMPILE_DHCP_METRIC, "use-mtu": False,
                                "use-routes": True, "use-dns": True, "use-ntp": True,
                                "send-hostname": True, "use-hostname": True,
                                "use-domains": False}
DHCP_BOOLEANS = frozenset({"use-mtu", "use-routes", "use-dns", "use-ntp", "send-hostname",
                           "use-hostname"})

# A rule without `priority` gets one from the kernel when it is added: just before
# the lowest rule there is, which on a fresh host is main's (32766). The import
# writes that number; rules that could match the same packets are refused instead,
# since their order would depend on which link comes up first.
KERNEL_RULE_PRIORITY = 32765

_GLOB = re.compile(r"[*?\[\]]")
_DURATION = re.compile(r"([0-9]+)\s*(ms|msec|s|sec|m|min)?")
_DURATION_MS = {None: 1, "ms": 1, "msec": 1, "s": 1000, "sec": 1000, "m": 60000, "min": 60000}

REFUSE_HINT = "remove it from the netplan file if the host can do without it, or keep " \
              "netplan for this host"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value of the spec came from in the netplan input."""

    where: Location
    path: str


@dataclass
class Imported:
    data: dict[str, Any]
    sources: dict[Path, Source]
    warnings: list[Diagnostic]
    renderer: str
    files: list[str] = field(default_factory=list)


@dataclass
class _Device:
    id: str
    kind: str
    node: Node
    renderer: tuple[str, Node] | None
    name: str = ""


def translate(documents: list[Node]) -> Imported:
    """The spec data for the `network:` mappings of netplan files (in netplan's order);
    raises SpecError listing every refusal."""
    return _Translator(documents).run()


class _Translator:
    def __init__(self, documents: list[Node]):
        self.documents = documents
        self.problems = Problems()
        self.sources: dict[Path, Source] = {}
        self.devices: dict[str, _Device] = {}
        self.rules: list[tuple[dict[str, Any], Node]] = []
        self.renderer: tuple[str, Node] | None = None

    # -- bookkeeping -------------------------------------------------------------------
    def source(self, path: Path, node: Node, *, key: bool = True) -> None:
        self.sources[path] = Source(node.key_where if key else node.where, node.name)

    def refuse(self, node: Node, message: str, hint: str = REFUSE_HINT) -> None:
        self.problems.refuse(node, message, hint)

    def no_equivalent(self, node: Node, key: str, reason: str) -> None:
        self.refuse(node, f"`{key}: {_spelled(node.value)}` has no netcompile equivalent "
                    f"({reason})")

    # -- the files ----------------------------------------------------------------------
    def run(self) -> Imported:
        for network in self.documents:
            self.collect(network)
        self.resolve_names()
        interfaces: dict[str, Any] = {}
        for device in self.devices.values():
            base: Path = ("interfaces", device.name)
            self.source(base, device.node)
            interfaces[device.name] = self.device(device, base)
        renderer = self.check_renderers()
        if not self.devices and not self.problems.errors:
            where = self.documents[0] if self.documents else None
            if where is not None:
                self.refuse(where, "no ethernets, bonds, bridges or VLANs to import",
                            "name the netplan files that define the host's devices")
        rules = self.number_rules()
        if self.problems.errors:
            raise SpecError(self.problems.errors)
        data: dict[str, Any] = {"version": 1, "interfaces": interfaces}
        if rules:
            data["rules"] = rules
        if renderer == NETWORK_MANAGER:
            data["netplan"] = {"renderer": NETWORK_MANAGER}
        files = sorted({n.positions.file for n in self.documents})
        return Imported(data, self.sources, self.problems.warnings, renderer, files)

    def collect(self, network: Node) -> None:
        if not self.problems.mapping(network):
            return
        for key, node in network.items():
            if key == "version":
                if str(node.value) != "2":
                    self.refuse(node, f"netplan version {shown(node.value)}",
                                "netplan files are `version: 2`")
            elif key == "renderer":
                self.renderer = self.renderer_name(node)
            elif key in KINDS:
                self.collect_section(KINDS[key], node)
            elif key in OTHER_KINDS:
                self.refuse(node, f"`{key}:` has no netcompile equivalent (netcompile has no "
                            f"{OTHER_KINDS[key]})")
            else:
                self.refuse(node, f"netplan has no key {shown(key)} under `network:`",
                            "check the spelling against netplan's reference")

    def renderer_name(self, node: Node) -> tuple[str, Node] | None:
        if node.value in (NETWORKD, NETWORK_MANAGER):
            return str(node.value), node
        self.refuse(node, f"the renderer {shown(node.value)}",
                    "netcompile imports devices for the networkd or NetworkManager renderer")
        return None

    def collect_section(self, kind: str, section: Node) -> None:
        if not self.problems.mapping(section):
            return
        section_renderer = None
        if "renderer" in section.value:
            section_renderer = self.renderer_name(section.child("renderer"))
        for device_id, node in section.items():
            if device_id == "renderer":
                continue
            first = self.devices.get(device_id)
            if first is not None:
                self.refuse(node, f"{device_id} is defined again (first at "
                            f"{first.node.key_where})",
                            "netplan amends a definition key by key across files: merge "
                            "the two into one definition before importing")
                continue
            if not self.problems.mapping(node):
                continue
            renderer = section_renderer
            if "renderer" in node.value:
                renderer = self.renderer_name(node.child("renderer"))
            self.devices[device_id] = _Device(device_id, kind, node, renderer)

    def check_renderers(self) -> str:
        """netcompile renders one host for one backend: every device under one renderer."""
        default = self.renderer[0] if self.renderer else NETWORKD
        chosen: dict[str, list[_Device]] = {}
        for device in self.devices.values():
            chosen.setdefault(device.renderer[0] if device.renderer else default,
                              []).append(device)
        if len(chosen) <= 1:
            return next(iter(chosen), default)
        most = max(chosen, key=lambda r: len(chosen[r]))
        for renderer, devices in chosen.items():
            if renderer == most:
                continue
            for device in devices:
                self.refuse(device.renderer[1] if device.renderer else device.node,
                            f"{device.id} is rendered by {renderer}, the other devices by "
                            f"{most}", "netcompile configures a host with one backend: give "
                            "every device the same renderer")
        return most

    # -- names ----------------------------------------------------------------------------
    def resolve_names(self) -> None:
        """netcompile names each interface by its key. A netplan ethernet is named by
        `set-name`, else by the kernel name it matches, else by its ID; every other
        device by its ID."""
        taken: dict[str, _Device] = {}
        for device in self.devices.values():
            device.name = self.name_of(device) or device.id
            other = taken.setdefault(device.name, device)
            if other is not device:
                self.refuse(device.node, f"{device.id} and {other.id} both name the interface "
                            f"{device.name}", "give each device its own name")

    def name_of(self, device: _Device) -> str | None:
        node = device.node
        set_name = node.get("set-name")
        match = node.get("match")
        if device.kind != "ethernet" or (match is None and set_name is None):
            return device.id
        if match is None:
            assert set_name is not None
            self.refuse(set_name, "`set-name:` without `match:`",
                        "add `match:` with the device's MAC address or driver")
            return None
        if set_name is not None:
            return self.problems.text(set_name)
        if not match.value:
            return None  # an empty match is refused by itself
        name = match.get("name")
        if name is not None and isinstance(name.value, str) and not _GLOB.search(name.value):
            return name.value
        self.refuse(match, f"{device.id} matches a device without naming it (no `set-name:`)",
                    "netcompile names every interface: add `set-name:` with the name it "
                    "should have")
        return None

    def ref(self, node: Node) -> str | None:
        """A reference to another device's ID, as that device's netcompile name."""
        device_id = self.problems.text(node)
        if device_id is None:
            return None
        device = self.devices.get(device_id)
        if device is None:
            self.problems.refuse(node, f"unknown device {shown(device_id)}",
                                 "define it under `ethernets:`, `bonds:`, `bridges:` or "
                                 "`vlans:`", key=False)
            return None
        return device.name

    # -- one device --------------------------------------------------------------------------
    def device(self, device: _Device, base: Path) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if device.kind != "ethernet":
            spec["type"] = device.kind
        handlers: dict[str, Callable[[Node, dict[str, Any], Path], None]] = {
            "addresses": self.addresses, "nameservers": self.nameservers,
            "mtu": self.mtu, "dhcp4": self.dhcp, "dhcp6": self.dhcp,
            "gateway4": self.gateway, "gateway6": self.gateway,
        }
        ignored = {"renderer", "routes", "routing-policy", "dhcp4-overrides",
                   "dhcp6-overrides", "accept-ra", "link-local"}
        specific = {
            "ethernet": {"match": self.match, "set-name": self.named},
            "bond": {"interfaces": self.members, "parameters": self.bond},
            "bridge": {"interfaces": self.members, "parameters": self.bridge},
            "vlan": {"id": self.vlan, "link": self.vlan},
        }[device.kind]
        for key, node in device.node.items():
            handler = specific.get(key) or handlers.get(key)
            if handler is not None:
                handler(node, spec, base)
            elif key in ignored:
                continue
            elif key in SAME_AS_NETCOMPILE or key in NO_EQUIVALENT:
                self.same_or_refused(key, node)
            else:
                self.refuse(node, f"netplan has no key {shown(key)} for {device.kind}s",
                            "check the spelling against netplan's reference")
        if device.kind == "bond" and "bond" not in spec:
            spec["bond"] = {"mode": DEFAULT_BOND_MODE}
            self.source((*base, "bond"), device.node)
        if device.kind == "vlan":
            self.check_vlan(device.node, spec)
        self.routes(device, spec, base)
        self.policy(device)
        self.link_local_and_ra(device, spec)
        self.dhcp_overrides(device, spec)
        return ordered(spec)

    def named(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        """`set-name` is the interface's key (resolve_names)."""

    def same_or_refused(self, key: str, node: Node) -> None:
        value: object = node.value
        if key in BOOLEAN_KEYS:
            value = self.problems.boolean(node)
            if value is None:
                return
        if isinstance(value, str):
            value = value.lower()  # netplan compares these words case-insensitively
        if key in SAME_AS_NETCOMPILE and value == SAME_AS_NETCOMPILE[key]:
            return
        self.no_equivalent(node, key, NO_EQUIVALENT[key])

    def addresses(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.sequence(node):
            return
        result: list[str] = []
        for entry in node.entries():
            if isinstance(entry.value, dict):
                self.refuse(entry, "address options (`lifetime`, `label`) have no netcompile "
                            "equivalent", "write the address alone, e.g. - 192.0.2.10/24")
                continue
            text = self.problems.text(entry)
            if text is None:
                continue
            if "/" not in text:
                self.problems.refuse(entry, f"address {shown(text)} is missing /prefixlength",
                                     "write its subnet's prefix length, e.g. "
                                     f"{text}/{64 if ':' in text else 24}",
                                     key=False)
                continue
            self.source((*base, "addresses", len(result)), entry, key=False)
            result.append(text)
        if result:
            spec["addresses"] = result
            self.source((*base, "addresses"), node)

    def nameservers(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.mapping(node):
            return
        dns: dict[str, Any] = {}
        for key, child in node.items():
            target = {"addresses": "servers", "search": "search"}.get(key)
            if target is None:
                self.refuse(child, f"netplan has no key {shown(key)} under `nameservers:`",
                            "write `addresses:` and `search:`")
                continue
            if not self.problems.sequence(child):
                continue
            values: list[str] = []
            for entry in child.entries():
                text = self.problems.text(entry)
                if text is not None:
                    self.source((*base, "dns", target, len(values)), entry, key=False)
                    values.append(text)
            if values:
                dns[target] = values
                self.source((*base, "dns", target), child)
        if dns:
            spec["dns"] = {k: dns[k] for k in ("servers", "search") if k in dns}
            self.source((*base, "dns"), node)

    def mtu(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        value = self.problems.number(node)
        if value:
            spec["mtu"] = value
            self.source((*base, "mtu"), node)

    def dhcp(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        key = str(node.path[-1])
        if self.problems.boolean(node):
            spec[key] = True
            self.source((*base, key), node)

    def gateway(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        text = self.problems.text(node)
        if text is not None:
            self.source((*base, "gateways", len(spec.get("gateways", []))), node)
            spec.setdefault("gateways", []).append(text)
            self.source((*base, "gateways"), node)

    def match(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.mapping(node):
            return
        if not node.value:
            self.refuse(node, "an empty `match:` matches every ethernet device",
                        "match the device by `macaddress:`, `driver:` or `name:`")
            return
        match: dict[str, Any] = {}
        for key, child in node.items():
            if key == "macaddress":
                text = self.problems.text(child)
                if text is not None:
                    match["mac"] = text
                    self.source((*base, "match", "mac"), child)
            elif key in ("name", "driver"):
                values = child.value if isinstance(child.value, list) else [child.value]
                if len(values) != 1 or not isinstance(values[0], str) or _GLOB.search(
                        values[0]):
                    self.refuse(child, f"`{key}: {_spelled(child.value)}` matches more than "
                                "one device", f"netcompile matches one device by its exact "
                                f"{key}: write that one")
                    continue
                match[key] = values[0]
                self.source((*base, "match", key), child)
            else:
                self.refuse(child, f"netplan has no key {shown(key)} under `match:`",
                            "match by `macaddress:`, `driver:` or `name:`")
        interface = str(base[-1])
        if match.get("name") == interface and len(match) == 1:
            return  # the kernel's name is the interface's own: nothing to match besides
        if match:
            spec["match"] = match
            self.source((*base, "match"), node)

    def members(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.sequence(node):
            return
        names: list[str] = []
        for entry in node.entries():
            name = self.ref(entry)
            if name is not None:
                self.source((*base, "members", len(names)), entry, key=False)
                names.append(name)
        if names:
            spec["members"] = names
            self.source((*base, "members"), node)

    def bond(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.mapping(node):
            return
        options: dict[str, Any] = {}
        for key, child in node.items():
            target = BOND_PARAMETERS.get(key)
            value: Any = None
            if key in BOND_WITHOUT_EQUIVALENT:
                self.no_equivalent(child, key, "netcompile has no such bond option yet")
            elif key in SAME_AS_NETCOMPILE:
                self.same_or_refused(key, child)
            elif target is None:
                self.refuse(child, f"netplan has no bond parameter {shown(key)}",
                            "check the spelling against netplan's reference")
            elif key in BOND_DURATIONS:
                value = self.milliseconds(child)
            elif key in BOND_NUMBERS:
                value = self.problems.number(child)
            elif key == "primary":
                value = self.ref(child)
            elif key == "arp-ip-targets":
                if self.problems.sequence(child):
                    value = [t for e in child.entries() if (t := self.problems.text(e))]
            elif key == "mode" and child.value in ("balance-tcp", "balance-slb"):
                self.refuse(child, f"bond mode {child.value} has no netcompile equivalent "
                            "(it is Open vSwitch's)")
            else:
                value = self.problems.text(child)
            if target is not None and value is not None:
                options[target] = value
                self.source((*base, "bond", target), child)
        options.setdefault("mode", DEFAULT_BOND_MODE)
        spec["bond"] = {"mode": options.pop("mode"), **options}
        self.source((*base, "bond"), node)

    def milliseconds(self, node: Node) -> int | None:
        """netplan hands a plain number to networkd as milliseconds, anything else as a
        systemd time span."""
        found = _DURATION.fullmatch(str(node.value).strip())
        if found is None or isinstance(node.value, bool):
            self.problems.refuse(node, f"{shown(node.value)} is not a duration",
                                 "write milliseconds, e.g. 100, or a time span such as 2s",
                                 key=False)
            return None
        return int(found.group(1)) * _DURATION_MS[found.group(2)]

    def bridge(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        if not self.problems.mapping(node):
            return
        stp = True  # netplan turns STP on as soon as `parameters:` is there
        for key, child in node.items():
            if key == "stp":
                value = self.problems.boolean(child)
                stp = stp if value is None else value
            elif key in BRIDGE_WITHOUT_EQUIVALENT:
                self.no_equivalent(child, key, "netcompile has no such bridge option yet")
            else:
                self.refuse(child, f"netplan has no bridge parameter {shown(key)}",
                            "check the spelling against netplan's reference")
        spec["bridge"] = {"stp": stp}
        self.source((*base, "bridge"), node)
        self.source((*base, "bridge", "stp"), node.get("stp") or node)

    def vlan(self, node: Node, spec: dict[str, Any], base: Path) -> None:
        key = str(node.path[-1])
        value = self.problems.number(node) if key == "id" else self.ref(node)
        if value is not None:
            spec.setdefault("vlan", {})[key] = value
            self.source((*base, "vlan", key), node)
            self.source((*base, "vlan"), node)

    def check_vlan(self, node: Node, spec: dict[str, Any]) -> None:
        for key in ("id", "link"):
            if key not in node.value:
                self.refuse(node, f"the VLAN has no `{key}:`", f"add `{key}:`")
        vlan = spec.pop("vlan", {})
        if "id" in vlan and "link" in vlan:
            spec["vlan"] = {"id": vlan["id"], "link": vlan["link"]}

    # -- routes and rules -------------------------------------------------------------------
    def routes(self, device: _Device, spec: dict[str, Any], base: Path) -> None:
        node = device.node.get("routes")
        if node is None or not self.problems.sequence(node):
            return
        routes: list[tuple[dict[str, Any], Node]] = []
        for entry in node.entries():
            route = self.route(entry)
            if route is not None:
                routes.append((route, entry))
        kept = []
        for route, entry in routes:
            if _plain_default(route) and not any(
                    _family(g) == _family(route["via"]) for g in spec.get("gateways", [])):
                self.source((*base, "gateways", len(spec.get("gateways", []))), entry,
                            key=False)
                spec.setdefault("gateways", []).append(route["via"])
                self.source((*base, "gateways"), entry, key=False)
                continue
            kept.append((route, entry))
        for index, (route, entry) in enumerate(kept):
            self.source((*base, "routes", index), entry, key=False)
            for key in route:
                source_key = {"source": "from", "on_link": "on-link"}.get(key, key)
                child = entry.get(source_key)
                if child is not None:
                    self.source((*base, "routes", index, key), child)
        if kept:
            spec["routes"] = [route for route, _ in kept]
            self.source((*base, "routes"), node)

    def route(self, entry: Node) -> dict[str, Any] | None:
        if not self.problems.mapping(entry):
            return None
        route: dict[str, Any] = {}
        scope: Node | None = None
        for key, child in entry.items():
            if key in ROUTE_KEYS:
                value = (self.problems.number(child) if key == "metric"
                         else self.problems.text(child))
                if value is not None:
                    route[ROUTE_KEYS[key]] = value
            elif key == "on-link":
                if self.problems.boolean(child):
                    route["on_link"] = True
            elif key == "table":
                table = self.problems.number(child)
                if table not in (None, 0, MAIN_TABLE):  # 0 is netplan's "unset"
                    route["table"] = table
            elif key == "type":
                if child.value in ROUTE_TYPES:
                    route["type"] = child.value
                elif child.value != "unicast":
                    self.refuse(child, f"a route of type {shown(child.value)} has no netcompile "
                                "equivalent (netcompile has unicast, blackhole, unreachable "
                                "and prohibit routes)")
            elif key == "scope":
                scope = child
            elif key in ROUTE_WITHOUT_EQUIVALENT:
                self.no_equivalent(child, key, "netcompile has no such route attribute yet")
            else:
                self.refuse(child, f"netplan has no route key {shown(key)}",
                            "check the spelling against netplan's reference")
        if "to" not in route:
            if "to" not in entry.value:
                self.refuse(entry, "a route without `to:`", "add `to:` with the destination")
            return None
        # The kernel keeps no scope on IPv6 routes: netplan's is dropped there.
        if scope is not None and not any(":" in str(route.get(k, ""))
                                         for k in ("to", "via", "source")):
            if scope.value in ("global", "link", "host"):
                route["scope"] = scope.value
            else:
                self.refuse(scope, f"route scope {shown(scope.value)}",
                            "write global, link or host")
        return route

    def policy(self, device: _Device) -> None:
        node = device.node.get("routing-policy")
        if node is None or not self.problems.sequence(node):
            return
        for entry in node.entries():
            if not self.problems.mapping(entry):
                continue
            rule: dict[str, Any] = {}
            for key, child in entry.items():
                if key in RULE_KEYS:
                    text = self.problems.text(child)
                    if text is not None:
                        rule[RULE_KEYS[key]] = text
                elif key in ("table", "priority", "mark"):
                    value = self.problems.number(child)
                    if value is None:
                        continue
                    if key == "table":
                        rule["table"] = "main" if value in (0, MAIN_TABLE) else value
                    elif key == "priority":
                        rule["priority"] = value
                    elif value == 0:
                        self.refuse(child, "`mark: 0` (netplan 0.106 drops it, so the rule "
                                    "matches every packet)",
                                    "remove `mark:` if the rule is meant for every packet, "
                                    "or match a non-zero mark")
                    else:
                        rule["fwmark"] = value
                elif key == "type-of-service":
                    self.no_equivalent(child, key, "netcompile has no rule selector for it "
                                       "yet")
                else:
                    self.refuse(child, f"netplan has no routing-policy key {shown(key)}",
                                "check the spelling against netplan's reference")
            rule.setdefault("table", "main")
            self.rules.append((rule, entry))

    def number_rules(self) -> list[dict[str, Any]]:
        """The rules in file order, each given the priority the kernel would give it
        when it has none; rules whose order would then be left to chance are refused."""
        result: list[dict[str, Any]] = []
        for index, (rule, entry) in enumerate(self.rules):
            if "priority" not in rule:
                clash = next((other for other, (r, _) in enumerate(self.rules)
                              if other != index and _overlap(rule, r)), None)
                if clash is not None:
                    first = self.rules[clash][1]
                    self.problems.refuse(
                        entry, "a rule without `priority:` that can match the same packets "
                        f"as the rule at {first.where}: the kernel numbers rules without one "
                        "in the order their links come up, so which comes first is left to "
                        "chance", "give both rules a `priority:`", key=False)
                    continue
                rule["priority"] = KERNEL_RULE_PRIORITY
            path: Path = ("rules", len(result))
            self.source(path, entry, key=False)
            for key in rule:
                child = entry.get({"fwmark": "mark"}.get(key, key))
                if child is not None:
                    self.source((*path, key), child)
            result.append({k: rule[k] for k in ("from", "to", "fwmark", "table", "priority")
                           if k in rule})
        return result

    # -- what netplan leaves to the renderer ---------------------------------------------------
    def link_local_and_ra(self, device: _Device, spec: dict[str, Any]) -> None:
        """netcompile gives every interface with IP configuration an IPv6 link-local
        address (members none), and takes router advertisements only with DHCPv6."""
        node = device.node
        if self.is_member(device):
            return  # netplan turns both off on members too
        link_local = node.get("link-local")
        if link_local is not None and self.problems.sequence(link_local):
            families = {str(v).lower() for v in link_local.value}
            if families != {"ipv6"}:
                reason = ("netcompile never configures IPv4 link-local (169.254/16) "
                          "addresses" if "ipv4" in families else "netcompile gives every "
                          "interface with IP configuration an IPv6 link-local address")
                self.no_equivalent(link_local, "link-local", reason)
                return
        dhcp6 = bool(spec.get("dhcp6"))
        accept_ra = node.get("accept-ra")
        if accept_ra is not None:
            value = self.problems.boolean(accept_ra)
            if value is not None and value != dhcp6:
                self.no_equivalent(accept_ra, "accept-ra",
                                   "netcompile takes router advertisements on an interface "
                                   "with `dhcp6: true` and nowhere else")
            return
        if not dhcp6 and device.kind != "bridge":
            self.problems.warn(
                node, "netplan leaves router advertisements to the renderer, which takes them "
                "(SLAAC addresses, RA default routes) unless IPv6 forwarding is on; "
                "netcompile ignores them on an interface without `dhcp6: true`",
                "nothing to do if the network sends none; write `accept-ra: false` in the "
                "netplan file to confirm")

    def dhcp_overrides(self, device: _Device, spec: dict[str, Any]) -> None:
        for family in ("4", "6"):
            overrides = device.node.get(f"dhcp{family}-overrides")
            given: dict[str, object] = {}
            if overrides is not None and self.problems.mapping(overrides):
                for key, child in overrides.items():
                    value: object = child.value
                    if key in DHCP_BOOLEANS:
                        value = self.problems.boolean(child)
                    elif key == "route-metric":
                        value = self.problems.number(child)
                    elif key == "use-domains" and str(value).lower() in ("false", "no", "off",
                                                                         "n"):
                        value = False  # netplan takes a word here: true, false or route
                    if value is None:
                        continue
                    given[key] = value
                    if key not in DHCP_SAME:
                        self.no_equivalent(child, key, "netcompile leaves the DHCP client at "
                                           "networkd's defaults")
                    elif value != DHCP_SAME[key]:
                        self.no_equivalent(child, key, "netcompile leaves the DHCP client at "
                                           "networkd's defaults: "
                                           f"{key} {_spelled(DHCP_SAME[key])}")
            dhcp = device.node.get(f"dhcp{family}")
            if dhcp is None or not spec.get(f"dhcp{family}"):
                continue
            if "route-metric" not in given:
                self.problems.warn(
                    dhcp, f"netplan gives DHCPv{family} routes metric {NETPLAN_DHCP_METRIC}; "
                    f"netcompile leaves networkd's default, {NETCOMPILE_DHCP_METRIC}",
                    "nothing to do unless another default route has a metric in between; "
                    f"write `dhcp{family}-overrides: {{route-metric: "
                    f"{NETCOMPILE_DHCP_METRIC}}}` in the netplan file to confirm")
            if family == "4" and "use-mtu" not in given:
                self.problems.warn(
                    dhcp, "netplan applies the MTU the DHCP server sends; netcompile ignores "
                    "it, as networkd does by default",
                    "set `mtu:` if the network needs a larger one; write `dhcp4-overrides: "
                    "{use-mtu: false}` in the netplan file to confirm")

    def is_member(self, device: _Device) -> bool:
        for other in self.devices.values():
            members = other.node.get("interfaces")
            if other.kind in ("bond", "bridge") and members is not None and isinstance(
                    members.value, list) and device.id in members.value:
                return True
        return False


# -- small helpers ------------------------------------------------------------------------------
_SPEC_ORDER = ("type", "match", "addresses", "dhcp4", "dhcp6", "gateways", "uplink", "mtu",
               "dns", "routes", "members", "bond", "vlan", "bridge")


def ordered(spec: dict[str, Any]) -> dict[str, Any]:
    """An interface's keys in the order the spec reference lists them."""
    return {key: spec[key] for key in _SPEC_ORDER if key in spec}


def _spelled(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_spelled(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{...}"
    return str(value)


def _family(text: str) -> int:
    return 6 if ":" in text else 4


def _plain_default(route: dict[str, Any]) -> bool:
    """A main-table default route with a gateway and nothing else: `gateways:`."""
    if set(route) - {"to", "via", "metric"} or "via" not in route:
        return False
    family = _family(route["via"])
    defaults = ("default", "0.0.0.0/0") if family == 4 else ("default", "::/0")
    kernel_metric = 0 if family == 4 else 1024
    return route["to"] in defaults and route.get("metric", kernel_metric) == kernel_metric


def _network(text: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if text is None:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two rules can match one packet (same family, overlapping selectors)."""
    for key in ("from", "to"):
        x, y = _network(a.get(key)), _network(b.get(key))
        if x is not None and y is not None and (x.version != y.version or not x.overlaps(y)):
            return False
    family_a = {_family(a[k]) for k in ("from", "to") if k in a}
    family_b = {_family(b[k]) for k in ("from", "to") if k in b}
    if family_a and family_b and not family_a & family_b:
        return False
    return not ("fwmark" in a and "fwmark" in b and a["fwmark"] != b["fwmark"])
