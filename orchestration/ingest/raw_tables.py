"""The raw schema: one text table per source table (with each row's lineage), `raw.rejects`
and `raw.load_log`, and the statements that put rows and rejects into them, forget a file's
rows, and reconcile what a file held with what the warehouse now keeps.

Raw tables hold text only (VARCHAR): casting and normalising is staging's job, in dbt, where
a value that does not parse is visible instead of failing the load."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from orchestration.ingest.readers import Chunk, Reject
from orchestration.sources_config import TableConfig
from orchestration.warehouse import Connection, insert_rows, read_frame

LINEAGE_COLUMNS = ("_source_file", "_row_number", "_loaded_at", "_row_hash", "_unmapped")


DDL = """
create schema if not exists raw;
create table if not exists raw.rejects (
    source varchar, table_name varchar, source_file varchar, row_number bigint,
    raw_text varchar, reason varchar, loaded_at timestamp
);
create table if not exists raw.load_log (
    source varchar, table_name varchar, source_file varchar, file_sha256 varchar,
    file_bytes bigint, config_fingerprint varchar, rows_read bigint, rows_loaded bigint,
    rows_rejected bigint, loaded_at timestamp, status varchar, message varchar
);
"""


@dataclass
class FileReport:
    source_file: str
    status: str  # loaded | unchanged | rejected (whole file) | removed
    rows_read: int | None  # None: the file could not be read far enough to count its rows
    rows_loaded: int
    rows_rejected: int
    message: str = ""
    reject_reasons: Counter = field(default_factory=Counter)


@dataclass
class TableLoadReport:
    raw_table: str
    files: list[FileReport]

    @property
    def loaded_files(self) -> list[str]:
        return [f.source_file for f in self.files if f.status in ("loaded", "rejected")]

    def totals(self) -> dict[str, int]:
        current = [f for f in self.files if f.status != "removed"]
        return {
            "files": len(current),
            "rows_read": sum(f.rows_read or 0 for f in current),
            "files_unreadable": sum(f.rows_read is None for f in current),
            "rows_loaded": sum(f.rows_loaded for f in current),
            "rows_rejected": sum(f.rows_rejected for f in current),
            "files_loaded_now": sum(f.status in ("loaded", "rejected") for f in self.files),
            "files_unchanged": sum(f.status == "unchanged" for f in self.files),
            "files_removed": sum(f.status == "removed" for f in self.files),
        }


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ensure_raw_schema(con: Connection) -> None:
    con.execute(DDL)


def _create_table_sql(table: TableConfig) -> str:
    cols = [f"{quote_ident(c)} varchar" for c in table.raw_columns]
    cols += ["_source_file varchar", "_row_number bigint", "_loaded_at timestamp",
             "_row_hash varchar", "_unmapped varchar"]
    return f"create table raw.{quote_ident(table.raw_table)} ({', '.join(cols)})"


def _existing_columns(con: Connection, raw_table: str) -> list[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [raw_table],
    ).fetchall()
    return [r[0] for r in rows] or None


def prepare_table(con: Connection, table: TableConfig) -> None:
    """Create the raw table, or rebuild it when its columns or mapping changed."""
    expected = table.raw_columns + list(LINEAGE_COLUMNS)
    existing = _existing_columns(con, table.raw_table)
    fingerprints = {r[0] for r in con.execute(
        "select distinct config_fingerprint from raw.load_log where source = ? and table_name = ?",
        [table.source, table.name]).fetchall()}
    stale = existing is not None and (
        existing != expected or (fingerprints and fingerprints != {table.fingerprint()}))
    if stale:
        con.execute(f"drop table raw.{quote_ident(table.raw_table)}")
        con.execute("delete from raw.load_log where source = ? and table_name = ?",
                    [table.source, table.name])
        con.execute("delete from raw.rejects where source = ? and table_name = ?",
                    [table.source, table.name])
        existing = None
    if existing is None:
        con.execute(_create_table_sql(table))


def value_expr(table: TableConfig, column: str, available: set[str],
                params: list[object]) -> str:
    """SQL for one raw column: the mapped value, a value-mapped value, a constant, or NULL."""
    if column in table.constants:
        params.append(table.constants[column])
        return "?::varchar"
    if column in table.columns and len(table.source_columns(column)) > 1:
        parts = [part_name(column, i) for i in range(len(table.source_columns(column)))]
        if not all(p in available for p in parts):
            return "null::varchar"
        # the values joined with one space; empty ones (after trimming) are skipped
        ref = "nullif(concat_ws(' ', " + ", ".join(
            f"nullif(trim({quote_ident(p)}), '')" for p in parts) + "), '')"
    elif column not in available:
        return "null::varchar"
    else:
        ref = quote_ident(column)
    vmap = table.value_maps.get(column)
    if not vmap:
        return ref
    whens = []
    for src, dst in sorted(vmap.items()):
        params.extend([src, dst])
        whens.append("when ? then ?")
    return f"case {ref} {' '.join(whens)} else {ref} end"


def insert_batch(con: Connection, table: TableConfig, batch: pa.Table,
                  rel_file: str, loaded_at: datetime) -> int:
    """Insert an Arrow batch whose columns are named by canonical/extra field."""
    available = set(batch.column_names)
    params: list[object] = []
    exprs = [value_expr(table, c, available, params) for c in table.raw_columns]
    params.extend([rel_file, loaded_at])
    insert_rows(con, f"raw.{quote_ident(table.raw_table)}", batch,
                select=f"{', '.join(exprs)}, ?::varchar, _row_number, ?::timestamp, _row_hash, _unmapped",
                params=params)
    return batch.num_rows


def part_name(column: str, i: int) -> str:
    """The name under which the i-th of several source columns of `column` is read; `#` is
    never in a field name, so it cannot meet a mapped or extra column."""
    return f"{column}#{i + 1}"


def wanted_columns(table: TableConfig) -> dict[str, str]:
    """{name read: source column name} for mapped and extra columns; a field mapped from
    several columns is read as one part per column (part_name), joined by value_expr."""
    wanted: dict[str, str] = {}
    for fld in table.columns:
        sources = table.source_columns(fld)
        if len(sources) == 1:
            wanted[fld] = sources[0]
        else:
            wanted.update({part_name(fld, i): src for i, src in enumerate(sources)})
    return {**wanted, **table.extra_columns}


def chunk_to_arrow(chunk: Chunk) -> pa.Table:
    arrays = {name: pa.array(values, type=pa.string()) for name, values in chunk.columns.items()}
    arrays["_row_number"] = pa.array(chunk.row_numbers, type=pa.int64())
    arrays["_row_hash"] = pa.array(chunk.row_hashes, type=pa.string())
    arrays["_unmapped"] = pa.array(chunk.unmapped, type=pa.string())
    return pa.table(arrays)


MAX_REJECT_TEXT = 20_000
"""A rejected row's text is kept up to this many characters: enough for a steward to see the
row; a runaway line (3.5 million characters) stays in its landing file, not in every query."""


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_REJECT_TEXT:
        return text
    return text[:MAX_REJECT_TEXT] + f"… ({len(text):,} characters in all)"


def insert_rejects(con: Connection, table: TableConfig, rel_file: str,
                    rejects: list[Reject], loaded_at: datetime) -> None:
    if not rejects:
        return
    batch = pa.table({
        "row_number": pa.array([r.row_number for r in rejects], type=pa.int64()),
        "raw_text": pa.array([_cut(r.raw_text) for r in rejects], type=pa.string()),
        "reason": pa.array([r.reason for r in rejects], type=pa.string()),
    })
    insert_rows(con, "raw.rejects", batch, select="?, ?, ?, row_number, raw_text, reason, ?",
                params=[table.source, table.name, rel_file, loaded_at])


REASON_KIND_SQL = "split_part(split_part(reason, ':', 1), ' (', 1)"
"""SQL twin of `reason_kind`, over raw.rejects.reason."""


def reason_kind(reason: str) -> str:
    """The reason without the row's own text, to count reasons by kind."""
    return reason.split(":")[0].split(" (")[0]


