"""What readers get instead of the warehouse: the operator's snapshot (the BI copy) and the
docs catalogue. Both are written whole and renamed into place, so a reader never waits for a
run and a run never waits for a reader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.exports.bi import INFO_TABLE
from orchestration.exports.docs_catalog import docs_catalog_path, write_docs_catalog
from orchestration.exports.snapshot import SnapshotError, open_snapshot


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema staging")
    con.execute("create table marts.dim_customer as select 'c1' as customer_id, 1987 as birth_year, 12.5::decimal(18,2) as spend")
    con.execute("create view staging.stg_crm__customers as select customer_id, birth_year from marts.dim_customer")
    con.close()


def test_the_docs_catalogue_has_every_relation_with_its_columns_and_no_rows(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    _warehouse(warehouse)
    catalog = docs_catalog_path(tmp_path / "work")
    catalog.parent.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = catalog.with_name(f".docs_catalog.{int(dead.stdout)}.tmp.duckdb")
    stale.write_bytes(b"left by a killed run")
    theirs = catalog.with_name(f".docs_catalog.{os.getppid()}.tmp.duckdb")  # a live process's
    theirs.write_bytes(b"busy")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert write_docs_catalog(con, catalog) == 2
    assert not stale.exists() and theirs.exists()
    with duckdb.connect(str(catalog), read_only=True) as con:
        kinds = dict(con.execute("select table_schema || '.' || table_name, table_type from information_schema.tables "
                                 "where table_name not like '\\_\\_%' escape '\\'").fetchall())
        assert kinds == {"marts.dim_customer": "BASE TABLE", "staging.stg_crm__customers": "VIEW"}
        assert con.execute("describe marts.dim_customer").fetchall()[2][:2] == ("spend", "DECIMAL(18,2)")
        assert [r[0] for r in con.execute("describe staging.stg_crm__customers").fetchall()] == ["customer_id", "birth_year"]
        assert con.execute("select count(*) from marts.dim_customer").fetchall() == [(0,)]


def _bi_copy(path: Path, customers: int) -> None:
    con = duckdb.connect(str(path))
    con.execute(f"create table dim_customer as select 'c' || range as customer_id from range({customers})")
    con.execute("create table tag_inputs as select 'c0' as customer_id")
    con.execute(f"create table {INFO_TABLE} (table_name varchar, source_table varchar, row_count bigint, exported_at timestamp)")
    con.execute(f"insert into {INFO_TABLE} values ('dim_customer', 'marts.dim_customer', {customers}, '2026-12-06 05:00'), "
                "('tag_inputs', 'model_tags.tag_inputs', 1, '2026-12-06 05:00')")
    con.close()


def test_the_snapshot_shows_each_table_under_its_warehouse_name_and_survives_its_replacement(tmp_path):
    path = tmp_path / "huaxiang_bi.duckdb"
    _bi_copy(path, 3)
    con, snap = open_snapshot(path)
    assert snap.tables == ("marts.dim_customer", "model_tags.tag_inputs") and snap.exported_at.hour == 5
    assert con.execute("select count(*) from marts.dim_customer").fetchall() == [(3,)]
    assert con.execute("select customer_id from model_tags.tag_inputs").fetchall() == [("c0",)]
    # the next run writes a new copy and renames it over this one while the command still reads
    _bi_copy(tmp_path / "next.duckdb", 5)
    (tmp_path / "next.duckdb").replace(path)
    assert con.execute("select count(*) from marts.dim_customer").fetchall() == [(3,)]
    con.close()
    con, _ = open_snapshot(path)
    assert con.execute("select count(*) from marts.dim_customer").fetchall() == [(5,)]
    con.close()


def test_a_missing_or_old_snapshot_is_said_plainly(tmp_path):
    with pytest.raises(SnapshotError, match="no snapshot at .*huaxiang run"):
        open_snapshot(tmp_path / "huaxiang_bi.duckdb")
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).execute("create table customer_360 as select 1 as x").close()
    with pytest.raises(SnapshotError, match="written by an older huaxiang"):
        open_snapshot(old)


def test_docs_without_a_finished_run_is_a_usage_error(tmp_path):
    r = CliRunner().invoke(main, ["docs", "--warehouse", str(tmp_path / "w.duckdb")])
    assert r.exit_code == 2 and "no docs catalogue at" in r.output and "huaxiang run" in r.output, r.output
