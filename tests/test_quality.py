"""The Great Expectations suites: every expectation written really runs, and failures are
reported with examples rather than a bare False."""

import pandas as pd

from orchestration.ingest import quality
from orchestration.ingest.quality import ExpectationSpec, build_specs, validate_frame
from orchestration.sources_config import TableConfig, load_sources_config


def orders_frame(n=200, bad=0):
    amounts = ["10.5"] * (n - bad) + ["-3"] * bad
    return pd.DataFrame({
        "order_id": [f"O{i}" for i in range(n)], "customer_source": ["app"] * n,
        "source_customer_ref": ["M1"] * n, "ordered_at": ["2026-01-01 10:00:00"] * n,
        "status": ["paid"] * n, "amount": amounts, "channel": [None] * n, "store_id": [None] * n,
        "_row_number": list(range(1, n + 1)), "_row_hash": ["0" * 32] * n,
    })


def test_clean_batch_passes_and_every_expectation_runs(default_sources):
    table = load_sources_config(default_sources).table("oms__orders")
    result = validate_frame(orders_frame(), table)
    assert result.success, result.summary
    assert result.expectations_run == result.expectations_written == len(build_specs(table))


def test_dirty_batch_fails_with_examples(default_sources):
    table = load_sources_config(default_sources).table("oms__orders")
    result = validate_frame(orders_frame(bad=20), table)
    assert not result.success and not result.errors
    (failure,) = result.failures
    assert failure["expectation"] == "expect_column_values_to_be_between(amount__number)"
    assert failure["unexpected_count"] == 20 and failure["examples"][0] == -3.0


def test_a_lost_expectation_is_an_error_not_a_pass(default_sources, monkeypatch):
    """Some GE releases keep one expectation per column and type: a second regex on a column
    replaces the first. Emulate that bug and check the guard catches it."""
    import great_expectations as gx

    table = load_sources_config(default_sources).table("oms__orders")
    original = quality.build_specs
    monkeypatch.setattr(quality, "build_specs", lambda t: original(t) + [
        ExpectationSpec("ExpectColumnValuesToMatchRegex", "amount", {"regex": "^1"})])
    add = gx.ExpectationSuite.add_expectation

    def add_keeping_one_per_column_and_type(self, expectation):
        for existing in list(self.expectations):
            if (existing.expectation_type == expectation.expectation_type
                    and getattr(existing, "column", None) == getattr(expectation, "column", None)):
                self.expectations.remove(existing)
        return add(self, expectation)

    monkeypatch.setattr(gx.ExpectationSuite, "add_expectation", add_keeping_one_per_column_and_type)
    result = validate_frame(orders_frame(), table)
    assert not result.success
    assert any("ran" in e and "missing" in e for e in result.errors)


def test_the_batch_holds_the_columns_the_suite_reads(default_sources):
    """The sample fetched for GE and the batch given to it hold only the columns an expectation
    names (a range on amount__number reads amount): the others were hashed and trimmed for
    nothing. The verdict is the one the whole frame gives."""
    table = load_sources_config(default_sources).table("oms__orders")
    columns = quality.expectation_columns(table)
    assert {"_row_number", "_row_hash", "order_id", "ordered_at", "amount", "status"} <= set(columns)
    assert "amount__number" not in columns and "channel" not in columns and "store_id" not in columns
    whole = validate_frame(orders_frame(bad=20), table)
    narrow = validate_frame(orders_frame(bad=20)[columns], table)
    assert (whole.success, whole.failures, whole.errors, whole.expectations_run) == (
        narrow.success, narrow.failures, narrow.errors, narrow.expectations_run)


def test_an_expectation_that_raises_is_an_error(default_sources):
    table = load_sources_config(default_sources).table("oms__orders")
    frame = orders_frame().drop(columns=["status"])  # the suite names a column that is not there
    result = validate_frame(frame, table)
    assert not result.success
    assert any("raised instead of running" in e for e in result.errors)


def febrl_table() -> TableConfig:
    return TableConfig(source="febrl", name="people", kind="customers", path="a.csv", format="csv",
                       columns={"source_record_id": "rec_id", "birth_date": "dob", "gender": "sex",
                                "created_at": "since"})


def customers_frame(birth_dates, genders=None):
    n = len(birth_dates)
    return pd.DataFrame({
        "source_record_id": [f"S{i}" for i in range(n)], "birth_date": birth_dates,
        "gender": genders or ["M"] * n, "created_at": ["2024-01-01"] * n,
        "_row_number": list(range(1, n + 1)), "_row_hash": ["0" * 32] * n,
    })


def test_values_written_with_spaces_around_them_are_not_dirt(default_sources):
    """FEBRL's CSVs are written `a, b, c`: staging trims, so the raw checks read the value as
    staging does (yyyymmdd included)."""
    table = febrl_table()
    spaced = [" 19151111", "19161214 ", "\u30001987-01-01\u3000", " 1987/3/5", "\u00a01990"] * 40
    result = validate_frame(customers_frame(spaced, [" m", "F ", "\u3000男", "f", " 1"] * 40), table)
    assert result.success, result.summary


def test_trimming_does_not_weaken_the_checks(default_sources):
    table = febrl_table()
    result = validate_frame(customers_frame([" 1915-11-11x", " abc", "19xx1111", " 1915", "\t1915"] * 40), table)
    (failure,) = result.failures
    assert failure["expectation"] == "expect_column_values_to_match_regex(birth_date)"
    # only ' 1915' passes: a tab is no space to staging's trim(), which could not read '\t1915' either
    assert failure["unexpected_count"] == 160