def forget_file(con: Connection, table: TableConfig, rel_file: str, log: bool = False) -> None:
    """Take a file's rows out of its raw table and raw.rejects (and its raw.load_log line)."""
    con.execute(f"delete from raw.{quote_ident(table.raw_table)} where _source_file = ?", [rel_file])
    con.execute("delete from raw.rejects where source = ? and table_name = ? and source_file = ?",
                [table.source, table.name, rel_file])
    if log:
        con.execute("delete from raw.load_log where source = ? and table_name = ? and source_file = ?",
                    [table.source, table.name, rel_file])


def log_file(con: Connection, table: TableConfig, rel_file: str, path: Path, digest: str, fingerprint: str,
              rep: FileReport, loaded_at: datetime) -> None:
    con.execute("insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [table.source, table.name, rel_file, digest, path.stat().st_size, fingerprint,
                 rep.rows_read, rep.rows_loaded, rep.rows_rejected, loaded_at, rep.status, rep.message])


def reject_whole_file(con: Connection, table: TableConfig, rel_file: str, reason: str,
                       loaded_at: datetime, rows) -> FileReport:
    """A file that cannot be mapped: every row to rejects with the file's reason.

    `rows` yields (row number, raw text). Rows of the file inserted before the problem showed
    are taken back first."""
    forget_file(con, table, rel_file)
    full_reason = f"file not loaded: {reason}"
    n = 0
    batch: list[Reject] = []
    for lineno, text in rows:
        batch.append(Reject(lineno, text, full_reason))
        if len(batch) >= 100_000:
            insert_rejects(con, table, rel_file, batch, loaded_at)
            n += len(batch)
            batch = []
    insert_rejects(con, table, rel_file, batch, loaded_at)
    n += len(batch)
    return FileReport(rel_file, "rejected", n, 0, n, message=full_reason,
                      reject_reasons=Counter({"file not loaded": n}))


