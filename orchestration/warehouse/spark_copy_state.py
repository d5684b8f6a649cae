"""What the Spark engine's copier (spark_copy.py) remembers and compares: a fingerprint of
each side of every table it copied (DuckDB's row count, sum of row hashes and column types;
Spark's listing of the table's folder), and what the last copy held, so that a table that only
gained rows moves by its new rows: the load batches of a raw table into Spark, the Parquet
files Spark appended back. Kept in `copies.json` beside Spark's warehouse folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb


def state_file(settings: dict[str, str]) -> Path:
    return Path(settings["spark.sql.warehouse.dir"]).parent / "copies.json"


STATE_SECTIONS = ("to", "from", "to_batches", "from_files")


def read_state(settings: dict[str, str]) -> dict[str, dict]:
    """{direction: {schema.table: [fingerprint read, fingerprint written]}}, and what the last
    copy of each table held: its load batches into Spark ('to_batches': {schema.table:
    {columns, batches}}), its Parquet files back ('from_files'); empty when unreadable."""
    try:
        state = json.loads(state_file(settings).read_text())
        return {d: dict(state.get(d, {})) for d in STATE_SECTIONS}
    except (OSError, ValueError, AttributeError):
        return {d: {} for d in STATE_SECTIONS}


def write_state(settings: dict[str, str], state: dict) -> None:
    path = state_file(settings)
    tmp = path.with_name(f".copies.{os.getpid()}.json")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    tmp.replace(path)


def duck_tables(con: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in "
        f"({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()]


def duck_fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """Row count, the sum of the rows' hashes (a multiset's: order-free, duplicates counted) and
    the columns with their types."""
    columns = duck_columns(con, schema, table)
    rows, digest = con.execute(
        f'select count(*), coalesce(sum(hash(t)::hugeint), 0) from {schema}."{table}" t').fetchall()[0]
    return f"{rows}:{digest}:{columns}"


LINEAGE = ("_source_file", "_loaded_at")
"""The load lineage of the raw layer (orchestration/ingest): rows are added by load batches
(one per file and load), which a copy into Spark can add alone."""


def duck_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    return con.execute(
        "select string_agg(column_name || ' ' || data_type, ', ' order by column_index) "
        "from duckdb_columns() where schema_name = ? and table_name = ?", [schema, table]).fetchall()[0][0]


def duck_batches(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                  columns: str) -> tuple[str, dict[str, str]] | None:
    """For a table with the load lineage: its fingerprint (as `duck_fingerprint`, from the same
    scan) and each load batch's row count and sum of row hashes, by `[file, load time]` as
    JSON; None for any other table."""
    names = {c.split(" ", 1)[0] for c in columns.split(", ")}
    if not set(LINEAGE) <= names:
        return None
    batches = {json.dumps([f, loaded]): (n, digest) for f, loaded, n, digest in con.execute(
        f'select _source_file, cast(_loaded_at as varchar), count(*), coalesce(sum(hash(t)::hugeint), 0) '
        f'from {schema}."{table}" t group by all').fetchall()}
    rows = sum(n for n, _ in batches.values())
    digest = sum(d for _, d in batches.values())
    return f"{rows}:{digest}:{columns}", {k: f"{n}:{d}" for k, (n, d) in batches.items()}


def added_keys(before: dict[str, object] | None, now: dict[str, object]) -> list[str] | None:
    """The keys `now` adds to `before` when it holds every entry of `before` unchanged (a
    table that only gained load batches, or Parquet files); None when it does not, or when
    there is no `before` (or not one a copy wrote: copies.json edited by hand): then the table
    is copied whole."""
    if not isinstance(before, dict) or any(now.get(k) != v for k, v in before.items()):
        return None
    return sorted(k for k in now if k not in before)


def parquet_listing(folder: Path) -> dict[str, list[int]]:
    """A Spark table's Parquet files: {path in the folder: [size, modification time]}."""
    return {str(f.relative_to(folder)): [f.stat().st_size, f.stat().st_mtime_ns] for f in folder.rglob("*.parquet")}


def table_folder(settings: dict[str, str], schema: str, table: str) -> Path:
    return Path(settings["spark.sql.warehouse.dir"]) / f"{schema.lower()}.db" / table.lower()


def spark_fingerprint(settings: dict[str, str], schema: str, table: str) -> str | None:
    """The listing of the table's folder under Spark's warehouse; None when it has none there
    (a view, or a table stored elsewhere): then it is always copied."""
    folder = table_folder(settings, schema, table)
    if not folder.is_dir():
        return None
    listing = sorted((str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns)
                     for f in folder.rglob("*") if f.is_file())
    return hashlib.sha256(repr(listing).encode()).hexdigest()


def catalogue_present(settings: dict[str, str]) -> bool:
    """False when the local table catalogue (an embedded Derby database) is gone, its folder
    deleted with every table it named: then every table is copied again."""
    url = settings.get("spark.hadoop.javax.jdo.option.ConnectionURL", "")
    found = re.search(r"databaseName=([^;]+)", url) if url.startswith("jdbc:derby:") else None
    return found is None or Path(found[1]).is_dir()


def unchanged(state: dict[str, list[str]], key: str, read: str | None, written: str | None) -> bool:
    return read is not None and written is not None and state.get(key) == [read, written]
