"""Tables between the DuckDB warehouse and Spark, for the Spark engine (HUAXIANG_ENGINE=spark).

With the Spark engine the dbt project builds on Spark, while ingestion and the Python steps
(model tags, rule tags, segments, exports) still work on the DuckDB file: what they write is
copied into Spark before each dbt step (the raw layer, the model_tags schema), and what dbt
built is copied back after it (staging, intermediate, marts), so that they read it where they
always have. The copies go through Parquet: DuckDB writes a table into a scratch folder and
Spark reads it from there; back, DuckDB reads the files of Spark's tables where Spark keeps
them, and only a view (or an empty table, which has none) is written out by Spark first.

A table is copied only when it changed since its last copy, on either side: the copier keeps,
for every table it copied, a fingerprint of the side it read and of the side it wrote
(`copies.json` beside Spark's warehouse folder: spark_copy_state.py), and copies again when either differs or the
table is missing. DuckDB's side is the table's row count, sum of row hashes and column types;
Spark's is the listing of the table's Parquet folder (names, sizes, modification times), which
every write and rewrite changes. Hooks that rewrite a table other than their model's are seen
like any other write; a view is always copied (its rows follow tables it does not own). When
nothing is to be copied into Spark, no Spark session is started (10-20 s each).

A table that only gained rows since its last copy is copied by its new rows only, so that a
daily copy costs the day's delivery, not the whole history. Into Spark: a table with the load
lineage of the raw layer (`_source_file`, `_loaded_at`), whose load batches (one per file and
load) were all copied before, unchanged on both sides, appends the new batches' rows. Back:
a table whose Parquet files of the last copy are all still there, unchanged (Spark appended
files beside them: macros/spark/incremental.sql), while the file's copy is as it was left,
gets the rows of the new files inserted. Anything else (a batch changed or gone, a rewritten
table, a copy touched since) is copied whole; so is anything a crash cut short, whose
fingerprints then differ from those the copier stored.

Each copy runs in its own Python process with its own Spark session: Spark in local mode keeps
its table catalogue in an embedded Derby database that one process opens at a time, and dbt
(another process) opens it for every build. Run as a script:
    python -m orchestration.warehouse.spark_copy to|from WAREHOUSE.duckdb PROFILES_DIR SCHEMA...
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import yaml

from orchestration.warehouse.spark_copy_state import (
    added_keys,
    catalogue_present,
    duck_batches,
    duck_columns,
    duck_fingerprint,
    duck_tables,
    parquet_listing,
    read_state,
    spark_fingerprint,
    table_folder,
    unchanged,
    write_state,
)

SCRATCH_MARKS = ("__cte_", "__huaxiang_")
"""A model's scratch tables (stored CTEs, rewrites: dbt_project/macros) hold one of these in
their names; never copied."""


class SparkCopyError(RuntimeError):
    """A copy between the warehouse and Spark failed; the message names the direction and tables."""


def copy_tables(direction: str, warehouse: Path, profiles_dir: Path, schemas: Sequence[str]) -> str:
    """Copy every table of `schemas` to Spark ('to') or from it ('from'), replacing what the
    other side held; returns the copier's one-line summary."""
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.warehouse.spark_copy", direction, str(warehouse),
         str(profiles_dir), *schemas],
        capture_output=True, text=True, timeout=6 * 3600)
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stderr.splitlines()[-30:] if "WARN" not in line)
        raise SparkCopyError(f"copying {', '.join(schemas)} {direction} Spark failed:\n{tail}")
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def _spark_settings(profiles_dir: Path) -> dict[str, str]:
    """The Spark settings of the dbt profile, so that a copy reads and writes where dbt does."""
    profile = yaml.safe_load((profiles_dir / "profiles.yml").read_text())["huaxiang"]["outputs"]["spark"]
    return profile["server_side_parameters"]


def _spark(settings: dict[str, str]):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("huaxiang copy")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.enableHiveSupport().getOrCreate()


def _scratch(settings: dict[str, str]) -> Path:
    scratch = Path(settings["spark.sql.warehouse.dir"]).parent / "copy_scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    return scratch


def spark_session(profiles_dir: Path):
    """A Spark session on the local warehouse and catalogue of a dbt profile (tests, and a
    process of its own: the catalogue opens in one process at a time)."""
    return _spark(_spark_settings(profiles_dir))


def spark_table_files(profiles_dir: Path, schema: str, table: str) -> set[str]:
    """The names of the Parquet files of a table in the local Spark warehouse of a dbt
    profile: which files a run rewrote and which it left (tests, benchmarks)."""
    folder = table_folder(_spark_settings(profiles_dir), schema, table)
    return {f.name for f in folder.rglob("*.parquet")}