UNREADABLE = "file rejected, rows unknown"


def reject_unreadable_file(con: Connection, table: TableConfig, rel_file: str, reason: str,
                            loaded_at: datetime) -> FileReport:
    """A file that cannot be read far enough to count its rows (empty, truncated, not the
    format): one reject without a row number says so. Counting it as one row read would
    invent a row that nothing else can find."""
    message = f"{UNREADABLE}: {reason}"
    insert_rejects(con, table, rel_file, [Reject(None, None, message)], loaded_at)
    return FileReport(rel_file, "rejected", None, 0, 0, message=message,
                      reject_reasons=Counter({UNREADABLE: 1}))


def reconcile(con: Connection, table: TableConfig) -> list[dict[str, object]]:
    """Per file: rows read (as counted by the reader) against what the warehouse now holds."""
    rows = con.execute(
        f"""
        with loaded as (
            select _source_file as f, count(*) as n from raw.{quote_ident(table.raw_table)}
            group by 1
        ), rejected as (
            select source_file as f, count(row_number) as n from raw.rejects
            where source = ? and table_name = ? group by 1
        )
        select l.source_file, l.rows_read, coalesce(ld.n, 0), coalesce(rj.n, 0)
        from raw.load_log l
        left join loaded ld on ld.f = l.source_file
        left join rejected rj on rj.f = l.source_file
        where l.source = ? and l.table_name = ?
        order by 1
        """,
        [table.source, table.name, table.source, table.name],
    ).fetchall()
    out = []
    for f, read, loaded, rejected in rows:
        # a file rejected unread (rows unknown) balances when nothing of it was kept
        out.append({"file": f, "rows_read": None if read is None else int(read),
                    "rows_loaded": int(loaded), "rows_rejected": int(rejected),
                    "balanced": (loaded + rejected == 0) if read is None else read == loaded + rejected})
    return out


def reject_reason_counts(con: Connection, table: TableConfig,
                         limit: int = 10) -> dict[str, int]:
    rows = con.execute(
        f"select {REASON_KIND_SQL} as r, count(*) from raw.rejects "
        "where source = ? and table_name = ? group by 1 order by 2 desc, 1 limit ?",
        [table.source, table.name, limit]).fetchall()
    return {r: int(n) for r, n in rows}


def loaded_rows(con: Connection, table: TableConfig, files: list[str], limit: int,
                columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of `files` (all the table's rows when none: every file was unchanged), in file
    order, at most `limit`: the sample the Great Expectations suite reads, with only the
    `columns` it reads when given (default: every raw column, _row_number and _row_hash)."""
    where, params = "", {}
    if files:
        where = "where _source_file in (" + ", ".join(f"$f{i}" for i in range(len(files))) + ")"
        params = {f"f{i}": f for i, f in enumerate(files)}
    every = table.raw_columns + ["_row_number", "_row_hash"]
    cols = ", ".join(quote_ident(c) for c in every if columns is None or c in columns)
    return read_frame(con, f"select {cols} from raw.{quote_ident(table.raw_table)} {where} "
                           f"order by _source_file, _row_number limit {int(limit)}", params)
