"""The run summary says why a step failed: the exception's message and its causes, the file."""

from __future__ import annotations

import duckdb
import pytest
from dagster import DagsterEventType, job, op

from orchestration.ingest import loader
from orchestration.ingest.loader import FileLoadError, load_table
from orchestration.runner import failure_cause
from orchestration.sources_config import TableConfig


@op
def _fails() -> None:
    try:
        raise ValueError("amount column of oms/orders/2025.csv row 17 is not a number")
    except ValueError as exc:
        raise RuntimeError("loading oms/orders/2025.csv failed") from exc


@job
def _failing_job() -> None:
    _fails()


def test_a_failed_step_is_reported_with_its_cause_not_only_its_name():
    result = _failing_job.execute_in_process(raise_on_error=False)
    (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    text = failure_cause(failure.event_specific_data.error)
    assert text == ("RuntimeError: loading oms/orders/2025.csv failed <- caused by: "
                    "ValueError: amount column of oms/orders/2025.csv row 17 is not a number")
    assert "Error occurred while executing op" not in text


def test_a_file_that_fails_to_load_is_named(tmp_path, monkeypatch):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.csv").write_text("id\n1\n", encoding="utf-8")
    table = TableConfig(source="crm", name="p", kind="customers", path="c/*.csv", format="csv",
                        columns={"source_record_id": "id"})

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loader, "load_line_file", disk_full)
    con = duckdb.connect()
    with pytest.raises(FileLoadError, match=r"loading c/a.csv into raw.crm__p failed: .*No space left on device"):
        load_table(con, table, tmp_path)
    # nothing of the file was kept: the transaction rolled back
    assert con.execute("select count(*) from raw.load_log").fetchall() == [(0,)]


def test_progress_shows_a_line_per_step_and_the_log_file_holds_every_event(tmp_path):
    import time as _time

    from dagster import DagsterInstance, MaterializeResult, asset, define_asset_job, Definitions
    from dagster._core.utils import make_new_run_id

    from orchestration.progress import RunProgress

    @asset
    def loaded():
        return MaterializeResult(metadata={"rows_loaded": 1234})

    @asset(deps=[loaded])
    def slow():
        _time.sleep(2.5)

    job_def = Definitions(assets=[loaded, slow], jobs=[define_asset_job("j")]).resolve_job_def("j")
    said: list[str] = []
    run_id = make_new_run_id()
    with DagsterInstance.ephemeral() as instance:
        with RunProgress(instance, run_id, tmp_path / "run.log", said.append, poll_seconds=0.2,
                         bar_every_seconds=1.0):
            assert job_def.execute_in_process(instance=instance, run_id=run_id).success
    starts = [line for line in said if "▶" in line]
    ends = [line for line in said if "✓" in line]
    assert [line.split("▶ ")[1] for line in starts] == ["loaded", "slow"]
    assert any(line.split("✓ ")[1].startswith("loaded  ") and "(1,234 rows)" in line for line in ends), ends
    assert any("slow still running" in line for line in said), said  # a long step is not silent
    log = (tmp_path / "run.log").read_text(encoding="utf-8")
    assert "STEP_START" in log and "STEP_SUCCESS" in log and "RUN_SUCCESS" in log
