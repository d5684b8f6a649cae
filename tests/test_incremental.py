"""An incremental refresh gives what a full build gives, doing less: three real runs of the
whole graph on generated data. The base run loads the data without its last day; the next
run adds that day as new landing files (datagen.holdout, the way a daily delivery arrives);
a third, from an empty warehouse, builds everything from the same files. Every current table
must be equal, row for row; only the history tables (which hold one more snapshot after two
runs) and the load and build time stamps differ."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from datagen import generate
from datagen.holdout import hold_out_last_days
from orchestration.incremental import PHASE_ONE_ARGS, PHASE_TWO_ARGS, plan_build
from orchestration.runner import run_job
from orchestration.settings import Settings

END = date(2026, 6, 30)
HISTORY_TABLES = {
    # one snapshot per run: two runs hold two
    "customer_tag_history", "tag_changes", "portrait_tag_trend", "rfm_threshold_history",
    "segment_changes", "segment_members", "segment_snapshots", "segment_definitions",
    "churn_backtests", "churn_model_registry", "build_state", "customer_tag_intervals", "tag_snapshot_dates",
}
STAMPS = {"_loaded_at", "loaded_at", "recorded_at", "_recorded_at", "_validated_at", "_built_at"}
FLOATS = ("DOUBLE", "FLOAT")


def _run(landing: Path, warehouse: Path, dbt_tests: bool = True):
    settings = Settings.from_env().with_overrides(warehouse=warehouse, landing_dir=landing)
    outcome = run_job(settings, dbt_tests=dbt_tests)
    assert outcome.success, outcome.render()
    return outcome


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    generate(root / "data", customers=800, seed=5, end_date=END, progress=False)
    landing = root / "data" / "landing"
    delivery = root / "delivery"
    held = hold_out_last_days(landing, delivery, END, days=1)
    inc = root / "inc" / "warehouse.duckdb"
    # the dbt tests run on the incremental build, the one this file is about (a run without
    # them costs CI 20 s less)
    _run(landing, inc, dbt_tests=False)
    xref_built = _query(inc, "select distinct _built_at from marts.customer_source_xref")
    fact_builds_before = _query(inc, "select count(distinct _built_at) from marts.fct_orders")[0][0]
    shutil.copytree(delivery, landing, dirs_exist_ok=True)
    delivery_run = _run(landing, inc)
    full = root / "full" / "warehouse.duckdb"
    _run(landing, full, dbt_tests=False)
    return {"inc": inc, "full": full, "held": held, "xref_built": xref_built,
            "fact_builds_before": fact_builds_before, "delivery_run": delivery_run}


def test_the_delivery_holds_the_last_day(runs):
    held = runs["held"]
    assert set(held) == {"oms/orders/orders_2026-06-30.parquet", "oms/order_items/order_items_2026-06-30.parquet",
                         "app/events/month=2026-06/events_2026-06-30.jsonl", "store/visits/visits_2026-06-30.csv"}
    assert all(n > 0 for n in held.values())
    assert _query(runs["inc"], "select cast(data_end_date as varchar) from intermediate.int_data_window") == [
        ("2026-06-30",)]


def test_incremental_equals_full_build(runs):
    con = duckdb.connect()
    con.execute(f"attach '{runs['inc']}' as inc (read_only)")
    con.execute(f"attach '{runs['full']}' as full_build (read_only)")
    # tables and views (customer_tags is a view of the tag store)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'full_build' "
        "and schema_name in ('raw', 'staging', 'intermediate', 'marts', 'model_tags') union all "
        "select schema_name, view_name from duckdb_views() where database_name = 'full_build' and not internal "
        "and schema_name in ('raw', 'staging', 'intermediate', 'marts', 'model_tags') order by 1, 2").fetchall()
    compared, differing = _compare(con, "inc", "full_build", tables)
    con.close()
    assert compared > 80
    assert not differing, differing


def _compare(con, inc: str, full: str, tables: list[tuple[str, str]]) -> tuple[int, list[str]]:
    """Every table but the history ones equal in the two attached databases, row for row."""
    compared, differing = 0, []
    for schema, table in tables:
        if table in HISTORY_TABLES:
            continue
        cols = [(c, t) for c, t in con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? order by column_index", [full, schema, table]).fetchall()
                if c not in STAMPS]
        # DuckDB sums doubles in parallel, in no fixed order: the last digit of a float may
        # differ between two builds of the same data (even two full builds)
        sel = ", ".join(f'round("{c}", 9)' if t in FLOATS else f'"{c}"' for c, t in cols)
        a = f'select {sel} from {inc}."{schema}"."{table}"'
        b = f'select {sel} from {full}."{schema}"."{table}"'
        extra = con.execute(f"select count(*) from ({a} except all {b})").fetchall()[0][0]
        missing = con.execute(f"select count(*) from ({b} except all {a})").fetchall()[0][0]
        compared += 1
        if extra or missing:
            differing.append(f"{schema}.{table}: {extra} rows only in the incremental build, {missing} only in the full")
    return compared, differing


def test_the_incremental_bi_copy_equals_the_full_one_and_copied_only_the_new_facts(runs):
    """The incremental run's BI copy was updated from the base run's (bi_stamped.py): its facts
    copied the delivery's rows only, DuckDB and Parquet alike, and every BI table equals the
    full build's copy."""
    inc_bi, full_bi = (runs[k].parent / "bi" / "huaxiang_bi.duckdb" for k in ("inc", "full"))
    con = duckdb.connect()
    con.execute(f"attach '{inc_bi}' as inc (read_only)")
    con.execute(f"attach '{full_bi}' as full_build (read_only)")
    info = {t: (rows, written) for t, rows, written in con.execute(
        "select table_name, row_count, rows_written from inc.main.export_info").fetchall()}
    for fact in ("fct_orders", "fct_customer_events"):
        rows, written = info[fact]
        assert 0 < written < rows / 5, (fact, rows, written)
        folder = runs["inc"].parent / "bi" / "parquet" / fact
        assert len(list(folder.glob("part-*.parquet"))) == 2
        for a, b in ((f"inc.main.{fact}", f"read_parquet('{folder}/*.parquet')"),
                     (f"read_parquet('{folder}/*.parquet')", f"inc.main.{fact}")):
            assert con.execute(f"select count(*) from (from {a} except all from {b})").fetchall() == [(0,)]
    assert info["customer_360"][0] == info["customer_360"][1]  # the others: whole
    tables = [("main", t) for (t,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'full_build' and table_name != 'export_info'"
    ).fetchall()]
    compared, differing = _compare(con, "inc", "full_build", tables)
    con.close()
    assert compared > 25
    assert not differing, differing


