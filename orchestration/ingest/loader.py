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

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.ingest.readers import (
    Chunk,
    FileSchemaError,
    Reject,
    iter_raw_lines,
    json_error_reason,
    not_an_object_reason,
    read_csv_chunks,
    read_jsonl_chunks,
)
from orchestration.sources_config import SourcesConfigError, TableConfig, field_length_limit

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


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def _create_table_sql(table: TableConfig) -> str:
    cols = [f"{quote_ident(c)} varchar" for c in table.raw_columns]
    cols += ["_source_file varchar", "_row_number bigint", "_loaded_at timestamp",
             "_row_hash varchar", "_unmapped varchar"]
    return f"create table raw.{quote_ident(table.raw_table)} ({', '.join(cols)})"


def _existing_columns(con: duckdb.DuckDBPyConnection, raw_table: str) -> list[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [raw_table],
    ).fetchall()
    return [r[0] for r in rows] or None


def _prepare_table(con: duckdb.DuckDBPyConnection, table: TableConfig) -> None:
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


def _value_expr(table: TableConfig, column: str, available: set[str],
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


def _insert_batch(con: duckdb.DuckDBPyConnection, table: TableConfig, batch: pa.Table,
                  rel_file: str, loaded_at: datetime) -> int:
    """Insert an Arrow batch whose columns are named by canonical/extra field."""
    available = set(batch.column_names)
    params: list[object] = []
    exprs = [_value_expr(table, c, available, params) for c in table.raw_columns]
    params.extend([rel_file, loaded_at])
    con.register("_huaxiang_batch", batch)
    try:
        con.execute(
            f"insert into raw.{quote_ident(table.raw_table)} "
            f"select {', '.join(exprs)}, ?::varchar, _row_number, ?::timestamp, _row_hash, "
            "_unmapped from _huaxiang_batch",
            params,
        )
    finally:
        con.unregister("_huaxiang_batch")
    return batch.num_rows


def part_name(column: str, i: int) -> str:
    """The name under which the i-th of several source columns of `column` is read; `#` is
    never in a field name, so it cannot meet a mapped or extra column."""
    return f"{column}#{i + 1}"


def _wanted_columns(table: TableConfig) -> dict[str, str]:
    """{name read: source column name} for mapped and extra columns; a field mapped from
    several columns is read as one part per column (part_name), joined by _value_expr."""
    wanted: dict[str, str] = {}
    for fld in table.columns:
        sources = table.source_columns(fld)
        if len(sources) == 1:
            wanted[fld] = sources[0]
        else:
            wanted.update({part_name(fld, i): src for i, src in enumerate(sources)})
    return {**wanted, **table.extra_columns}


def _chunk_to_arrow(chunk: Chunk) -> pa.Table:
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


def _insert_rejects(con: duckdb.DuckDBPyConnection, table: TableConfig, rel_file: str,
                    rejects: list[Reject], loaded_at: datetime) -> None:
    if not rejects:
        return
    batch = pa.table({
        "row_number": pa.array([r.row_number for r in rejects], type=pa.int64()),
        "raw_text": pa.array([_cut(r.raw_text) for r in rejects], type=pa.string()),
        "reason": pa.array([r.reason for r in rejects], type=pa.string()),
    })
    con.register("_huaxiang_rejects", batch)
    try:
        con.execute(
            "insert into raw.rejects select ?, ?, ?, row_number, raw_text, reason, ? "
            "from _huaxiang_rejects",
            [table.source, table.name, rel_file, loaded_at],
        )
    finally:
        con.unregister("_huaxiang_rejects")


JSON_LINES_TABLE = "_huaxiang_json_lines"


def prepare_json_lines(con, path: Path) -> bool:
    """Split a UTF-8 JSON Lines file into numbered lines inside DuckDB (the fast path).

    Returns False when DuckDB cannot read the file as UTF-8 text; the caller then uses the
    Python reader, which finds and rejects the offending lines one by one. Runs outside the
    load transaction, since a failed statement would abort it.
    """
    con.execute(f"drop table if exists {JSON_LINES_TABLE}")
    try:
        con.execute(
            f"""
            create temp table {JSON_LINES_TABLE} as
            with split as (  -- one row: the file's lines, and how many there are
                select parts,
                       case when ends_with(content, chr(10)) then len(parts) - 1
                            else len(parts) end as n_lines
                from (select content, string_split(content, chr(10)) as parts
                      from read_text(?))
            ),
            lines as (  -- never refer to the whole content here: it would be copied per line
                select unnest(parts) as line, unnest(range(1, len(parts) + 1)) as lineno,
                       n_lines
                from split
            )
            select lineno, line, trim(line) <> '' and json_valid(line) as is_json
            from (
                select lineno,
                       rtrim(case when lineno = 1 then ltrim(line, chr(65279)) else line end,
                             chr(13)) as line
                from lines
                where lineno <= n_lines
            )
            """,
            [str(path)],
        )
    except duckdb.Error:
        con.execute(f"drop table if exists {JSON_LINES_TABLE}")
        return False
    return True


def _load_prepared_json_lines(con, table: TableConfig, rel_file: str,
                              loaded_at: datetime) -> FileReport:
    """Insert the prepared lines that are JSON objects; reject the rest with a reason."""
    wanted = _wanted_columns(table)
    t = JSON_LINES_TABLE
    con.execute(f"create or replace temp table {t}_typed as "
                f"select lineno, line, json_type(line) as json_type from {t} where is_json")
    paths = ["$." + json.dumps(key, ensure_ascii=False) for key in wanted.values()]
    drop_mapped = json.dumps({key: None for key in wanted.values()}, ensure_ascii=False)
    params: list[object] = []
    inner = ", ".join(f"_v[{i + 1}] as {quote_ident(name)}" for i, name in enumerate(wanted))
    exprs = [_value_expr(table, c, set(wanted), params) for c in table.raw_columns]
    params.extend([rel_file, loaded_at, drop_mapped, paths])  # in the order of the ?s below
    loaded = con.execute(
        f"insert into raw.{quote_ident(table.raw_table)} "
        f"select {', '.join(exprs)}, ?::varchar, lineno, ?::timestamp, md5(line), _unmapped "
        f"from (select lineno, line, {inner}, "
        "       nullif(json_merge_patch(line, ?::json)::varchar, '{}') as _unmapped "
        f"      from (select lineno, line, json_extract_string(line, ?::varchar[]) as _v "
        f"            from {t}_typed where json_type = 'OBJECT')) "
        "order by lineno",
        params,
    ).fetchall()[0][0]
    rejects: list[Reject] = []
    for lineno, line, is_json, json_type in con.execute(
            f"select l.lineno, l.line, l.is_json, t.json_type from {t} l "
            f"left join {t}_typed t using (lineno) "
            "where not l.is_json or t.json_type <> 'OBJECT' order by l.lineno").fetchall():
        if line.strip() == "":
            reason = "empty line"
        elif is_json:
            reason = not_an_object_reason(json_type)
        else:
            reason = _json_error(line)
        rejects.append(Reject(lineno, line, reason))
    _insert_rejects(con, table, rel_file, rejects, loaded_at)
    con.execute(f"drop table if exists {t}_typed")
    report = FileReport(rel_file, "loaded", int(loaded) + len(rejects), int(loaded), len(rejects))
    report.reject_reasons.update(_reason_kind(r.reason) for r in rejects)
    return report


def _json_error(line: str) -> str:
    try:
        json.loads(line)
    except json.JSONDecodeError as exc:
        return json_error_reason(exc)
    return "not valid JSON"


def _load_line_file(con, table: TableConfig, path: Path, rel_file: str,
                    loaded_at: datetime, batch_size: int) -> FileReport:
    wanted = _wanted_columns(table)
    report = FileReport(rel_file, "loaded", 0, 0, 0)
    try:
        if table.format == "csv":
            chunks = read_csv_chunks(path, table.csv, wanted, batch_size)
        else:
            chunks = read_jsonl_chunks(path, wanted, batch_size, table.csv.encoding)
        for chunk in chunks:
            if len(chunk):
                report.rows_loaded += _insert_batch(con, table, _chunk_to_arrow(chunk),
                                                    rel_file, loaded_at)
            _insert_rejects(con, table, rel_file, chunk.rejects, loaded_at)
            report.rows_rejected += len(chunk.rejects)
            report.reject_reasons.update(_reason_kind(r.reason) for r in chunk.rejects)
    except FileSchemaError as exc:
        return _reject_whole_file(
            con, table, rel_file, str(exc), loaded_at,
            iter_raw_lines(path, table.csv.encoding, skip_header=table.format == "csv"))
    report.rows_read = report.rows_loaded + report.rows_rejected
    return report


REASON_KIND_SQL = "split_part(split_part(reason, ':', 1), ' (', 1)"
"""SQL twin of `_reason_kind`, over raw.rejects.reason."""


def _reason_kind(reason: str) -> str:
    """The reason without the row's own text, to count reasons by kind."""
    return reason.split(":")[0].split(" (")[0]


def _forget_file(con, table: TableConfig, rel_file: str, log: bool = False) -> None:
    """Take a file's rows out of its raw table and raw.rejects (and its raw.load_log line)."""
    con.execute(f"delete from raw.{quote_ident(table.raw_table)} where _source_file = ?", [rel_file])
    con.execute("delete from raw.rejects where source = ? and table_name = ? and source_file = ?",
                [table.source, table.name, rel_file])
    if log:
        con.execute("delete from raw.load_log where source = ? and table_name = ? and source_file = ?",
                    [table.source, table.name, rel_file])


def _log_file(con, table: TableConfig, rel_file: str, path: Path, digest: str, fingerprint: str,
              rep: FileReport, loaded_at: datetime) -> None:
    con.execute("insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [table.source, table.name, rel_file, digest, path.stat().st_size, fingerprint,
                 rep.rows_read, rep.rows_loaded, rep.rows_rejected, loaded_at, rep.status, rep.message])


