"""The charts of the portrait report and the web pages: bars, monthly bars and lines (which know
nothing of the data), and the report's funnel, RFM, Pareto and state-history charts. Inline SVG
from the building blocks of svg.py; deterministic text. Each returns markupsafe.Markup (every
text in it is escaped where it is written), ready for an autoescaping Jinja template."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from orchestration.reports.svg import (
    GRID, INK, MUTED, UNKNOWN, esc, f1, fmt_int, fmt_money, fmt_pct, is_missing, label_of, lines_height,
    nice_ceiling, num, svg_legend, svg_lines, svg_rect, svg_root, svg_text, text_width, wrap,
)

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316",
           "#64748b", "#84cc16", "#06b6d4")
BAR_COLOUR = "#3b82f6"
MUTED_BAR_COLOUR = "#9ca3af"
HALF_WIDTH = 560.0
STATE_ORDER = ("prospect", "new", "active", "silent", "sleeping", "churned")
STATE_COLOURS = {"prospect": "#94a3b8", "new": "#38bdf8", "active": "#22c55e",
                 "silent": "#facc15", "sleeping": "#fb923c", "churned": "#ef4444"}
FUNNEL_COLOURS = ("#1e3a8a", "#1d4ed8", "#2563eb", "#3b82f6", "#60a5fa", "#93c5fd")
CUSTOMERS_COLOUR = "#2563eb"
REVENUE_COLOUR = "#f59e0b"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str
    tip: str
    muted: bool = False


def hbar_svg(chart_id: str, title: str, bars: Sequence[Bar], width: float = HALF_WIDTH) -> Markup:
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
    newest (which always shows), as many months apart as keeps the labels from overlapping
    (52 px for 'YYYY-MM', about 45 px at 10.5 px; more for longer labels such as dates)."""
    parts: list[str] = []
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{f1(left)}" y1="{f1(y)}" x2="{f1(left + plot_w)}" y2="{f1(y)}" stroke="{GRID}"></line>')
        parts.append(svg_text(left - 6, y + 4, fmt(y_max * k / 4), size=10, anchor="end", fill=MUTED))
    slot = plot_w / max(len(months), 1)
    gap = max([52.0] + [text_width(m, 10.5) + 7 for m in months])
    every = max(1, math.ceil(gap / slot))
    return parts, slot, {i for i in range(len(months)) if (len(months) - 1 - i) % every == 0}


def month_bars_svg(chart_id: str, title: str, months: Sequence[str],
                   series: Sequence[tuple[str, str, Sequence[float]]], fmt: Callable[[float], str],
                   width: float = HALF_WIDTH, height: float = 300.0) -> Markup:
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
                   height: float = 300.0) -> Markup:
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


def funnel_svg(rows: Sequence[dict[str, Any]], total: float) -> Markup:
    """Stages are drawn centred like a funnel; the ratio of each stage to the one above is
    printed between them, because that drop is what the marketer acts on."""
    width, size, bar_h, gap, top = HALF_WIDTH, 12.0, 28.0, 22.0, 6.0
    labels = [label_of(r["stage_label"], r["stage"]) for r in rows]
    counts = [num(r["customers"]) for r in rows]
    label_w = min(max(text_width(s, size) for s in labels) + 12, width * 0.3)
    note_w = 120.0
    plot_w = width - label_w - note_w
    centre = label_w + plot_w / 2
    top_value = max(counts) or 1.0
    denominator = total or sum(counts) or 1.0
    parts: list[str] = []
    for i, (label, count) in enumerate(zip(labels, counts)):
        y = top + i * (bar_h + gap)
        bar_w = max(plot_w * count / top_value, 2.0)
        colour = FUNNEL_COLOURS[min(i, len(FUNNEL_COLOURS) - 1)]
        tip = f"{label}：{fmt_int(count)} 人（{fmt_pct(count / denominator)}）"
        parts.append(svg_lines(label_w - 8, y + bar_h / 2, wrap(label, label_w - 10, size), size=size,
                               anchor="end", weight="600"))
        parts.append(svg_rect(centre - bar_w / 2, y, bar_w, bar_h, colour, tip, cls="bar funnel-stage"))
        parts.append(svg_text(label_w + plot_w + 8, y + bar_h / 2 + 4,
                           f"{fmt_int(count)}（{fmt_pct(count / denominator)}）", size=11, fill=MUTED))
        if i + 1 < len(counts):
            ratio = f"↓ {fmt_pct(counts[i + 1] / count)}" if count > 0 else "↓ —"
            parts.append(svg_text(centre, y + bar_h + gap / 2 + 4, ratio, size=11, anchor="middle",
                               fill=MUTED))
    height = top * 2 + len(rows) * bar_h + (len(rows) - 1) * gap
    return svg_root("chart-funnel", width, height, "生命周期漏斗", "".join(parts))


