"""The tag store end to end on hand-built customers whose right answers are worked out below.

Three real runs of the whole asset graph (ingestion, identity, dbt, the Python model tags, the
tag store) on a small landing folder:
  1. warehouse A, as of 2026-03-31 (a past date);
  2. warehouse A, as of 2026-06-30 (the end of the data): history now holds two snapshots;
  3. warehouse C, fresh, as of 2026-06-30, and then
  4. warehouse C as of 2026-03-31: the dates out of order, a backfill into a history that
     already holds a later date (the interval store splits its intervals), which must
     reproduce exactly the 2026-03-31 snapshot kept in A's history and end with A's history,
     current tags and changes.

Ten customers K1..K10 buy weekly with hand-picked recency R (days), frequency F (orders in
365 days) and monetary M (CNY): ten distinct values per dimension score 1 1 2 2 3 3 4 4 5 5
(mean 3.0), so a dimension is high exactly for the top four. K1..K8 take the eight (R, F, M)
patterns; K9 and K10 are low on everything.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mini_landing import write_mini_landing
from orchestration.dbt_runtime import dbt_executable
from orchestration.runner import run_job
from orchestration.settings import REPO_ROOT, Settings

D2 = date(2026, 6, 30)
D1 = date(2026, 3, 31)
CRM_HEADER = "客户编号,姓名,手机,邮箱,性别,生日,省份,城市,公司名称,客户级别,线索来源,负责人,行业,身份证号,地址,邮编,创建时间,更新时间,营销许可"

#        id     name   mobile         R    F   M       segment (as of D2)  state      value class
BUYERS = [
    ("K1", "周杰伦", "13811472258", 1, 10, 1300, "important_value", "active", "A"),
    ("K2", "吴敏慧", "13935084461", 30, 9, 1200, "important_keep", "sleeping", "A"),
    ("K3", "郑浩然", "13602871139", 2, 1, 1100, "important_develop", "new", "A"),
    ("K4", "王芳菲", "13757396620", 60, 2, 1000, "important_winback", "active", "A"),
    ("K5", "冯磊鸣", "15067723318", 3, 8, 60, "general_value", "active", "C"),
    ("K6", "陈静怡", "18658190042", 90, 7, 50, "general_keep", "churned", "C"),
    ("K7", "褚强国", "13566124487", 4, 3, 40, "general_develop", "new", "C"),
    ("K8", "卫娜娜", "15988417736", 120, 4, 30, "general_winback", "churned", "C"),
    ("K9", "蒋涛声", "13867415529", 150, 5, 20, "general_winback", "churned", "C"),
    ("K10", "沈丽华", "18757163390", 180, 6, 10, "general_winback", "churned", "C"),
]
# Why those states (defaults: new < 30 days since the first order; own cycle needs 2 gaps;
# active <= 1.5 cycles, silent <= 3, sleeping <= 6, else churned):
#   K1 weekly, last 1 day ago: 1/7 -> active;   K2 weekly, 30 days: 4.3 cycles -> sleeping
#   K3 one order 2 days ago -> new;             K4 two orders (one gap: default cycle 60), 60 days: 1.0 -> active
#   K5 3/7 -> active;  K6 90/7 -> churned;      K7 three orders, first 18 days ago -> new
#   K8..K10 >= 120/7 -> churned
# Value class: revenue 1300+1200+1100+1000 = 4600 of 4810; K5 has 4600/4810 = 0.956 above it -> C.


def crm_row(cid: str, name: str, mobile: str, birthday: str) -> str:
    return f"{cid},{name},{mobile},,,{birthday},浙江,杭州,,A,官网,李销售,,,,,2024-01-01 10:00:00,,"


def _orders() -> tuple[pa.Table, pa.Table]:
    rows = []
    for cid, _name, _mobile, r, f, m, *_ in BUYERS:
        cents = [m * 100 // f] * f
        cents[0] += m * 100 - sum(cents)  # exact total
        for k in range(f):
            day = D2 - timedelta(days=r + 7 * k)
            rows.append((f"O{cid}{k:03d}", "CRM", cid, f"{day} 10:00:00", "paid", cents[k] / 100, "电话销售"))
    rows.append(("OK5REFUND", "CRM", "K5", f"{D2 - timedelta(days=5)} 11:00:00", "refunded", 25.0, "电话销售"))
    rows.append(("OK12OLD", "CRM", "K12", f"{D2 - timedelta(days=700)} 10:00:00", "paid", 500.0, "电话销售"))
    cols = list(zip(*rows))
    orders = pa.table({"order_id": cols[0], "customer_system": cols[1], "customer_ref": cols[2],
                       "order_time": cols[3], "status": cols[4], "amount": pa.array(cols[5], pa.float64()),
                       "channel": cols[6], "store_id": pa.array([None] * len(rows), pa.string())})
    items = pa.table({"order_id": ["OK1000"], "line_no": pa.array([1], pa.int64()), "sku": ["SKU00001"],
                      "category": ["图书"], "qty": pa.array([1], pa.int64()),
                      "unit_price": pa.array([130.0], pa.float64())})
    return orders, items


def _events() -> list[dict]:
    events = []
    # K0, an app member without contact, logs in weekly from mid-2024: the data has no gaps
    day = date(2024, 7, 1)
    days = []
    while day < D2:
        days.append(day)
        day += timedelta(days=7)
    for n, day in enumerate(days + [D2]):  # ... and on the last day, which ends the data
        events.append({"event_id": f"EV{n:05d}", "member_id": "M0", "device_id": "d0", "event": "login",
                       "ts": f"{day}T09:00:00.000+08:00", "sku": None, "category": None})
    for k, days in enumerate((2, 5, 20)):  # K1 (app member M1) viewed three times in the last 30 days
        events.append({"event_id": f"EVV{k}", "member_id": "M1", "device_id": "d1", "event": "view",
                       "ts": f"{D2 - timedelta(days=days)}T20:00:00.000+08:00", "sku": "SKU00001", "category": "图书"})
    events.append({"event_id": "EVR1", "member_id": "M2", "device_id": "d2", "event": "referral",
                   "ts": f"{D2 - timedelta(days=10)}T20:00:00.000+08:00", "sku": None, "category": None})
    return events


def _member(mid: str, nickname: str, mobile: str | None) -> str:
    return json.dumps({"member_id": mid, "nickname": nickname, "mobile": mobile, "email": None,
                       "unionid": None, "register_channel": "APP", "register_time": "2024-01-02T03:04:05+08:00",
                       "city": "杭州", "gender": None, "birthday": None, "address": None}, ensure_ascii=False)


def write_landing(root: Path) -> Path:
    landing = write_mini_landing(root / "landing")
    crm = [crm_row(cid, name, mobile, f"19{80 + i}-0{1 + i % 9}-1{i % 10}")
           for i, (cid, name, mobile, *_) in enumerate(BUYERS)]
    crm += [crm_row("K11", "韩梅梅", "13700112233", "1990-01-01"),   # contact, never bought
            crm_row("K12", "杨帆远", "13700445566", "1991-02-02"),   # bought once, 700 days ago
            crm_row("K13", "朱婷婷", "", "1992-03-03")]              # nothing but a name
    (landing / "crm" / "contacts.csv").write_bytes(("\n".join([CRM_HEADER, *crm]) + "\n").encode("gb18030"))
    (landing / "app" / "members.jsonl").write_text("\n".join([
        _member("M0", "游客小王", None), _member("M1", "周杰伦", "13811472258"),
        _member("M2", "吴敏慧", "13935084461")]) + "\n", encoding="utf-8")
    (landing / "app" / "family_relations.csv").write_text("family_id,member_id,role\n", encoding="utf-8")
    (landing / "app" / "events" / "month=2026-06" / "events.jsonl").write_text(
        "\n".join(json.dumps(e, ensure_ascii=False) for e in _events()) + "\n", encoding="utf-8")
    (landing / "store" / "members.csv").write_text("card_no|name|phone|store_id|store_city|join_date\n",
                                                   encoding="utf-8")
    (landing / "ent" / "contacts.csv").write_text(
        "contact_id,account_code,name,mobile,email,title,created_at\n", encoding="utf-8")
    orders, items = _orders()
    pq.write_table(orders, landing / "oms" / "orders" / "orders_2026.parquet")
    pq.write_table(items, landing / "oms" / "order_items" / "order_items_2026.parquet")
    return landing


def _rows(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("tags")
    project = root / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    landing = write_landing(root)
    base = Settings(landing_dir=landing, dbt_project_dir=project,
                    identity_min_precision=0.0, identity_min_recall=0.0)
    a = base.with_overrides(warehouse=root / "a" / "w.duckdb")
    c = base.with_overrides(warehouse=root / "c" / "w.duckdb")
    outcomes = {}
    # the dbt tests run on a2, the store with two snapshots (history, changes), and on c1, the
    # store after an out-of-order backfill; the model-tag checks run on all
    for label, settings, as_of in (("a1", a, D1), ("a2", a, D2), ("c2", c, D2), ("c1", c, D1)):
        outcome = run_job(settings.with_overrides(as_of=as_of), log_level="WARNING",
                          dbt_tests=label in ("a2", "c1"))
        assert outcome.success, outcome.render()
        outcomes[label] = outcome
    ids = dict(_rows(a.warehouse, "select source_record_id, customer_id from marts.customer_source_xref "
                                  "where source_system in ('crm', 'app')"))
    return {"a": a.warehouse, "c": c.warehouse, "ids": ids, "outcomes": outcomes,
            "project": project, "root": root}


def tags_of(store, record: str, keys: list[str], as_of: date = D2) -> dict[str, str | None]:
    rows = _rows(store["a"], "select tag_key, value from marts.customer_tag_history "
                             "where customer_id = ? and as_of_date = ? and tag_key in (select unnest(?))",
                 [store["ids"][record], as_of, keys])
    return dict(rows)


def test_the_eight_segments_states_and_value_classes_of_the_buyers(store):
    for cid, *_rest, segment, state, value_class in BUYERS:
        got = tags_of(store, cid, ["rfm_segment", "customer_state", "value_class"])
        assert got == {"rfm_segment": segment, "customer_state": state, "value_class": value_class}, cid


def test_rfm_inputs_explain_the_segment(store):
    rows = _rows(store["a"], "select inputs from marts.customer_tags where customer_id = ? and tag_key = 'rfm_segment'",
                 [store["ids"]["K2"]])
    inputs = json.loads(rows[0][0])
    assert (inputs["recency_days"], inputs["frequency"], inputs["monetary"]) == (30, 9, 1200.0)
    assert (inputs["r_high"], inputs["f_high"], inputs["m_high"]) == (False, True, True)
    assert inputs["r_threshold"] == inputs["f_threshold"] == inputs["m_threshold"] == 3.0
    thresholds = _rows(store["a"], "select dimension, threshold, n_scored from marts.rfm_threshold_history "
                                   "where as_of_date = ? order by dimension", [D2])
    assert thresholds == [("F", 3.0, 10), ("M", 3.0, 10), ("R", 3.0, 10)]


def test_fact_tags_of_a_buyer(store):
    got = tags_of(store, "K1", ["paid_orders_total", "paid_orders_30d", "net_amount_total", "avg_order_value",
                                "first_order_date", "last_order_date", "days_since_last_order",
                                "top_category", "preferred_channel", "views_30d", "city_tier"])
    assert got == {"paid_orders_total": "10", "paid_orders_30d": "5", "net_amount_total": "1300.00",
                   "avg_order_value": "130.00", "first_order_date": str(D2 - timedelta(days=64)),
                   "last_order_date": str(D2 - timedelta(days=1)), "days_since_last_order": "1",
                   "top_category": "图书", "preferred_channel": "电话销售", "views_30d": "3",
                   "city_tier": "新一线"}
    assert tags_of(store, "K5", ["refund_ratio", "paid_orders_total"]) == {
        "refund_ratio": str(round(25 / 85, 4)), "paid_orders_total": "8"}


def test_customers_without_orders_follow_the_documented_rule(store):
    got = tags_of(store, "K11", ["paid_orders_total", "net_amount_total", "avg_order_value", "last_order_date",
                                 "days_since_last_order", "rfm_segment", "customer_state", "lifecycle_stage",
                                 "value_class", "loyalty_score"])
    assert got == {"paid_orders_total": "0", "net_amount_total": "0.00", "avg_order_value": None,
                   "last_order_date": None, "days_since_last_order": None, "rfm_segment": "not_scored",
                   "customer_state": "prospect", "lifecycle_stage": "prospect", "value_class": "none",
                   "loyalty_score": "0.0"}
    old = _rows(store["a"], "select value, inputs from marts.customer_tags where customer_id = ? "
                            "and tag_key = 'rfm_segment'", [store["ids"]["K12"]])[0]
    assert old[0] == "not_scored" and json.loads(old[1])["status"] == "not scored: no paid order in the last 365 days"
    assert tags_of(store, "K12", ["customer_state"]) == {"customer_state": "churned"}


def test_lifecycle_stages(store):
    expected = {"K1": "member", "K2": "advocate", "K3": "customer", "K11": "prospect", "K13": "stranger",
                "M0": "visitor"}
    got = {rec: tags_of(store, rec, ["lifecycle_stage"])["lifecycle_stage"] for rec in expected}
    assert got == expected


def test_loyalty_of_a_weekly_buyer(store):
    # K1 buys on days 1, 8, ..., 64 before D2: periods 0, 1 and 2 (of 12 x 30 days) are active
    weights = [0.9 ** i for i in range(12)]
    expected = round(100 * sum(weights[:3]) / sum(weights), 2)
    assert float(tags_of(store, "K1", ["loyalty_score"])["loyalty_score"]) == expected


def test_a_past_date_sees_only_its_past(store):
    # on 2026-03-31 K3 (first order 2026-06-28) had not bought: a prospect, not scored
    got = tags_of(store, "K3", ["customer_state", "rfm_segment", "paid_orders_total"], as_of=D1)
    assert got == {"customer_state": "prospect", "rfm_segment": "not_scored", "paid_orders_total": "0"}


def test_history_keeps_both_snapshots_and_current_tags_are_the_newest(store):
    snapshots = _rows(store["a"], "select as_of_date, count(distinct customer_id), count(*) "
                                  "from marts.customer_tag_history group by 1 order by 1")
    n_tags = _rows(store["a"], "select count(*) from marts.tag_definitions")[0][0]
    assert [s[0] for s in snapshots] == [D1, D2]
    assert all(n_rows == n_customers * n_tags for _, n_customers, n_rows in snapshots)
    assert _rows(store["a"], "select distinct as_of_date from marts.customer_tags") == [(D2,)]
    assert _rows(store["a"], "select distinct as_of_date from marts.customer_360") == [(D2,)]


def test_a_backfill_reproduces_the_history_snapshot(store):
    cols = "as_of_date, customer_id, tag_key, value, value_label, numeric_value, rule_version, inputs"
    in_history = _rows(store["a"], f"select {cols} from marts.customer_tag_history where as_of_date = ? "
                                   "order by all", [D1])
    backfilled = _rows(store["c"], f"select {cols} from marts.customer_tag_history where as_of_date = ? "
                                   "order by all", [D1])
    assert len(in_history) > 0 and backfilled == in_history


def test_the_dbt_unit_tests_pass(store):
    """dbt's unit tests (the interval store's merge, the entered / exited changes) on fixed
    rows: a run leaves them out (assets/dbt.py BUILD), so they run here, on a built warehouse
    (dbt reads the columns of a model's inputs and of an incremental model from it)."""
    profiles = next(store["a"].parent.glob(".huaxiang/*/dbt_profile"))
    done = subprocess.run([dbt_executable(), "test", "--select", "test_type:unit", "--project-dir", str(store["project"]),
                           "--profiles-dir", str(profiles), "--target-path", str(store["root"] / "unit_target"),
                           "--vars", json.dumps({"as_of_date": D2.isoformat()})],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = re.search(r"PASS=(\d+) ", done.stdout)
    assert passed and int(passed.group(1)) >= 7 and "ERROR=0" in done.stdout, done.stdout[-2000:]


def test_dates_run_out_of_order_give_the_same_history(store):
    """C ran the later date first: its history, current tags and changes equal A's, and its
    store holds each value once per run of equal snapshots, not once per snapshot."""
    cols = "as_of_date, customer_id, tag_key, value, value_label, numeric_value, rule_version, inputs"
    for table, columns in (("customer_tag_history", cols), ("customer_tags", cols),
                           ("tag_changes", "*"), ("customer_360", "*")):
        a = _rows(store["a"], f"select {columns} from marts.{table} order by all")
        c = _rows(store["c"], f"select {columns} from marts.{table} order by all")
        assert len(a) > 0 and a == c, table
    history = _rows(store["a"], "select count(*) from marts.customer_tag_history")[0][0]
    stored = _rows(store["c"], "select count(*) from marts.customer_tag_intervals")[0][0]
    assert stored < history
    assert _rows(store["c"], "select count(*) from marts.customer_tag_intervals where valid_to = valid_from") == [(0,)]


def test_tag_changes_between_snapshots(store):
    k3 = store["ids"]["K3"]
    changes = _rows(store["a"], "select tag_key, change, value from marts.tag_changes "
                                "where customer_id = ? and tag_key in ('customer_state', 'rfm_segment') order by all", [k3])
    assert changes == [("customer_state", "entered", "new"), ("customer_state", "exited", "prospect"),
                       ("rfm_segment", "entered", "important_develop"), ("rfm_segment", "exited", "not_scored")]
    assert _rows(store["a"], "select distinct as_of_date, previous_as_of_date from marts.tag_changes") == [(D2, D1)]


def test_the_tag_catalogue_and_the_360_view(store):
    defs = _rows(store["a"], "select layer, count(*), count(distinct rule_version) from marts.tag_definitions "
                             "group by 1 order by 1")
    assert defs == [("fact", 32, 32), ("model", 8, 8), ("predictive", 8, 8), ("rule", 3, 3)]
    row = _rows(store["a"], "select rfm_segment, rfm_segment_name, customer_state_name, mobile_masked, "
                            "paid_orders_total, net_amount_total from marts.customer_360 where customer_id = ?",
                [store["ids"]["K1"]])[0]
    assert row[:4] == ("important_value", "重要价值", "活跃", "138****2258")
    assert row[4] == 10 and float(row[5]) == 1300.0


def test_segment_changes_are_the_difference_of_consecutive_snapshots(store):
    """Members on D1 and D2 (the run and its backfill), and entered / exited between them."""
    members = {(d, k, c) for d, k, c in _rows(store["a"], "select as_of_date, segment_key, customer_id "
                                                          "from marts.segment_members")}
    assert {d for d, _, _ in members} == {D1, D2}
    changes = set(_rows(store["a"], "select segment_key, customer_id, change from marts.segment_changes "
                                    "where as_of_date = ? and previous_as_of_date = ?", [D2, D1]))
    before = {(k, c) for d, k, c in members if d == D1}
    after = {(k, c) for d, k, c in members if d == D2}
    assert changes == {(k, c, "entered") for k, c in after - before} | {(k, c, "exited") for k, c in before - after}
    assert changes  # buyers appear between the two dates
    rule_changes = _rows(store["a"], "select count(*) from marts.tag_changes where tag_key = 'spend_band'")
    assert rule_changes[0][0] > 0


def test_model_tag_checks_ran_and_passed(store):
    outcome = store["outcomes"]["a2"]
    assert not outcome.failed_checks
    assert outcome.tags and outcome.tags["as_of_date"] == str(D2)


def test_a_distribution_jump_fails_the_distribution_check(store):
    # on 2026-03-31 nearly everyone was a prospect; on 2026-06-30 most are buyers: far beyond
    # the 0.25 bound. A first snapshot (a1, and c2 in a fresh warehouse) has nothing to compare with.
    warned = store["outcomes"]["a2"].warned_checks
    assert any(w.startswith("model_tags/customer_state:distribution") and "since 2026-03-31" in w
               for w in warned), warned
    for first in ("a1", "c2"):
        assert not [w for w in store["outcomes"][first].warned_checks if ":distribution" in w]