def _reject_whole_file(con, table: TableConfig, rel_file: str, reason: str,
                       loaded_at: datetime, rows) -> FileReport:
    """A file that cannot be mapped: every row to rejects with the file's reason.

    `rows` yields (row number, raw text). Rows of the file inserted before the problem showed
    are taken back first."""
    _forget_file(con, table, rel_file)
    full_reason = f"file not loaded: {reason}"
    n = 0
    batch: list[Reject] = []
    for lineno, text in rows:
        batch.append(Reject(lineno, text, full_reason))
        if len(batch) >= 100_000:
            _insert_rejects(con, table, rel_file, batch, loaded_at)
            n += len(batch)
            batch = []
    _insert_rejects(con, table, rel_file, batch, loaded_at)
    n += len(batch)
    return FileReport(rel_file, "rejected", n, 0, n, message=full_reason,
                      reject_reasons=Counter({"file not loaded": n}))


class FileLoadError(RuntimeError):
    """Loading one file failed for a reason that is not the file's (disk full, a bug): the
    message names the file and the raw table, the cause is chained."""


UNREADABLE = "file rejected, rows unknown"


def _reject_unreadable_file(con, table: TableConfig, rel_file: str, reason: str,
                            loaded_at: datetime) -> FileReport:
    """A file that cannot be read far enough to count its rows (empty, truncated, not the
    format): one reject without a row number says so. Counting it as one row read would
    invent a row that nothing else can find."""
    message = f"{UNREADABLE}: {reason}"
    _insert_rejects(con, table, rel_file, [Reject(None, None, message)], loaded_at)
    return FileReport(rel_file, "rejected", None, 0, 0, message=message,
                      reject_reasons=Counter({UNREADABLE: 1}))


