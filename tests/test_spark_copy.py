"""The DuckDB side of the Spark engine's copies (orchestration/warehouse/spark_copy.py), without
Spark: views marked portable defined again in the file; what a table gained since its last copy
(load batches into Spark, Parquet files back), the rest copied whole."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from orchestration.warehouse.spark_copy import (
    SparkCopyError,
    _append_files,
    _define_views,
)
from orchestration.warehouse.spark_copy_state import (
    added_keys,
    duck_batches,
    duck_columns,
    duck_fingerprint,
)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.intervals as select 1 as customer_id, date '2026-01-01' as as_of_date")
    con.execute("create table marts.current as select 1 as customer_id")  # an older copy of the view's rows
    yield con
    con.close()


def test_views_are_defined_in_dependency_order_replacing_copied_rows(con):
    # 'current' reads 'history', given first: defined on the second pass
    _define_views(con, [("marts", "current", "select * from marts.history where as_of_date is not null"),
                        ("marts", "history", "select customer_id, as_of_date from marts.intervals")])
    kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                             "where table_schema = 'marts'").fetchall())
    assert kinds == {"intervals": "BASE TABLE", "current": "VIEW", "history": "VIEW"}
    assert con.execute("select * from marts.current").fetchall() == [(1, date(2026, 1, 1))]


def test_a_view_duckdb_cannot_define_is_named_with_duckdbs_reason(con):
    with pytest.raises(SparkCopyError, match=r"marts\.broken \(.*no_such_function"):
        _define_views(con, [("marts", "broken", "select no_such_function(customer_id) from marts.intervals")])


def test_a_table_that_only_gained_entries_gives_the_new_ones_else_none():
    before = {"a": "1:10", "b": "2:20"}
    assert added_keys(before, {"a": "1:10", "b": "2:20", "c": "5:7"}) == ["c"]
    assert added_keys(before, dict(before)) == []
    assert added_keys(before, {"a": "1:10", "b": "3:21", "c": "5:7"}) is None  # a batch changed
    assert added_keys(before, {"a": "1:10", "c": "5:7"}) is None  # a batch gone
    assert added_keys(None, {"a": "1:10"}) is None  # never copied: whole
    assert added_keys(["a"], {"a": "1:10"}) is None  # not what a copy writes (copies.json edited): whole


def test_load_batches_sum_to_the_tables_fingerprint(con):
    con.execute("create schema raw")
    con.execute("create table raw.orders as select * from (values ('a.csv', timestamp '2026-06-01 10:00:00', 1), "
                "('a.csv', timestamp '2026-06-01 10:00:00', 2), ('b.csv', timestamp '2026-06-02 10:00:00', 3), "
                "(null, timestamp '2026-06-02 10:00:00', 4)) t(_source_file, _loaded_at, amount)")
    fingerprint, batches = duck_batches(con, "raw", "orders", duck_columns(con, "raw", "orders"))
    assert fingerprint == duck_fingerprint(con, "raw", "orders")
    assert sorted(batches) == ['["a.csv", "2026-06-01 10:00:00"]', '["b.csv", "2026-06-02 10:00:00"]',
                               '[null, "2026-06-02 10:00:00"]']
    assert batches['["a.csv", "2026-06-01 10:00:00"]'].startswith("2:")
    # a table without the load lineage is fingerprinted whole
    assert duck_batches(con, "marts", "intervals", duck_columns(con, "marts", "intervals")) is None


def test_new_files_are_appended_and_other_columns_refused(con, tmp_path):
    con.execute(f"copy (select 2 as customer_id, date '2026-02-01' as as_of_date) to '{tmp_path / 'new.parquet'}'")
    assert _append_files(con, "marts", "intervals", [tmp_path / "new.parquet"])
    assert con.execute("select customer_id from marts.intervals order by 1").fetchall() == [(1,), (2,)]
    con.execute(f"copy (select 3 as customer_id) to '{tmp_path / 'other.parquet'}'")
    assert not _append_files(con, "marts", "intervals", [tmp_path / "other.parquet"])
    assert con.execute("select count(*) from marts.intervals").fetchall() == [(2,)]
