"""The store and channel portraits (macros/portraits/outlets.sql) on a fixture small enough to
count by hand: every figure below is worked out in the comments from the rows, not from the
SQL. The marts run the same macros over fct_orders, fct_customer_events and customer_360."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from dbt_inline import dbt_show

AS_OF = "2026-06-30"
# order lines: order_id, customer_id, order_date, is_paid, net_amount, channel, store_id, category
ORDERS = [
    ("o1", "c1", "2026-01-10", True, 100, "门店", "S1", "数码"),
    ("o2", "c1", "2026-02-20", True, 50, "门店", "S1", "图书"),     # c1 again 41 days later
    ("o3", "c3", "2024-12-01", True, 40, "门店", "S1", "数码"),     # before the 365 days
    ("o4", "c3", "2026-06-01", True, 30, "门店", "S1", "数码"),
    ("o5", "c4", "2026-05-01", False, 0, "门店", "S1", "玩具"),     # refunded
    ("o6", "c1", "2026-06-30", True, 200, "门店", "S2", "美妆"),
    ("o7", "c2", "2026-04-10", True, 50, "APP", None, "图书"),      # two lines
    ("o7", "c2", "2026-04-10", True, 30, "APP", None, "数码"),
    ("o8", None, "2026-05-05", True, 20, "APP", None, "食品"),      # no resolved customer
    ("o9", "c1", "2026-07-05", True, 999, "门店", "S1", "数码"),    # after the as-of date
]
# events: event_type, event_date, customer_id, store_id
EVENTS = [
    ("store_visit", "2026-01-10", "c1", "S1"),
    ("store_visit", "2026-03-01", "c2", "S1"),
    ("store_visit", "2026-03-05", "c2", "S1"),
    ("store_visit", "2026-06-01", "c3", "S1"),
    ("store_visit", "2026-04-01", None, "S1"),     # anonymous
    ("store_visit", "2026-06-30", "c1", "S2"),
    ("view", "2026-06-30", "c1", None),            # not a visit
    ("store_visit", "2026-07-01", "c2", "S1"),     # after the as-of date
]
CUSTOMERS = [("c1", "important_value", "active"), ("c2", "not_scored", "potential"),
             ("c3", "general_keep", "active"), ("c4", "general_winback", "churned")]


@pytest.fixture(scope="module")
def fixture_warehouse(dbt_scratch):
    path = dbt_scratch  # shared: the other tests on it run macros on literals and read no table
    con = duckdb.connect(str(path))
    con.execute("create or replace table orders (order_id varchar, customer_id varchar, order_date date, is_paid boolean, "
                "net_amount decimal(18,2), channel varchar, store_id varchar, category varchar)")
    con.executemany("insert into orders values (?, ?, ?, ?, ?, ?, ?, ?)", ORDERS)
    con.execute("create or replace table events (event_type varchar, event_date date, customer_id varchar, store_id varchar)")
    con.executemany("insert into events values (?, ?, ?, ?)", EVENTS)
    con.execute("create or replace table customers (customer_id varchar, as_of_date date, rfm_segment varchar, customer_state varchar)")
    con.executemany(f"insert into customers values (?, date '{AS_OF}', ?, ?)", CUSTOMERS)
    con.execute("create or replace table labels (tag_key varchar, value varchar, value_label varchar)")
    con.execute("insert into labels values ('customer_state', 'active', '活跃'), ('rfm_segment', 'important_value', '重要价值')")
    con.close()
    return path


CALLS = {
    "store": "{{ outlet_portrait('activity', 'main.orders', 'main.customers', 'store') }}",
    "channel": "{{ outlet_portrait('activity', 'main.orders', 'main.customers', 'channel') }}",
    "store_mix": "{{ outlet_mix('activity', 'main.orders', 'main.customers', 'main.labels', 'store') }}",
    "store_monthly": "{{ outlet_monthly('activity', 'main.customers', 'store') }}",
    "all": "{{ outlet_portrait(whole_business_activity('activity'), 'main.orders', 'main.customers', 'all') }}",
    "all_monthly": "{{ outlet_monthly(whole_business_activity('activity'), 'main.customers', 'all') }}",
}


@pytest.fixture(scope="module")
def results(fixture_warehouse) -> dict[str, list[dict]]:
    """Every macro's rows from one `dbt show` (each row as JSON: the four results differ in shape)."""
    parts = " union all ".join(f"select '{name}' as part, to_json(r)::varchar as row from ({call}) as r"
                               for name, call in CALLS.items())
    sql = "with activity as ({{ outlet_activity('main.orders', 'main.events') }}) " + parts
    out: dict[str, list[dict]] = {name: [] for name in CALLS}
    for row in dbt_show(sql, fixture_warehouse):
        out[row["part"]].append(json.loads(row["row"]))
    return out