def _reject_damaged_parquet(con, table: TableConfig, rel_file: str, error: str, rows: int,
                            loaded_at: datetime) -> FileReport:
    """A Parquet file whose footer reads but whose pages do not (bad page headers, failed
    decompression): each of the rows its footer counts is rejected by number, so the file
    still balances, and the other files of the table load. Call it on a transaction where
    the file's earlier rows are forgotten."""
    message = f"file not loaded: damaged Parquet data ({error}); its footer counts {rows} rows"
    con.execute("insert into raw.rejects select ?, ?, ?, range + 1, null, ?, ? from range(?)",
                [table.source, table.name, rel_file, message, loaded_at, rows])
    return FileReport(rel_file, "rejected", rows, 0, rows, message=message,
                      reject_reasons=Counter({"file not loaded": rows}))


def _reject_overlong_values(con, table: TableConfig, rel_file: str, loaded_at: datetime) -> Counter:
    """Rows of the file just loaded with a value longer than its field's limit move from the
    raw table to raw.rejects, naming the field and its length (the row's text cut to 2,000
    characters). Done in SQL over the raw table, so it holds for every format alike."""
    columns = table.raw_columns
    reason = "case " + " ".join(
        f"when length({quote_ident(c)}) > {field_length_limit(c)} then 'field {c} too long: ' || "
        f"length({quote_ident(c)}) || ' characters (limit {field_length_limit(c)})'"
        for c in columns) + " end"
    text = "left(concat_ws(' | ', " + ", ".join(
        f"'{c}=' || left({quote_ident(c)}, 200)" for c in columns) + "), 2000)"
    raw = f"raw.{quote_ident(table.raw_table)}"
    bad = con.execute(
        f"select _row_number, {text}, {reason} from {raw} "
        f"where _source_file = ? and ({reason}) is not null order by _row_number", [rel_file]).fetchall()
    if not bad:
        return Counter()
    _insert_rejects(con, table, rel_file, [Reject(n, t, r) for n, t, r in bad], loaded_at)
    con.execute(f"delete from {raw} where _source_file = ? and ({reason}) is not null", [rel_file])
    return Counter(_reason_kind(r) for _, _, r in bad)


