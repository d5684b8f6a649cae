"""Load the landing files of one source table into DuckDB's `raw` schema, file by file.

Contract, for every file: rows read = rows loaded + rows rejected. Loaded rows keep their
lineage (`_source_file`, `_row_number`, `_loaded_at`, `_row_hash`); rejected rows land in
`raw.rejects` with their raw text and a reason. `raw.load_log` keeps one line per file with
its content hash, so loading is idempotent: an unchanged file is skipped, a changed file
replaces its own rows (in one transaction), a file gone from the landing folder takes its rows
with it, and a changed mapping in the sources file reloads the table.

Raw tables hold text only (VARCHAR): casting and normalising is staging's job, in dbt, where
a value that does not parse is visible instead of failing the load.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from orchestration.ingest.file_formats import (
    JSON_LINES_TABLE,
    load_line_file,
    load_parquet_file,
    load_prepared_json_lines,
    missing_columns,
    prepare_json_lines,
    probe_parquet,
    reject_damaged_parquet,
    reject_overlong_values,
)
from orchestration.ingest.raw_tables import (
    REASON_KIND_SQL,
    FileReport,
    TableLoadReport,
    ensure_raw_schema,
    forget_file,
    log_file,
    prepare_table,
    quote_ident,
    reconcile,
    reject_reason_counts,
    sha256_file,
)
from orchestration.sources_config import SourcesConfigError, TableConfig
from orchestration.warehouse import Connection, WarehouseError

__all__ = ["REASON_KIND_SQL", "FileLoadError", "FileReport", "TableLoadReport", "list_files", "load_table",
           "missing_columns", "quote_ident", "reconcile", "reject_reason_counts", "sha256_file"]

class FileLoadError(RuntimeError):
    """Loading one file failed for a reason that is not the file's (disk full, a bug): the
    message names the file and the raw table, the cause is chained."""


def list_files(table: TableConfig, landing_dir: Path) -> list[Path]:
    """The files of a table, sorted so that loading order (and thus output) is deterministic.

    Only files that are inside the landing folder once links are followed: the sources file
    refuses paths that climb out, and a symbolic link that points out is refused here."""
    root = landing_dir.resolve()
    files = []
    for p in sorted(landing_dir.glob(table.path)):
        if not p.is_file():
            continue
        if not p.resolve().is_relative_to(root):
            raise SourcesConfigError(
                f"{table.source}.{table.name}: {p.relative_to(landing_dir).as_posix()} links to "
                f"{p.resolve()}, outside the landing folder {root}: refused")
        files.append(p)
    return files


def load_table(con: Connection, table: TableConfig, landing_dir: Path,
               batch_size: int = 100_000, loaded_at: datetime | None = None) -> TableLoadReport:
    """Bring `raw.<source>__<table>` in line with the table's landing files."""
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    ensure_raw_schema(con)
    prepare_table(con, table)
    fingerprint = table.fingerprint()
    logged = {r[0]: r for r in con.execute(
        "select source_file, file_sha256, config_fingerprint, rows_read, rows_loaded, "
        "rows_rejected, status, message from raw.load_log where source = ? and table_name = ?",
        [table.source, table.name]).fetchall()}
    reports: list[FileReport] = []
    files = list_files(table, landing_dir)
    current = set()
    for path in files:
        rel = path.relative_to(landing_dir).as_posix()
        current.add(rel)
        digest = sha256_file(path)
        prev = logged.get(rel)
        if prev and prev[1] == digest and prev[2] == fingerprint:
            reports.append(FileReport(rel, "unchanged", prev[3], prev[4], prev[5], prev[7] or ""))
            continue
        probe = probe_parquet(con, path) if table.format == "parquet" else None
        fast_json = (table.format == "jsonl" and table.csv.encoding.lower() in ("utf-8", "utf8")
                     and prepare_json_lines(con, path))
        con.execute("begin transaction")
        try:
            forget_file(con, table, rel, log=True)
            if table.format == "parquet":
                rep = load_parquet_file(con, table, path, rel, loaded_at, probe)
            elif fast_json:
                rep = load_prepared_json_lines(con, table, rel, loaded_at)
            else:
                rep = load_line_file(con, table, path, rel, loaded_at, batch_size)
            if rep.rows_loaded:
                overlong = reject_overlong_values(con, table, rel, loaded_at)
                n = sum(overlong.values())
                rep.rows_loaded -= n
                rep.rows_rejected += n
                rep.reject_reasons.update(overlong)
            log_file(con, table, rel, path, digest, fingerprint, rep, loaded_at)
            con.execute("commit")
        except WarehouseError as exc:
            con.execute("rollback")
            if table.format != "parquet" or isinstance(probe, str):
                raise FileLoadError(f"loading {rel} into raw.{table.raw_table} failed: {exc}") from exc
            # the footer read (probe) but the pages did not: this file is rejected, the
            # others load; a new transaction, as the failed statement aborted the first
            error = str(exc).splitlines()[0]
            con.execute("begin transaction")
            try:
                forget_file(con, table, rel, log=True)  # the rollback brought back the old version
                rep = reject_damaged_parquet(con, table, rel, error, probe[1], loaded_at)
                log_file(con, table, rel, path, digest, fingerprint, rep, loaded_at)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        except Exception as exc:
            con.execute("rollback")
            raise FileLoadError(f"loading {rel} into raw.{table.raw_table} failed: {exc}") from exc
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            if fast_json:
                con.execute(f"drop table if exists {JSON_LINES_TABLE}")
        reports.append(rep)
    for rel in sorted(set(logged) - current):
        con.execute("begin transaction")
        forget_file(con, table, rel, log=True)
        con.execute("commit")
        prev = logged[rel]
        reports.append(FileReport(rel, "removed", prev[3], prev[4], prev[5],
                                  "file no longer in the landing folder: its rows were removed"))
    return TableLoadReport(table.raw_table, reports)
