"""Customer ids stay stable across runs: the same data changes no id, a merge keeps the older
id, a split (a steward's cannot-link) leaves the id with the larger part, and every change is
in customer_id_history. Three real runs of the whole graph on a hand-written landing folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mini_landing import write_mini_landing
from orchestration.runner import run_job
from orchestration.settings import REPO_ROOT, Settings

CRM_HEADER = "客户编号,姓名,手机,邮箱,性别,生日,省份,城市,公司名称,客户级别,线索来源,负责人,行业,身份证号,地址,邮编,创建时间,更新时间,营销许可"


def crm_row(cid: str, name: str, mobile: str, email: str, created: str) -> str:
    return f"{cid},{name},{mobile},{email},,1985-03-12,浙江,杭州,,A,官网,李销售,,,,,{created},,"


def app_member(mid: str, nickname: str, mobile: str, email: str | None) -> str:
    return json.dumps({"member_id": mid, "nickname": nickname, "mobile": mobile, "email": email,
                       "unionid": None, "register_channel": "APP", "register_time": "2024-01-02T03:04:05+08:00",
                       "city": "杭州", "gender": None, "birthday": None, "address": None}, ensure_ascii=False)


def write_customers(landing: Path, crm: list[str], app: list[str], store: list[str]) -> None:
    (landing / "crm" / "contacts.csv").write_bytes(("\n".join([CRM_HEADER, *crm]) + "\n").encode("gb18030"))
    (landing / "app" / "members.jsonl").write_text("\n".join(app) + "\n", encoding="utf-8")
    (landing / "store" / "members.csv").write_text(
        "card_no|surname|given_name|phone|store_id|store_city|join_date|birthday|address|accept_sms\n"
        + "\n".join(store) + "\n", encoding="utf-8")


BASE_CRM = [
    crm_row("C1", "王小明", "13811472258", "xm@qq.com", "2024-01-01 10:00:00"),
    crm_row("C2", "李丽", "13935084461", "", "2024-01-02 10:00:00"),
    crm_row("C3", "张伟", "13602871139", "", "2024-01-03 10:00:00"),
    crm_row("C5", "孙八", "13800138000", "", "2024-01-04 10:00:00"),   # a blocklisted placeholder
]
BASE_APP = [
    app_member("M1", "小明", "13811472258", None),
    app_member("M2", "乐乐", "13757396620", "ll@163.com"),
    app_member("M3", "伟哥", "13602871139", None),
    app_member("M5", "路人甲", "13800138000", None),
]
BASE_STORE = ["S1|李|丽|13935084461|S001|杭州|2023/01/05|||", "S2|张|伟|136 0287 1139|S001|杭州|2023/02/05|||"]


def ids(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("select record_key, customer_id from marts.customer_source_xref").fetchall())
    finally:
        con.close()


def history(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select run_no, record_key, previous_customer_id, customer_id, change_type "
                           "from marts.customer_id_history order by run_no, record_key").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ids")
    project = root / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    landing = write_mini_landing(root / "landing")
    write_customers(landing, BASE_CRM, BASE_APP, BASE_STORE)
    # an order from a marketplace that has no customer table: its buyer is a customer of its own
    pq.write_table(pa.table({
        "order_id": ["T0000000001"], "customer_system": ["TMALL"], "customer_ref": ["BUYER9"],
        "order_time": ["2026-05-20 10:00:00"], "status": ["paid"], "amount": pa.array([88.0], pa.float64()),
        "channel": ["天猫"], "store_id": pa.array([None], pa.string())}),
        landing / "oms" / "orders" / "orders_marketplace.parquet")
    settings = Settings(landing_dir=landing, warehouse=root / "w.duckdb", dbt_project_dir=project,
                        identity_min_precision=0.0, identity_min_recall=0.0)
    out = {}
    # run 1: three customers of two records or more, and one of one
    assert run_job(settings, dbt_tests=False).success  # the dbt tests: test_pipeline_e2e.py
    out["run1"] = ids(settings.warehouse)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    out["marketplace_order"] = con.execute(
        "select customer_id from marts.fct_orders where order_id = 'T0000000001'").fetchall()
    out["marketplace_customer"] = con.execute(
        "select n_records, source_systems from marts.dim_customer where customer_id = "
        "(select customer_id from marts.customer_source_xref where record_key = 'tmall:BUYER9')").fetchall()
    con.close()
    out["history_after_run1"] = history(settings.warehouse)
    # run 2, two changes at once (a run costs CI a minute): a new CRM record with M2's mobile
    # and C1's e-mail merges {C1, M1} and {M2}; a steward says M3 is not C3: {C3, S2, M3} splits
    write_customers(landing, BASE_CRM + [crm_row("C4", "王小明", "13757396620", "xm@qq.com", "2024-05-01 10:00:00")],
                    BASE_APP, BASE_STORE)
    (project / "seeds" / "identity_cannot_link.csv").write_text(
        "source_system_a,source_record_id_a,source_system_b,source_record_id_b,reason,decided_by\n"
        "crm,C3,app,M3,shared office phone,steward\n", encoding="utf-8")
    assert run_job(settings, dbt_tests=False).success  # the dbt tests: test_pipeline_e2e.py
    out["run2"] = ids(settings.warehouse)
    out["history"] = history(settings.warehouse)
    return out


def test_records_of_one_person_share_an_id(runs):
    r1 = runs["run1"]
    assert r1["crm:C1"] == r1["app:M1"]
    assert r1["crm:C2"] == r1["store:S1"]
    assert r1["crm:C3"] == r1["store:S2"] == r1["app:M3"]
    assert len({r1["crm:C1"], r1["crm:C2"], r1["crm:C3"], r1["app:M2"]}) == 4
    # 13800138000 is in the identity_blocklist seed: it links nobody
    assert r1["crm:C5"] != r1["app:M5"]


def test_the_first_run_records_every_id_as_new(runs):
    # (re-running on the same data changes nothing at all: tests/test_pipeline_e2e.py)
    assert {row[0] for row in runs["history_after_run1"]} == {1}
    assert all(row[4] == "new" for row in runs["history_after_run1"])
    assert len(runs["history_after_run1"]) == len(runs["run1"])


def test_a_merge_keeps_the_older_id(runs):
    r1, r2 = runs["run1"], runs["run2"]
    older = min(r1["crm:C1"], r1["app:M2"])
    assert r2["crm:C1"] == r2["app:M1"] == r2["app:M2"] == r2["crm:C4"] == older
    # nobody else moved (but M3, split off in the same run)
    for key in ("crm:C2", "store:S1", "crm:C3", "store:S2"):
        assert r2[key] == r1[key]
    younger = max(r1["crm:C1"], r1["app:M2"])
    merged = [row for row in runs["history"] if row[0] == 2 and row[4] != "split"]
    moved = [row for row in merged if row[2] == younger]
    assert moved and all(row[3] == older and row[4] == "merged" for row in moved)
    assert any(row[1] == "crm:C4" and row[4] == "new" for row in merged)


def test_a_split_leaves_the_id_with_the_larger_part(runs):
    r1, r2 = runs["run1"], runs["run2"]
    assert r2["crm:C3"] == r2["store:S2"] == r1["crm:C3"]
    assert r2["app:M3"] != r1["app:M3"]
    assert r2["app:M3"] not in set(r1.values())            # a new id, never a reused one
    split = [row for row in runs["history"] if row[4] == "split"]
    assert split == [(2, "app:M3", r1["app:M3"], r2["app:M3"], "split")]


def test_an_orders_only_reference_is_a_customer_of_its_own(runs):
    assert runs["run1"]["tmall:BUYER9"] not in {v for k, v in runs["run1"].items() if k != "tmall:BUYER9"}
    assert runs["marketplace_order"] == [(runs["run1"]["tmall:BUYER9"],)]
    assert runs["marketplace_customer"] == [(1, "tmall")]