def _parquet_rows_as_json(con, path: Path):
    rows = con.execute(
        "select file_row_number + 1, to_json(t)::varchar "
        "from read_parquet(?, file_row_number = true) t order by 1", [str(path)]).fetchall()
    yield from rows


def probe_parquet(con, path: Path) -> tuple[list[str], int] | str:
    """(column names, row count) of a Parquet file, or why it cannot be read.

    Done outside the load transaction: a failed statement would abort it.
    """
    try:
        schema = con.execute("select name from parquet_schema(?)", [str(path)]).fetchall()
        rows = con.execute("select sum(num_rows) from parquet_file_metadata(?)",
                           [str(path)]).fetchall()[0][0] or 0
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return [r[0] for r in schema], int(rows)


def _load_parquet_file(con, table: TableConfig, path: Path, rel_file: str,
                       loaded_at: datetime, probe: tuple[list[str], int] | str) -> FileReport:
    wanted = _wanted_columns(table)
    if isinstance(probe, str):
        return _reject_unreadable_file(con, table, rel_file,
                                       f"not a readable Parquet file ({probe})", loaded_at)
    schema, rows = probe
    names = list(schema)
    missing = [src for src in wanted.values() if src not in names]
    if missing:
        return _reject_whole_file(
            con, table, rel_file,
            f"the file has no column(s) {missing} named in the sources file; "
            f"its columns are {names[1:]}", loaded_at, _parquet_rows_as_json(con, path))
    mapped = set(wanted.values())
    unmapped = [n for n in names[1:] if n not in mapped]
    select = [f"cast({quote_ident(src)} as varchar) as {quote_ident(name)}"
              for name, src in wanted.items()]
    unmapped_sql = (
        "nullif(to_json(struct_pack("
        + ", ".join(f"{quote_ident(n)} := {quote_ident(n)}" for n in unmapped)
        + "))::varchar, '{}')" if unmapped else "null::varchar")
    all_cols = " || '\x1f' || ".join(
        f"coalesce(cast({quote_ident(n)} as varchar), '')" for n in names[1:])
    available = set(wanted)
    params: list[object] = []
    exprs = [_value_expr(table, c, available, params) for c in table.raw_columns]
    params.extend([rel_file, loaded_at, str(path)])
    loaded = con.execute(
        f"insert into raw.{quote_ident(table.raw_table)} "
        f"select {', '.join(exprs)}, ?::varchar, _row_number, ?::timestamp, _row_hash, _unmapped "
        f"from (select {', '.join(select)}, file_row_number + 1 as _row_number, "
        f"md5({all_cols}) as _row_hash, {unmapped_sql} as _unmapped "
        "from read_parquet(?, file_row_number = true)) order by _row_number",
        params,
    ).fetchall()[0][0]
    return FileReport(rel_file, "loaded", int(rows), int(loaded), 0)


