"""A picture of a host's routing: rules, by priority, point at tables; tables hold
routes, which leave by interfaces. One neutral description (`picture`), spelled as
Mermaid (for Markdown pages that render it) and as a standalone SVG (our own small
emitter: boxes in three columns and curves between them, no layout engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from . import addresses
from .model import MAIN_RULE_PRIORITY, MAIN_TABLE, Network, Route, RouteType
from .semantic import table_text


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    column: int  # 0 rules, 1 tables, 2 interfaces
    title: str
    lines: tuple[str, ...]
    emphasis: bool = False


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    label: str
    emphasis: bool = False


@dataclass(frozen=True, slots=True)
class Picture:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


COLUMNS = ("rules, by priority", "tables", "interfaces")


def _route_text(route: Route) -> str:
    words = ["default" if route.is_default else addresses.text(route.destination)]
    if route.type != RouteType.UNICAST:
        words.insert(0, route.type.value)
    if route.gateway is not None:
        words += ["via", addresses.text(route.gateway)]
    if route.type == RouteType.UNICAST:
        words += ["dev", route.interface]
    if route.source is not None:
        words += ["src", addresses.text(route.source)]
    return " ".join(words)


def picture(network: Network) -> Picture:
    families = sorted({r.family for r in network.routes} | {r.family for r in network.rules}
                      | {a.family for i in network.interfaces for a in i.addresses})
    tables = sorted({MAIN_TABLE} | {r.table for r in network.routes}
                    | {r.table for r in network.rules}, key=lambda t: (t != MAIN_TABLE, t))
    table_id = {t: f"t{n}" for n, t in enumerate(tables)}
    interface_id = {i.name: f"i{n}" for n, i in enumerate(network.interfaces)}
    nodes: list[Node] = []
    edges: list[Edge] = []
    for n, rule in enumerate(network.rules):
        selector = [f"from {addresses.text(rule.source)}"
                    if rule.source and rule.source.prefixlen else "from all"]
        if rule.destination is not None:
            selector.append(f"to {addresses.text(rule.destination)}")
        selector += [f"{k} {v}" for k, v in (("iif", rule.iif), ("oif", rule.oif)) if v]
        if rule.fwmark is not None:
            mask = f"/{rule.fwmask:#x}" if rule.fwmask is not None else ""
            selector.append(f"fwmark {rule.fwmark:#x}{mask}")
        nodes.append(Node(f"r{n}", 0, f"{rule.priority}: {' '.join(selector)}",
                          (f"ipv{rule.family}",)))
        edges.append(Edge(f"r{n}", table_id[rule.table], "lookup"))
    kernel = "rm"
    nodes.append(Node(kernel, 0, f"{MAIN_RULE_PRIORITY}: from all",
                      (" ".join(f"ipv{f}" for f in families) + " (the kernel's)",)))
    edges.append(Edge(kernel, table_id[MAIN_TABLE], "lookup"))
    for table in tables:
        routes = [r for r in network.routes if r.table == table]
        texts = tuple(_route_text(r) for r in routes) or ("(connected routes only)",)
        nodes.append(Node(table_id[table], 1, f"table {table_text(network, table)}", texts))
        # One edge per interface the table's routes leave by, labelled with the next
        # hops (the routes themselves are listed in the table's box).
        hops: dict[str, list[str]] = {}
        for route in routes:
            if route.type == RouteType.UNICAST:
                hop = addresses.text(route.gateway) if route.gateway else ""
                if hop not in hops.setdefault(route.interface, []):
                    hops[route.interface].append(hop)
        for name, found in hops.items():
            gateways = [h for h in found if h]
            label = "; ".join(([f"via {', '.join(gateways)}"] if gateways else [])
                              + (["on link"] if "" in found else []))
            main_default = table == MAIN_TABLE and any(
                r.is_default and r.interface == name for r in routes)
            edges.append(Edge(table_id[table], interface_id[name], label, main_default))
    for interface in network.interfaces:
        lines = [addresses.text(a.address) for a in interface.addresses]
        lines += [f"DHCPv{4 if f == 4 else 6}" for f in (4, 6) if interface.dhcp(f)]
        if interface.uplink is not None:
            uplink = interface.uplink
            lines.append(f"uplink {table_text(network, uplink.table)}"
                         + (", main default" if uplink.main_default else ""))
        if interface.controller is not None:
            lines.append(f"member of {interface.controller}")
        kind = "" if interface.kind.value == "ethernet" else f" ({interface.kind.value})"
        nodes.append(Node(interface_id[interface.name], 2, interface.name + kind, tuple(lines),
                          interface.uplink is not None and bool(interface.uplink.main_default)))
    return Picture(tuple(nodes), tuple(edges))


# -- Mermaid ---------------------------------------------------------------------------
def _mermaid_text(text: str) -> str:
    """A label inside double quotes: Mermaid takes entity codes for its own specials."""
    return "".join({'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;"}.get(c, c)
                   for c in text)


def mermaid(network: Network) -> str:
    drawing = picture(network)
    out = ["flowchart LR"]
    for column, title in enumerate(COLUMNS):
        out.append(f'  subgraph c{column}["{title}"]')
        for node in drawing.nodes:
            if node.column == column:
                label = "<br/>".join(_mermaid_text(t) for t in (node.title, *node.lines))
                out.append(f'    {node.id}["{label}"]')
        out.append("  end")
    emphasised = []
    for n, edge in enumerate(drawing.edges):
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label != "lookup" else ""
        out.append(f"  {edge.source} -->{label} {edge.target}")
        if edge.emphasis:
            emphasised.append(str(n))
    if emphasised:
        out.append(f"  linkStyle {','.join(emphasised)} stroke-width:3px")
    strong = [n.id for n in drawing.nodes if n.emphasis]
    if strong:
        out.append("  classDef maindefault stroke-width:3px")
        out.append(f"  class {','.join(strong)} maindefault")
    return "\n".join(out) + "\n"


# -- SVG -------------------------------------------------------------------------------
CHAR_WIDTH = 7.2  # a 12px monospace character, near enough for box sizes
LINE_HEIGHT = 16
PADDING = 8
GAP_Y = 16
GAP_X = 120
LABEL_WIDTH = 6.7  # an 11px character
TOP = 40


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    width: float
    height: float


def _layout(drawing: Picture) -> tuple[dict[str, _Box], float, float]:
    boxes: dict[str, _Box] = {}
    x = 20.0
    height = 0.0
    column_of = {n.id: n.column for n in drawing.nodes}
    for column in range(len(COLUMNS)):
        if column:
            # Room for the labels written just left of the boxes they point at.
            labels = [len(e.label) for e in drawing.edges if column_of[e.target] == column]
            x += max(GAP_X, max(labels, default=0) * LABEL_WIDTH + 30)
        members = [n for n in drawing.nodes if n.column == column]
        width = max([len(COLUMNS[column])] + [len(t) for n in members
                                              for t in (n.title, *n.lines)]) * CHAR_WIDTH
        width += 2 * PADDING
        y = TOP
        for node in members:
            box_height = (1 + len(node.lines)) * LINE_HEIGHT + 2 * PADDING
            boxes[node.id] = _Box(x, y, width, box_height)
            y += box_height + GAP_Y
        height = max(height, y)
        x += width
    return boxes, x + 20, height + 10


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def svg(network: Network) -> str:
    drawing = picture(network)
    boxes, width, height = _layout(drawing)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_number(width)}" '
           f'height="{_number(height)}" viewBox="0 0 {_number(width)} {_number(height)}" '
           'font-family="DejaVu Sans Mono, monospace" font-size="12">',
           f"<title>routing of {escape(network.source_name)}</title>",
           '<rect width="100%" height="100%" fill="white"/>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
           'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>']
    for column, title in enumerate(COLUMNS):
        first = next((boxes[n.id] for n in drawing.nodes if n.column == column), None)
        if first is not None:
            out.append(f'<text x="{_number(first.x)}" y="24" font-weight="bold" '
                       f'fill="#222">{escape(title)}</text>')
    out.extend(_edges(drawing.edges, boxes))
    fills = ("#eef4ff", "#fff6e0", "#eaf7ea")
    for node in drawing.nodes:
        box = boxes[node.id]
        stroke = ' stroke-width="3"' if node.emphasis else ""
        out.append(f'<rect x="{_number(box.x)}" y="{_number(box.y)}" '
                   f'width="{_number(box.width)}" height="{_number(box.height)}" rx="6" '
                   f'fill="{fills[node.column]}" stroke="#555"{stroke}/>')
        for n, text in enumerate((node.title, *node.lines)):
            weight = ' font-weight="bold"' if n == 0 else ""
            y = box.y + PADDING + (n + 1) * LINE_HEIGHT - 4
            out.append(f'<text x="{_number(box.x + PADDING)}" y="{_number(y)}"{weight} '
                       f'fill="#111">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ports(edges: list[Edge], boxes: dict[str, _Box], end: str) -> list[float]:
    """Where each edge meets its box: a box's edges spread evenly down its side, in
    the order of the other ends, so that no two curves or labels start at one point."""
    def node(e: Edge) -> str:
        return e.source if end == "source" else e.target

    def other(e: Edge) -> str:
        return e.target if end == "source" else e.source

    spots = [0.0] * len(edges)
    groups: dict[str, list[int]] = {}
    for n, edge in enumerate(edges):
        groups.setdefault(node(edge), []).append(n)
    for name, members in groups.items():
        box = boxes[name]
        members.sort(key=lambda n: boxes[other(edges[n])].y)
        for k, n in enumerate(members):
            spots[n] = box.y + box.height * (k + 1) / (len(members) + 1)
    return spots


def _edges(edges: Iterable[Edge], boxes: dict[str, _Box]) -> list[str]:
    out = []
    edges = list(edges)
    starts, ends = _ports(edges, boxes, "source"), _ports(edges, boxes, "target")
    for edge, y1, y2 in zip(edges, starts, ends, strict=True):
        a, b = boxes[edge.source], boxes[edge.target]
        x1, x2 = a.x + a.width, b.x
        bend = (x2 - x1) / 2
        stroke = "3" if edge.emphasis else "1.2"
        out.append(f'<path d="M{_number(x1)},{_number(y1)} C{_number(x1 + bend)},{_number(y1)}'
                   f' {_number(x2 - bend)},{_number(y2)} {_number(x2)},{_number(y2)}" '
                   f'fill="none" stroke="#444" stroke-width="{stroke}" '
                   'marker-end="url(#arrow)"/>')
        if edge.label and edge.label != "lookup":
            out.append(f'<text x="{_number(x2 - 6)}" y="{_number(y2 - 5)}" text-anchor="end" '
                       f'font-size="11" fill="#333">{escape(edge.label)}</text>')
    return out
