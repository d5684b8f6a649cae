"""Copy a DuckDB warehouse's raw layer into Spark: the same raw rows on both engines, so that a
difference in the tables dbt builds from them is a difference of the SQL.

Until ingestion runs on Spark itself (issue 21), this is how the equality test gives Spark its
raw layer. Run as a script (its own Spark process: the embedded metastore takes one at a time):
    python tests/spark/spark_raw.py WAREHOUSE.duckdb PROFILES_DIR
It starts Spark with the settings of the dbt profile in PROFILES_DIR, so it writes where dbt
reads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import yaml


def main(warehouse: Path, profiles_dir: Path) -> None:
    from pyspark.sql import SparkSession

    profile = yaml.safe_load((profiles_dir / "profiles.yml").read_text())["huaxiang"]["outputs"]["spark"]
    params = profile["server_side_parameters"]
    scratch = Path(params["spark.sql.warehouse.dir"]).parent / "raw_parquet"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1").fetchall()]
        for table in tables:
            con.execute(f"copy raw.\"{table}\" to '{scratch / (table + '.parquet')}' (format parquet)")
    finally:
        con.close()
    builder = SparkSession.builder.appName("huaxiang raw copy")
    for key, value in params.items():
        builder = builder.config(key, value)
    spark = builder.enableHiveSupport().getOrCreate()
    try:
        spark.sql("create database if not exists raw")
        for table in tables:
            spark.read.parquet(str(scratch / (table + ".parquet"))).write.mode("overwrite").saveAsTable(f"raw.{table}")
    finally:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"copied {len(tables)} raw tables into Spark")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tests/spark/spark_raw.py WAREHOUSE.duckdb PROFILES_DIR")
    warehouse_arg, profiles_arg = Path(sys.argv[1]), Path(sys.argv[2])
    if not warehouse_arg.is_file():
        sys.exit(f"spark_raw: no DuckDB warehouse at {warehouse_arg}")
    if not (profiles_arg / "profiles.yml").is_file():
        sys.exit(f"spark_raw: no profiles.yml in {profiles_arg} (write_spark_profile writes one)")
    main(warehouse_arg, profiles_arg)
