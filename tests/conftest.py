"""Shared fixtures: paths, a scratch sources file pointing at a landing folder of the test's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Runs in tests use ephemeral Dagster instances: `make test` exports DAGSTER_HOME for the UI,
# and test workers running in parallel must not share its run storage.
os.environ.pop("DAGSTER_HOME", None)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(REPO / "bench"))  # bench/table_hashes.py: tests/warehouse_snapshot.py

# The Spark equality test needs pyspark, dbt-spark and Java: `make test-spark` runs it (and
# installs them), `make test` leaves the folder out.
SPARK_TESTS = os.environ.get("HUAXIANG_TEST_SPARK") == "1"
collect_ignore = [] if SPARK_TESTS else ["spark"]
if SPARK_TESTS:
    sys.path.insert(0, str(TESTS / "spark"))


# The files that run the pipeline as separate processes or several times take minutes each;
# `make test` runs files in parallel (one file per worker), so they start first and the many
# short files fill the other workers meanwhile, instead of one of them running alone at the end.
# (xdist's own reordering, by number of tests, is switched off in the Makefile.) Measured with
# `make test TEST_ARGS="--durations=80"`: the crash suite (three runs, two at once), the tag
# store (four), the end-to-end file (two, and the most tests), the incremental one (three).
SLOWEST_FIRST = ("test_fault_injection.py", "test_tag_store.py", "test_pipeline_e2e.py", "test_incremental.py",
                 "test_customer_ids.py", "test_identity_sources.py", "test_marketing_consent.py",
                 "test_bad_input_corpus.py", "test_customers_only_run.py", "test_orders_only_run.py",
                 "test_no_date_run.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: the order within a file is kept


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def default_sources() -> Path:
    return REPO / "config" / "sources.yml"


@pytest.fixture(scope="session")
def dbt_scratch(tmp_path_factory) -> Path:
    """One DuckDB file (and dbt target folder beside it) for the tests that run the project's
    macros through `dbt show` / `dbt compile` (tests/dbt_inline.py): dbt parses the project in
    full the first time it meets a warehouse path (the path is part of its profile's hash), about
    ten seconds; sharing the path lets every later call of the worker reuse that parse. (Each
    xdist worker has its own session, so two workers never run dbt on the file at once.)"""
    return tmp_path_factory.mktemp("dbt_scratch") / "w.duckdb"