def rfm_svg(rows: Sequence[dict[str, Any]]) -> Markup:
    """Customers and revenue side by side per segment: a segment's size and its worth are
    different decisions (how many to contact, how much budget), so both are shown, each
    scaled to its own maximum."""
    width, size, bar_h, row_h, top = HALF_WIDTH, 12.0, 11.0, 30.0, 26.0
    labels = [label_of(r["segment_label"], r["segment"]) for r in rows]
    customers = [num(r["customers"]) for r in rows]
    revenue = [num(r["revenue"]) for r in rows]
    total_customers = sum(customers) or 1.0
    total_revenue = sum(revenue) or 1.0
    label_w = min(max(text_width(s, size) for s in labels) + 12, width * 0.3)
    notes_c = [f"{fmt_int(c)} 人 · {fmt_pct(c / total_customers)}" for c in customers]
    notes_r = [f"{fmt_money(v)} · {fmt_pct(v / total_revenue)}" for v in revenue]
    note_w = max(text_width(s, 10.5) for s in notes_c + notes_r) + 10
    plot_w = max(width - label_w - note_w, 40.0)
    max_c = max(customers) or 1.0
    max_r = max(revenue) or 1.0
    legend, _ = svg_legend([("客户数", CUSTOMERS_COLOUR), ("收入", REVENUE_COLOUR)], width, 12)
    parts = [legend]
    y = top
    for i, label in enumerate(labels):
        lines = wrap(label, label_w - 10, size)
        h = max(row_h, lines_height(lines, size) + 6)
        bar_y = y + (h - row_h) / 2
        parts.append(svg_lines(label_w - 8, bar_y + bar_h + 1, lines, size=size, anchor="end"))
        wc = plot_w * customers[i] / max_c
        wr = plot_w * revenue[i] / max_r
        parts.append(svg_rect(label_w, bar_y, wc, bar_h, CUSTOMERS_COLOUR, f"{label} 客户数：{notes_c[i]}"))
        parts.append(svg_text(label_w + wc + 5, bar_y + bar_h - 2, notes_c[i], size=10.5, fill=MUTED))
        parts.append(svg_rect(label_w, bar_y + bar_h + 2, wr, bar_h, REVENUE_COLOUR, f"{label} 收入：{notes_r[i]}"))
        parts.append(svg_text(label_w + wr + 5, bar_y + 2 * bar_h, notes_r[i], size=10.5, fill=MUTED))
        y += h
    height = y + 4
    return svg_root("chart-rfm", width, height, "RFM 客户分群：客户数与收入", "".join(parts))


def _pareto_points(rows: Sequence[dict[str, Any]]) -> list[tuple[float, float]]:
    """The curve always runs from (0,0) to (1,1) even if the caller's sample omits the ends."""
    points = sorted((min(max(num(r["customer_share"]), 0.0), 1.0),
                     min(max(num(r["revenue_share"]), 0.0), 1.0)) for r in rows)
    if not points or points[0] != (0.0, 0.0):
        points.insert(0, (0.0, 0.0))
    if points[-1] != (1.0, 1.0):
        points.append((1.0, 1.0))
    return points


