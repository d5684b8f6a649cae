"""Tables between the DuckDB warehouse and Spark, for the Spark engine (HUAXIANG_ENGINE=spark).

With the Spark engine the dbt project builds on Spark, while ingestion and the Python steps
(model tags, rule tags, segments, exports) still work on the DuckDB file: what they write is
copied into Spark before each dbt step (the raw layer, the model_tags schema), and what dbt
built is copied back after it (staging, intermediate, marts), so that they read it where they
always have. The copies go through Parquet files in a scratch folder: DuckDB writes and reads
them natively, Spark too.

Each copy runs in its own Python process with its own Spark session: Spark in local mode keeps
its table catalogue in an embedded Derby database that one process opens at a time, and dbt
(another process) opens it for every build. Run as a script:
    python -m orchestration.warehouse.spark_copy to|from WAREHOUSE.duckdb PROFILES_DIR SCHEMA...
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import yaml

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


def to_spark(warehouse: Path, profiles_dir: Path, schemas: Sequence[str]) -> str:
    settings = _spark_settings(profiles_dir)
    scratch = _scratch(settings)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in "
            f"({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            con.execute(f"copy {schema}.\"{table}\" to '{scratch / f'{schema}.{table}.parquet'}' (format parquet)")
    finally:
        con.close()
    spark = _spark(settings)
    try:
        for schema in schemas:
            spark.sql(f"create database if not exists {schema}")
        for schema, table in tables:
            spark.read.parquet(str(scratch / f"{schema}.{table}.parquet")).write.mode("overwrite").saveAsTable(
                f"{schema}.{table}")
    finally:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return f"copied {len(tables)} tables of {', '.join(schemas)} to Spark"


def from_spark(warehouse: Path, profiles_dir: Path, schemas: Sequence[str]) -> str:
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    settings = _spark_settings(profiles_dir)
    scratch = _scratch(settings)
    spark = _spark(settings)
    tables = []
    try:
        existing = {row.namespace for row in spark.sql("show databases").collect()}
        for schema in schemas:
            if schema not in existing:
                continue
            for row in spark.sql(f"show tables in {schema}").collect():
                if row.isTemporary or any(mark in row.tableName for mark in SCRATCH_MARKS):
                    continue
                frame = spark.table(f"{schema}.{row.tableName}")
                # an instant (Spark's TIMESTAMP, a run stamp) as the session's (UTC) wall-clock
                # time: DuckDB's TIMESTAMP, which the same column is on the DuckDB engine
                frame = frame.select(*[
                    F.col(f.name).cast("timestamp_ntz").alias(f.name) if isinstance(f.dataType, TimestampType)
                    else F.col(f.name) for f in frame.schema.fields])
                frame.coalesce(1).write.mode("overwrite").parquet(str(scratch / f"{schema}.{row.tableName}"))
                tables.append((schema, row.tableName))
    finally:
        spark.stop()
    con = duckdb.connect(str(warehouse))
    try:
        views = set(con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall())
        for schema in schemas:
            con.execute(f"create schema if not exists {schema}")
        for schema, table in tables:
            if (schema, table) in views:
                con.execute(f"drop view {schema}.\"{table}\"")
            con.execute(f"create or replace table {schema}.\"{table}\" as select * from "
                        f"read_parquet('{scratch / f'{schema}.{table}'}/*.parquet')")
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return f"copied {len(tables)} tables of {', '.join(schemas)} from Spark"


def main(argv: Sequence[str]) -> int:
    if len(argv) < 4 or argv[0] not in ("to", "from"):
        print("usage: python -m orchestration.warehouse.spark_copy to|from WAREHOUSE.duckdb PROFILES_DIR SCHEMA...",
              file=sys.stderr)
        return 2
    direction, warehouse, profiles_dir, schemas = argv[0], Path(argv[1]), Path(argv[2]), argv[3:]
    if not (profiles_dir / "profiles.yml").is_file():
        print(f"spark_copy: no profiles.yml in {profiles_dir}", file=sys.stderr)
        return 2
    print((to_spark if direction == "to" else from_spark)(warehouse, profiles_dir, schemas))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
