"""The warehouse as a Dagster resource: what every asset and check asks for a connection.

A connection is opened per asset and closed at its end: DuckDB lets one process write a file
at a time, and dbt (a subprocess) must be able to open it between our steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from orchestration.settings import RUN_LOCK_WAIT_SECONDS
from orchestration.warehouse import connection, tables
from orchestration.warehouse.connection import DEFAULT_LOCK_WAIT_SECONDS, Connection

SPARK_INPUTS = (tables.RAW, tables.MODEL_TAGS)
"""Written by ingestion and the Python steps, read by dbt."""
SPARK_OUTPUTS = (tables.STAGING, tables.INTERMEDIATE, tables.MARTS)
"""Built by dbt, read by the Python steps, the checks and the exports."""

WAREHOUSE_POOL = "duckdb_warehouse"
"""The Dagster pool of every step that opens the warehouse: DuckDB lets one process write."""


class DuckDBWarehouse(ConfigurableResource):
    """The embedded warehouse file (schemas raw, staging, intermediate, model_tags, marts)."""

    path: str
    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None  # where DuckDB spills when a query needs more than memory_limit
    spill_limit: str | None = None  # the most it may spill there (max_temp_directory_size)
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS  # how long a step waits for a reader (a notebook, a BI tool) to let go
    run_lock_wait_seconds: float = RUN_LOCK_WAIT_SECONDS  # how long a run waits for another run on this warehouse
    engine: str = "duckdb"  # where dbt builds; "spark": the tables move between the two (spark_copy.py)
    spark_profiles_dir: str | None = None  # the Spark engine's dbt profile, whose settings the copies use
    _holds_run_lock: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """A run of the scheduled jobs, however started (CLI, schedule, sensor, UI), holds the
        warehouse's run lock for its life, and first cleans up after runs that were killed."""
        from orchestration.run_guard import guard_run

        if context.instance is None:
            return
        self._holds_run_lock = guard_run(context.instance, context.run, Path(self.path),
                                         self.run_lock_wait_seconds, say=context.log.warning)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        from orchestration.warehouse.lock import release_run_lock

        if self._holds_run_lock:
            release_run_lock(Path(self.path))
            self._holds_run_lock = False

    def engine_config(self) -> dict[str, str]:
        config: dict[str, str] = {}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.threads:
            config["threads"] = str(self.threads)
        if self.temp_directory:
            config["temp_directory"] = self.temp_directory
        if self.spill_limit:
            config["max_temp_directory_size"] = self.spill_limit
        return config

    def copy_to_engine(self, say) -> None:  # noqa: ANN001 (a logger's method)
        """Before a dbt step on Spark: what ingestion and the Python steps wrote, into Spark."""
        if self.engine == "spark":
            from orchestration.warehouse.spark_copy import copy_tables

            say(copy_tables("to", Path(self.path), Path(self.spark_profiles_dir), SPARK_INPUTS))

    def copy_from_engine(self, say) -> None:  # noqa: ANN001
        """After a dbt step on Spark: what it built, into the warehouse file the Python steps read."""
        if self.engine == "spark":
            from orchestration.warehouse.spark_copy import copy_tables

            say(copy_tables("from", Path(self.path), Path(self.spark_profiles_dir), SPARK_OUTPUTS))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Connection]:
        with connection.connect(self.path, read_only=read_only, config=self.engine_config(),
                                wait_seconds=self.lock_wait_seconds) as con:
            yield con