def to_spark(warehouse: Path, profiles_dir: Path, schemas: Sequence[str]) -> str:
    settings = _spark_settings(profiles_dir)
    state = read_state(settings)
    scratch = _scratch(settings)
    catalogue = catalogue_present(settings)
    todo, kept = [], 0  # (schema, table, fingerprint read, its load batches or None, append?)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for schema, table in duck_tables(con, schemas):
            key = f"{schema}.{table}"
            columns = duck_columns(con, schema, table)
            lineage = duck_batches(con, schema, table, columns)
            read = lineage[0] if lineage else duck_fingerprint(con, schema, table)
            written = spark_fingerprint(settings, schema, table)
            if catalogue and unchanged(state["to"], key, read, written):
                kept += 1
                continue
            new = None
            last = state["to_batches"].get(key)
            if (lineage and catalogue and isinstance(last, dict) and last.get("columns") == columns
                    and written is not None and state["to"].get(key, [None, None])[1] == written):
                new = added_keys(last.get("batches"), lineage[1])
            source = f'{schema}."{table}"'
            if new:
                con.register("huaxiang_new_batches", _batch_frame(new))
                source = (f"(select t.* from {schema}.\"{table}\" t semi join huaxiang_new_batches b "
                          "on t._source_file is not distinct from b.source_file "
                          "and cast(t._loaded_at as varchar) is not distinct from b.loaded_at)")
            if new != []:  # (no batch added: the table's rows are the same; only its stamps are)
                con.execute(f"copy {source} to '{scratch / f'{key}.parquet'}' (format parquet)")
            if new:
                con.unregister("huaxiang_new_batches")
            todo.append((schema, table, read, lineage[1] if lineage else None, columns, new))
    finally:
        con.close()
    copied, appended = [], 0
    if todo:  # else no Spark session at all: its start costs 10-20 s
        spark = _spark(settings)
        try:
            for schema in schemas:
                spark.sql(f"create database if not exists {schema}")
            for schema, table, read, batches, columns, new in todo:
                key = f"{schema}.{table}"
                if new:
                    # by name: the columns are those of the last copy (checked above)
                    spark.read.parquet(str(scratch / f"{key}.parquet")).write.mode("append").saveAsTable(key)
                    appended += 1
                elif new is None:
                    spark.read.parquet(str(scratch / f"{key}.parquet")).write.mode("overwrite").saveAsTable(key)
                state["to"][key] = [read, spark_fingerprint(settings, schema, table)]
                if batches is None:
                    state["to_batches"].pop(key, None)
                else:
                    state["to_batches"][key] = {"columns": columns, "batches": batches}
                copied.append(key)
        finally:
            spark.stop()
            write_state(settings, state)
    shutil.rmtree(scratch, ignore_errors=True)
    return (f"copied {len(copied)} tables of {', '.join(schemas)} to Spark ({kept} unchanged since their last copy; "
            f"{appended} by their new load batches only)")


def _batch_frame(keys: list[str]):
    """The load batches named by `added_keys` as an Arrow table (source_file, loaded_at)."""
    import pyarrow as pa

    pairs = [json.loads(k) for k in keys]
    return pa.table({"source_file": pa.array([p[0] for p in pairs], pa.string()),
                     "loaded_at": pa.array([p[1] for p in pairs], pa.string())})


