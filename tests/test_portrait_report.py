"""The portrait report is one offline HTML file: every chart is there as inline SVG, data is
escaped, empty inputs degrade to a note, the output is deterministic, and a real headless
Chromium renders it with its script running to the end."""

from __future__ import annotations

import dataclasses
import html
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from browser import find_browser
from orchestration.reports.portrait_html import PortraitData, render_portrait_report

EVIL = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'

RFM = [("important_value", "重要价值", 820, 2_450_000.0), ("important_keep", "重要保持", 410, 980_000.0),
       ("important_develop", "重要发展", 630, 760_000.0), ("important_winback", "重要挽留", 290, 540_000.0),
       ("general_value", "一般价值", 1_150, 420_000.0), ("general_keep", "一般保持", 520, 150_000.0),
       ("general_develop", "一般发展", 1_480, 310_000.0), ("general_winback", "一般挽留", 900, 95_000.0),
       ("not_scored", "未评分", 5_750, 0.0)]
STAGES = [("stranger", "陌生人", 5_200), ("visitor", "访客", 3_100), ("prospect", "潜在客户", 1_800),
          ("customer", "客户", 1_200), ("member", "会员", 520), ("advocate", "推荐者", 130)]
STATES = [("prospect", "潜在"), ("new", "新客"), ("active", "活跃"), ("silent", "沉默"),
          ("sleeping", "沉睡"), ("churned", "流失")]
CITIES = ["上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", "西安", "苏州",
          "重庆", "天津", "长沙", "郑州", "青岛", "宁波", "厦门", "合肥", "济南", "昆明"]
TOTAL = sum(n for _, _, n in STAGES)  # 11,950
# catalogue order (the loader sorts by it), not text order
CITY_TIERS = [("一线", 2_300), ("新一线", 2_900), ("二线", 2_500), ("三线", 1_600), ("其他", 1_200)]
MONTHS = [f"{2022 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}-01" for m in range(7, 31)]  # 2022-07 .. 2024-06


