"""A small line chart written as SVG by hand: a text file that diffs in review and
renders on any forge, without a plotting library for one picture."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 700, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 230, 40, 48
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#ff7f0e")


def _nice_step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 8:
            return float(step)
    return top / 8


def line_chart(series: dict[str, list[tuple[float, float]]], x_label: str, y_label: str,
               title: str) -> str:
    """One polyline per series; a series whose name starts with "limit" is dashed."""
    points = [p for values in series.values() for p in values]
    xs = sorted({x for x, _ in points}) or [0.0, 1.0]
    x_min, x_max = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1
    step = _nice_step(max((y for _, y in points), default=1.0) or 1.0)
    y_max = step * (int(max((y for _, y in points), default=1.0) / step) + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x_min) / (x_max - x_min) * plot_w

    def py(y: float) -> float:
        return TOP + plot_h - y / y_max * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">'
           f'{escape(title)}</text>']
    tick = 0.0
    while tick <= y_max + 1e-9:
        out.append(f'<line x1="{LEFT}" y1="{py(tick):.1f}" x2="{LEFT + plot_w}" '
                   f'y2="{py(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">'
                   f'{tick:g}</text>')
        tick += step
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                   f'{x:g}</text>')
    out += [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
            'stroke="black"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="black"/>',
            f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">'
            f'{escape(x_label)}</text>',
            f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
            f'transform="rotate(-90 16 {TOP + plot_h / 2})">{escape(y_label)}</text>']
    for k, (name, values) in enumerate(series.items()):
        colour = "#555" if name.startswith("limit") else COLOURS[k % len(COLOURS)]
        dash = ' stroke-dasharray="6 4"' if name.startswith("limit") else ""
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(values))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash}/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>'
                for x, y in values]
        legend_y = TOP + 10 + 18 * k
        out.append(f'<line x1="{WIDTH - RIGHT + 12}" y1="{legend_y}" x2="{WIDTH - RIGHT + 36}" '
                   f'y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{WIDTH - RIGHT + 42}" y="{legend_y + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
