"""One run per warehouse, and no run left waiting on a dead one.

Two things made a scheduled refresh hang or fail for ever:

* a run killed with -9 (or by the out-of-memory killer) stays STARTED in the Dagster instance
  and keeps its slot of the warehouse pool, so the next run's steps queue without a word;
* two `huaxiang run` on one warehouse at once write the same dbt target folder and fight over
  the DuckDB file.

The lock is an advisory lock (flock) on a file beside the warehouse: the operating system
drops it when its process dies, however it dies, so a crash never leaves a stale lock. Every
run records its process (host, pid and the process's start time, which tells a reused pid
apart) in its tags; a later run that finds such a run unfinished while its process is gone
marks it failed and frees its pool slots, and says so.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orchestration.automation import DAILY_REFRESH_JOB, EVERYTHING_JOB, WEEKLY_TRAINING_JOB
from orchestration.warehouse.lock import acquire_run_lock

PID_TAG = "huaxiang/pid"
HOST_TAG = "huaxiang/host"
PROCESS_START_TAG = "huaxiang/process_start"
WAREHOUSE_TAG = "huaxiang/warehouse"
# the jobs that run every step in the run's own process (in_process_executor)
IN_PROCESS_JOBS = {EVERYTHING_JOB, DAILY_REFRESH_JOB, WEEKLY_TRAINING_JOB}
UNFINISHED = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED,
              DagsterRunStatus.QUEUED, DagsterRunStatus.CANCELING]


def process_start(pid: int) -> str | None:
    """The start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or
    None when there is no such process. With the pid it names one process: pids are reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces
    return stat.rsplit(")", 1)[1].split()[19]


def process_alive(pid: int, started: str | None) -> bool:
    if not Path("/proc").is_dir():  # no procfs (macOS): ask the kernel about the pid alone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    now = process_start(pid)
    return now is not None and (started is None or now == started)


def run_tags(warehouse: Path) -> dict[str, str]:
    """Tags for a run of this process: who runs it, so that a later run can tell it died."""
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(),
            PROCESS_START_TAG: process_start(pid) or "", WAREHOUSE_TAG: str(warehouse)}


def guard_run(instance: DagsterInstance, run, warehouse: Path, wait_seconds: float,
              say: Callable[[str], None]) -> bool:
    """What a run of the scheduled jobs does first, however it was started (`huaxiang run`,
    the schedule, the sensor, the UI): take the warehouse's run lock, mark failed the runs
    whose process died, and record its own process in its tags. False when `run` is not one
    whose whole life is one process (a UI materialization runs each step in its own process:
    its pid would be gone after its first step), which takes no lock."""
    if run is None or run.job_name not in IN_PROCESS_JOBS:
        return False
    acquire_run_lock(warehouse, wait_seconds, say)
    reap_dead_runs(instance, say=say)
    if PID_TAG not in run.tags:
        instance.add_run_tags(run.run_id, run_tags(warehouse))
    return True


def reap_dead_runs(instance: DagsterInstance, say: Callable[[str], None] = print) -> list[str]:
    """Mark failed every unfinished run of this host whose process is gone, and free the
    concurrency slots of every run that is finished (or just marked so). Returns their ids."""
    host = socket.gethostname()
    reaped = []
    for run in instance.get_runs(RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: host})):
        pid_text = run.tags.get(PID_TAG, "")
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or process_alive(pid, run.tags.get(PROCESS_START_TAG) or None):
            continue
        message = (f"run {run.run_id} ({run.job_name}) was left {run.status.value} by process {pid}, "
                   "which is gone (killed, or out of memory): marked failed, its warehouse slot freed")
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        say(message)
        reaped.append(run.run_id)
    # a slot held by a run that has ended (a crash between the end and the release) is freed too
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for key in storage.get_concurrency_keys():
            info = storage.get_concurrency_info(key)
            holders = sorted({s.run_id for s in info.claimed_slots} | {s.run_id for s in info.pending_steps})
            for run_id in holders:
                run = instance.get_run_by_id(run_id)
                if run is None or run.is_finished:
                    storage.free_concurrency_slots_for_run(run_id)
                    if run_id not in reaped:
                        say(f"freed the slot of pool {key} still held by ended run {run_id}")
                        reaped.append(run_id)
    return reaped
