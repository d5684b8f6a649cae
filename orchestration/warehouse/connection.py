"""Opening the warehouse: the one place that calls `duckdb.connect`.

A second engine (Spark) plugs in here: everything else asks this package for a connection, a
table's name, its columns or its rows. DuckDB lets one process write a file at a time and a
reader anywhere blocks the writer, so opening waits for a holder to let go instead of failing.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

Connection = duckdb.DuckDBPyConnection
"""A connection to the warehouse (or to a scratch database): run SQL, read results."""
WarehouseError = duckdb.Error
CatalogError = duckdb.CatalogException  # a table, column or schema that is not there
InterruptError = duckdb.InterruptException  # a query stopped by Connection.interrupt()

DEFAULT_LOCK_WAIT_SECONDS = 300.0


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse for longer than a step may wait."""


def connect_waiting(path: str | Path, read_only: bool = False, config: dict[str, str] | None = None,
                    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
                    say: Callable[[str], None] | None = None) -> Connection:
    """Open the file, waiting while another process holds it: a notebook or a BI tool left
    open on the warehouse delays a step, with a warning naming the holder, instead of failing
    it. Gives up after `wait_seconds` with a message that says what to close."""
    say = say or logging.getLogger("huaxiang.warehouse").warning
    path = str(path)
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


@contextmanager
def connect(path: str | Path, read_only: bool = False, config: dict[str, str] | None = None,
            wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> Iterator[Connection]:
    """A connection to a warehouse file (the pipeline's, or its BI copy), closed at the end.
    Writing creates the file's folder."""
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = connect_waiting(path, read_only=read_only, config=config, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


def open_read_only(path: str | Path) -> Connection:
    """A read-only connection the caller closes: for a long-lived reader (the web app's request,
    a sensor's peek) that must not wait on a running pipeline; raises WarehouseError at once
    when the file is held or missing."""
    return duckdb.connect(str(path), read_only=True)


def open_scratch() -> Connection:
    """An in-memory database for work beside the warehouse (parsing or writing files, reading
    attached copies), that the caller closes."""
    return duckdb.connect()


@contextmanager
def scratch() -> Iterator[Connection]:
    """open_scratch() closed at the end of the block."""
    con = open_scratch()
    try:
        yield con
    finally:
        con.close()