def test_identity_was_left_alone_and_facts_were_extended(runs):
    inc = runs["inc"]
    # the customer side was not rebuilt: the xref keeps the base run's build stamp
    assert _query(inc, "select distinct _built_at from marts.customer_source_xref") == runs["xref_built"]
    assert _query(inc, "select count(*) from raw.build_state where name = 'customer_side'")[0][0] == 1
    # the facts were extended, not rebuilt: rows of two builds
    assert runs["fact_builds_before"] == 1
    assert _query(inc, "select count(distinct _built_at) from marts.fct_orders")[0][0] == 2
    assert _query(inc, "select count(distinct _built_at) from marts.fct_customer_events")[0][0] == 2
    # staging read only the new files: two loads, and each file once
    assert _query(inc, "select count(distinct _loaded_at) from staging.stg_app__events")[0][0] == 2
    # the new facts were tested against the customers left alone; the tests that read only
    # tables left alone were not run again
    checks = set(runs["delivery_run"].evaluated_checks)
    for fact in ("fct_orders", "fct_customer_events"):
        assert f"marts/{fact}:relationships_{fact}_customer_id__customer_id__ref_dim_customer_" in checks
    assert "marts/dim_customer:unique_dim_customer_customer_id" not in checks


def test_plan_splits_on_the_references_model():
    """Unit: the customer side is what no order or event reaches except through the
    references model; phase one is what the references model is built from."""
    def node(name, kind="model", deps=()):
        return {"name": name, "resource_type": kind, "depends_on": {"nodes": list(deps)}}

    nodes = {
        "model.p.stg_orders": node("stg_orders", deps=["source.p.oms.orders"]),
        "model.p.stg_members": node("stg_members", deps=["source.p.app.members"]),
        "model.p.int_orders_validated": node("int_orders_validated", deps=["model.p.stg_orders"]),
        "model.p.int_customer_references": node("int_customer_references", deps=["model.p.int_orders_validated"]),
        "model.p.int_identity_records": node(
            "int_identity_records", deps=["model.p.stg_members", "model.p.int_customer_references"]),
        "model.p.customer_source_xref": node("customer_source_xref", deps=["model.p.int_identity_records"]),
        "model.p.fct_orders": node("fct_orders", deps=["model.p.int_orders_validated", "model.p.customer_source_xref"]),
        "test.p.not_null_fct": node("not_null_fct", "test", deps=["model.p.fct_orders"]),
        "test.p.not_null_xref": node("not_null_xref", "test", deps=["model.p.customer_source_xref"]),
        "test.p.rel_fct_xref": node("rel_fct_xref", "test", deps=["model.p.fct_orders", "model.p.customer_source_xref"]),
        "model.p.customer_tags": node("customer_tags", deps=["model.p.customer_source_xref"]),
        "test.p.rel_tags_xref": node("rel_tags_xref", "test", deps=["model.p.customer_tags", "model.p.customer_source_xref"]),
    }
    sources = {"source.p.oms.orders": {"name": "orders", "source_name": "oms", "resource_type": "source"},
               "source.p.app.members": {"name": "members", "source_name": "app", "resource_type": "source"}}
    selected = {u for u in nodes if u.startswith("model.") and u != "model.p.customer_tags"}  # (the tag store's)
    plan = plan_build({"nodes": nodes, "sources": sources}, selected, {("oms", "orders")})
    assert plan.phase_one == ["int_customer_references", "int_orders_validated", "stg_orders"]
    assert plan.customer_side == ["stg_members", "int_identity_records", "customer_source_xref"]
    assert plan.customer_sources == [("app", "members")]
    # phase one names the models it leaves out; dbt's eager selection leaves their tests out
    assert plan.phase_one_exclude() == ["customer_source_xref", "fct_orders", "int_identity_records", "stg_members"]
    assert PHASE_ONE_ARGS == ("--indirect-selection", "eager")
    skipping = plan.phase_two_exclude(True)
    assert "not_null_xref" in skipping and "not_null_fct" not in skipping and "fct_orders" not in skipping
    assert "not_null_xref" not in plan.phase_two_exclude(False)
    # the new orders are tested against the customers left alone: named tests only, as eager
    # selection would drop a test of a model left out (customer_source_xref here)
    assert "rel_fct_xref" not in skipping and PHASE_TWO_ARGS == ("--indirect-selection", "empty")
    # a test of another step's model is named, with or without the customer side
    assert plan.other_tests == ["rel_tags_xref"]
    assert "rel_tags_xref" in skipping and "rel_tags_xref" in plan.phase_two_exclude(False)
