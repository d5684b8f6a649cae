"""One run per warehouse, and no run waiting on a dead one (orchestration/run_guard.py), with
real processes and a real Dagster instance: a killed process's run is found, marked failed and
its pool slot freed; a second run on a locked warehouse waits, then gives up naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterRunStatus, job, op
from dagster._core.instance_for_test import instance_for_test

from orchestration.run_guard import PID_TAG, process_alive, process_start, reap_dead_runs, run_tags
from orchestration.warehouse.lock import WarehouseBusy, lock_path, warehouse_run_lock
from orchestration.warehouse.resource import DuckDBWarehouse

REPO = Path(__file__).resolve().parents[1]
POOL = "duckdb_warehouse"


@op
def _noop() -> None:
    pass


@job
def _a_job() -> None:
    _noop()


def dead_pid() -> tuple[int, str]:
    """A pid whose process has ended, with the start time it had."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    started = process_start(proc.pid)
    proc.kill()
    proc.wait()
    return proc.pid, started


def started_run(instance, tags: dict[str, str]):
    run = instance.create_run_for_job(_a_job, tags=tags)
    instance.handle_run_event(run.run_id, _start_event(run))
    storage = instance.event_log_storage
    storage.set_concurrency_slots(POOL, 1)
    assert storage.claim_concurrency_slot(POOL, run.run_id, "raw__oms__orders").is_claimed
    return instance.get_run_by_id(run.run_id)


def _start_event(run):
    from dagster._core.events import DagsterEvent, DagsterEventType

    return DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name)


def test_a_run_whose_process_died_is_marked_failed_and_frees_its_slot():
    pid, started = dead_pid()
    with instance_for_test() as instance:
        tags = {**run_tags(Path("/tmp/w.duckdb")), PID_TAG: str(pid), "huaxiang/process_start": started or ""}
        dead = started_run(instance, tags)
        assert dead.status == DagsterRunStatus.STARTED
        said: list[str] = []
        assert reap_dead_runs(instance, say=said.append) == [dead.run_id]
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(POOL).claimed_slots == []
        assert f"process {pid}, which is gone" in said[0] and "slot freed" in said[0]
        # the next run can take the slot at once
        assert instance.event_log_storage.claim_concurrency_slot(POOL, "next-run", "step").is_claimed


def test_a_live_run_is_left_alone():
    with instance_for_test() as instance:
        helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            tags = {**run_tags(Path("/tmp/w.duckdb")), PID_TAG: str(helper.pid),
                    "huaxiang/process_start": process_start(helper.pid) or ""}
            live = started_run(instance, tags)
            assert reap_dead_runs(instance, say=lambda m: None) == []
            assert instance.get_run_by_id(live.run_id).status == DagsterRunStatus.STARTED
        finally:
            helper.kill()
            helper.wait()


def test_a_reused_pid_is_not_the_same_process():
    assert process_alive(os.getpid(), process_start(os.getpid()))
    assert not process_alive(os.getpid(), "1")  # this pid, another start time: another process


def test_a_slot_held_by_an_ended_run_is_freed():
    with instance_for_test() as instance:
        run = started_run(instance, {})
        instance.report_run_failed(run, "ended without releasing")
        said: list[str] = []
        assert reap_dead_runs(instance, say=said.append) == [run.run_id]
        assert instance.event_log_storage.get_concurrency_info(POOL).claimed_slots == []


def test_a_second_run_waits_for_the_lock_then_gives_up_naming_the_holder(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from orchestration.warehouse.lock import warehouse_run_lock\n"
         f"with warehouse_run_lock(Path({str(warehouse)!r}), 0):\n"
         "    print('held', flush=True); time.sleep(60)"],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said: list[str] = []
        begin = time.monotonic()
        with pytest.raises(WarehouseBusy, match=rf"another huaxiang run \(pid {holder.pid} on .*\) holds the warehouse"):
            with warehouse_run_lock(warehouse, 1.5, say=said.append, poll_seconds=0.2):
                pass
        assert 1.4 <= time.monotonic() - begin < 10
        assert said == [f"waiting for another huaxiang run (pid {holder.pid} on {os.uname().nodename} since "
                        f"{said[0].split(' since ')[1].split(')')[0]}) on {warehouse}, for at most 2s"]
        # the holder is killed: the operating system drops its lock, the next run takes it
        holder.kill()
        holder.wait()
        with warehouse_run_lock(warehouse, 5, say=said.append):
            assert str(os.getpid()) in lock_path(warehouse).read_text()
        assert lock_path(warehouse).read_text() == ""
    finally:
        holder.kill()
        holder.wait()


