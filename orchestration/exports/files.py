"""Files the exports write whole: built under a temporary name, renamed into place in one step.

The BI copy, the docs catalogue and the restricted contacts are each a DuckDB file a reader
may hold open while the next run writes its successor; a reader sees the old file or the new
one, never half. A run killed half-way leaves `.<name>.<pid>.tmp…` behind: the next writer
removes those of processes that are gone (and its own), never a live process's.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


from orchestration.run_guard import process_alive
from orchestration.warehouse import Connection


def sql_literal(text: str | Path) -> str:
    """A string literal for SQL text that takes no parameters (ATTACH, COPY ... TO)."""
    return "'" + str(text).replace("'", "''") + "'"


def remove_stale_temporaries(folder: Path, *names: str) -> list[Path]:
    """Remove `.<name>.<pid>.tmp.duckdb` (and its WAL) and `.<name>.<pid>.tmp` / `.old` folders
    of each name, left by processes that are gone or by this one (a writer runs once at a time
    in a process). A live other process's files are its business."""
    removed = []
    pattern = re.compile(rf"^\.(?:{'|'.join(re.escape(n) for n in names)})\.(\d+)\.(?:tmp\.duckdb(?:\.wal)?|tmp|old)$")
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = pattern.match(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and process_alive(pid, None):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextmanager
def database_written_whole(con: Connection, target: Path, alias: str, mode: int | None = None,
                           also_clean: tuple[str, ...] = (), start_from: Path | None = None) -> Iterator[None]:
    """Attach a new temporary DuckDB file as `alias` on `con` for the caller to fill; on success
    detach it and rename it over `target` (with `mode`, if given); on failure detach and remove
    it (and the temporaries of `also_clean`, the names of the caller's side files).

    `start_from`: the temporary file starts as a copy of that file (the previous `target`, for
    a caller that updates rather than rewrites); a reader holding `target` open is not
    disturbed, it keeps the old file until it reopens."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    names = (target.stem, *also_clean)
    remove_stale_temporaries(folder, *names)
    tmp = folder / f".{target.stem}.{os.getpid()}.tmp.duckdb"
    attached = False
    try:
        if start_from is not None:
            shutil.copyfile(start_from, tmp)
        con.execute(f"attach {sql_literal(tmp)} as {alias} (read_only false)")
        attached = True
        yield
    except BaseException:
        if attached:
            con.execute(f"detach {alias}")
        remove_stale_temporaries(folder, *names)
        raise
    con.execute(f"detach {alias}")
    if mode is not None:
        os.chmod(tmp, mode)
    tmp.replace(target)
