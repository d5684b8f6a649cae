"""The report's sections on the whole business: monthly trends, the R × F matrix, predictive
score distributions, channels and categories, and each segment against the whole base.

Each takes plain records (dicts, as `svg.records` makes them from the marts) and returns cards
(`Card`: what to show, not how): the charts are drawn here (portrait_charts.py), the figures
formatted, and the page's template (templates/portrait.html, portrait_cards.html) writes the
markup; portrait_html.py puts the cards in order. Empty input draws a "no data" card, as a
first run or a brand without channels is normal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.reports.portrait_charts import HALF_WIDTH, Bar, hbar_svg, month_bars_svg, month_line_svg
from orchestration.reports.svg import (
    NO_DATA, fmt_int, fmt_money, fmt_pct, heat_colour, is_missing, label_of, num,
)

TREND_MONTHS = 36
NEW_COLOUR = "#38bdf8"
RETURNING_COLOUR = "#2563eb"
REVENUE_COLOUR = "#f59e0b"
LINE_COLOUR = "#2563eb"
AOV_COLOUR = "#10b981"
SCORES = (("churn_probability", "流失概率分布", "模型预测的流失概率：越高越可能不再购买"),
          ("p_alive", "存活概率分布", "BG/NBD 模型估计客户仍“存活”（会再购买）的概率"),
          ("expected_spend_90d", "未来90天预期消费分布", "预期消费按数量级分档；括号内为该档预期消费合计"))
# what makes a segment's trait worth a marketer's look: common in the segment and clearly more
# common than in the whole base (the same defaults for any brand; the mart has every value)
TRAIT_MIN_SHARE = 0.10
TRAIT_MIN_LIFT = 1.2
TRAITS_PER_SEGMENT = 6
SEGMENT_PORTRAITS = 12
# below this many members a share moves by several points per member: the traits still show,
# with a warning
SMALL_SEGMENT = 30


@dataclass(frozen=True)
class Card:
    """One card of the page; templates/portrait_cards.html draws its body by `kind`: chart (the
    SVG, Markup), nodata (the note), heat / rf / segments / channels / traits (a table's rows,
    formatted), no-traits, more (a count)."""
    id: str
    title: str
    kind: str
    body: Any = None
    span: int = 3
    subtitle: str = ""


def chart_card(card_id: str, title: str, chart: Any, *, span: int = 3, subtitle: str = "") -> Card:
    return Card(card_id, title, "chart", chart, span, subtitle)


def note_card(card_id: str, title: str, note: str = NO_DATA, *, span: int = 3, subtitle: str = "") -> Card:
    return Card(card_id, title, "nodata", note, span, subtitle)


def heat_cell(count: float, top: float, tip: str) -> dict[str, str]:
    """A cell of a heat table: the count on a white-to-blue background (darker: more)."""
    background, ink = heat_colour(count / top)
    return {"text": fmt_int(count), "background": background, "ink": ink, "tip": tip}


def _month(value: object) -> str:
    return str(value)[:7]


def _optional(value: object) -> float | None:
    return None if is_missing(value) else num(value)


def monthly_cards(rows: Sequence[dict[str, Any]], months: int = TREND_MONTHS) -> list[Card]:
    """Size of the base, buyers (new and returning), revenue and order value by month."""
    if not rows:
        return [note_card("trend", "月度趋势", span=6)]
    cut = len(rows) > months
    rows = list(rows)[-months:]
    labels = [_month(r["month"]) for r in rows]
    span_note = f"{labels[0]} 至 {labels[-1]}，共 {len(labels)} 个月" + ("（最近的）" if cut else "")
    known = month_line_svg("chart-trend-customers", "客户规模（月末累计）", labels,
                           [_optional(r["customers_known"]) for r in rows], LINE_COLOUR, fmt_int)
    buyers = month_bars_svg("chart-trend-buyers", "月度买家：新买家与老买家", labels,
                            [("新买家", NEW_COLOUR, [num(r["new_buyers"]) for r in rows]),
                             ("老买家", RETURNING_COLOUR, [num(r["returning_buyers"]) for r in rows])], fmt_int)
    revenue = month_bars_svg("chart-trend-revenue", "月度销售额", labels,
                             [("销售额", REVENUE_COLOUR, [num(r["net_amount"]) for r in rows])], fmt_money)
    aov = month_line_svg("chart-trend-aov", "月度客单价", labels,
                         [_optional(r["avg_order_value"]) for r in rows], AOV_COLOUR, fmt_money)
    return [
        chart_card("trend-customers", "客户规模", known, subtitle=f"月末累计已知客户（首次出现于当月及之前）；{span_note}"),
        chart_card("trend-buyers", "月度买家", buyers, subtitle="新买家：首次付款在当月；老买家：之前付过款"),
        chart_card("trend-revenue", "月度销售额", revenue, subtitle="当月订单净额（退款、取消计 0）"),
        chart_card("trend-aov", "月度客单价", aov, subtitle="当月销售额 ÷ 付款订单数"),
    ]


def rf_matrix_card(rows: Sequence[dict[str, Any]]) -> Card:
    """Recency down, frequency across, 5 the best: the top right is the loyal core, the bottom
    right the good customers slipping away, the top left the new ones."""
    title = "R × F 矩阵"
    if not rows:
        return note_card("rf-matrix", title, "暂无已评分客户")
    cells = {(int(num(r["r_score"])), int(num(r["f_score"]))): r for r in rows}
    total = sum(num(r["customers"]) for r in rows) or 1.0
    top = max(num(r["customers"]) for r in rows) or 1.0
    table = []
    for r_score in range(5, 0, -1):
        tds = []
        for f_score in range(1, 6):
            row = cells.get((r_score, f_score))
            count = num(row["customers"]) if row else 0.0
            tip = f"R{r_score} × F{f_score}：{fmt_int(count)} 人（{fmt_pct(count / total)}）"
            if row is not None and not is_missing(row["avg_monetary"]):
                tip += f"，人均消费 {fmt_money(row['avg_monetary'])}"
            tds.append(heat_cell(count, top, tip))
        table.append({"label": f"R{r_score}", "cells": tds})
    return Card("rf-matrix", title, "rf", {"columns": [f"F{f}" for f in range(1, 6)], "rows": table},
                subtitle="已评分客户按最近一次购买（R，5 为最近）与购买频次（F，5 为最多）的分数；颜色越深人数越多")


def score_cards(rows: Sequence[dict[str, Any]]) -> list[Card]:
    by_score: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_score.setdefault(str(r["score"]), []).append(r)
    cards = []
    for key, title, subtitle in SCORES:
        bands = sorted(by_score.get(key, []), key=lambda r: num(r["band"]))
        card_id = f"score-{key.replace('_', '-')}"
        if not bands:
            cards.append(note_card(card_id, title))
            continue
        bars = []
        for r in bands:
            label = label_of(r["band_label"], r["band"])
            note = f"{fmt_int(r['customers'])} · {fmt_pct(num(r['share']))}"
            if key == "expected_spend_90d":
                note += f"（{fmt_money(r['score_total'])}）"
            bars.append(Bar(label, num(r["customers"]), note, f"{label}：{note}"))
        scored = sum(num(r["customers"]) for r in bands)
        cards.append(chart_card(card_id, title, hbar_svg(f"chart-{card_id}", title, bars, HALF_WIDTH),
                                subtitle=f"{subtitle}；有评分的客户 {fmt_int(scored)} 人"))
    return cards


def channel_cards(channels: Sequence[dict[str, Any]], categories: Sequence[dict[str, Any]]) -> list[Card]:
    """Where the revenue comes from (channels) and what it is spent on (categories), over the
    365 days of the store and channel marts."""
    out = []
    if channels:
        bars = [Bar(label_of(None, r["channel"]), num(r["net_amount"]),
                    f"{fmt_money(r['net_amount'])} · {_pct_or_dash(r['revenue_share'])}",
                    f"{label_of(None, r['channel'])}：{fmt_money(r['net_amount'])}") for r in channels]
        out.append(chart_card("channels", "渠道销售额", hbar_svg("chart-channels", "渠道销售额", bars, HALF_WIDTH),
                              subtitle="近365天各渠道订单净额与占比"))
    else:
        out.append(note_card("channels", "渠道销售额"))
    if categories:
        bars = [Bar(label_of(None, r["category"]), num(r["net_amount"]),
                    f"{fmt_money(r['net_amount'])} · {fmt_pct(num(r['share']))}",
                    f"{label_of(None, r['category'])}：{fmt_money(r['net_amount'])}") for r in categories[:15]]
        more = f"（前 15 个，共 {len(categories)} 个）" if len(categories) > 15 else ""
        out.append(chart_card("categories", "品类销售额",
                              hbar_svg("chart-categories", "品类销售额", bars, HALF_WIDTH),
                              subtitle=f"近365天各品类订单净额与占比{more}"))
    else:
        out.append(note_card("categories", "品类销售额"))
    if channels:
        table = [{"channel": label_of(None, r["channel"]), "customers": fmt_int(r["customers"]),
                  "buyers": fmt_int(r["buyers"]), "paid_orders": fmt_int(r["paid_orders"]),
                  "net_amount": fmt_money(r["net_amount"]), "revenue_share": _pct_or_dash(r["revenue_share"]),
                  "avg_order_value": _money_or_dash(r["avg_order_value"]),
                  "repurchase_rate_90d": _pct_or_dash(r["repurchase_rate_90d"]),
                  "top_category": label_of(None, r["top_category"])} for r in channels]
        out.append(Card("channel-table", "渠道对比", "channels", table, span=6,
                        subtitle="近365天；90天复购率：首次付款至少 90 天前的买家中，90 天内在同一渠道再次付款的比例"))
    return out


def _pct_or_dash(value: object) -> str:
    return "—" if is_missing(value) else fmt_pct(num(value))


def _money_or_dash(value: object) -> str:
    return "—" if is_missing(value) else fmt_money(value)


def segment_portrait_cards(rows: Sequence[dict[str, Any]], limit: int = SEGMENT_PORTRAITS) -> list[Card]:
    """Per segment the traits that set it apart from the whole base: values common in the
    segment and clearly more common than among all customers, by lift."""
    segments: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        segments.setdefault(str(r["segment_key"]), []).append(r)
    if not segments:
        return [note_card("segment-portraits", "分群画像", "暂无客户分群", span=6)]
    cards = []
    for i, (key, members) in enumerate(list(segments.items())[:limit]):
        first = members[0]
        traits = [r for r in members if not is_missing(r["value"]) and not is_missing(r["lift"])
                  and num(r["share"]) >= TRAIT_MIN_SHARE and num(r["lift"]) >= TRAIT_MIN_LIFT]
        traits.sort(key=lambda r: (-num(r["lift"]), str(r["dimension"]), str(r["value"])))
        title = f"{label_of(first['name_zh'], key)}（{fmt_int(first['members'])} 人）"
        table = [{"dimension": label_of(r["dimension_name"], r["dimension"]),
                  "value": label_of(r["value_label"], r["value"]), "share": fmt_pct(num(r["share"])),
                  "share_of_all": _pct_or_dash(r["share_of_all_customers"]), "lift": f"×{num(r['lift']):.1f}"}
                 for r in traits[:TRAITS_PER_SEGMENT]]
        small = "；成员较少，占比波动大，仅供参考" if num(first["members"]) < SMALL_SEGMENT else ""
        cards.append(Card(f"segment-portrait-{i + 1}", title, "traits" if table else "no-traits", table,
                          subtitle=f"分群 {key}：与全体客户相比最突出的特征（分群内占比 ≥ {TRAIT_MIN_SHARE:.0%}，"
                                   f"倍数 ≥ {TRAIT_MIN_LIFT:g}）{small}"))
    if len(segments) > limit:
        cards.append(Card("segment-portraits-more", "更多分群", "more", len(segments) - limit, span=6))
    return cards


def overview_stats(overview: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, note) of the whole business's headline figures; none without a row."""
    if not overview:
        return []
    buyers = num(overview.get("buyers"))
    new = num(overview.get("new_buyers"))
    return [
        ("近365天买家", fmt_int(buyers), f"新买家 {fmt_int(new)}（{fmt_pct(new / buyers) if buyers else '—'}）"),
        ("近365天销售额", fmt_money(overview.get("net_amount")), f"付款订单 {fmt_int(overview.get('paid_orders'))}"),
        ("客单价", _money_or_dash(overview.get("avg_order_value")), "销售额 ÷ 付款订单数"),
        ("90天复购率", _pct_or_dash(overview.get("repurchase_rate_90d")),
         f"首单后 90 天内再次付款；样本 {fmt_int(overview.get('repurchase_cohort'))} 人"),
    ]