def _new_frames() -> dict:
    """The whole business, its months, the R × F matrix, scores, channels and segment traits."""
    monthly = pd.DataFrame([{"month": m, "customers_known": 6_000 + 250 * i, "ordering_customers": 900 + 10 * i,
                             "buyers": 800 + 10 * i, "new_buyers": 200 + (i % 5) * 10,
                             "returning_buyers": 600 + 10 * i - (i % 5) * 10, "paid_orders": 1_000 + 12 * i,
                             "net_amount": 150_000.0 + 2_000 * i, "avg_order_value": (150_000.0 + 2_000 * i) / (1_000 + 12 * i)}
                            for i, m in enumerate(MONTHS)])
    matrix = pd.DataFrame([{"r_score": r, "f_score": f, "customers": 40 * r + 30 * f, "avg_monetary": 100.0 * r * f}
                           for r in range(1, 6) for f in range(1, 6)])
    scores = []
    for key, name in (("churn_probability", "流失概率"), ("p_alive", "存活概率")):
        counts = [300 + 40 * b for b in range(10)]
        scores += [{"score": key, "score_name": name, "band": b, "band_label": f"{b * 10}–{b * 10 + 10}%",
                    "customers": n, "share": n / sum(counts), "score_total": n * (b + 0.5) / 10}
                   for b, n in enumerate(counts)]
    spend = [("<1", 900), ("1–10", 1_300), ("10–100", 2_100), ("100–1,000", 1_500), ("1,000–10,000", 380)]
    scores += [{"score": "expected_spend_90d", "score_name": "未来90天预期消费", "band": b, "band_label": label,
                "customers": n, "share": n / 6_180, "score_total": n * 10.0 ** b} for b, (label, n) in enumerate(spend)]
    channels = pd.DataFrame([("小程序", 3_100, 2_800, 5_200, 820_000.0, 0.41, 157.7, 0.38, "美妆"),
                             ("门店", 2_600, 2_400, 4_100, 760_000.0, 0.38, 185.4, 0.44, "母婴"),
                             ("APP", 1_400, 1_100, 2_000, 420_000.0, 0.21, 210.0, None, "数码")],
                            columns=["channel", "customers", "buyers", "paid_orders", "net_amount", "revenue_share",
                                     "avg_order_value", "repurchase_rate_90d", "top_category"])
    categories = pd.DataFrame([("美妆", 700_000.0), ("母婴", 650_000.0), ("数码", 450_000.0), ("图书", 200_000.0)],
                              columns=["category", "net_amount"])
    categories["share"] = categories["net_amount"] / categories["net_amount"].sum()
    traits = pd.DataFrame([
        ("high_value_winback", "高价值待挽回", 320, "customer_state", "客户状态", "sleeping", "沉睡", 0.62, 0.09, 6.9),
        ("high_value_winback", "高价值待挽回", 320, "value_class", "价值等级", "A", "A类(贡献前80%收入)", 0.55, 0.10, 5.5),
        ("high_value_winback", "高价值待挽回", 320, "gender", "性别", "F", "女", 0.52, 0.51, 1.02),  # not a trait
        ("high_value_winback", "高价值待挽回", 320, "city", "城市", "厦门", "厦门", 0.05, 0.01, 5.0),  # too rare
        ("double11_coupon", "双11大额券人群", 1_480, "city_tier", "城市等级", "一线", "一线城市", 0.40, 0.19, 2.1),
        ("new_member_care", "新会员关怀", 12, "gender", "性别", "F", "女", 0.5, 0.51, 0.98)],
        columns=["segment_key", "name_zh", "members", "dimension", "dimension_name", "value", "value_label", "share",
                 "share_of_all_customers", "lift"])
    overview = {"scope": "all", "customers": 7_000, "buyers": 6_200, "new_buyers": 1_800, "returning_buyers": 4_400,
                "paid_orders": 11_300, "net_amount": 2_000_000.0, "avg_order_value": 177.0,
                "repurchase_cohort": 5_000, "repurchase_rate_90d": 0.412, "top_category": "美妆"}
    return {"monthly": monthly, "rfm_matrix": matrix, "scores": pd.DataFrame(scores), "channels": channels,
            "categories": categories, "segment_portraits": traits, "overview": overview}


def _distribution(dimension: str, items: list[tuple[object, object, int]]) -> list[dict]:
    return [{"dimension": dimension, "value": v, "value_label": label, "customers": n, "share": n / TOTAL}
            for v, label, n in items]


def _with_unknown(items: list[tuple[object, object, int]]) -> list[tuple[object, object, int]]:
    """The remainder of TOTAL goes to an unknown (None) value, as in a real warehouse."""
    return items + [(None, None, TOTAL - sum(n for _, _, n in items))]


