"""Reading each landing format into its raw table: CSV and JSON Lines through the Python
readers (or, for UTF-8 JSON Lines, split and parsed inside the warehouse, the fast path),
Parquet read by the warehouse itself. Rows that cannot be read become rejects with a reason;
values longer than their field's limit are moved to the rejects after any format."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from orchestration.ingest.raw_tables import (
    FileReport,
    chunk_to_arrow,
    insert_batch,
    insert_rejects,
    quote_ident,
    reason_kind,
    reject_unreadable_file,
    reject_whole_file,
    value_expr,
    wanted_columns,
)
from orchestration.ingest.readers import (
    FileSchemaError,
    Reject,
    iter_raw_lines,
    json_error_reason,
    not_an_object_reason,
    read_csv_chunks,
    read_jsonl_chunks,
)
from orchestration.sources_config import TableConfig
from orchestration.sources_schema import field_length_limit
from orchestration.warehouse import Connection, WarehouseError

JSON_LINES_TABLE = "_huaxiang_json_lines"


def prepare_json_lines(con: Connection, path: Path) -> bool:
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
            -- JSON type of each line, NULL when it is not JSON (an empty or blank line is not)
            select lineno, line, case when json_valid(line) then json_type(line) end as json_type
            from (
                -- the byte-order mark and a CR before the LF away; a line needing neither is
                -- passed on as it is (rewriting every line cost three times the whole split)
                select lineno,
                       case when lineno = 1 or ends_with(line, chr(13))
                            then rtrim(case when lineno = 1 then ltrim(line, chr(65279)) else line end, chr(13))
                            else line end as line
                from lines
                where lineno <= n_lines
            )
            """,
            [str(path)],
        )
    except WarehouseError:
        con.execute(f"drop table if exists {JSON_LINES_TABLE}")
        return False
    return True


def load_prepared_json_lines(con: Connection, table: TableConfig, rel_file: str,
                              loaded_at: datetime) -> FileReport:
    """Insert the prepared lines that are JSON objects; reject the rest with a reason."""
    wanted = wanted_columns(table)
    t = JSON_LINES_TABLE
    paths = ["$." + json.dumps(key, ensure_ascii=False) for key in wanted.values()]
    drop_mapped = json.dumps({key: None for key in wanted.values()}, ensure_ascii=False)
    params: list[object] = []
    inner = ", ".join(f"_v[{i + 1}] as {quote_ident(name)}" for i, name in enumerate(wanted))
    exprs = [value_expr(table, c, set(wanted), params) for c in table.raw_columns]
    params.extend([rel_file, loaded_at, drop_mapped, paths])  # in the order of the ?s below
    loaded = con.execute(
        f"insert into raw.{quote_ident(table.raw_table)} "
        f"select {', '.join(exprs)}, ?::varchar, lineno, ?::timestamp, md5(line), _unmapped "
        f"from (select lineno, line, {inner}, "
        "       nullif(json_merge_patch(line, ?::json)::varchar, '{}') as _unmapped "
        f"      from (select lineno, line, json_extract_string(line, ?::varchar[]) as _v "
        f"            from {t} where json_type = 'OBJECT')) "
        "order by lineno",
        params,
    ).fetchall()[0][0]
    rejects: list[Reject] = []
    for lineno, line, json_type in con.execute(
            f"select lineno, line, json_type from {t} "
            "where json_type is distinct from 'OBJECT' order by lineno").fetchall():
        if line.strip() == "":
            reason = "empty line"
        elif json_type is not None:
            reason = not_an_object_reason(json_type)
        else:
            reason = _json_error(line)
        rejects.append(Reject(lineno, line, reason))
    insert_rejects(con, table, rel_file, rejects, loaded_at)
    report = FileReport(rel_file, "loaded", int(loaded) + len(rejects), int(loaded), len(rejects))
    report.reject_reasons.update(reason_kind(r.reason) for r in rejects)
    return report


def _json_error(line: str) -> str:
    try:
        json.loads(line)
    except json.JSONDecodeError as exc:
        return json_error_reason(exc)
    return "not valid JSON"


def load_line_file(con: Connection, table: TableConfig, path: Path, rel_file: str,
                    loaded_at: datetime, batch_size: int) -> FileReport:
    wanted = wanted_columns(table)
    report = FileReport(rel_file, "loaded", 0, 0, 0)
    try:
        if table.format == "csv":
            chunks = read_csv_chunks(path, table.csv, wanted, batch_size)
        else:
            chunks = read_jsonl_chunks(path, wanted, batch_size, table.csv.encoding)
        for chunk in chunks:
            if len(chunk):
                report.rows_loaded += insert_batch(con, table, chunk_to_arrow(chunk),
                                                    rel_file, loaded_at)
            insert_rejects(con, table, rel_file, chunk.rejects, loaded_at)
            report.rows_rejected += len(chunk.rejects)
            report.reject_reasons.update(reason_kind(r.reason) for r in chunk.rejects)
    except FileSchemaError as exc:
        return reject_whole_file(
            con, table, rel_file, str(exc), loaded_at,
            iter_raw_lines(path, table.csv.encoding, skip_header=table.format == "csv"))
    report.rows_read = report.rows_loaded + report.rows_rejected
    return report


def reject_damaged_parquet(con: Connection, table: TableConfig, rel_file: str, error: str, rows: int,
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


def reject_overlong_values(con: Connection, table: TableConfig, rel_file: str, loaded_at: datetime) -> Counter:
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
    insert_rejects(con, table, rel_file, [Reject(n, t, r) for n, t, r in bad], loaded_at)
    con.execute(f"delete from {raw} where _source_file = ? and ({reason}) is not null", [rel_file])
    return Counter(reason_kind(r) for _, _, r in bad)


def _parquet_rows_as_json(con: Connection, path: Path):
    rows = con.execute(
        "select file_row_number + 1, to_json(t)::varchar "
        "from read_parquet(?, file_row_number = true) t order by 1", [str(path)]).fetchall()
    yield from rows


def probe_parquet(con: Connection, path: Path) -> tuple[list[str], int] | str:
    """(column names, row count) of a Parquet file, or why it cannot be read.

    Done outside the load transaction: a failed statement would abort it.
    """
    try:
        schema = con.execute("select name from parquet_schema(?)", [str(path)]).fetchall()
        rows = con.execute("select sum(num_rows) from parquet_file_metadata(?)",
                           [str(path)]).fetchall()[0][0] or 0
    except WarehouseError as exc:
        return str(exc).splitlines()[0]
    return [r[0] for r in schema], int(rows)


def load_parquet_file(con: Connection, table: TableConfig, path: Path, rel_file: str,
                       loaded_at: datetime, probe: tuple[list[str], int] | str) -> FileReport:
    wanted = wanted_columns(table)
    if isinstance(probe, str):
        return reject_unreadable_file(con, table, rel_file,
                                       f"not a readable Parquet file ({probe})", loaded_at)
    schema, rows = probe
    names = list(schema)
    missing = [src for src in wanted.values() if src not in names]
    if missing:
        return reject_whole_file(
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
    exprs = [value_expr(table, c, available, params) for c in table.raw_columns]
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
    wanted = list(dict.fromkeys(wanted_columns(table).values()))
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
