"""The BI copy of the big fact tables, one run's rows at a time.

`fct_orders` and `fct_customer_events` are most of the BI copy (52M of 60M rows at 1M
customers, 50 of the 99 seconds of copying them whole), yet a daily delivery adds about 1 % to
them. Their rows are written by dbt in one way only: a run inserts rows stamped with its own
`_built_at` and may delete older rows (re-judged rows, files gone from the landing, a rebuild
after the customer ids moved); a row is never updated in place. So the rows of one stamp in the
warehouse are a subset of the rows that stamp had when it was written, and the copy can be
kept in step per stamp:

- a stamp the copy does not have yet: its rows are inserted;
- a stamp whose rows differ between the warehouse and the copy (rows were deleted from it: a
  different count or XOR of row hashes), or that is gone from the warehouse: its rows in the
  copy are replaced (or removed);
- a stamp with the same count and hash: the same rows, nothing to do.

The Parquet copy of such a table is a folder with one file per stamp
(`parquet/<table>/part-<stamp>.parquet`); a file of an unchanged stamp is hard-linked from the
previous copy's folder, not written again.

The summaries are a scan of both tables (a few seconds at 1M customers), not a write. The
granularity is the models' (macros/incremental.sql: `run_stamp()`, `delete_rebuilt_events()`,
`drop_rows_of_stale_files()`): a model that came to update old rows in place would still be
copied right, its old stamps rewritten every day.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.warehouse import Connection, table_columns

STAMP = "_built_at"
STAMPED_TABLES = ("marts.fct_orders", "marts.fct_customer_events")
"""Tables whose rows runs only insert (stamped with the run) and delete, never update."""


@dataclass(frozen=True)
class StampedCopy:
    rows: int  # rows in the copy
    rows_written: int  # rows this copy inserted (the rest were already there)


def _literal(stamp: datetime) -> str:
    return f"timestamp '{stamp.isoformat(sep=' ')}'"


def _in_list(stamps: list[datetime]) -> str:
    return ", ".join(_literal(s) for s in stamps)


def _stamp_summary(con: Connection, relation: str, columns: list[str]) -> dict[datetime, tuple[int, int]]:
    """Per stamp: rows, and the XOR of the rows' hashes (a row changed in place shows)."""
    row_hash = f"hash({', '.join(chr(34) + c + chr(34) for c in columns)})"
    return {stamp: (rows, digest) for stamp, rows, digest in con.execute(
        f"select {STAMP}, count(*), bit_xor({row_hash}) from {relation} group by 1").fetchall()}


def part_file(folder: Path, stamp: datetime) -> Path:
    return folder / f"part-{stamp.strftime('%Y%m%dT%H%M%S%f')}.parquet"


def copy_stamped(con: Connection, select: str, target: str, columns: list[str], reuse: bool,
                 parquet_out: Path, parquet_previous: Path | None) -> StampedCopy:
    """Bring table `target` (in an attached BI file) and the Parquet folder `parquet_out` in
    step with `select` (the warehouse table, BI columns only). `reuse`: `target` holds the
    previous copy, to be updated; otherwise it is written whole."""
    if STAMP not in columns:
        raise ValueError(f"{target}: a stamped table needs its {STAMP} column in the BI copy")
    source = f"({select}) as source"
    wanted = _stamp_summary(con, source, columns)
    catalog, schema, table = target.split(".")
    if reuse and table_columns(con, f"{schema}.{table}", catalog=catalog) == columns:
        have = _stamp_summary(con, target, columns)
    else:  # first copy, or the table's columns changed: its old Parquet files are of no use either
        con.execute(f"create or replace table {target} as select * from {source} limit 0")
        have, parquet_previous = {}, None
    changed = sorted(s for s, n in have.items() if wanted.get(s) != n)
    if changed:
        con.execute(f"delete from {target} where {STAMP} in ({_in_list(changed)})")
    to_write = sorted(s for s in wanted if s not in have or s in changed)
    if to_write:
        con.execute(f"insert into {target} select * from {source} where {STAMP} in ({_in_list(to_write)})")
    now = _stamp_summary(con, target, columns) if have else wanted  # (written whole: one insert of the source)
    if now != wanted:  # two runs' rows under one stamp?: never a silent difference
        raise RuntimeError(f"{target}: rows per {STAMP} differ from the warehouse after the copy "
                           f"({len(set(now.items()) ^ set(wanted.items()))} stamps)")
    parquet_out.mkdir(parents=True, exist_ok=True)
    written = set(to_write)
    for stamp in sorted(wanted):
        out = part_file(parquet_out, stamp)
        previous = part_file(parquet_previous, stamp) if parquet_previous else None
        if (stamp not in written and previous is not None and previous.is_file()
                and _parquet_rows(con, previous) == wanted[stamp][0]):  # (a run killed between the two renames)
            _link_or_copy(previous, out)
        else:
            con.sql(f"select * from {target} where {STAMP} = {_literal(stamp)}").write_parquet(str(out))
    return StampedCopy(rows=sum(n for n, _ in wanted.values()), rows_written=sum(wanted[s][0] for s in to_write))


def _parquet_rows(con: Connection, path: Path) -> int:
    return con.execute("select sum(num_rows) from parquet_file_metadata(?)", [str(path)]).fetchall()[0][0]


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (no bytes written) where the file system allows one, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
