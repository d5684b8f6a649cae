"""Small inline SVG charts for the pages: no JavaScript, no fonts fetched, deterministic."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 56, 28, 12
COLOURS = ("#2f6fb0", "#d9822b", "#3a9a5b", "#a34a9a")


def _scale(values: list[float]) -> float:
    top = max([v for v in values if v is not None] or [0])
    return top if top > 0 else 1.0


def line_chart(labels: list[str], series: dict[str, list[float | None]], title: str) -> Markup:
    """One line per series over the labels (months), each scaled to its own maximum so that a
    count and an amount share the chart; the legend gives each series' maximum."""
    n = len(labels)
    plot_w, plot_h = WIDTH - PAD_LEFT - 12, HEIGHT - PAD_BOTTOM - PAD_TOP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 18 * len(series)}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 12}" y2="{PAD_TOP + plot_h}" stroke="#999"/>']
    step = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            x = PAD_LEFT + (plot_w * i / max(n - 1, 1))
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">{escape(label)}</text>')
    for k, (name, values) in enumerate(series.items()):
        top = _scale(values)
        points = [f"{PAD_LEFT + plot_w * i / max(n - 1, 1):.1f},{PAD_TOP + plot_h * (1 - (v or 0) / top):.1f}"
                  for i, v in enumerate(values)]
        colour = COLOURS[k % len(COLOURS)]
        if points:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>')
        y = HEIGHT + 18 * k + 6
        parts.append(f'<rect x="{PAD_LEFT}" y="{y}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{PAD_LEFT + 18}" y="{y + 6}" font-size="12">{escape(name)}（最高 {top:,.0f}）</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_list(items: list[tuple[str, float]], value_format: str = "{:.0%}") -> Markup:
    """Horizontal bars with their labels and values (shares by default)."""
    if not items:
        return Markup("")
    top = _scale([v for _, v in items])
    row_h = 22
    parts = [f'<svg class="bars" viewBox="0 0 {WIDTH} {row_h * len(items) + 4}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(items):
        y = i * row_h + 2
        w = (WIDTH - 260) * (value or 0) / top
        parts.append(f'<text x="150" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="158" y="{y + 3}" width="{w:.1f}" height="15" fill="{COLOURS[0]}"/>'
                     f'<text x="{164 + w:.1f}" y="{y + 15}" font-size="12">{escape(value_format.format(value or 0))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