def _by(rows, key):
    return {r[key]: r for r in rows}


def _num(value):
    return None if value is None else float(Decimal(str(value)))


def test_store_portrait(results):
    s = _by(results["store"], "store_id")
    assert set(s) == {"S1", "S2"}
    s1 = s["S1"]
    # S1 in the 365 days: c1 (visit, o1, o2), c2 (two visits), c3 (visit, o4), c4 (refunded o5)
    assert s1["customers"] == 4 and s1["visitors"] == 3
    assert s1["visits"] == 5                                  # 1 + 2 + 1 + the anonymous one
    assert s1["buyers"] == 2 and s1["visitor_buyers"] == 2    # c1, c3
    assert s1["visit_conversion"] == pytest.approx(2 / 3)
    assert s1["new_buyers"] == 1 and s1["returning_buyers"] == 1  # c1 new; c3 paid here in 2024
    assert s1["paid_orders"] == 3 and _num(s1["net_amount"]) == 180.0  # o1, o2, o4
    assert s1["avg_order_value"] == pytest.approx(60.0)
    # cohort: c1 (first paid in the window 2026-01-10, 171 days before); c3's is 29 days before
    assert s1["repurchase_cohort"] == 1 and s1["repurchase_rate_90d"] == pytest.approx(1.0)
    assert s1["top_category"] == "数码"                       # 100 + 30 against 图书 50
    assert s1["revenue_share"] == pytest.approx(180 / 380)
    s2 = s["S2"]
    assert (s2["customers"], s2["visitors"], s2["visits"], s2["buyers"], s2["new_buyers"]) == (1, 1, 1, 1, 1)
    assert s2["visit_conversion"] == pytest.approx(1.0) and _num(s2["net_amount"]) == 200.0
    assert s2["repurchase_cohort"] == 0 and s2["repurchase_rate_90d"] is None
    assert s2["as_of_date"] == AS_OF


def test_channel_portrait(results):
    c = _by(results["channel"], "channel")
    assert set(c) == {"门店", "APP"} and "visitors" not in c["APP"]
    store = c["门店"]
    # o1, o2, o4, o5, o6 in the window: c1, c3, c4; buyers c1, c3 (c3 returning since 2024)
    assert (store["customers"], store["buyers"], store["new_buyers"], store["returning_buyers"]) == (3, 2, 1, 1)
    assert store["paid_orders"] == 4 and _num(store["net_amount"]) == 380.0
    assert store["avg_order_value"] == pytest.approx(95.0) and store["top_category"] == "美妆"
    assert store["repurchase_cohort"] == 1 and store["repurchase_rate_90d"] == pytest.approx(1.0)
    app = c["APP"]
    # o7 (c2, two lines, one order) and o8 (no customer): 2 paid orders, 1 buyer
    assert (app["customers"], app["buyers"], app["new_buyers"], app["paid_orders"]) == (1, 1, 1, 2)
    assert _num(app["net_amount"]) == 100.0 and app["avg_order_value"] == pytest.approx(50.0)
    assert app["repurchase_cohort"] == 0 and app["top_category"] == "图书"   # 50 against 30 and 20
    assert app["revenue_share"] == pytest.approx(100 / 480)


