"""Charts of the portrait report that know nothing of its data: bars, monthly bars and lines,
histograms. Inline SVG from the building blocks of svg.py; deterministic text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from orchestration.reports.svg import (
    GRID, MUTED, esc, f1, lines_height, nice_ceiling, svg_legend, svg_lines, svg_rect, svg_root,
    svg_text, text_width, wrap,
)

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316",
           "#64748b", "#84cc16", "#06b6d4")
BAR_COLOUR = "#3b82f6"
MUTED_BAR_COLOUR = "#9ca3af"
HALF_WIDTH = 560.0


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str
    tip: str
    muted: bool = False


def hbar_svg(chart_id: str, title: str, bars: Sequence[Bar], width: float = HALF_WIDTH) -> str:
    """Horizontal bars fit long Chinese category names better than vertical ones; a label too
    long for its column wraps onto more lines (the row grows) rather than being cut."""
    size, row_h, bar_h, top = 12.0, 24.0, 15.0, 6.0
    label_w = min(max(text_width(b.label, size) for b in bars) + 10, width * 0.3)
    note_w = max(text_width(b.note, 11) for b in bars) + 10
    plot_w = max(width - label_w - note_w, 40.0)
    top_value = max((b.value for b in bars), default=0.0) or 1.0
    parts: list[str] = []
    y = top
    for bar in bars:
        lines = wrap(bar.label, label_w - 10, size)
        h = max(row_h, lines_height(lines, size) + 6)
        bar_y = y + (h - bar_h) / 2 - (row_h - bar_h) / 2
        bar_w = plot_w * bar.value / top_value
        parts.append(svg_lines(label_w - 8, bar_y + bar_h / 2, lines, size=size, anchor="end"))
        parts.append(svg_rect(label_w, bar_y, bar_w, bar_h, MUTED_BAR_COLOUR if bar.muted else BAR_COLOUR,
                              bar.tip))
        parts.append(svg_text(label_w + bar_w + 6, bar_y + bar_h - 3, bar.note, size=11, fill=MUTED))
        y += h
    height = y + top
    return svg_root(chart_id, width, height, title, "".join(parts))


def _month_axis(months: Sequence[str], left: float, plot_w: float, top: float, plot_h: float,
                y_max: float, fmt: Callable[[float], str]) -> tuple[list[str], float, set[int]]:
    """Grid lines with their values, and the months that get a label: counted back from the
    newest (which always shows), as many months apart as keeps 'YYYY-MM' labels (about 45 px
    at 10.5 px) from overlapping."""
    parts: list[str] = []
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{f1(left)}" y1="{f1(y)}" x2="{f1(left + plot_w)}" y2="{f1(y)}" stroke="{GRID}"></line>')
        parts.append(svg_text(left - 6, y + 4, fmt(y_max * k / 4), size=10, anchor="end", fill=MUTED))
    slot = plot_w / max(len(months), 1)
    every = max(1, int(-(-52 // slot)))  # ceil(52 / slot)
    return parts, slot, {i for i in range(len(months)) if (len(months) - 1 - i) % every == 0}


def month_bars_svg(chart_id: str, title: str, months: Sequence[str],
                   series: Sequence[tuple[str, str, Sequence[float]]], fmt: Callable[[float], str],
                   width: float = HALF_WIDTH, height: float = 300.0) -> str:
    """Stacked bars per month (one series draws plain bars): the total and its parts are read
    at once. `series` is (label, colour, one value per month)."""
    left, right, bottom = 64.0, 10.0, 30.0
    legend, legend_bottom = svg_legend([(label, colour) for label, colour, _ in series], width, 12) \
        if len(series) > 1 else ("", 0.0)
    top = legend_bottom + 14
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, _, values in series) for i in range(len(months))]
    y_max = nice_ceiling(max(totals, default=0.0))
    parts, slot, labelled = _month_axis(months, left, plot_w, top, plot_h, y_max, fmt)
    parts.insert(0, legend)
    bar_w = max(min(40.0, slot * 0.7), 1.0)
    for i, month in enumerate(months):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for label, colour, values in series:
            h = plot_h * values[i] / y_max
            y -= h
            parts.append(svg_rect(x, y, bar_w, h, colour, f"{month} {label}：{fmt(values[i])}"))
        if i in labelled:
            parts.append(svg_text(x + bar_w / 2, top + plot_h + 16, month, size=10.5, anchor="middle", fill=MUTED))
    return svg_root(chart_id, width, height, title, "".join(parts))


def month_line_svg(chart_id: str, title: str, months: Sequence[str], values: Sequence[float | None],
                   colour: str, fmt: Callable[[float], str], width: float = HALF_WIDTH,
                   height: float = 300.0) -> str:
    """A line per month; a month without a value (NULL) breaks the line rather than dropping to 0."""
    left, right, top, bottom = 64.0, 10.0, 14.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = nice_ceiling(max((v for v in values if v is not None), default=0.0))
    parts, slot, labelled = _month_axis(months, left, plot_w, top, plot_h, y_max, fmt)
    runs: list[list[str]] = [[]]
    for i, (month, value) in enumerate(zip(months, values)):
        x = left + slot * i + slot / 2
        if value is None:
            runs.append([])
        else:
            y = top + plot_h - plot_h * value / y_max
            runs[-1].append(f"{f1(x)},{f1(y)}")
            tip = f"{month}：{fmt(value)}"
            parts.append(f'<circle class="point" cx="{f1(x)}" cy="{f1(y)}" r="3" fill="{colour}" '
                         f'data-tip="{esc(tip)}"><title>{esc(tip)}</title></circle>')
        if i in labelled:
            parts.append(svg_text(x, top + plot_h + 16, month, size=10.5, anchor="middle", fill=MUTED))
    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5" '
                         f'stroke-linejoin="round"></polyline>')
    return svg_root(chart_id, width, height, title, "".join(parts))