def customer_share_for_revenue(points: Sequence[tuple[float, float]], target: float = 0.8) -> float:
    """Interpolate between the sampled points: with ~200 points the nearest sample can be off
    by half a percent, which is visible in the headline."""
    prev_x, prev_y = 0.0, 0.0
    for x, y in points:
        if y >= target:
            if y == prev_y:
                return x
            return prev_x + (x - prev_x) * (target - prev_y) / (y - prev_y)
        prev_x, prev_y = x, y
    return 1.0


def pct_words(share: float) -> str:
    pct = share * 100
    return f"{pct:.0f}%" if pct >= 10 or pct == 0 else f"{pct:.1f}%"


def pareto_share(rows: Sequence[dict[str, Any]]) -> float | None:
    """Share of customers that brings 80% of revenue, or None when there is no revenue."""
    if not rows or max(num(r["revenue_share"]) for r in rows) <= 0:
        return None
    return customer_share_for_revenue(_pareto_points(rows))


def pareto_headline(rows: Sequence[dict[str, Any]]) -> str | None:
    """The 80/20 sentence, or None when there is no revenue to concentrate."""
    share = pareto_share(rows)
    return None if share is None else f"前 {pct_words(share)} 客户贡献 80% 收入"


def pareto_svg(rows: Sequence[dict[str, Any]]) -> Markup:
    width, height = HALF_WIDTH, 360.0
    left, right, top, bottom = 48.0, 16.0, 14.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + x * plot_w

    def py(y: float) -> float:
        return top + (1 - y) * plot_h

    points = _pareto_points(rows)
    parts: list[str] = []
    for k in range(6):
        v = k / 5
        parts.append(f'<line x1="{f1(px(0))}" y1="{f1(py(v))}" x2="{f1(px(1))}" y2="{f1(py(v))}" '
                     f'stroke="{GRID}"></line>')
        parts.append(f'<line x1="{f1(px(v))}" y1="{f1(py(0))}" x2="{f1(px(v))}" y2="{f1(py(1))}" '
                     f'stroke="{GRID}"></line>')
        parts.append(svg_text(left - 6, py(v) + 4, f"{v * 100:.0f}%", size=10, anchor="end", fill=MUTED))
        parts.append(svg_text(px(v), top + plot_h + 16, f"{v * 100:.0f}%", size=10, anchor="middle",
                           fill=MUTED))
    parts.append(svg_text(left + plot_w / 2, height - 6, "客户累计占比（按消费额从高到低）", size=11,
                       anchor="middle", fill=MUTED))
    parts.append(svg_text(12, top + plot_h / 2, "收入累计占比", size=11, anchor="middle", fill=MUTED,
                       rotate=-90))
    parts.append(f'<line class="equality" x1="{f1(px(0))}" y1="{f1(py(0))}" x2="{f1(px(1))}" '
                 f'y2="{f1(py(1))}" stroke="{MUTED_BAR_COLOUR}" stroke-dasharray="4 4"></line>')
    path = " ".join(f"{f1(px(x))},{f1(py(y))}" for x, y in points)
    area = f"{f1(px(0))},{f1(py(0))} {path} {f1(px(1))},{f1(py(0))}"
    parts.append(f'<polygon points="{area}" fill="{CUSTOMERS_COLOUR}" fill-opacity="0.08"></polygon>')
    parts.append(f'<polyline class="pareto-curve" points="{path}" fill="none" '
                 f'stroke="{CUSTOMERS_COLOUR}" stroke-width="2.5" stroke-linejoin="round"></polyline>')
    headline = pareto_headline(rows)
    if headline:
        share = customer_share_for_revenue(points)
        mx, my = px(share), py(0.8)
        parts.append(f'<line x1="{f1(mx)}" y1="{f1(my)}" x2="{f1(mx)}" y2="{f1(py(0))}" '
                     f'stroke="{REVENUE_COLOUR}" stroke-dasharray="3 3"></line>')
        parts.append(f'<line x1="{f1(px(0))}" y1="{f1(my)}" x2="{f1(mx)}" y2="{f1(my)}" '
                     f'stroke="{REVENUE_COLOUR}" stroke-dasharray="3 3"></line>')
        parts.append(f'<circle class="pareto-80" cx="{f1(mx)}" cy="{f1(my)}" r="5" '
                     f'fill="{REVENUE_COLOUR}" data-tip="{esc(headline)}"><title>{esc(headline)}</title>'
                     f'</circle>')
        label_x = min(mx + 10, px(1) - text_width(headline, 12) - 4)
        parts.append(svg_text(label_x, my + 20, headline, size=12, weight="600"))
    return svg_root("chart-pareto", width, height, "消费帕累托曲线", "".join(parts))


