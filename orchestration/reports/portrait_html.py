"""The customer portrait report as one self-contained HTML file.

The page is a Jinja template (templates/portrait.html with portrait_cards.html and macros.html,
autoescaped), its stylesheet and small tooltip script are static files (static/) inlined into
the page, and the charts are inline SVG from portrait_charts.py (building blocks in svg.py). This
module turns PortraitData into the cards of the page, in order.

Pure: the same PortraitData gives the same bytes, so the asset can skip rewriting an unchanged
report and tests can compare output. Nothing is fetched when the page is opened, and it reads
the same without JavaScript (the script only restyles the tooltips).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import pandas as pd

from orchestration.reports.portrait_charts import (
    HALF_WIDTH, STATE_ORDER, Bar, funnel_svg, hbar_svg, pareto_headline, pareto_share, pareto_svg, pct_words,
    rfm_svg, state_history_svg,
)
from orchestration.reports.portrait_sections import (
    Card, channel_cards, chart_card, heat_cell, monthly_cards, note_card, overview_stats, rf_matrix_card,
    score_cards, segment_portrait_cards,
)
from orchestration.reports.svg import (
    NO_DATA, OTHER, UNKNOWN, fmt_int, fmt_money, fmt_pct, is_missing, label_of, num, records, slug,
)
from orchestration.reports.templating import environment, static_text

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
                    top_n: int | None, total: float, span: int) -> Card:
    title = f"{heading}分布" + (f"（前 {top_n} + {OTHER}）" if top_n and len(rows) > top_n else "")
    if not rows:
        return note_card(card_id, title, span=span)
    width = HALF_WIDTH if span >= 3 else 380.0
    return chart_card(card_id, title, hbar_svg(chart_id, title, _dimension_bars(rows, top_n, total), width),
                      span=span)


# --------------------------------------------------------------------------- tables
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


def _heatmap(rows: Sequence[dict[str, Any]], dim_a: str, dim_b: str,
             lookup: dict[tuple[str, str], str], headings: dict[str, str]) -> dict[str, Any]:
    """The cross table's cells, row and column totals (templates/portrait_cards.html draws it)."""
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
    table = []
    for a in values_a:
        row_total = sum(counts.get((a, b), 0.0) for b in values_b)
        cells = []
        for b in values_b:
            value = counts.get((a, b), 0.0)
            share = value / row_total if row_total else 0.0
            cells.append(heat_cell(value, top_value, f"{label_a[a]} × {label_b[b]}：{fmt_int(value)} 人"
                                                     f"（占该行 {fmt_pct(share)}）"))
        table.append({"label": label_a[a], "cells": cells, "total": fmt_int(row_total)})
    return {"head_a": headings.get(dim_a, dim_a), "head_b": headings.get(dim_b, dim_b),
            "columns": [label_b[b] for b in values_b], "rows": table,
            "column_totals": [fmt_int(sum(counts.get((a, b), 0.0) for a in values_a)) for b in values_b],
            "total": fmt_int(sum(counts.values()))}


def _cross_cards(data: PortraitData, lookup: dict[tuple[str, str], str], headings: dict[str, str]) -> list[Card]:
    """One heat map per dimension pair; today the caller sends one (RFM × state)."""
    rows = records(data.cross, "cross", ("dim_a", "value_a", "dim_b", "value_b", "customers"))
    if not rows:
        return [note_card("cross", "交叉分析")]
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        pairs.setdefault((str(r["dim_a"]), str(r["dim_b"])), []).append(r)
    cards = []
    for i, ((dim_a, dim_b), pair_rows) in enumerate(pairs.items()):
        title = f"{headings.get(dim_a, dim_a)} × {headings.get(dim_b, dim_b)}"
        card_id = "cross" if i == 0 else f"cross-{i + 1}"
        cards.append(Card(card_id, title, "heat", _heatmap(pair_rows, dim_a, dim_b, lookup, headings),
                          subtitle="单元格为客户数，颜色越深人数越多"))
    return cards


def _segments_rows(rows: Sequence[dict[str, Any]], total: float) -> list[dict[str, str]]:
    """Entered and exited sit next to the size: a stable segment and a churning one of the
    same size call for different actions."""
    top_value = max((num(r["customers"]) for r in rows), default=0.0) or 1.0
    out = []
    for r in rows:
        count, entered, exited = num(r["customers"]), num(r["entered"]), num(r["exited"])
        net = entered - exited
        out.append({"name": label_of(r["name_zh"], r["segment_key"]), "key": label_of(None, r["segment_key"]),
                    "customers": fmt_int(count), "share": fmt_pct(count / total) if total else "—",
                    "bar": f"{count / top_value * 100:.1f}%", "entered": f"+{fmt_int(entered)}",
                    "exited": f"−{fmt_int(exited)}", "net": f"{'+' if net > 0 else ''}{fmt_int(net)}",
                    "net_class": "pos" if net > 0 else ("neg" if net < 0 else "")})
    return out