def from_spark(warehouse: Path, profiles_dir: Path, schemas: Sequence[str]) -> str:
    """A table Spark stores in its folder is read there by DuckDB (Parquet, the types a copy
    through Spark gives: checked table for table by test-spark); a view, or a table without
    files (empty), is written out by Spark first."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    settings = _spark_settings(profiles_dir)
    state = read_state(settings)
    scratch = _scratch(settings)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        written = {f"{s}.{t}": duck_fingerprint(con, s, t) for s, t in duck_tables(con, schemas)}
    finally:
        con.close()
    spark = _spark(settings)
    # (schema, table, fingerprint read, the folder of its Parquet files, their listing or None,
    #  the files added since the last copy or None: copied whole)
    tables, kept = [], 0
    portable = []  # (schema, view, its SQL): views defined again in the file (mark_portable_view)
    try:
        existing = {row.namespace for row in spark.sql("show databases").collect()}
        for schema in schemas:
            if schema not in existing:
                continue
            for row in spark.sql(f"show tables in {schema}").collect():
                if row.isTemporary or any(mark in row.tableName for mark in SCRATCH_MARKS):
                    continue
                key, read = f"{schema}.{row.tableName}", spark_fingerprint(settings, schema, row.tableName)
                if unchanged(state["from"], key, read, written.get(key)):
                    kept += 1
                    continue
                folder = table_folder(settings, schema, row.tableName)
                if read is not None and next(folder.rglob("*.parquet"), None) is not None:
                    listing = parquet_listing(folder)
                    added = None
                    if written.get(key) is not None and state["from"].get(key, [None, None])[1] == written[key]:
                        added = added_keys(state["from_files"].get(key), listing)
                    tables.append((schema, row.tableName, read, folder, listing, added))
                    continue
                text = _portable_view_text(spark, key) if read is None else None
                if text is not None:
                    portable.append((schema, row.tableName, text))
                    continue
                frame = spark.table(key)
                # an instant (Spark's TIMESTAMP, a run stamp) as the session's (UTC) wall-clock
                # time: DuckDB's TIMESTAMP, which the same column is on the DuckDB engine (and
                # what DuckDB reads from Spark's own files)
                frame = frame.select(*[
                    F.col(f.name).cast("timestamp_ntz").alias(f.name) if isinstance(f.dataType, TimestampType)
                    else F.col(f.name) for f in frame.schema.fields])
                frame.coalesce(1).write.mode("overwrite").parquet(str(scratch / key))
                tables.append((schema, row.tableName, read, scratch / key, None, None))
    finally:
        spark.stop()
    con = duckdb.connect(str(warehouse))
    try:
        views = set(con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall())
        for schema in schemas:
            con.execute(f"create schema if not exists {schema}")
        appended = 0
        for schema, table, read, folder, listing, added in tables:
            key = f"{schema}.{table}"
            if added is not None and _append_files(con, schema, table, [folder / f for f in added]):
                appended += 1
            else:
                if (schema, table) in views:
                    con.execute(f"drop view {schema}.\"{table}\"")
                con.execute(f"create or replace table {schema}.\"{table}\" as select * from "
                            f"read_parquet('{folder}/**/*.parquet')")
            state["from"][key] = [read, duck_fingerprint(con, schema, table)]
            if listing is None:
                state["from_files"].pop(key, None)
            else:
                state["from_files"][key] = listing
        _define_views(con, portable)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        write_state(settings, state)
    return (f"copied {len(tables)} tables of {', '.join(schemas)} from Spark "
            f"({kept} unchanged since their last copy; {appended} by their new files only); "
            f"{len(portable)} views defined over them")


def _append_files(con: duckdb.DuckDBPyConnection, schema: str, table: str, files: list[Path]) -> bool:
    """Insert the rows of a Spark table's new Parquet files into the file's copy of it; False
    (nothing done) when their columns are not the copy's, which is then made again whole."""
    if not files:
        return True  # (Spark changed something beside its data files: the rows are the same)
    paths = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    found = con.execute(f"describe select * from read_parquet({paths})").fetchall()
    if duck_columns(con, schema, table) != ", ".join(f"{name} {kind}" for name, kind, *_ in found):
        return False
    con.execute(f'insert into {schema}."{table}" select * from read_parquet({paths})')
    return True


def _portable_view_text(spark, key: str) -> str | None:  # noqa: ANN001 (a SparkSession)
    """The SQL of a view dbt marked portable (macros/spark/views.sql), as Spark keeps it; None
    for any other view, whose rows are copied."""
    marks = {r.key: r.value for r in spark.sql(f"show tblproperties {key}").collect()}
    if marks.get("huaxiang.portable_view") != "true":
        return None
    texts = [r.data_type for r in spark.sql(f"describe table extended {key}").collect() if r.col_name == "View Text"]
    return texts[0] if texts else None


def _define_views(con: duckdb.DuckDBPyConnection, views: list[tuple[str, str, str]]) -> None:
    """Each view over the file's tables (replacing a table a copy of its rows left there), in an
    order where a view that reads another comes after it."""
    present = {tuple(r) for r in con.execute(
        "select schema_name, table_name from duckdb_tables()").fetchall()}
    for schema, view, _ in views:
        if (schema, view) in present:
            con.execute(f'drop table {schema}."{view}"')
    pending = list(views)
    while pending:
        failed = []  # a view reading one not defined yet, or one DuckDB cannot define: with why
        for schema, view, text in pending:
            try:
                con.execute(f'create or replace view {schema}."{view}" as {text}')
            except duckdb.Error as error:
                failed.append((schema, view, text, str(error).splitlines()[0]))
        if len(failed) == len(pending):
            names = ", ".join(f"{s}.{v}" for s, v, _, _ in failed)
            raise SparkCopyError(f"views marked portable that DuckDB cannot define over the copied tables: {names} "
                                 f"({failed[0][3]})")
        pending = [f[:3] for f in failed]


def main(argv: Sequence[str]) -> int:
    if len(argv) < 4 or argv[0] not in ("to", "from"):
        print("usage: python -m orchestration.warehouse.spark_copy to|from WAREHOUSE.duckdb PROFILES_DIR SCHEMA...",
              file=sys.stderr)
        return 2
    direction, warehouse, profiles_dir, schemas = argv[0], Path(argv[1]), Path(argv[2]), argv[3:]
    if not (profiles_dir / "profiles.yml").is_file():
        print(f"spark_copy: no profiles.yml in {profiles_dir}", file=sys.stderr)
        return 2
    try:
        print((to_spark if direction == "to" else from_spark)(warehouse, profiles_dir, schemas))
    except SparkCopyError as error:  # the message alone: copy_tables passes stderr's end on
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