def synthetic_portrait_data() -> PortraitData:
    """Realistic shape and sizes, built by formula so every run is identical."""
    rows: list[dict] = []
    rows += _distribution("city", _with_unknown([(c, c, int(2_400 / (i + 1) ** 0.8)) for i, c in enumerate(CITIES)]))
    provinces = ["上海", "北京", "广东", "浙江", "四川", "江苏", "湖北", "陕西", "重庆", "天津", "湖南", "河南", "山东"]
    rows += _distribution("province", _with_unknown([(p, p, int(2_600 / (i + 1) ** 0.7)) for i, p in enumerate(provinces)]))
    rows += _distribution("gender", _with_unknown([("F", "女", 6_100), ("M", "男", 4_900)]))
    rows += _distribution("age_band", _with_unknown([("18-24", "18-24岁", 1_500), ("25-34", "25-34岁", 4_200),
                                                      ("35-44", "35-44岁", 3_100), ("45+", "45岁以上", 1_700)]))
    rows += _distribution("level", [("VIP", "VIP", 600), ("A", "A级", 2_400), ("B", "B级", 4_800), ("C", "C级", 4_150)])
    rows += _distribution("lead_source", [(s, s, n) for s, n in [("app", 4_100), ("小程序", 3_000), ("门店", 2_500),
                                                                  ("呼叫中心", 900), ("销售", 1_450)]])
    rows += _distribution("industry", _with_unknown([("retail", "零售", 320), ("education", "教育", 210),
                                                      ("manufacturing", "制造", 150)]))
    rows += _distribution("value_class", [("A", "A类(贡献前80%收入)", 1_200), ("B", "B类(80%-95%)", 1_500),
                                          ("C", "C类(其余)", 3_500), ("none", "无收入", 5_750)])
    rows += _distribution("rfm_segment", [(k, label, n) for k, label, n, _ in RFM])
    rows += _distribution("city_tier", _with_unknown([(t, f"{t}城市", n) for t, n in CITY_TIERS]))
    rows += _distribution("churn_risk", [("high", "高风险", 2_100), ("medium", "中风险", 1_900), ("low", "低风险", 2_200),
                                         ("none", "未购买", 5_750)])

    spend = [10_000 / (i + 1) ** 0.9 for i in range(6_200)] + [0.0] * (TOTAL - 6_200)
    total_spend, running, pareto = sum(spend), 0.0, []
    step = TOTAL // 200
    for i, s in enumerate(spend, start=1):
        running += s
        if i % step == 0 or i == TOTAL:
            pareto.append({"customer_share": i / TOTAL, "revenue_share": running / total_spend})

    history = []
    for d, date in enumerate(["2024-04-30", "2024-05-31", "2024-06-30"]):
        counts = [5_750 - 100 * d, 600 + 50 * d, 2_300 + 120 * d, 1_400 - 30 * d, 1_100 + 20 * d, 800 + 40 * d]
        history += [{"as_of_date": date, "state": k, "state_label": label, "customers": n}
                    for (k, label), n in zip(STATES, counts)]

    cross = []  # each RFM row splits its customers over the states, so the table adds up
    for i, (segment, _, n, _) in enumerate(RFM):
        if segment == "not_scored":
            counts = [n, 0, 0, 0, 0, 0]
        else:
            weights = [0] + [6 - abs(j - 1 - i % 4) for j in range(5)]
            counts = [n * w // sum(weights) for w in weights]
            counts[-1] += n - sum(counts)
        cross += [{"dim_a": "rfm_segment", "value_a": segment, "dim_b": "customer_state",
                   "value_b": state, "customers": c} for (state, _), c in zip(STATES, counts)]

    return PortraitData(
        as_of_date="2024-06-30",
        customers=TOTAL,
        generated_at="2024-07-01T02:00:00+08:00",
        distributions=pd.DataFrame(rows),
        lifecycle_funnel=pd.DataFrame(STAGES, columns=["stage", "stage_label", "customers"]),
        rfm_segments=pd.DataFrame(RFM, columns=["segment", "segment_label", "customers", "revenue"]),
        pareto=pd.DataFrame(pareto),
        state_history=pd.DataFrame(history),
        segments=pd.DataFrame([("high_value_winback", "高价值待挽回", 320, 45, 12),
                               ("double11_coupon", "双11大额券人群", 1_480, 210, 95),
                               ("new_member_care", "新会员关怀", 260, 60, 88)],
                              columns=["segment_key", "name_zh", "customers", "entered", "exited"]),
        cross=pd.DataFrame(cross),
        dimension_labels={"city": "城市", "province": "省份", "industry": "行业", "level": "客户等级",
                          "lead_source": "线索来源", "rfm_segment": "RFM分群", "customer_state": "客户状态",
                          "lifecycle_stage": "生命周期", "age_band": "年龄段", "gender": "性别",
                          "value_class": "价值等级"},
        **_new_frames(),
    )


CHARTS = 23  # funnel, RFM, Pareto, state history, city, 8 small dimensions, 4 trends, churn risk,
# 3 scores, channels, categories


class _TagBalance(HTMLParser):
    """A tag-balance check: enough to catch a broken string join without a validator."""

    VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]} at {self.getpos()}")
        else:
            self.stack.pop()