def missing_columns(table: TableConfig, path: Path) -> list[str] | None:
    """The mapped source columns (parts of a field mapped from several included) that the
    file's header (CSV) or schema (Parquet) lacks: the loader would reject its rows. None when
    it cannot tell (JSON Lines: every line has its own keys) or cannot read the header."""
    wanted = list(dict.fromkeys(_wanted_columns(table).values()))
    try:
        if table.format == "csv":
            encoding = "utf-8-sig" if table.csv.encoding.lower() in ("utf-8", "utf8") else table.csv.encoding
            with open(path, encoding=encoding, newline="") as fh:
                first = fh.readline().rstrip("\r\n")
            header = [h.strip() for h in next(csv.reader([first], delimiter=table.csv.delimiter,
                                                         quotechar=table.csv.quote), [])]
        elif table.format == "parquet":
            import pyarrow.parquet as pq
            header = pq.read_schema(path).names
        else:
            return None
    except (OSError, UnicodeDecodeError, ValueError, pa.ArrowException):
        return None
    return [c for c in wanted if c not in header]


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


def load_table(con: duckdb.DuckDBPyConnection, table: TableConfig, landing_dir: Path,
               batch_size: int = 100_000, loaded_at: datetime | None = None) -> TableLoadReport:
    """Bring `raw.<source>__<table>` in line with the table's landing files."""
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    ensure_raw_schema(con)
    _prepare_table(con, table)
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
            _forget_file(con, table, rel, log=True)
            if table.format == "parquet":
                rep = _load_parquet_file(con, table, path, rel, loaded_at, probe)
            elif fast_json:
                rep = _load_prepared_json_lines(con, table, rel, loaded_at)
            else:
                rep = _load_line_file(con, table, path, rel, loaded_at, batch_size)
            if rep.rows_loaded:
                overlong = _reject_overlong_values(con, table, rel, loaded_at)
                n = sum(overlong.values())
                rep.rows_loaded -= n
                rep.rows_rejected += n
                rep.reject_reasons.update(overlong)
            _log_file(con, table, rel, path, digest, fingerprint, rep, loaded_at)
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            if table.format != "parquet" or isinstance(probe, str):
                raise FileLoadError(f"loading {rel} into raw.{table.raw_table} failed: {exc}") from exc
            # the footer read (probe) but the pages did not: this file is rejected, the
            # others load; a new transaction, as the failed statement aborted the first
            error = str(exc).splitlines()[0]
            con.execute("begin transaction")
            try:
                _forget_file(con, table, rel, log=True)  # the rollback brought back the old version
                rep = _reject_damaged_parquet(con, table, rel, error, probe[1], loaded_at)
                _log_file(con, table, rel, path, digest, fingerprint, rep, loaded_at)
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
        _forget_file(con, table, rel, log=True)
        con.execute("commit")
        prev = logged[rel]
        reports.append(FileReport(rel, "removed", prev[3], prev[4], prev[5],
                                  "file no longer in the landing folder: its rows were removed"))
    return TableLoadReport(table.raw_table, reports)


def reconcile(con: duckdb.DuckDBPyConnection, table: TableConfig) -> list[dict[str, object]]:
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


def reject_reason_counts(con: duckdb.DuckDBPyConnection, table: TableConfig,
                         limit: int = 10) -> dict[str, int]:
    rows = con.execute(
        f"select {REASON_KIND_SQL} as r, count(*) from raw.rejects "
        "where source = ? and table_name = ? group by 1 order by 2 desc, 1 limit ?",
        [table.source, table.name, limit]).fetchall()
    return {r: int(n) for r, n in rows}
