"""The customer portrait report as one self-contained HTML file (building blocks in svg.py).

Pure: the same PortraitData gives the same bytes, so the asset can skip rewriting an unchanged
report and tests can compare output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from orchestration.reports.portrait_charts import (
    HALF_WIDTH, MUTED_BAR_COLOUR, PALETTE, Bar, hbar_svg,
)
from orchestration.reports.portrait_sections import (
    channel_cards, monthly_cards, overview_stats, rf_matrix_card, score_cards, segment_portrait_cards,
)
from orchestration.reports.svg import (
    GRID, INK, MUTED, NO_DATA, OTHER, UNKNOWN, card, esc, f1, fmt_int, fmt_money, fmt_pct, heat_colour,
    is_missing, label_of, nice_ceiling, no_data, num, records, slug, svg_legend, svg_rect, svg_lines, svg_root, svg_text,
    text_width, wrap, lines_height,
)

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')

DEFAULT_DIMENSION_LABELS: dict[str, str] = {
    "city": "城市", "province": "省份", "industry": "行业", "level": "客户等级",
    "lead_source": "线索来源", "rfm_segment": "RFM客户分群", "customer_state": "客户状态",
    "lifecycle_stage": "生命周期阶段", "age_band": "年龄段", "gender": "性别",
    "value_class": "价值等级", "city_tier": "城市等级", "churn_risk": "流失风险",
    "top_category": "偏好品类", "preferred_channel": "偏好渠道",
}

# (dimension, top n or None). With a top n the bars are ranked by customers and the tail is
# folded into 其他; without one the caller's order is kept, because those dimensions are
# ordinal (age bands, levels, A/B/C) and the caller knows their order.
SMALL_DIMENSIONS: tuple[tuple[str, int | None], ...] = (
    ("gender", None), ("age_band", None), ("city_tier", None), ("value_class", None), ("level", None),
    ("province", 10), ("lead_source", 10), ("industry", 10), ("preferred_channel", 10), ("top_category", 10),
)
CITY_TOP_N = 15
EXTRA_DIMENSION_TOP_N = 10
# Dimensions that have a chart of their own and are not repeated as plain distributions.
DEDICATED_DIMENSIONS = frozenset({"city", "rfm_segment", "customer_state", "lifecycle_stage", "churn_risk"})

STATE_ORDER = ("prospect", "new", "active", "silent", "sleeping", "churned")
STATE_COLOURS = {"prospect": "#94a3b8", "new": "#38bdf8", "active": "#22c55e",
                 "silent": "#facc15", "sleeping": "#fb923c", "churned": "#ef4444"}
FUNNEL_COLOURS = ("#1e3a8a", "#1d4ed8", "#2563eb", "#3b82f6", "#60a5fa", "#93c5fd")
CUSTOMERS_COLOUR = "#2563eb"
REVENUE_COLOUR = "#f59e0b"



@dataclass(frozen=True)
class PortraitData:
    as_of_date: str                 # 'YYYY-MM-DD'
    customers: int                  # customers known on the as-of date
    generated_at: str               # ISO timestamp text, shown in the footer
    distributions: pd.DataFrame     # dimension, value, value_label, customers, share
    lifecycle_funnel: pd.DataFrame  # stage, stage_label, customers (funnel order)
    rfm_segments: pd.DataFrame      # segment, segment_label, customers, revenue
    pareto: pd.DataFrame            # customer_share, revenue_share (cumulative, 0..1)
    state_history: pd.DataFrame     # as_of_date, state, state_label, customers
    segments: pd.DataFrame          # segment_key, name_zh, customers, entered, exited
    cross: pd.DataFrame             # dim_a, value_a, dim_b, value_b, customers
    dimension_labels: dict[str, str]  # dimension -> Chinese heading
    # the whole business (portrait_overview, one row) and its months (portrait_monthly)
    overview: dict[str, Any] = field(default_factory=dict)
    monthly: pd.DataFrame | None = None        # month, customers_known, buyers, new_buyers, ... avg_order_value
    rfm_matrix: pd.DataFrame | None = None     # r_score, f_score, customers, avg_monetary
    scores: pd.DataFrame | None = None         # score, score_name, band, band_label, customers, share, score_total
    segment_portraits: pd.DataFrame | None = None  # segment_key, name_zh, members, dimension, ... lift
    channels: pd.DataFrame | None = None       # channel, customers, buyers, paid_orders, net_amount, ...
    categories: pd.DataFrame | None = None     # category, net_amount, share


# --------------------------------------------------------------------------- charts
def _funnel_svg(rows: Sequence[dict[str, Any]], total: float) -> str:
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


def _rfm_svg(rows: Sequence[dict[str, Any]]) -> str:
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


def _pct_words(share: float) -> str:
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
    return None if share is None else f"前 {_pct_words(share)} 客户贡献 80% 收入"


def _pareto_svg(rows: Sequence[dict[str, Any]]) -> str:
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


def _state_history_svg(rows: Sequence[dict[str, Any]]) -> str:
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


# --------------------------------------------------------------------------- distributions
def _dimension_bars(rows: Sequence[dict[str, Any]], top_n: int | None, total: float) -> list[Bar]:
    """Ranks and folds the tail into 其他 for open-ended dimensions (cities, sources) so a long
    tail does not drown the chart; shares come from the caller when given."""
    items = []
    for r in rows:
        count = num(r["customers"])
        share = num(r["share"]) if not is_missing(r["share"]) else (count / total if total else 0.0)
        items.append((label_of(r["value_label"], r["value"]), count, share, is_missing(r["value"])))
    if top_n is not None:
        items.sort(key=lambda item: -item[1])  # stable: ties keep the caller's order
        if len(items) > top_n:
            rest = items[top_n:]
            items = items[:top_n] + [(OTHER, sum(i[1] for i in rest), sum(i[2] for i in rest), True)]
    return [Bar(label, count, f"{fmt_int(count)} · {fmt_pct(share)}",
                 f"{label}：{fmt_int(count)} 人（{fmt_pct(share)}）", muted=unknown or label == OTHER)
            for label, count, share, unknown in items]


def _distribution_rows(data: PortraitData) -> dict[str, list[dict[str, Any]]]:
    rows = records(data.distributions, "distributions",
                    ("dimension", "value", "value_label", "customers", "share"))
    by_dimension: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_dimension.setdefault(str(r["dimension"]), []).append(r)
    return by_dimension


def _dimension_card(card_id: str, chart_id: str, heading: str, rows: Sequence[dict[str, Any]],
                    top_n: int | None, total: float, span: int) -> str:
    title = f"{heading}分布" + (f"（前 {top_n} + {OTHER}）" if top_n and len(rows) > top_n else "")
    if not rows:
        return card(card_id, title, no_data(), span=span)
    width = HALF_WIDTH if span >= 3 else 380.0
    return card(card_id, title, hbar_svg(chart_id, title, _dimension_bars(rows, top_n, total), width),
                 span=span)


# --------------------------------------------------------------------------- tables
def _label_lookup(data: PortraitData, distributions: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, str], str]:
    """The cross table carries codes only; its labels come from the other frames."""
    lookup: dict[tuple[str, str], str] = {}
    for dimension, rows in distributions.items():
        for r in rows:
            if not is_missing(r["value"]):
                lookup[(dimension, str(r["value"]))] = label_of(r["value_label"], r["value"])
    for r in records(data.rfm_segments, "rfm_segments", ("segment", "segment_label", "customers", "revenue")):
        if not is_missing(r["segment"]):
            lookup[("rfm_segment", str(r["segment"]))] = label_of(r["segment_label"], r["segment"])
    for r in records(data.state_history, "state_history", ("as_of_date", "state", "state_label", "customers")):
        if not is_missing(r["state"]):
            lookup[("customer_state", str(r["state"]))] = label_of(r["state_label"], r["state"])
    for r in records(data.lifecycle_funnel, "lifecycle_funnel", ("stage", "stage_label", "customers")):
        if not is_missing(r["stage"]):
            lookup[("lifecycle_stage", str(r["stage"]))] = label_of(r["stage_label"], r["stage"])
    return lookup


def _ordered_values(dimension: str, present: Sequence[str], lookup: dict[tuple[str, str], str]) -> list[str]:
    """Rows and columns follow the order the other frames use (RFM order, state order), so the
    heat map reads like the bar charts next to it."""
    known = [v for (d, v) in lookup if d == dimension and v in present]
    if dimension == "customer_state":
        known = [s for s in STATE_ORDER if s in present] + [v for v in known if v not in STATE_ORDER]
    return known + [v for v in present if v not in known]


def _heatmap_table(rows: Sequence[dict[str, Any]], dim_a: str, dim_b: str,
                   lookup: dict[tuple[str, str], str], headings: dict[str, str]) -> str:
    def key(value: object) -> str:
        return UNKNOWN if is_missing(value) else str(value)

    counts: dict[tuple[str, str], float] = {}
    present_a: list[str] = []
    present_b: list[str] = []
    for r in rows:
        a, b = key(r["value_a"]), key(r["value_b"])
        counts[(a, b)] = counts.get((a, b), 0.0) + num(r["customers"])
        if a not in present_a:
            present_a.append(a)
        if b not in present_b:
            present_b.append(b)
    values_a = _ordered_values(dim_a, present_a, lookup)
    values_b = _ordered_values(dim_b, present_b, lookup)
    label_a = {v: lookup.get((dim_a, v), v) for v in values_a}
    label_b = {v: lookup.get((dim_b, v), v) for v in values_b}
    top_value = max(counts.values(), default=0.0) or 1.0
    head_a, head_b = headings.get(dim_a, dim_a), headings.get(dim_b, dim_b)
    head = "".join(f'<th scope="col">{esc(label_b[b])}</th>' for b in values_b)
    out = [(f'<div class="table-wrap"><table class="heat"><thead><tr>'
            f'<th scope="col">{esc(head_a)} \\ {esc(head_b)}</th>{head}<th scope="col">合计</th></tr></thead><tbody>')]
    for a in values_a:
        row_total = sum(counts.get((a, b), 0.0) for b in values_b)
        cells = []
        for b in values_b:
            value = counts.get((a, b), 0.0)
            background, ink = heat_colour(value / top_value)
            share = value / row_total if row_total else 0.0
            tip = f"{label_a[a]} × {label_b[b]}：{fmt_int(value)} 人（占该行 {fmt_pct(share)}）"
            cells.append(f'<td class="cell num" style="background:{background};color:{ink}" '
                         f'data-tip="{esc(tip)}" title="{esc(tip)}">{fmt_int(value)}</td>')
        out.append(f'<tr><th scope="row">{esc(label_a[a])}</th>{"".join(cells)}'
                   f'<td class="num total">{fmt_int(row_total)}</td></tr>')
    column_totals = "".join(
        f'<td class="num total">{fmt_int(sum(counts.get((a, b), 0.0) for a in values_a))}</td>'
        for b in values_b)
    grand = sum(counts.values())
    out.append(f'</tbody><tfoot><tr><th scope="row">合计</th>{column_totals}'
               f'<td class="num total">{fmt_int(grand)}</td></tr></tfoot></table></div>')
    return "".join(out)


def _cross_cards(data: PortraitData, lookup: dict[tuple[str, str], str], headings: dict[str, str]) -> str:
    """One heat map per dimension pair; today the caller sends one (RFM × state)."""
    rows = records(data.cross, "cross", ("dim_a", "value_a", "dim_b", "value_b", "customers"))
    if not rows:
        return card("cross", "交叉分析", no_data(), span=3)
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        pairs.setdefault((str(r["dim_a"]), str(r["dim_b"])), []).append(r)
    cards = []
    for i, ((dim_a, dim_b), pair_rows) in enumerate(pairs.items()):
        title = f"{headings.get(dim_a, dim_a)} × {headings.get(dim_b, dim_b)}"
        card_id = "cross" if i == 0 else f"cross-{i + 1}"
        cards.append(card(card_id, title, _heatmap_table(pair_rows, dim_a, dim_b, lookup, headings),
                           span=3, subtitle="单元格为客户数，颜色越深人数越多"))
    return "".join(cards)


def _segments_table(rows: Sequence[dict[str, Any]], total: float) -> str:
    """Entered and exited sit next to the size: a stable segment and a churning one of the
    same size call for different actions."""
    top_value = max((num(r["customers"]) for r in rows), default=0.0) or 1.0
    body = []
    for r in rows:
        count, entered, exited = num(r["customers"]), num(r["entered"]), num(r["exited"])
        net = entered - exited
        net_class = "pos" if net > 0 else ("neg" if net < 0 else "")
        share = fmt_pct(count / total) if total else "—"
        bar = (f'<span class="inline-bar"><span style="width:{count / top_value * 100:.1f}%">'
               f'</span></span>')
        body.append(
            f'<tr><td>{esc(label_of(r["name_zh"], r["segment_key"]))}</td>'
            f'<td class="code">{esc(label_of(None, r["segment_key"]))}</td>'
            f'<td class="num">{fmt_int(count)}</td><td class="num">{share}</td><td>{bar}</td>'
            f'<td class="num pos">+{fmt_int(entered)}</td><td class="num neg">−{fmt_int(exited)}</td>'
            f'<td class="num {net_class}">{"+" if net > 0 else ""}{fmt_int(net)}</td></tr>')
    return ('<div class="table-wrap"><table class="segments"><thead><tr><th scope="col">分群</th>'
            '<th scope="col">代码</th><th scope="col">客户数</th><th scope="col">占全部客户</th>'
            '<th scope="col"></th><th scope="col">新进入</th><th scope="col">退出</th>'
            '<th scope="col">净变化</th></tr></thead><tbody>' + "".join(body) + "</tbody></table></div>")


# --------------------------------------------------------------------------- page parts
def _stat(label: str, value: str, note: str = "") -> str:
    extra = f'<div class="note">{esc(note)}</div>' if note else ""
    return (f'<div class="card stat"><div class="label">{esc(label)}</div>'
            f'<div class="value">{esc(value)}</div>{extra}</div>')


def _headline_cards(data: PortraitData, rfm: Sequence[dict[str, Any]], pareto: Sequence[dict[str, Any]],
                    segment_count: int) -> str:
    """Scored share and revenue come from the RFM frame because not_scored means 'no paid
    order in the window': it is the only paying/non-paying split the report receives."""
    cards = [_stat("客户总数", fmt_int(data.customers), "截至数据日期的已知客户"),
             _stat("数据日期", label_of(None, data.as_of_date), "所有指标的统计口径日")]
    scored_total = sum(num(r["customers"]) for r in rfm)
    if scored_total > 0:
        scored = sum(num(r["customers"]) for r in rfm if str(r["segment"]) != "not_scored")
        cards.append(_stat("已评分（近期付费）客户", fmt_pct(scored / scored_total),
                           f"{fmt_int(scored)} / {fmt_int(scored_total)} 人"))
        if not data.overview:  # else the whole business's revenue says it
            cards.append(_stat("评分窗口收入", fmt_money(sum(num(r["revenue"]) for r in rfm)),
                               "RFM 各分群收入合计"))
    else:
        cards.append(_stat("已评分（近期付费）客户", "—", NO_DATA))
    cards.extend(_stat(label, value, note) for label, value, note in overview_stats(data.overview))
    cards.append(_stat("客户分群数", fmt_int(segment_count), "运营定义的分群"))
    share = pareto_share(pareto)
    cards.append(_stat("贡献 80% 收入的客户", "—" if share is None else f"前 {_pct_words(share)}",
                       NO_DATA if share is None else "帕累托 80/20：越小越集中"))
    return f'<div class="stats">{"".join(cards)}</div>'


