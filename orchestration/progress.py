"""What a headless run shows while it works: one line per step as it starts and ends (rows,
seconds), a bar for the dbt steps every few seconds, and the whole event log in a file.

`make demo` used to print a thousand lines of Dagster and dbt logs and then nothing for the
long steps; an operator could not tell a slow run from a hung one. The run's events are read
from the instance's event log by a thread beside the run, so nothing in the assets changes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

ROW_KEYS = ("rows_loaded", "rows", "dagster/row_count", "customers", "members", "values")
WATCHED = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
           DagsterEventType.ASSET_MATERIALIZATION}


def _rows(metadata) -> int | None:
    for key in ROW_KEYS:
        value = getattr(metadata.get(key), "value", metadata.get(key))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def bar(done: int, total: int, width: int = 24) -> str:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


class RunProgress:
    """Follows run `run_id` in `instance` until stopped: prints progress with `say` and writes
    every event of the run to `log_file` as it happens (a run that hangs or is killed leaves
    its log up to that moment)."""

    def __init__(self, instance: DagsterInstance, run_id: str, log_file: Path,
                 say: Callable[[str], None], assets_per_step: dict[str, int] | None = None,
                 poll_seconds: float = 1.0, bar_every_seconds: float = 15.0,
                 capture_stdout: bool = True) -> None:
        self.instance, self.run_id, self.log_file, self.say = instance, run_id, log_file, say
        self.assets_per_step = assets_per_step or {}
        self.poll_seconds, self.bar_every = poll_seconds, bar_every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="huaxiang-progress", daemon=True)
        self._cursor: str | None = None
        self._started: dict[str, float] = {}
        self._rows: dict[str, int] = {}
        self._materialized: dict[str, int] = {}
        self._last_bar: dict[str, float] = {}
        self._log = None
        self._lock = threading.Lock()
        self._redirect: contextlib.AbstractContextManager | None = None
        self.capture_stdout = capture_stdout

    def __enter__(self) -> "RunProgress":
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("w", encoding="utf-8")
        # dagster-dbt echoes every dbt line on stdout: into the log file with the events
        if self.capture_stdout:
            self._redirect = contextlib.redirect_stdout(_LineWriter(self._write_raw))
            self._redirect.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._poll()  # the last events
        if self._redirect:
            self._redirect.__exit__(None, None, None)
        if self._log:
            self._log.close()
            self._log = None

    def _write_raw(self, text: str) -> None:
        with self._lock:
            if self._log:
                self._log.write(text)
                self._log.flush()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self._poll()
            except Exception as exc:  # never let the progress display break the run
                self._write(f"(progress display: {exc})")
            self._bars()

    def _write(self, line: str) -> None:
        self._write_raw(line + "\n")

    def _poll(self) -> None:
        while True:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=500)
            for record in conn.records:
                self._handle(record.event_log_entry)
            self._cursor = conn.cursor
            if not conn.has_more:
                return

    def _handle(self, entry) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.timestamp))
        event = entry.dagster_event
        message = entry.user_message or (event.message if event else "") or ""
        level = entry.level if isinstance(entry.level, str) else logging.getLevelName(entry.level)
        self._write(f"{stamp} {level:<7} {entry.step_key or '-'} {event.event_type.name if event else 'LOG'} "
                    f"{message}".rstrip())
        if event is None or event.event_type not in WATCHED:
            return
        step = event.step_key or "-"
        if event.event_type == DagsterEventType.STEP_START:
            self._started[step] = entry.timestamp
            self._last_bar[step] = time.time()
            self.say(f"  {stamp} ▶ {step}")
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            self._materialized[step] = self._materialized.get(step, 0) + 1
            rows = _rows(event.event_specific_data.materialization.metadata or {})
            if rows is not None:
                self._rows[step] = self._rows.get(step, 0) + rows
        else:
            seconds = entry.timestamp - self._started.get(step, entry.timestamp)
            ok = event.event_type == DagsterEventType.STEP_SUCCESS
            detail = []
            if self._materialized.get(step, 0) > 1:
                detail.append(f"{self._materialized[step]} assets")
            if step in self._rows:
                detail.append(f"{self._rows[step]:,} rows")
            self.say(f"  {stamp} {'✓' if ok else '✗'} {step}  {seconds:.1f}s"
                     + (f"  ({', '.join(detail)})" if detail else "") + ("" if ok else "  FAILED"))
            self._started.pop(step, None)

    def _bars(self) -> None:
        now = time.time()
        for step, begin in list(self._started.items()):
            if now - self._last_bar.get(step, begin) < self.bar_every:
                continue
            self._last_bar[step] = now
            done, total = self._materialized.get(step, 0), self.assets_per_step.get(step, 0)
            if total > 1:
                self.say(f"           {step} {bar(done, total)} {done}/{total} assets, {now - begin:.0f}s")
            else:
                self.say(f"           {step} still running, {now - begin:.0f}s")


class _LineWriter(io.TextIOBase):
    """A text stream that hands what is written to `sink` (thread-safe there)."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._sink(text)
        return len(text)
