"""The BI copy keeps the stamped fact tables in step one run's rows at a time (bi_stamped.py):
after each export the copy (DuckDB and Parquet) equals the warehouse, and only the rows of
runs it did not have, or whose rows changed, were written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.exports.bi import INFO_TABLE, export_bi
from orchestration.exports.bi_stamped import part_file

TABLES = {"marts.fct_orders": ("_source_file",), "marts.tag_definitions": ()}
S1, S2, S3 = "2026-06-29 05:00:00.123456", "2026-06-30 05:00:00", "2026-07-01 05:00:00.5"


@pytest.fixture
def warehouse(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.fct_orders (order_line_id varchar, net_amount double, "
                "_source_file varchar, _built_at timestamp)")
    con.execute(f"insert into marts.fct_orders select 'o' || i, i * 1.5, 'f1', timestamp '{S1}' from range(1000) t(i)")
    con.execute("create table marts.tag_definitions (tag_key varchar, label varchar)")
    con.execute("insert into marts.tag_definitions values ('rfm', 'RFM')")
    yield con
    con.close()


def export(con, folder: Path):
    return export_bi(con, folder, tables=TABLES)


def _same(con, a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        assert con.execute(f"select count(*) from ({x} except all {y})").fetchall() == [(0,)], (x, y)


def assert_copy_equals_warehouse(con, folder: Path) -> None:
    facts = "select order_line_id, net_amount, _built_at from marts.fct_orders"  # _source_file left out
    con.execute(f"attach '{folder / 'huaxiang_bi.duckdb'}' as bi (read_only true)")
    try:
        _same(con, facts, "select * from bi.main.fct_orders")
        _same(con, "select * from marts.tag_definitions", "select * from bi.main.tag_definitions")
    finally:
        con.execute("detach bi")
    _same(con, facts, f"select * from read_parquet('{folder}/parquet/fct_orders/*.parquet')")
    _same(con, "select * from marts.tag_definitions", f"select * from read_parquet('{folder}/parquet/tag_definitions.parquet')")


def parts(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in sorted((folder / "parquet" / "fct_orders").iterdir())}


def test_the_first_copy_is_written_whole(warehouse, tmp_path):
    result = export(warehouse, tmp_path / "bi")
    assert not result.updated
    assert result.tables == {"fct_orders": 1000, "tag_definitions": 1}
    assert result.rows_written == {"fct_orders": 1000, "tag_definitions": 1}
    assert_copy_equals_warehouse(warehouse, tmp_path / "bi")
    assert list(parts(tmp_path / "bi")) == ["part-20260629T050000123456.parquet"]


def test_a_new_run_copies_its_rows_only_and_links_the_older_parquet(warehouse, tmp_path):
    folder = tmp_path / "bi"
    export(warehouse, folder)
    before = parts(folder)
    warehouse.execute(f"insert into marts.fct_orders select 'n' || i, i, 'f2', timestamp '{S2}' from range(10) t(i)")
    warehouse.execute("update marts.tag_definitions set label = 'RFM segment'")
    result = export(warehouse, folder)
    assert result.updated
    assert result.rows_written == {"fct_orders": 10, "tag_definitions": 1}
    assert result.tables["fct_orders"] == 1010
    assert_copy_equals_warehouse(warehouse, folder)
    after = parts(folder)
    assert len(after) == 2 and after[next(iter(before))] == next(iter(before.values()))  # the same file, linked
    bi = duckdb.connect(str(folder / "huaxiang_bi.duckdb"), read_only=True)
    try:
        assert bi.execute(f"select table_name, row_count, rows_written from {INFO_TABLE} order by 1").fetchall() == [
            ("fct_orders", 1010, 10), ("tag_definitions", 1, 1)]
    finally:
        bi.close()


def test_deleted_changed_and_vanished_runs_are_rewritten(warehouse, tmp_path):
    folder = tmp_path / "bi"
    warehouse.execute(f"insert into marts.fct_orders select 'n' || i, i, 'f2', timestamp '{S2}' from range(10) t(i)")
    export(warehouse, folder)
    # rows of the first run deleted (a file gone from the landing), the second run's rows gone
    # (rebuilt), a third run; and one row of the first changed in place, its count kept
    warehouse.execute("delete from marts.fct_orders where order_line_id in ('o1', 'o2', 'o3')")
    warehouse.execute(f"delete from marts.fct_orders where _built_at = timestamp '{S2}'")
    warehouse.execute(f"insert into marts.fct_orders select 'm' || i, i, 'f3', timestamp '{S3}' from range(5) t(i)")
    result = export(warehouse, folder)
    assert result.updated and result.rows_written["fct_orders"] == 997 + 5
    assert_copy_equals_warehouse(warehouse, folder)
    assert list(parts(folder)) == ["part-20260629T050000123456.parquet", "part-20260701T050000500000.parquet"]
    warehouse.execute("update marts.fct_orders set net_amount = -1 where order_line_id = 'o10'")
    result = export(warehouse, folder)
    assert result.rows_written["fct_orders"] == 997  # the changed run, found by its hash
    assert_copy_equals_warehouse(warehouse, folder)


def test_a_table_that_left_the_bi_tables_leaves_the_copy(warehouse, tmp_path):
    folder = tmp_path / "bi"
    export(warehouse, folder)
    export_bi(warehouse, folder, tables={"marts.fct_orders": ("_source_file",)})
    bi = duckdb.connect(str(folder / "huaxiang_bi.duckdb"), read_only=True)
    try:
        assert {t for (t,) in bi.execute("select table_name from information_schema.tables").fetchall()} == {
            "fct_orders", INFO_TABLE}
    finally:
        bi.close()
    assert sorted(p.name for p in (folder / "parquet").iterdir()) == ["fct_orders"]


def test_an_unreadable_previous_copy_is_replaced_by_a_whole_one(warehouse, tmp_path):
    folder = tmp_path / "bi"
    folder.mkdir()
    (folder / "huaxiang_bi.duckdb").write_bytes(b"not a database")
    result = export(warehouse, folder)
    assert not result.updated and result.rows_written["fct_orders"] == 1000
    assert_copy_equals_warehouse(warehouse, folder)


def test_a_parquet_part_that_does_not_match_its_run_is_written_again(warehouse, tmp_path):
    """A run killed between the BI file's rename and the Parquet folder's leaves an older part."""
    folder = tmp_path / "bi"
    export(warehouse, folder)
    stale = part_file(folder / "parquet" / "fct_orders", datetime.fromisoformat(S1))
    warehouse.sql("select order_line_id, net_amount, _built_at from marts.fct_orders limit 7").write_parquet(str(stale) + ".x")
    Path(str(stale) + ".x").replace(stale)
    export(warehouse, folder)
    assert_copy_equals_warehouse(warehouse, folder)


def test_a_table_whose_columns_changed_is_written_whole(warehouse, tmp_path):
    folder = tmp_path / "bi"
    export(warehouse, folder)
    warehouse.execute("alter table marts.fct_orders add column channel varchar default 'app'")
    result = export(warehouse, folder)
    assert result.updated and result.rows_written["fct_orders"] == 1000
    columns = duckdb.sql(f"select * from read_parquet('{folder}/parquet/fct_orders/*.parquet') limit 1").columns
    assert columns == ["order_line_id", "net_amount", "_built_at", "channel"]
