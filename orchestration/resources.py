"""The warehouse as a Dagster resource.

A connection is opened per asset and closed at its end: DuckDB lets one process write a file
at a time, and dbt (a subprocess) must be able to open it between our steps.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from orchestration.settings import RUN_LOCK_WAIT_SECONDS


def connect_waiting(path: str, read_only: bool = False, config: dict[str, str] | None = None,
                    wait_seconds: float = 300.0, say=None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting while another process holds the file (DuckDB lets one process
    write, and a reader anywhere blocks the writer): a notebook or a BI tool left open on the
    warehouse delays a step, with a warning naming the holder, instead of failing it. Gives up
    after `wait_seconds` with a message that says what to close."""
    say = say or logging.getLogger("huaxiang.warehouse").warning
    deadline = time.monotonic() + wait_seconds
    delay, told = 0.25, False
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise
            holder = _lock_holder(text)
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"the warehouse {path} stayed locked by {holder} for {wait_seconds:.0f}s: close that "
                    "program (a notebook or BI tool should read the BI copy, bi/huaxiang_bi.duckdb), "
                    "then run again") from exc
            if not told:
                say(f"the warehouse {path} is held by {holder}; waiting up to {wait_seconds:.0f}s for it")
                told = True
            time.sleep(min(delay, max(0.05, deadline - time.monotonic())))
            delay = min(delay * 2, 5.0)


def _lock_holder(message: str) -> str:
    """'another process (PID 1234, python3)' from DuckDB's 'Conflicting lock is held in
    /usr/bin/python3 (PID 1234) by user x'."""
    match = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    return f"another process (PID {match.group(2)}, {Path(match.group(1)).name})" if match else "another process"


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse for longer than a step may wait."""


class DuckDBWarehouse(ConfigurableResource):
    """The embedded warehouse file (schemas raw, staging, intermediate, marts)."""

    path: str
    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None  # where DuckDB spills when a query needs more than memory_limit
    lock_wait_seconds: float = 300.0  # how long a step waits for a reader (a notebook, a BI tool) to let go
    run_lock_wait_seconds: float = RUN_LOCK_WAIT_SECONDS  # how long a run waits for another run on this warehouse
    _holds_run_lock: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """A run of the scheduled jobs, however started (CLI, schedule, sensor, UI), holds the
        warehouse's run lock for its life, and first cleans up after runs that were killed."""
        from orchestration.run_guard import guard_run

        if context.instance is None:
            return
        self._holds_run_lock = guard_run(context.instance, context.run, Path(self.path),
                                         self.run_lock_wait_seconds, say=context.log.warning)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        from orchestration.run_guard import release_run_lock

        if self._holds_run_lock:
            release_run_lock(Path(self.path))
            self._holds_run_lock = False

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str] = {}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.threads:
            config["threads"] = str(self.threads)
        if self.temp_directory:
            config["temp_directory"] = self.temp_directory
        con = connect_waiting(self.path, read_only=read_only, config=config,
                              wait_seconds=self.lock_wait_seconds)
        try:
            yield con
        finally:
            con.close()
