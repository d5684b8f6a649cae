"""A sources file without any customers table (orders, their lines and events only) runs to the
end: the customer-record layers are empty but typed as with data (an untyped empty union made
int_identity_records fail to bind), and each kept order's customer reference becomes a customer
of its own. One run of the whole job over tests/sources_landing.py."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from orchestration.runner import run_job
from orchestration.settings import Settings
from sources_landing import ORDER_BUYERS, ORDERS_END, write_orders_only_landing


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("orders_only")
    sources = write_orders_only_landing(root)
    settings = Settings(sources_file=sources, warehouse=root / "w.duckdb",
                        identity_min_precision=0.0, identity_min_recall=0.0)
    outcome = run_job(settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield {"outcome": outcome, "con": con}
    con.close()


def q(run, sql):
    return run["con"].execute(sql).fetchall()


def test_the_run_ends_ok_with_every_check_passing(run):
    outcome = run["outcome"]
    assert outcome.success and not outcome.failed_checks and not outcome.failed_steps, outcome.render()


def test_the_empty_customer_layers_are_typed_as_with_data(run):
    assert q(run, "select count(*) from intermediate.int_customer_records_validated") == [(0,)]
    types = dict(q(run, "select column_name, data_type from information_schema.columns where "
                        "table_schema = 'intermediate' and table_name = 'int_customer_records_validated'"))
    assert types["birth_date"] == "DATE" and types["created_at"] == "TIMESTAMP"
    assert types["birth_year"] in ("INTEGER", "BIGINT") and types["marketing_consent"] == "BOOLEAN"
    assert types["country"] == "VARCHAR" and types["_row_number"] == "BIGINT"


def test_each_order_reference_is_a_customer_of_its_own(run):
    xref = q(run, "select record_key, source_table from marts.customer_source_xref order by 1")
    assert xref == [(f"shop:{b}", "customer_reference") for b in sorted(ORDER_BUYERS)]
    assert q(run, "select count(*) from marts.dim_customer") == [(len(ORDER_BUYERS),)]
    assert q(run, "select count(*), count(customer_id) from marts.fct_orders") == [(4, 4)]
    assert q(run, "select count(*), count(customer_id) from marts.fct_customer_events") == [(2, 2)]


def test_the_tags_are_computed_as_of_the_end_of_the_orders(run):
    assert q(run, "select as_of_date, as_of_source from intermediate.int_data_window") == [
        (dt.date.fromisoformat(ORDERS_END), "end of loaded data")]
    facts = dict(q(run, "select x.record_key, f.paid_orders_total from intermediate.int_customer_fact_tags f "
                        "join marts.customer_source_xref x using (customer_id)"))
    assert facts == {"shop:B1": 2, "shop:B2": 0, "shop:B3": 1}
    assert q(run, "select count(*) from marts.customer_360") == [(len(ORDER_BUYERS),)]