def _balanced(document: str) -> _TagBalance:
    parser = _TagBalance()
    parser.feed(document)
    parser.close()
    return parser


def test_renders_a_complete_offline_html_document():
    out = render_portrait_report(synthetic_portrait_data())
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert '<html lang="zh-CN">' in out and '<meta charset="utf-8">' in out
    parser = _balanced(out)
    assert parser.errors == [] and parser.stack == []
    # offline: no external resources of any kind
    assert "http" not in out and "<link" not in out and "src=" not in out and "@import" not in out
    assert "Noto Sans CJK SC" in out and "Microsoft YaHei" in out
    assert parser.tags.count("script") == 1 and 'document.body.dataset.reportReady = "1"' in out
    assert "2024-07-01T02:00:00+08:00" in out  # footer shows the caller's timestamp


def test_every_chart_and_table_is_present():
    out = render_portrait_report(synthetic_portrait_data())
    assert out.count("<svg") == CHARTS
    assert len(re.findall(r'<svg [^>]*aria-label="[^"]+"[^>]*><title id=', out)) == CHARTS
    for chart_id in ("chart-funnel", "chart-rfm", "chart-pareto", "chart-state-history", "chart-city",
                     "chart-dim-gender", "chart-dim-age_band", "chart-dim-province", "chart-dim-level",
                     "chart-dim-lead_source", "chart-dim-industry", "chart-dim-value_class"):
        assert f'id="{chart_id}"' in out, chart_id
    for heading in ("生命周期漏斗", "RFM 客户分群", "消费帕累托曲线", "客户状态变化", "城市分布（前 15 + 其他）",
                    "省份分布（前 10 + 其他）", "RFM分群 × 客户状态", "客户分群"):
        assert heading in out, heading
    assert '<table class="heat">' in out and '<table class="segments">' in out
    assert "高价值待挽回" in out and "+45" in out


def test_headline_numbers():
    out = render_portrait_report(synthetic_portrait_data())
    assert "11,950" in out and "2024-06-30" in out
    scored = TOTAL - 5_750
    assert f"{scored / TOTAL * 100:.1f}%" in out  # share with a paid order in the RFM window
    assert '<div class="value">3</div>' in out  # three segments
    assert "↓ 59.6%" in out  # visitor / stranger = 3,100 / 5,200
    assert "其他" in out and "未知" in out  # cities past the top 15, and the unknown city


def test_pareto_marks_the_80_percent_point():
    data = dataclasses.replace(synthetic_portrait_data(), pareto=pd.DataFrame(
        {"customer_share": [0.1, 0.2, 0.5, 1.0], "revenue_share": [0.6, 0.8, 0.95, 1.0]}))
    out = render_portrait_report(data)
    assert "前 20% 客户贡献 80% 收入" in out and 'class="pareto-80"' in out
    # interpolated between samples, not snapped to the nearest one
    data = dataclasses.replace(data, pareto=pd.DataFrame({"customer_share": [0.2, 0.4], "revenue_share": [0.6, 1.0]}))
    assert "前 30% 客户贡献 80% 收入" in render_portrait_report(data)


def test_text_from_the_data_is_escaped():
    data = synthetic_portrait_data()
    dist = data.distributions.copy()
    dist.loc[dist.index[0], ["value", "value_label"]] = [EVIL, EVIL]
    segments = data.segments.copy()
    segments.loc[0, "name_zh"] = EVIL
    rfm = data.rfm_segments.copy()
    rfm.loc[0, "segment_label"] = EVIL
    evil = dataclasses.replace(data, distributions=dist, segments=segments, rfm_segments=rfm,
                               as_of_date=EVIL, generated_at=EVIL,
                               dimension_labels={**data.dimension_labels, "gender": EVIL})
    out = render_portrait_report(evil)
    assert EVIL not in out and "<img" not in out and "alert(1)>" not in out
    assert html.escape(EVIL) in out  # in the charts (svg.esc)
    assert out.count("<script") == 1  # only the report's own
    parser = _balanced(out)
    assert parser.errors == [] and parser.stack == []
    # and in the cards, tables and page of the templates (Jinja's autoescaping)
    for element_id in ("segments", "rfm", "dim-gender"):
        assert "&lt;script&gt;alert(" in _section(out, element_id), element_id
    assert "<title>客户画像报告 · &lt;script&gt;" in out


