"""Tables built by Spark against the same tables built by DuckDB, row for row.

Spark's tables and views are copied into a DuckDB file first (the Spark engine's own copier,
orchestration/warehouse/spark_copy.py), so DuckDB reads both sides: one query engine does the
comparing, and neither side's text formatting of numbers or times can differ. Each value becomes
canonical text first: doubles to 9 significant digits (sums of doubles differ in the last
bits with the order of addition, on one engine as on two), Spark's instants (TIMESTAMP,
read as TIMESTAMPTZ) as UTC wall-clock times, which is what a TIMESTAMP_NTZ or DuckDB's
TIMESTAMP holds under the Spark session's UTC zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

FLOATS = {"DOUBLE", "FLOAT", "REAL"}
STAMPS = {"_validated_at", "_built_at", "recorded_at", "_recorded_at", "_loaded_at", "loaded_at"}
"""When a row was loaded, judged or built: the time of each engine's own run, never equal."""
BOOKKEEPING = {"raw.build_state"}
"""The DuckDB engine's record of what it built, to skip what did not change: not data."""


@dataclass
class TableDiff:
    table: str
    duckdb_rows: int = 0
    spark_rows: int = 0
    only_duckdb: int = 0
    only_spark: int = 0
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    error: str | None = None
    example_duckdb: list[tuple] = field(default_factory=list)
    example_spark: list[tuple] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (self.error is None and not self.only_duckdb and not self.only_spark
                and not self.missing_columns and not self.extra_columns)

    def describe(self) -> str:
        if self.error:
            return f"{self.table}: {self.error}"
        parts = [f"{self.table}: {self.duckdb_rows} rows on DuckDB, {self.spark_rows} on Spark"]
        if self.missing_columns:
            parts.append(f"columns missing on Spark {self.missing_columns}")
        if self.extra_columns:
            parts.append(f"columns only on Spark {self.extra_columns}")
        if self.only_duckdb or self.only_spark:
            parts.append(f"{self.only_duckdb} rows only on DuckDB (e.g. {self.example_duckdb}), "
                         f"{self.only_spark} only on Spark (e.g. {self.example_spark})")
        return "; ".join(parts)


def _canonical(column: str, data_type: str) -> str:
    q = '"' + column.replace('"', '""') + '"'
    t = data_type.upper()
    if t in FLOATS or t.startswith("DECIMAL"):
        return f"case when {q} is null then null else printf('%.9g', cast({q} as double)) end"
    if t.startswith("TIMESTAMP"):  # WITH TIME ZONE too: as UTC wall-clock time (session zone UTC)
        return f"strftime(cast({q} as timestamp), '%Y-%m-%d %H:%M:%S.%f')"
    return f"cast({q} as varchar)"


def compare_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, examples: int = 3) -> TableDiff:
    """`con` has the DuckDB warehouse attached as `duck` and the copy of Spark's as `spark`."""
    diff = TableDiff(f"{schema}.{table}")

    def columns(database: str) -> list[tuple[str, str]]:
        return con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? order by column_index", [database, schema, table]).fetchall()

    duck_cols, spark_cols = columns("duck"), columns("spark")
    if not spark_cols:
        diff.error = "not built on Spark"
        return diff
    spark_types = {c.lower(): t for c, t in spark_cols}
    duck_names = [c for c, _ in duck_cols]
    diff.missing_columns = [c for c in duck_names if c.lower() not in spark_types]
    diff.extra_columns = sorted(set(spark_types) - {c.lower() for c in duck_names})
    common = [(c, t) for c, t in duck_cols if c.lower() in spark_types and c not in STAMPS]
    a = "select " + ", ".join(_canonical(c, t) for c, t in common) + f' from duck."{schema}"."{table}"'
    b = "select " + ", ".join(_canonical(c, spark_types[c.lower()]) for c, _ in common) + f' from spark."{schema}"."{table}"'
    diff.duckdb_rows = con.execute(f'select count(*) from duck."{schema}"."{table}"').fetchall()[0][0]
    diff.spark_rows = con.execute(f'select count(*) from spark."{schema}"."{table}"').fetchall()[0][0]
    diff.only_duckdb = con.execute(f"select count(*) from ({a} except all {b})").fetchall()[0][0]
    diff.only_spark = con.execute(f"select count(*) from ({b} except all {a})").fetchall()[0][0]
    if diff.only_duckdb:
        diff.example_duckdb = con.execute(f"select * from ({a} except all {b}) limit {examples}").fetchall()
    if diff.only_spark:
        diff.example_spark = con.execute(f"select * from ({b} except all {a}) limit {examples}").fetchall()
    return diff


def compare_warehouses(duckdb_file: Path, spark_copy: Path, schemas: tuple[str, ...]) -> list[TableDiff]:
    """Every table and view of `schemas` in the DuckDB warehouse against the same relation in
    `spark_copy`, a DuckDB file holding Spark's tables and views as tables
    (orchestration/warehouse/spark_copy.py)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{duckdb_file}' as duck (read_only)")
    con.execute(f"attach '{spark_copy}' as spark (read_only)")
    marks = ", ".join("?" for _ in schemas)
    relations = con.execute(
        f"select schema_name, table_name from duckdb_tables() where database_name = 'duck' and schema_name in ({marks}) "
        f"union select schema_name, view_name from duckdb_views() where database_name = 'duck' "
        f"and schema_name in ({marks}) order by 1, 2", [*schemas, *schemas]).fetchall()
    out = []
    for schema, table in relations:
        if f"{schema}.{table}" in BOOKKEEPING:
            continue
        try:
            out.append(compare_table(con, schema, table))
        except duckdb.Error as e:
            out.append(TableDiff(f"{schema}.{table}", error=f"{type(e).__name__}: {e}"))
    con.close()
    return out
