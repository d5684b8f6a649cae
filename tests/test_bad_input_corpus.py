"""A corpus of bad input files beside good ones, through one whole run (issue 17).

Each bad file stands for what arrives from systems nobody controls: amounts written as
exponents or with separators, a Parquet file with damaged pages, an empty and a truncated one,
a 3.5-million-character name, a birthday of 9999-12-31, control and direction-override
characters in names, epoch timestamps, broken JSON and CSV lines. The run must finish; every
file must balance (read = loaded + rejected, or be rejected with its rows unknown); the good
files' rows must all be kept as they are; every rejection names the file, the row and why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mini_landing import CRM_HEADER, write_mini_landing
from orchestration.runner import run_job
from orchestration.settings import REPO_ROOT, Settings

BAD_AMOUNTS = {"B1": "1e20", "B2": "1e309", "B3": "1,234.50", "B4": "¥100", "B5": "12,34", "B6": "CNY 8"}
GOOD_FILES = {"oms/orders/orders_2026.parquet": 7, "oms/order_items/order_items_2026.parquet": 6,
              "app/events/month=2026-06/events.jsonl": 3,
              "ent/accounts.csv": 1, "ent/contacts.csv": 1, "app/family_relations.csv": 3}


def write_corpus(landing: Path) -> None:
    orders = landing / "oms" / "orders"
    ids = list(BAD_AMOUNTS)
    pq.write_table(pa.table({
        "order_id": ids, "customer_system": ["APP"] * len(ids), "customer_ref": ["M00000001"] * len(ids),
        "order_time": ["2026-05-10 10:00:00"] * len(ids), "status": ["paid"] * len(ids),
        "amount": list(BAD_AMOUNTS.values()), "channel": ["APP"] * len(ids), "store_id": [None] * len(ids)}),
        orders / "amounts.parquet")
    good = (orders / "orders_2026.parquet").read_bytes()
    (orders / "empty.parquet").write_bytes(b"")
    (orders / "truncated.parquet").write_bytes(good[: len(good) // 2])
    pq.write_table(pa.table({"order_id": [f"D{i}" for i in range(3000)],
                             "customer_system": ["APP"] * 3000, "customer_ref": ["M00000001"] * 3000,
                             "order_time": ["2026-05-10 10:00:00"] * 3000, "status": ["paid"] * 3000,
                             "amount": [f"{i}.5" for i in range(3000)], "channel": ["APP"] * 3000,
                             "store_id": [f"S{i}" for i in range(3000)]}), orders / "damaged.parquet")
    damaged = bytearray((orders / "damaged.parquet").read_bytes())
    damaged[4:2004] = bytes((i * 37) & 0xFF for i in range(4, 2004))
    (orders / "damaged.parquet").write_bytes(bytes(damaged))
    # a customer export with a runaway name, a birthday of 9999-12-31 and a name read backwards
    rows = [
        "C00000101," + "李" * 3_500_000 + ",13700000101,,男,1980-01-01,,杭州,,A,,,,2024-05-06 10:11:12,",
        "C00000102,周杰,13700000102,,男,9999-12-31,,杭州,,A,,,,2024-05-06 10:11:12,",
        "C00000103,\u202e周\u200b敏,13700000103,,女,1991-02-03,,上海,,A,,,,2024-05-06 10:11:12,",
    ]
    header = CRM_HEADER + ",身份证号,地址,邮编,营销许可"  # every column the sources file maps
    (landing / "crm" / "contacts_hostile.csv").write_bytes(
        ("\n".join([header, *(r + ",,,," for r in rows)]) + "\n").encode("gb18030"))
    # app members with epoch registration times, a NUL and an escape in names, a broken line
    members = [
        {"member_id": "M00000201", "nickname": "小\u0000林", "mobile": "13700000201", "register_time": "1700000000"},
        {"member_id": "M00000202", "nickname": "\u001b[31m阿杰", "mobile": "13700000202",
         "register_time": "1700000000000"},
    ]
    (landing / "app" / "members_epoch.jsonl").write_text(
        "\n".join(json.dumps(m, ensure_ascii=False) for m in members) + '\n{"member_id": "M00000203", "nick\n',
        encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    project = root / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    landing = write_mini_landing(root / "landing")
    write_corpus(landing)
    settings = Settings(landing_dir=landing, warehouse=root / "w.duckdb", dbt_project_dir=project,
                        identity_min_precision=0.0, identity_min_recall=0.0)
    outcome = run_job(settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield outcome, con
    con.close()


def q(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_the_run_finishes(run):
    outcome, _ = run
    assert outcome.success and not outcome.failed_steps and not outcome.failed_checks, outcome.render()


def test_every_file_balances_or_is_rejected_with_its_rows_unknown(run):
    _, con = run
    for source, table, f, read, loaded, rejected in q(con, """
            select l.source, l.table_name, l.source_file, l.rows_read, l.rows_loaded, l.rows_rejected
            from raw.load_log l"""):
        raw = q(con, f'select count(*) from raw."{source}__{table}" where _source_file = ?', f)[0][0]
        rej = q(con, "select count(row_number) from raw.rejects where source = ? and table_name = ? "
                     "and source_file = ?", source, table, f)[0][0]
        if read is None:
            assert raw == 0 and rej == 0 and rejected == 0, f
            assert q(con, "select reason from raw.rejects where source_file = ? and row_number is null", f)[0][0] \
                .startswith("file rejected, rows unknown: not a readable Parquet file"), f
        else:
            assert read == loaded + rejected == raw + rej, (f, read, loaded, rejected, raw, rej)
    unknown = {f for (f,) in q(con, "select source_file from raw.load_log where rows_read is null")}
    assert unknown == {"oms/orders/empty.parquet", "oms/orders/truncated.parquet"}


def test_the_good_files_rows_are_all_kept_as_they_are(run):
    _, con = run
    for f, n in GOOD_FILES.items():
        assert q(con, "select rows_read, rows_rejected from raw.load_log where source_file = ?", f) == [(n, 0)], f
    # a file without the columns the sources file maps (the mini landing's store export has an
    # older layout): every row rejected, naming them
    (reason,) = {r for (r,) in q(con, "select reason from raw.rejects where source_file = 'store/members.csv'")}
    assert reason.startswith("file not loaded: the header has no column(s) "
                             "['surname', 'given_name', 'birthday', 'address', 'accept_sms'] named in the sources file")
    # the good orders file's amounts are the ones it holds
    assert q(con, "select amount from intermediate.int_orders_validated where order_id = 'O0000000001'") \
        == [(200,)]


def test_a_damaged_parquet_file_is_rejected_row_by_row_naming_the_file(run):
    _, con = run
    assert q(con, "select count(*), min(row_number), max(row_number), any_value(reason) from raw.rejects "
                  "where source_file = 'oms/orders/damaged.parquet'")[0][:3] == (3000, 1, 3000)
    reason = q(con, "select any_value(reason) from raw.rejects where source_file = 'oms/orders/damaged.parquet'")[0][0]
    assert reason.startswith("file not loaded: damaged Parquet data (") and "3000 rows" in reason


def test_amounts_are_numbers_or_rejected_with_their_text(run):
    _, con = run
    kept = dict(q(con, "select order_id, amount from intermediate.int_orders_validated where is_valid "
                       "and order_id like 'B%'"))
    assert {k: float(v) for k, v in kept.items()} == {"B3": 1234.5, "B4": 100.0, "B6": 8.0}
    reasons = dict(q(con, "select order_id, reject_reason from intermediate.int_orders_validated "
                          "where not is_valid and order_id like 'B%'"))
    assert reasons == {
        "B1": "amount '1e20' is not a number",
        "B2": "amount '1e309' is not a number",
        "B5": "amount '12,34' is not a number",
    }
    rows = dict(q(con, "select order_id, _row_number from intermediate.int_orders_validated where order_id like 'B%'"))
    assert rows["B1"] == 1 and rows["B5"] == 5  # the row is named too (int_source_rows_rejected)
    listed = q(con, "select reject_reason from intermediate.int_source_rows_rejected "
                    "where source_file = 'oms/orders/amounts.parquet' and row_number = 2")
    assert listed == [("amount '1e309' is not a number",)]


def test_a_runaway_value_is_rejected_at_loading_naming_the_field(run):
    _, con = run
    assert q(con, "select row_number, reason, length(raw_text) <= 2000 from raw.rejects "
                  "where source_file = 'crm/contacts_hostile.csv'") == [
        (2, "field full_name too long: 3500000 characters (limit 200)", True)]
    assert q(con, "select max(length(name_masked)) < 100 from marts.dim_customer")[0][0]


def test_impossible_birthdays_and_invisible_characters_are_cleaned(run):
    _, con = run
    birth = q(con, "select birth_date, birth_year, birth_date_raw from intermediate.int_customer_records_validated "
                   "where source_record_id = 'C00000102'")
    assert birth == [(None, None, "9999-12-31")]
    assert q(con, "select full_name from intermediate.int_customer_records_validated "
                  "where source_record_id = 'C00000103'") == [("周敏",)]
    names = [n for (n,) in q(con, "select name_masked from marts.dim_customer where name_masked is not null")]
    assert not any(ch in n for n in names for ch in "\u202e\u200b\u0000\u001b")
    assert q(con, "select nickname from intermediate.int_customer_records_validated "
                  "where source_record_id in ('M00000201', 'M00000202') order by 1") == [("[31m阿杰",), ("小林",)]


def test_epoch_times_are_read_by_their_length(run):
    _, con = run
    got = dict(q(con, "select source_record_id, cast(created_at as varchar) from intermediate.int_customer_records_validated "
                      "where source_record_id in ('M00000201', 'M00000202')"))
    assert got == {"M00000201": "2023-11-15 06:13:20", "M00000202": "2023-11-15 06:13:20"}


def test_a_broken_json_line_is_rejected_with_its_line(run):
    _, con = run
    (row, reason), = q(con, "select row_number, reason from raw.rejects where source_file = 'app/members_epoch.jsonl'")
    assert row == 3 and reason.startswith("not valid JSON")