def test_empty_frames_render_no_data_notes():
    empty = PortraitData(as_of_date="2024-06-30", customers=0, generated_at="2024-07-01T02:00:00",
                         distributions=pd.DataFrame(), lifecycle_funnel=pd.DataFrame(), rfm_segments=pd.DataFrame(),
                         pareto=pd.DataFrame(), state_history=pd.DataFrame(), segments=pd.DataFrame(),
                         cross=pd.DataFrame(), dimension_labels={})
    out = render_portrait_report(empty)
    assert out.count("<svg") == 0 and out.count('class="nodata"') >= 12
    assert "暂无数据" in out and "暂无客户分群" in out and "暂无收入数据" in out
    assert _balanced(out).errors == []
    # empty with columns, as a query returning no rows gives them
    data = synthetic_portrait_data()
    no_rows = dataclasses.replace(data, segments=data.segments.iloc[0:0], cross=data.cross.iloc[0:0],
                                  pareto=data.pareto.iloc[0:0])
    out = render_portrait_report(no_rows)
    assert out.count("<svg") == CHARTS - 1 and "暂无客户分群" in out


def test_unknown_values_show_as_weizhi_and_one_snapshot_still_draws():
    data = synthetic_portrait_data()
    one_date = data.state_history[data.state_history["as_of_date"] == "2024-06-30"]
    dist = pd.DataFrame([{"dimension": "gender", "value": None, "value_label": None, "customers": 7, "share": None},
                         {"dimension": "gender", "value": "F", "value_label": "女", "customers": 3, "share": 0.3}])
    out = render_portrait_report(dataclasses.replace(data, state_history=one_date, distributions=dist))
    assert 'id="chart-state-history"' in out and out.count('class="bar state-bar"') == len(STATES)
    assert "未知：7 人" in out and "None" not in out and "nan" not in out


def test_missing_columns_are_named():
    data = dataclasses.replace(synthetic_portrait_data(), rfm_segments=pd.DataFrame({"segment": ["x"]}))
    with pytest.raises(ValueError, match="rfm_segments lacks columns"):
        render_portrait_report(data)


def test_output_is_deterministic():
    first = render_portrait_report(synthetic_portrait_data())
    assert render_portrait_report(synthetic_portrait_data()) == first
    assert render_portrait_report(synthetic_portrait_data()) == render_portrait_report(synthetic_portrait_data())


# --------------------------------------------------------------------------- real browser
BROWSER_TIMEOUT_S = 60


def _browser() -> str:
    return find_browser()


