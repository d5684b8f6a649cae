"""One run per warehouse: an advisory lock (flock) on a file beside the warehouse.

The operating system drops the lock when its process dies, however it dies, so a crash never
leaves a stale lock. Re-entrant within a process: `huaxiang run` takes it, then the run's
warehouse resource takes it again."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse longer than this one may wait."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".run.lock")


_HELD: dict[Path, list] = {}  # lock file -> [open handle, holders in this process]
_HELD_GUARD = threading.Lock()


def acquire_run_lock(warehouse: Path, wait_seconds: float, say: Callable[[str], None] = print,
                     poll_seconds: float = 2.0) -> None:
    """Take the warehouse's run lock, waiting for it at most `wait_seconds` (saying once who
    holds it), else WarehouseBusy naming the holder."""
    path = lock_path(warehouse).resolve()
    with _HELD_GUARD:
        if path in _HELD:
            _HELD[path][1] += 1
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = _holder(path)
            if time.monotonic() >= deadline:
                handle.close()
                raise WarehouseBusy(
                    f"another huaxiang run ({holder}) holds the warehouse {warehouse}; waited "
                    f"{wait_seconds:.0f}s. Run again when it has finished, or wait longer "
                    "(--wait-for-lock SECONDS).") from None
            if not told:
                say(f"waiting for another huaxiang run ({holder}) on {warehouse}, "
                    f"for at most {wait_seconds:.0f}s")
                told = True
            time.sleep(min(poll_seconds, max(0.05, deadline - time.monotonic())))
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.strftime("%Y-%m-%d %H:%M:%S")}))
    handle.flush()
    with _HELD_GUARD:
        _HELD[path] = [handle, 1]


def release_run_lock(warehouse: Path) -> None:
    path = lock_path(warehouse).resolve()
    with _HELD_GUARD:
        held = _HELD.get(path)
        if held is None:
            return
        held[1] -= 1
        if held[1] > 0:
            return
        del _HELD[path]
    handle = held[0]
    handle.seek(0)
    handle.truncate()
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


@contextmanager
def warehouse_run_lock(warehouse: Path, wait_seconds: float,
                       say: Callable[[str], None] = print, poll_seconds: float = 2.0) -> Iterator[None]:
    """Hold the warehouse's run lock for the body (acquire_run_lock)."""
    acquire_run_lock(warehouse, wait_seconds, say, poll_seconds)
    try:
        yield
    finally:
        release_run_lock(warehouse)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "process unknown"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}"
