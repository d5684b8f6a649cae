"""The DuckDB side of the Spark engine's copy back (orchestration/warehouse/spark_copy.py): views
marked portable are defined again in the file, without Spark."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from orchestration.warehouse.spark_copy import SparkCopyError, _define_views


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