def test_the_cli_exits_3_when_the_warehouse_stays_busy(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    with warehouse_run_lock(warehouse, 0):
        proc = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "run", "--warehouse", str(warehouse),
             "--wait-for-lock", "1"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "waiting for another huaxiang run" in proc.stderr
    assert f"holds the warehouse {warehouse}; waited 1s" in proc.stderr


def test_an_export_killed_half_way_leaves_nothing_the_next_one_keeps(tmp_path):
    from orchestration.exports.files import remove_stale_temporaries

    gone, _ = dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stale = [tmp_path / f".huaxiang_bi.{gone}.tmp.duckdb", tmp_path / f".huaxiang_bi.{gone}.tmp.duckdb.wal"]
        for p in stale:
            p.write_bytes(b"half")
        (tmp_path / f".parquet.{gone}.tmp").mkdir()
        (tmp_path / f".parquet.{gone}.tmp" / "customer_360.parquet").write_bytes(b"half")
        theirs = tmp_path / f".huaxiang_bi.{live.pid}.tmp.duckdb"
        theirs.write_bytes(b"in progress")
        (tmp_path / "huaxiang_bi.duckdb").write_bytes(b"the last copy")
        removed = remove_stale_temporaries(tmp_path, "huaxiang_bi", "parquet")
        assert sorted(p.name for p in removed) == sorted([*(p.name for p in stale), f".parquet.{gone}.tmp"])
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([theirs.name, "huaxiang_bi.duckdb"])
    finally:
        live.kill()
        live.wait()


def _reader(warehouse: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the warehouse read-only (a notebook, a BI tool) for `seconds`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\nprint('open', flush=True)\n"
         f"time.sleep({seconds})"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


def test_a_step_waits_for_a_reader_then_writes(tmp_path):
    import duckdb

    from orchestration.warehouse.resource import DuckDBWarehouse

    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = _reader(warehouse, 3)
    said: list[str] = []
    import logging

    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logging.getLogger("huaxiang.warehouse").addHandler(handler)
    try:
        begin = time.monotonic()
        with DuckDBWarehouse(path=str(warehouse), lock_wait_seconds=60).connect() as con:
            con.execute("create table t as select 1 as x")
        assert time.monotonic() - begin >= 1
        assert said and f"is held by another process (PID {reader.pid}" in said[0]
    finally:
        logging.getLogger("huaxiang.warehouse").removeHandler(handler)
        reader.kill()
        reader.wait()


def test_a_reader_that_never_lets_go_fails_the_step_saying_what_to_close(tmp_path):
    import duckdb

    from orchestration.warehouse import WarehouseLocked
    from orchestration.warehouse.resource import DuckDBWarehouse

    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = _reader(warehouse, 60)
    try:
        with pytest.raises(WarehouseLocked, match=rf"locked by another process \(PID {reader.pid}.*for 1s: close"):
            with DuckDBWarehouse(path=str(warehouse), lock_wait_seconds=1).connect():
                pass
    finally:
        reader.kill()
        reader.wait()


def test_dbt_waits_for_a_reader_too(tmp_path):
    import yaml

    from orchestration.warehouse.dbt_profile import write_profile

    write_profile(tmp_path, tmp_path / "w.duckdb")
    profile = yaml.safe_load((tmp_path / "profiles.yml").read_text())
    assert profile["huaxiang"]["outputs"]["duckdb"]["retries"] == {"connect_attempts": 9}


def test_a_scheduled_run_however_started_holds_the_lock_and_records_its_process(tmp_path):
    """The schedule, the sensor and the UI launch runs without `huaxiang run`: the warehouse
    resource takes the lock and tags the run itself (re-entrant when the CLI already holds it)."""
    from dagster import asset, define_asset_job, Definitions, in_process_executor

    from orchestration.automation import DAILY_REFRESH_JOB

    warehouse = tmp_path / "w.duckdb"
    seen: dict[str, object] = {}

    @asset
    def probe(warehouse: DuckDBWarehouse):
        probe_lock = subprocess.run(
            [sys.executable, "-c", "import fcntl, sys\nh = open(sys.argv[1], 'a+')\n"
             "try:\n    fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
             "except BlockingIOError:\n    print('held')", str(lock_path(Path(warehouse.path)))],
            capture_output=True, text=True)
        seen["lock"] = probe_lock.stdout.strip()

    defs = Definitions(assets=[probe], jobs=[define_asset_job(DAILY_REFRESH_JOB, executor_def=in_process_executor)],
                       resources={"warehouse": DuckDBWarehouse(path=str(warehouse))})
    with instance_for_test() as instance:
        result = defs.resolve_job_def(DAILY_REFRESH_JOB).execute_in_process(instance=instance)
        assert result.success
        tags = instance.get_run_by_id(result.run_id).tags
    assert seen["lock"] == "held"
    assert tags[PID_TAG] == str(os.getpid()) and tags["huaxiang/warehouse"] == str(warehouse)
    # released at the end: the next run takes it at once
    with warehouse_run_lock(warehouse, 0):
        pass


def test_the_landing_sensor_frees_the_run_queue_of_a_killed_run(tmp_path, default_sources):
    """`make dev`: the daemon runs one run at a time; a killed run would hold the queue for ever."""
    from dagster import build_sensor_context

    from mini_landing import write_mini_landing
    from orchestration.automation import build_landing_sensor
    from orchestration.sources_config import load_sources_config

    write_mini_landing(tmp_path / "landing")
    sensor = build_landing_sensor(load_sources_config(default_sources, tmp_path / "landing"), tmp_path / "w.duckdb")
    pid, started = dead_pid()
    with instance_for_test() as instance:
        dead = started_run(instance, {**run_tags(tmp_path / "w.duckdb"), PID_TAG: str(pid),
                                      "huaxiang/process_start": started or ""})
        sensor(build_sensor_context(instance=instance))
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE


def test_an_operator_command_waits_for_a_gap_between_a_runs_steps(tmp_path):
    import duckdb

    warehouse = tmp_path / "w.duckdb"
    release = tmp_path / "release"
    duckdb.connect(str(warehouse)).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, os, time\n"
         f"con = duckdb.connect({str(warehouse)!r})\nprint('open', flush=True)\n"
         f"while not os.path.exists({str(release)!r}): time.sleep(0.1)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        cli = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "tags", "list", "--warehouse", str(warehouse)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first, second = cli.stderr.readline(), cli.stderr.readline()
        # no run has left a snapshot here: the command says it reads the warehouse itself
        assert "no snapshot at" in first and "reading the warehouse itself" in first
        assert f"is held by another process (PID {writer.pid}" in second
        release.touch()  # the step ends: the command gets its turn
        out, err = cli.communicate(timeout=300)
    finally:
        release.touch()
        writer.kill()
        writer.wait()
    assert cli.returncode == 0, err[-2000:]
    assert "weekend_shopper" in out