# --------------------------------------------------------------------------- page parts
def _headline_stats(data: PortraitData, rfm: Sequence[dict[str, Any]], pareto: Sequence[dict[str, Any]],
                    segment_count: int) -> list[tuple[str, str, str]]:
    """(label, value, note) of the figures at the top. Scored share and revenue come from the
    RFM frame because not_scored means 'no paid order in the window': it is the only
    paying/non-paying split the report receives."""
    stats = [("客户总数", fmt_int(data.customers), "截至数据日期的已知客户"),
             ("数据日期", label_of(None, data.as_of_date), "所有指标的统计口径日")]
    scored_total = sum(num(r["customers"]) for r in rfm)
    if scored_total > 0:
        scored = sum(num(r["customers"]) for r in rfm if str(r["segment"]) != "not_scored")
        stats.append(("已评分（近期付费）客户", fmt_pct(scored / scored_total),
                      f"{fmt_int(scored)} / {fmt_int(scored_total)} 人"))
        if not data.overview:  # else the whole business's revenue says it
            stats.append(("评分窗口收入", fmt_money(sum(num(r["revenue"]) for r in rfm)), "RFM 各分群收入合计"))
    else:
        stats.append(("已评分（近期付费）客户", "—", NO_DATA))
    stats.extend(overview_stats(data.overview))
    stats.append(("客户分群数", fmt_int(segment_count), "运营定义的分群"))
    share = pareto_share(pareto)
    stats.append(("贡献 80% 收入的客户", "—" if share is None else f"前 {pct_words(share)}",
                  NO_DATA if share is None else "帕累托 80/20：越小越集中"))
    return stats


def _small_dimension_cards(distributions: dict[str, list[dict[str, Any]]], headings: dict[str, str],
                           total: float) -> list[Card]:
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
    return cards


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

    funnel_sub = "到达各阶段（含更后阶段）的客户数；箭头为相邻阶段的转化率"
    pareto_text = pareto_headline(pareto)
    snapshot_dates = sorted({str(r["as_of_date"]) for r in history})
    history_sub = (f"每月最后一个快照，{len(snapshot_dates)} 个：{snapshot_dates[0]} 至 {snapshot_dates[-1]}"
                   if len(snapshot_dates) > 1 else (f"快照 {snapshot_dates[0]}" if snapshot_dates else ""))
    sections: list[tuple[str, list[Card]]] = [
        ("生命周期与价值", [
            chart_card("funnel", "生命周期漏斗", funnel_svg(funnel, total), subtitle=funnel_sub)
            if funnel else note_card("funnel", "生命周期漏斗", subtitle=funnel_sub),
            chart_card("rfm", "RFM 客户分群", rfm_svg(rfm), subtitle="每个分群的客户数与评分窗口收入")
            if rfm else note_card("rfm", "RFM 客户分群", subtitle="每个分群的客户数与评分窗口收入"),
            rf_matrix_card(matrix),
            chart_card("pareto", "消费帕累托曲线", pareto_svg(pareto), subtitle=pareto_text) if pareto_text
            else note_card("pareto", "消费帕累托曲线", "暂无收入数据", subtitle="客户按消费额从高到低排列后的累计收入占比")]),
        ("月度趋势", [
            *monthly_cards(monthly),
            chart_card("state-history", "客户状态变化（按月）", state_history_svg(history), subtitle=history_sub)
            if history else note_card("state-history", "客户状态变化（按月）", subtitle=history_sub)]),
        ("流失风险与客户价值预测", [
            _dimension_card("churn-risk", "chart-churn-risk", headings.get("churn_risk", "流失风险"),
                            distributions.get("churn_risk", []), None, total, span=3),
            *score_cards(scores)]),
        ("渠道与品类", channel_cards(channels, categories)),
        ("客户构成", [
            _dimension_card("city", "chart-city", headings.get("city", "城市"), distributions.get("city", []),
                            CITY_TOP_N, total, span=3),
            *_cross_cards(data, lookup, headings),
            *_small_dimension_cards(distributions, headings, total)]),
        ("客户分群", [
            Card("segments", "客户分群", "segments", _segments_rows(segments, total), span=6,
                 subtitle="新进入 / 退出为本次计算相对上一次快照的变化") if segments
            else note_card("segments", "客户分群", "暂无客户分群", span=6,
                           subtitle="新进入 / 退出为本次计算相对上一次快照的变化"),
            *segment_portrait_cards(traits)]),
    ]
    return _template().render(
        as_of=label_of(None, data.as_of_date), customers=fmt_int(data.customers),
        generated_at=label_of(None, data.generated_at),
        stats=_headline_stats(data, rfm, pareto, len(segments)), sections=sections,
        css=static_text("portrait.css"), script=static_text("portrait.js"))


def _template() -> jinja2.Template:
    return _ENVIRONMENT.get_template("portrait.html")


# strict: a name the template uses and the context lacks is a bug, not an empty string
_ENVIRONMENT = environment(strict=True)
