"""The dbt profile of a warehouse: dbt (a subprocess) opens the DuckDB file itself, with the same
settings as the Python steps. The other place, beside orchestration/warehouse/connection.py,
that says how the warehouse is reached; a second engine writes its own profile here."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path


def write_profile(profiles_dir: Path, warehouse: Path, threads: int = 2,
                  memory_limit: str | None = None, duckdb_threads: int | None = None,
                  temp_directory: Path | None = None, spill_limit: str | None = None) -> Path:
    """A dbt profile pointing at the configured warehouse file, with dbt's share of the memory
    budget and the same DuckDB settings (threads, spill directory and bound) as the Python steps."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    content = (
        "# Written by huaxiang for this warehouse; regenerated on every load of the definitions.\n"
        "huaxiang:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {json.dumps(str(warehouse))}\n      threads: {threads}\n"
        # a reader holding the file (a notebook, a BI tool): wait 1+2+...+128 s, then fail
        "      retries:\n        connect_attempts: 9\n"
    )
    # config_options are given to duckdb.connect once; `settings` would be SET again on every
    # cursor, and DuckDB refuses to set temp_directory again once it has spilled there
    # ("Cannot switch temporary directory after the current one has been used")
    options = {"memory_limit": memory_limit, "threads": duckdb_threads,
               "temp_directory": str(temp_directory) if temp_directory else None,
               "max_temp_directory_size": spill_limit}
    if any(v is not None for v in options.values()):
        content += "      config_options:\n" + "".join(
            f"        {k}: {json.dumps(v)}\n" for k, v in options.items() if v is not None)
    _write_if_changed(profiles_dir / "profiles.yml", content)
    return profiles_dir


def _write_if_changed(path: Path, content: str) -> None:
    """Write then rename: another process loading the definitions may be reading it."""
    if not path.exists() or path.read_text() != content:
        tmp = path.with_name(f".profiles.{os.getpid()}.yml")
        tmp.write_text(content)
        tmp.replace(path)


# Spark settings every huaxiang build on Spark needs, whatever the cluster:
SPARK_SQL_SETTINGS = {
    # local_timezone conversions (macros/normalise/timestamps.sql) read instants in the session's
    # zone; UTC makes a TIMESTAMP_NTZ hold the same wall-clock time as DuckDB's TIMESTAMP
    "spark.sql.session.timeZone": "UTC",
    # the identity model's unrolled EM (int_identity_match_weights) needs more than the
    # analyser's default 100 passes to resolve ("Max iterations (100) reached")
    "spark.sql.analyzer.maxIterations": "1000",
    "spark.sql.optimizer.maxIterations": "1000",
}


def write_spark_profile(profiles_dir: Path, spark_dir: Path, threads: int = 1, cores: int = 2,
                        driver_memory: str = "4g", jars: tuple[Path, ...] = ()) -> Path:
    """A dbt profile for Spark in local mode, in this process's session (dbt-spark `session`):
    tables as Parquet folders under `spark_dir`/warehouse, the table catalogue in an embedded
    Derby metastore under `spark_dir`/metastore_db (one Spark process at a time may open it),
    Derby's log beside it rather than in the working directory. `jars` go on the session's class
    path (the project's own functions: orchestration/warehouse/spark_jar.py).

    A cluster is reached with dbt-spark's `thrift` or `http` method instead, in a profile its
    administrators write: it needs SPARK_SQL_SETTINGS as server-side parameters, and the
    functions' jar on its class path (docs/spark.md)."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    spark_dir = spark_dir.resolve()
    params = {
        "spark.master": f"local[{cores}]",
        "spark.driver.memory": driver_memory,
        # -XX:-DontCompileHugeMethods: Spark generates one Java method per stage, and the JVM
        # leaves a method over 8,000 bytes of bytecode interpreted; the identity comparisons
        # (a dozen CASEs a pair) make such methods, which then ran hundreds of times slower
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir} -XX:-DontCompileHugeMethods",
        "spark.sql.warehouse.dir": str(spark_dir / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true",
        "spark.sql.catalogImplementation": "hive",
        "spark.ui.enabled": "false",
        # the progress bar goes to the console dbt's JSON log goes to: a line it wrote into was
        # lost to Dagster, and every step after that model skipped
        "spark.ui.showConsoleProgress": "false",
        **({"spark.jars": ",".join(str(j.resolve()) for j in jars)} if jars else {}),
        "spark.sql.shuffle.partitions": str(max(2, cores)),
        **SPARK_SQL_SETTINGS,
    }
    content = (
        "# Written by huaxiang for Spark in local mode; regenerated on every build.\n"
        "huaxiang:\n  target: spark\n  outputs:\n    spark:\n      type: spark\n      method: session\n"
        f"      host: NA\n      schema: default\n      threads: {threads}\n"
        "      server_side_parameters:\n"
        + "".join(f"        {json.dumps(k)}: {json.dumps(v)}\n" for k, v in params.items())
    )
    _write_if_changed(profiles_dir / "profiles.yml", content)
    return profiles_dir


def spark_engine_problem() -> str | None:
    """What this machine lacks for the Spark engine, in one sentence; None when nothing."""
    missing = [name for name, module in (("pyspark", "pyspark"), ("dbt-spark", "dbt.adapters.spark"))
               if _spec(module) is None]
    if missing:
        return (f"HUAXIANG_ENGINE=spark needs {' and '.join(missing)}: install the spark extra "
                "(`uv sync --extra spark`, or `make demo-spark`)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "HUAXIANG_ENGINE=spark needs Java 17 (no `java` on PATH and no JAVA_HOME)"
    return None


def _spec(module: str):  # noqa: ANN202
    """The module's spec without importing it; None when it (or its package) is not installed."""
    try:
        return importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
