"""The BI copy: a separate DuckDB file (and Parquet files) holding only the BI-facing marts.

Why a copy: a BI tool pointed at the pipeline's own warehouse would hold its file lock while
a run writes (DuckDB allows one writer), and would see the internal schemas with raw
personal data. The copy is made at the end of each run into a new file that replaces the
old one in one rename, so a reader sees either the last copy or the new one, never half. The
new file starts as a byte copy of the old one, and the big fact tables are brought up to date
one run's rows at a time (`bi_stamped.py`): a daily run copies its day, not every order line.

The same file is the operator's snapshot: `huaxiang tags|segments ...` read it (see
`snapshot.py`), and a table `export_info` says where each table came from and when.

Every table is checked before it is copied: a column named like raw personal data (mobile,
email, full name, id number, address ...) stops the export with the table and column named.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


from orchestration.exports.bi_stamped import STAMPED_TABLES, copy_stamped
from orchestration.exports.files import database_written_whole, sql_literal
from orchestration.warehouse import Connection, WarehouseError, table_columns

# table in the warehouse -> columns left out of the BI copy (provenance that names source
# records or files: not personal, but of no use to BI and one step closer to the sources)
BI_TABLES: dict[str, tuple[str, ...]] = {
    "marts.customer_360": (),
    "marts.customer_tags": (),  # inputs: why each value (thresholds, dates, model version), no personal data
    "marts.tag_definitions": (),
    "marts.tag_changes": (),
    "marts.rfm_threshold_history": (),
    "marts.churn_backtests": (),
    "marts.segment_definitions": (),
    "marts.segment_members": (),
    "marts.segment_changes": (),
    "marts.segment_snapshots": (),
    "marts.portrait_distribution": (),
    "marts.portrait_cross": (),
    "marts.portrait_segment_distribution": (),
    "marts.portrait_segment_cross": (),
    "marts.portrait_spend_pareto": (),
    "marts.portrait_tag_trend": (),
    "marts.portrait_overview": (),
    "marts.portrait_monthly": (),
    "marts.portrait_rfm_matrix": (),
    "marts.portrait_score_distribution": (),
    "marts.portrait_store": (),
    "marts.portrait_store_mix": (),
    "marts.portrait_store_monthly": (),
    "marts.portrait_channel": (),
    "marts.portrait_channel_mix": (),
    "marts.portrait_channel_monthly": (),
    "marts.dim_customer": ("name_source", "gender_source", "birth_year_source", "city_source", "mobile_source",
                           "email_source", "company_name_source", "level_source"),
    "marts.dim_household": (),
    "marts.household_member": (),
    "marts.customer_source_records": (),
    "marts.customer_lookup": (),
    "marts.dim_account": (),
    "marts.fct_orders": ("source_customer_ref", "customer_record_key", "_source_file", "_row_number"),
    "marts.fct_customer_events": ("source_customer_ref", "customer_record_key", "_source_file", "_row_number"),
    # what the operator commands (`huaxiang tags|segments ...`) read besides the marts: they
    # read this copy, not the warehouse, so that they never hold a run up
    "model_tags.tag_inputs": (),
    "model_tags.rule_tag_values": (),
}
BI_NAME = "huaxiang_bi"
INFO_TABLE = "export_info"
"""One row per copied table: its name here, where it came from, rows, when it was copied."""

# column names that hold raw personal data in the internal schemas
PII_COLUMN = re.compile(r"^(mobile|phone|email|full_name|name|nickname|id_number|address|postcode|"
                        r"wechat_unionid|device_id|birth_date)$")


class BIExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class BIExport:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # BI table name -> rows
    rows_written: dict[str, int] = field(default_factory=dict)  # BI table name -> rows this export wrote
    updated: bool = False  # the previous copy was updated, not rewritten


def export_bi(con: Connection, folder: Path, name: str = BI_NAME,
              tables: dict[str, tuple[str, ...]] | None = None) -> BIExport:
    """Write `<folder>/<name>.duckdb` (schema main) and `<folder>/parquet/<table>.parquet`
    (`parquet/<table>/part-<stamp>.parquet` for the stamped fact tables, bi_stamped.py).

    The new file starts as a copy of the previous one when that can be updated (bi_stamped.py:
    the facts then copy only the runs' rows they lack); every other table is written whole."""
    tables = BI_TABLES if tables is None else tables
    database = folder / f"{name}.duckdb"
    parquet_dir = folder / "parquet"
    parquet_tmp = folder / f".parquet.{os.getpid()}.tmp"
    selects: dict[str, tuple[str, list[str], str]] = {}
    for table, dropped in tables.items():
        columns = table_columns(con, table)
        if not columns:
            raise BIExportError(f"{table} does not exist: the BI copy needs every BI table (run the pipeline)")
        kept = [c for c in columns if c not in dropped]
        leaking = [c for c in kept if PII_COLUMN.match(c)]
        if leaking:
            raise BIExportError(f"{table} has column(s) {leaking} named like raw personal data: "
                                "mask them in the mart, or leave them out of BI_TABLES")
        selects[table.split(".")[1]] = (table, kept, f"select {', '.join(chr(34) + c + chr(34) for c in kept)} from {table}")
    update = _updatable(con, database)
    rows: dict[str, int] = {}
    written: dict[str, int] = {}
    with database_written_whole(con, database, "bi_copy", also_clean=("parquet",),
                                start_from=database if update else None):
        if update:  # what the previous copy holds that this one does not (a table left BI_TABLES)
            for kind, relation in con.execute(
                    "select table_type, table_name from information_schema.tables where table_catalog = 'bi_copy' "
                    "and table_schema = 'main'").fetchall():
                if relation not in selects:
                    con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} bi_copy.main.\"{relation}\"")
        parquet_tmp.mkdir()
        for bi_name, (table, kept, select) in selects.items():
            target = f"bi_copy.main.{bi_name}"
            if table in STAMPED_TABLES:
                copied = copy_stamped(con, select, target, kept, update, parquet_tmp / bi_name,
                                      parquet_dir / bi_name if update else None)
                rows[bi_name], written[bi_name] = copied.rows, copied.rows_written
                continue
            con.execute(f"create or replace table {target} as {select}")
            rows[bi_name] = written[bi_name] = con.execute(f"select count(*) from {target}").fetchall()[0][0]
            con.sql(f"select * from {target}").write_parquet(str(parquet_tmp / f"{bi_name}.parquet"))
        con.execute(f"create table bi_copy.main.{INFO_TABLE} (table_name varchar, source_table varchar, "
                    "row_count bigint, exported_at timestamp, rows_written bigint)")
        now = datetime.now().replace(microsecond=0)
        con.executemany(f"insert into bi_copy.main.{INFO_TABLE} values (?, ?, ?, ?, ?)",
                        [[b, t, rows[b], now, written[b]] for b, (t, _, _) in selects.items()])
    if parquet_dir.exists():
        old = folder / f".parquet.{os.getpid()}.old"
        parquet_dir.replace(old)
        parquet_tmp.replace(parquet_dir)
        shutil.rmtree(old)
    else:
        parquet_tmp.replace(parquet_dir)
    return BIExport(database, parquet_dir, rows, written, update)


def _updatable(con: Connection, database: Path, max_free_share: float = 0.5) -> bool:
    """Whether the previous copy can start the new one: it opens, it was written by this
    version of the export (its export_info has rows_written), and no more than `max_free_share`
    of its blocks are free (DuckDB reuses freed blocks but never shrinks a file: past that, a
    copy written whole is smaller)."""
    if not database.is_file():
        return False
    try:
        con.execute(f"attach {sql_literal(database)} as bi_previous (read_only true)")
    except WarehouseError:
        return False
    try:
        has_info = "rows_written" in table_columns(con, f"main.{INFO_TABLE}", catalog="bi_previous")
        ((used, free),) = con.execute("select used_blocks, free_blocks from pragma_database_size() "
                                      "where database_name = 'bi_previous'").fetchall()
    finally:
        con.execute("detach bi_previous")
    return has_info and free <= max_free_share * (used + free)