def _headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=3000", *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
                                check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{browser} did not finish within {BROWSER_TIMEOUT_S} s")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _png_summary(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the image data: a blank
    single-colour screenshot has only a handful, a rendered report with anti-aliased text
    and charts has nearly all 256. Stdlib only, so no Pillow is needed."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_chromium_renders_the_report(tmp_path):
    browser = _browser()
    page = tmp_path / "portrait.html"
    page.write_text(render_portrait_report(synthetic_portrait_data()), encoding="utf-8")

    dom = _headless(browser, tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout
    assert re.search(r'<body[^>]*data-report-ready="1"', dom), "the report's script did not run to the end"
    assert dom.count("<svg") == CHARTS
    assert "客户画像报告" in dom and "生命周期漏斗" in dom

    shot = tmp_path / "report.png"
    _headless(browser, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,4000",
              "--hide-scrollbars", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 50_000  # a blank 1280x4000 page is ~23 KB
    width, height, distinct = _png_summary(shot)
    assert (width, height) == (1280, 4000)
    assert distinct > 32, "screenshot is (nearly) a single colour"


# --------------------------------------------------------------------------- the whole business
def _section(document: str, element_id: str) -> str:
    """The markup of one card (from its id to the end of its section element)."""
    start = document.index(f'id="{element_id}"')
    return document[start:document.index("</section>", start)]


def test_trends_scores_channels_and_the_rf_matrix_are_drawn():
    out = render_portrait_report(synthetic_portrait_data())
    for chart_id in ("chart-trend-customers", "chart-trend-buyers", "chart-trend-revenue", "chart-trend-aov",
                     "chart-churn-risk", "chart-score-churn-probability", "chart-score-p-alive",
                     "chart-score-expected-spend-90d", "chart-channels", "chart-categories", "chart-dim-city_tier"):
        assert f'id="{chart_id}"' in out, chart_id
    trend = _section(out, "trend-buyers")
    assert "新买家" in trend and "老买家" in trend
    assert ">2024-06<" in trend  # the newest month is always labelled
    matrix = _section(out, "rf-matrix")
    assert [m for m in re.findall(r'<th scope="row">(R\d)</th>', matrix)] == ["R5", "R4", "R3", "R2", "R1"]
    assert "R5 × F5：350 人" in matrix and "人均消费 ¥2,500" in matrix
    table = _section(out, "channel-table")
    assert "小程序" in table and "44.0%" in table and "—" in table  # APP has no repurchase cohort
    for headline in ("近365天买家", "6,200", "客单价", "¥177", "90天复购率", "41.2%"):
        assert headline in out, headline


def test_segment_portraits_show_the_traits_that_set_a_segment_apart():
    out = render_portrait_report(synthetic_portrait_data())
    first = _section(out, "segment-portrait-1")
    assert "高价值待挽回（320 人）" in first and "×6.9" in first and "×5.5" in first
    assert first.index("×6.9") < first.index("×5.5")  # by lift
    assert "×1.0" not in first and "厦门" not in first  # not more common / too rare to be a trait
    small = _section(out, "segment-portrait-3")
    assert "仅供参考" in small and "没有突出的特征" in small  # 12 members; 0.98 lift


def test_city_tiers_keep_the_catalogue_order():
    chart = _section(render_portrait_report(synthetic_portrait_data()), "dim-city_tier")
    labels = re.findall(r"<tspan [^>]*>([^<]+)</tspan>", chart)
    assert labels == ["一线城市", "新一线城市", "二线城市", "三线城市", "其他城市", "未知"]


def test_long_labels_wrap_and_are_never_cut():
    long_city = "新疆维吾尔自治区伊犁哈萨克自治州奎屯市开发区" * 2
    long_segment = "Customers who bought twice in the Double Eleven week but never since"
    data = synthetic_portrait_data()
    dist = data.distributions.copy()
    dist.loc[dist["dimension"] == "city", "value_label"] = dist.loc[dist["dimension"] == "city", "value_label"].where(
        dist.loc[dist["dimension"] == "city", "value"] != "上海", long_city)
    rfm = data.rfm_segments.copy()
    rfm.loc[0, "segment_label"] = long_segment
    out = render_portrait_report(dataclasses.replace(data, distributions=dist, rfm_segments=rfm))
    assert "…" not in out
    for chart_id, label in (("chart-city", long_city), ("chart-rfm", long_segment)):
        chart = out[out.index(f'id="{chart_id}"'):]
        chart = chart[:chart.index("</svg>")]
        texts = re.findall(r"<text [^>]*>((?:<tspan [^>]*>[^<]*</tspan>)+)</text>", chart)
        joined = ["".join(re.findall(r">([^<]*)</tspan>", t)) for t in texts]
        assert any(j.replace(" ", "") == label.replace(" ", "") for j in joined), (chart_id, joined[:3])
        assert any(t.count("<tspan") > 1 for t in texts), chart_id  # it did wrap
