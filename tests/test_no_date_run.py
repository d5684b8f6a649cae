"""Customer tables with no date anywhere (FEBRL's benchmark files have none) and no --as-of:
the run builds identity resolution and every table that needs no date, skips the tags (there is
no date to compute them for), says so, and ends OK. Deterministic: the same files give the same
tables, never the wall clock.

One run of the whole job over tests/sources_landing.py without its dated source."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.runner import run_job
from orchestration.settings import Settings
from sources_landing import AU_EXPECTED, NZ_EXPECTED, write_customers_only_landing



@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("no_date")
    sources = write_customers_only_landing(root, with_dates=False)
    settings = Settings(sources_file=sources, warehouse=root / "w.duckdb",
                        identity_min_precision=0.0, identity_min_recall=0.0)
    outcome = run_job(settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield {"outcome": outcome, "con": con, "root": root}
    con.close()


def q(run, sql):
    return run["con"].execute(sql).fetchall()


def test_the_run_ends_ok_and_says_why_there_are_no_tags(run):
    outcome = run["outcome"]
    assert outcome.success and not outcome.failed_checks and not outcome.failed_steps, outcome.render()
    assert "no date in the data; no as-of date" in outcome.render() and "--as-of" in outcome.render()
    assert outcome.tags is None and not outcome.outputs


def test_there_is_no_as_of_date(run):
    assert q(run, "select * from intermediate.int_data_window") == [(None, None, None, "no date in the data")]


def test_identity_resolution_is_built(run):
    records = len(AU_EXPECTED) + len(NZ_EXPECTED)
    assert q(run, "select count(*), count(customer_id) from marts.customer_source_xref") == [(records, records)]
    customers = q(run, "select count(*) from marts.dim_customer")[0][0]
    assert 0 < customers <= records
    assert run["outcome"].identity["records"] == records


def test_the_tags_are_skipped_not_failed(run):
    assert q(run, "select count(*) from intermediate.int_customer_fact_tags") == [(0,)]
    tables = {t for (t,) in q(run, "select table_schema || '.' || table_name from information_schema.tables")}
    assert "marts.customer_360" not in tables and "marts.customer_tags" not in tables
    assert not [t for t in tables if t.startswith("model_tags.")]
    ran = {s["step"] for s in run["outcome"].steps}
    # the Python tag steps find no as-of date and materialise nothing; everything after them is skipped
    assert not [s for s in ran if s.startswith(("rule_tags", "segments", "tag_catalogue", "huaxiang_dbt_tag_store",
                                                 "exports__")) and s != "exports__restricted_contacts"], ran
    assert not (run["root"] / "reports").exists() and not (run["root"] / "bi").exists()
    # the customers are resolved without tags: a steward's contacts are there already
    assert "exports__restricted_contacts" in ran and (run["root"] / "restricted" / "contacts.duckdb").exists()