def test_store_mix(results):
    rows = results["store_mix"]
    s1 = {(r["dimension"], r["value"]): r for r in rows if r["store_id"] == "S1"}
    # S1's customers c1..c4 by state: active c1, c3; potential c2; churned c4
    assert s1[("customer_state", "active")]["customers"] == 2
    assert s1[("customer_state", "active")]["share"] == pytest.approx(0.5)
    assert s1[("customer_state", "active")]["value_label"] == "活跃"
    assert s1[("customer_state", "churned")]["value_label"] == "churned"   # no label: the value
    assert s1[("rfm_segment", "important_value")]["value_label"] == "重要价值"
    # revenue by category: 数码 100 + 30 (c1, c3), 图书 50 (c1); the refunded 玩具 is not paid
    assert _num(s1[("category", "数码")]["net_amount"]) == 130.0 and s1[("category", "数码")]["customers"] == 2
    assert s1[("category", "数码")]["share"] == pytest.approx(130 / 180)
    assert ("category", "玩具") not in s1
    for dim in ("customer_state", "rfm_segment", "category"):
        assert sum(r["share"] for (d, _), r in s1.items() if d == dim) == pytest.approx(1.0)


def test_store_monthly(results):
    rows = results["store_monthly"]
    s1 = {r["month"]: r for r in rows if r["store_id"] == "S1"}
    assert sorted(s1) == ["2024-12-01", "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01",
                          "2026-05-01", "2026-06-01"]                   # nothing after the as-of date
    jan, feb, mar, apr, may, jun = (s1[f"2026-0{m}-01"] for m in range(1, 7))
    assert (jan["customers"], jan["visitors"], jan["buyers"], jan["new_buyers"], jan["paid_orders"]) == (1, 1, 1, 1, 1)
    assert (feb["visitors"], feb["buyers"], feb["new_buyers"]) == (0, 1, 0) and feb["visit_conversion"] is None
    assert (mar["visitors"], mar["visits"], mar["buyers"], mar["visit_conversion"]) == (1, 2, 0, 0.0)
    assert (apr["customers"], apr["visits"]) == (0, 1)                 # the anonymous visit
    assert (may["customers"], may["buyers"], may["paid_orders"], _num(may["net_amount"])) == (1, 0, 0, 0.0)
    assert (jun["buyers"], jun["new_buyers"], _num(jun["net_amount"])) == (1, 0, 30.0)  # c3 returns
    assert s1["2024-12-01"]["new_buyers"] == 1


def test_whole_business(results):
    """portrait_overview: every order once (the channel rows), store visits left out."""
    [row] = results["all"]
    assert row["scope"] == "all" and "visitors" not in row
    # orders in the 365 days: o1 o2 o6 (c1), o4 (c3), o5 (c4, refunded), o7 (c2), o8 (no customer)
    assert (row["customers"], row["buyers"]) == (4, 3)                    # c4 only refunded
    assert (row["new_buyers"], row["returning_buyers"]) == (2, 1)        # c1, c2 new; c3 paid in 2024
    assert row["paid_orders"] == 6 and _num(row["net_amount"]) == 480.0  # 100+50+30+200+80+20
    assert row["avg_order_value"] == pytest.approx(80.0) and row["revenue_share"] == pytest.approx(1.0)
    # cohort: only c1's first paid order in the window (2026-01-10) is 90+ days old; o2 41 days later
    assert row["repurchase_cohort"] == 1 and row["repurchase_rate_90d"] == pytest.approx(1.0)
    assert row["top_category"] == "美妆"                                  # 200 against 数码 100+30+30


def test_whole_business_monthly(results):
    m = {r["month"]: r for r in results["all_monthly"]}
    # no 2026-03 row: that month had store visits only; nothing after the as-of date
    assert sorted(m) == ["2024-12-01", "2026-01-01", "2026-02-01", "2026-04-01", "2026-05-01", "2026-06-01"]
    assert (m["2024-12-01"]["buyers"], m["2024-12-01"]["new_buyers"], _num(m["2024-12-01"]["net_amount"])) == (1, 1, 40.0)
    assert (m["2026-02-01"]["buyers"], m["2026-02-01"]["new_buyers"]) == (1, 0)          # c1's second order
    assert (m["2026-04-01"]["new_buyers"], _num(m["2026-04-01"]["net_amount"])) == (1, 80.0)
    may = m["2026-05-01"]   # c4's refunded order and o8 without a customer
    assert (may["customers"], may["buyers"], may["paid_orders"], _num(may["net_amount"])) == (1, 0, 1, 20.0)
    jun = m["2026-06-01"]
    assert (jun["customers"], jun["buyers"], jun["new_buyers"], jun["paid_orders"]) == (2, 2, 0, 2)
    assert jun["avg_order_value"] == pytest.approx(115.0)