def _state_order(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Known states in their business order (closest to the brand first), others after."""
    seen: list[str] = []
    for r in rows:
        key = UNKNOWN if is_missing(r["state"]) else str(r["state"])
        if key not in seen:
            seen.append(key)
    known = [s for s in STATE_ORDER if s in seen]
    return known + [s for s in seen if s not in STATE_ORDER]


def state_history_svg(rows: Sequence[dict[str, Any]]) -> Markup:
    """Stacked bars per snapshot date: the total and the mix are both read at once, and a
    single snapshot still draws as one bar."""
    width, height = HALF_WIDTH, 340.0
    left, right, bottom = 56.0, 12.0, 40.0
    states = _state_order(rows)
    labels: dict[str, str] = {}
    counts: dict[tuple[str, str], float] = {}
    for r in rows:
        state = UNKNOWN if is_missing(r["state"]) else str(r["state"])
        labels.setdefault(state, label_of(r["state_label"], r["state"]))
        key = (str(r["as_of_date"]), state)
        counts[key] = counts.get(key, 0.0) + num(r["customers"])
    dates = sorted({d for d, _ in counts})
    colours = {s: STATE_COLOURS.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(states)}
    legend, legend_bottom = svg_legend([(labels[s], colours[s]) for s in states], width, 12)
    top = legend_bottom + 14
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(counts.get((d, s), 0.0) for s in states) for d in dates]
    y_max = nice_ceiling(max(totals, default=0.0))
    parts = [legend]
    for k in range(5):
        v = y_max * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{f1(left)}" y1="{f1(y)}" x2="{f1(left + plot_w)}" y2="{f1(y)}" '
                     f'stroke="{GRID}"></line>')
        parts.append(svg_text(left - 6, y + 4, fmt_int(v), size=10, anchor="end", fill=MUTED))
    slot = plot_w / max(len(dates), 1)
    bar_w = min(80.0, slot * 0.6)
    label_every = max(1, math.ceil(len(dates) / max(plot_w // 80, 1)))
    for i, date in enumerate(dates):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for state in states:
            value = counts.get((date, state), 0.0)
            if value <= 0:
                continue
            h = plot_h * value / y_max
            y -= h
            share = value / totals[i] if totals[i] else 0.0
            tip = f"{date} {labels[state]}：{fmt_int(value)} 人（{fmt_pct(share)}）"
            parts.append(svg_rect(x, y, bar_w, h, colours[state], tip, cls="bar state-bar"))
            if h >= 15 and bar_w >= 36:
                parts.append(svg_text(x + bar_w / 2, y + h / 2 + 4, fmt_int(value), size=9.5,
                                   anchor="middle", fill="#ffffff"))
        parts.append(svg_text(x + bar_w / 2, y - 4, fmt_int(totals[i]), size=10, anchor="middle",
                           fill=INK))
        if i % label_every == 0:
            parts.append(svg_text(x + bar_w / 2, top + plot_h + 16, date, size=10.5, anchor="middle",
                               fill=MUTED))
    return svg_root("chart-state-history", width, height, "客户状态变化（按月）", "".join(parts))