def _small_dimension_cards(distributions: dict[str, list[dict[str, Any]]], headings: dict[str, str],
                           total: float) -> str:
    cards = []
    for dimension, top_n in SMALL_DIMENSIONS:
        cards.append(_dimension_card(f"dim-{slug(dimension)}", f"chart-dim-{slug(dimension)}",
                                     headings.get(dimension, dimension), distributions.get(dimension, []),
                                     top_n, total, span=2))
    known = {d for d, _ in SMALL_DIMENSIONS} | DEDICATED_DIMENSIONS
    for i, dimension in enumerate(d for d in distributions if d not in known):
        cards.append(_dimension_card(f"dim-extra-{i + 1}", f"chart-dim-extra-{i + 1}",
                                     headings.get(dimension, dimension), distributions[dimension],
                                     EXTRA_DIMENSION_TOP_N, total, span=2))
    return "".join(cards)


CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font-family:FONT_STACK;font-size:14px;line-height:1.5}
.page{max-width:1240px;margin:0 auto;padding:24px}
header.top{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;margin-bottom:16px}
header.top h1{font-size:24px;margin:0}
header.top p{margin:0;color:var(--muted)}
h2.section{font-size:17px;margin:28px 0 12px;padding-left:10px;border-left:4px solid var(--accent)}
.grid{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;min-width:0;
box-shadow:0 1px 2px rgba(0,0,0,.04)}
.s2{grid-column:span 2}.s3{grid-column:span 3}.s6{grid-column:span 6}
.card h3{font-size:15px;margin:0 0 4px}
.card .sub{color:var(--muted);font-size:12px;margin:0 0 8px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:16px}
.stat .label{color:var(--muted);font-size:13px}
.stat .value{font-size:24px;font-weight:700;line-height:1.3;margin:4px 0}
.stat .note{color:var(--muted);font-size:12px}
svg.chart{display:block;width:100%;height:auto;font-family:inherit;overflow:visible}
svg .bar:hover{opacity:.8}
.nodata{color:var(--muted);padding:28px 0;margin:0;text-align:center;border:1px dashed var(--line);border-radius:6px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{color:var(--muted);font-weight:600}
tfoot th,tfoot td,td.total{font-weight:600}
table.heat td.cell{text-align:center}
td.code{color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;text-align:left}
.num{font-variant-numeric:tabular-nums}
.lift{font-weight:600;color:#1d4ed8}
table.rf td.cell{text-align:center;min-width:56px}
table.traits td:nth-child(2),table.traits th:nth-child(2),table.channels td:last-child,table.channels th:last-child{text-align:left}
.pos{color:#15803d}.neg{color:#b91c1c}
.inline-bar{display:inline-block;width:120px;height:8px;background:var(--line);border-radius:4px;vertical-align:middle}
.inline-bar span{display:block;height:100%;background:var(--accent);border-radius:4px}
footer{color:var(--muted);font-size:12px;margin-top:28px;text-align:center}
#tip{position:fixed;pointer-events:none;background:rgba(17,24,39,.92);color:#fff;padding:4px 8px;
border-radius:4px;font-size:12px;display:none;z-index:10;white-space:nowrap}
@media (max-width:900px){.s2,.s3{grid-column:span 6}}
@page{size:A4;margin:12mm}
@media print{body{background:#fff;font-size:12px}.page{max-width:none;padding:0}
.card{box-shadow:none;break-inside:avoid;page-break-inside:avoid}.s2{grid-column:span 3}
h2.section{break-after:avoid}#tip{display:none!important}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
""".replace("FONT_STACK", FONT_STACK)

# Static text: nothing from the data is ever put into the script, so it cannot be broken out of.
SCRIPT = """
(function () {
  "use strict";
  var tip = document.getElementById("tip");
  var targets = document.querySelectorAll("[data-tip]");
  for (var i = 0; i < targets.length; i++) {
    var el = targets[i];
    var native = el.querySelector("title");
    if (native) { el.removeChild(native); }
    el.removeAttribute("title");
    el.addEventListener("mousemove", function (ev) {
      tip.textContent = this.getAttribute("data-tip");
      tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    el.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  }
  document.body.dataset.reportReady = "1";
})();
"""


def render_portrait_report(data: PortraitData) -> str:
    """Render the whole report. Pure: the same PortraitData gives the same bytes, which is what
    lets the asset skip rewriting an unchanged report and lets tests compare output."""
    headings = {**DEFAULT_DIMENSION_LABELS, **(data.dimension_labels or {})}
    total = num(data.customers)
    distributions = _distribution_rows(data)
    funnel = records(data.lifecycle_funnel, "lifecycle_funnel", ("stage", "stage_label", "customers"))
    rfm = records(data.rfm_segments, "rfm_segments", ("segment", "segment_label", "customers", "revenue"))
    pareto = records(data.pareto, "pareto", ("customer_share", "revenue_share"))
    history = records(data.state_history, "state_history", ("as_of_date", "state", "state_label", "customers"))
    segments = records(data.segments, "segments", ("segment_key", "name_zh", "customers", "entered", "exited"))
    lookup = _label_lookup(data, distributions)

    funnel_body = _funnel_svg(funnel, total) if funnel else no_data()
    rfm_body = _rfm_svg(rfm) if rfm else no_data()
    pareto_headline_text = pareto_headline(pareto)
    pareto_body = _pareto_svg(pareto) if pareto_headline_text else no_data("暂无收入数据")
    history_body = _state_history_svg(history) if history else no_data()
    segments_body = _segments_table(segments, total) if segments else no_data("暂无客户分群")
    snapshot_dates = sorted({str(r["as_of_date"]) for r in history})
    history_sub = (f"每月最后一个快照，{len(snapshot_dates)} 个：{snapshot_dates[0]} 至 {snapshot_dates[-1]}"
                   if len(snapshot_dates) > 1 else (f"快照 {snapshot_dates[0]}" if snapshot_dates else ""))
    monthly = records(data.monthly, "monthly", ("month", "customers_known", "new_buyers", "returning_buyers",
                                                "net_amount", "avg_order_value"))
    matrix = records(data.rfm_matrix, "rfm_matrix", ("r_score", "f_score", "customers", "avg_monetary"))
    scores = records(data.scores, "scores", ("score", "band", "band_label", "customers", "share", "score_total"))
    channels = records(data.channels, "channels", ("channel", "customers", "buyers", "paid_orders", "net_amount",
                                                   "revenue_share", "avg_order_value", "repurchase_rate_90d",
                                                   "top_category"))
    categories = records(data.categories, "categories", ("category", "net_amount", "share"))
    traits = records(data.segment_portraits, "segment_portraits",
                     ("segment_key", "name_zh", "members", "dimension", "dimension_name", "value", "value_label",
                      "share", "share_of_all_customers", "lift"))

    as_of = label_of(None, data.as_of_date)
    body = [
        '<div class="page">',
        (f'<header class="top"><div><h1>客户画像报告</h1><p>数据日期 {esc(as_of)}</p></div>'
         f'<p>客户 {fmt_int(data.customers)} 人</p></header>'),
        _headline_cards(data, rfm, pareto, len(segments)),
        '<h2 class="section">生命周期与价值</h2><div class="grid">',
        card("funnel", "生命周期漏斗", funnel_body, subtitle="到达各阶段（含更后阶段）的客户数；箭头为相邻阶段的转化率"),
        card("rfm", "RFM 客户分群", rfm_body, subtitle="每个分群的客户数与评分窗口收入"),
        rf_matrix_card(matrix),
        card("pareto", "消费帕累托曲线", pareto_body,
              subtitle=pareto_headline_text or "客户按消费额从高到低排列后的累计收入占比"),
        "</div>",
        '<h2 class="section">月度趋势</h2><div class="grid">',
        monthly_cards(monthly),
        card("state-history", "客户状态变化（按月）", history_body, subtitle=history_sub),
        "</div>",
        '<h2 class="section">流失风险与客户价值预测</h2><div class="grid">',
        _dimension_card("churn-risk", "chart-churn-risk", headings.get("churn_risk", "流失风险"),
                        distributions.get("churn_risk", []), None, total, span=3),
        score_cards(scores),
        "</div>",
        '<h2 class="section">渠道与品类</h2><div class="grid">',
        channel_cards(channels, categories),
        "</div>",
        '<h2 class="section">客户构成</h2><div class="grid">',
        _dimension_card("city", "chart-city", headings.get("city", "城市"), distributions.get("city", []),
                        CITY_TOP_N, total, span=3),
        _cross_cards(data, lookup, headings),
        _small_dimension_cards(distributions, headings, total),
        "</div>",
        '<h2 class="section">客户分群</h2><div class="grid">',
        card("segments", "客户分群", segments_body, span=6,
              subtitle="新进入 / 退出为本次计算相对上一次快照的变化"),
        segment_portrait_cards(traits),
        "</div>",
        (f'<footer>生成时间 {esc(label_of(None, data.generated_at))} · 数据日期 {esc(as_of)} · '
         "离线报告：图表为内嵌 SVG，无任何外部资源</footer>"),
        "</div>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>客户画像报告 · {esc(as_of)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + '\n<div id="tip" role="tooltip"></div>\n'
        + f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
