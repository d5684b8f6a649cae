"""The warehouse as a Dagster resource.

A connection is opened per asset and closed at its end: DuckDB lets one process write a file
at a time, and dbt (a subprocess) must be able to open it between our steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource


class DuckDBWarehouse(ConfigurableResource):
    """The embedded warehouse file (schemas raw, staging, intermediate, marts)."""

    path: str
    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None  # where DuckDB spills when a query needs more than memory_limit

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str] = {}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.threads:
            config["threads"] = str(self.threads)
        if self.temp_directory:
            config["temp_directory"] = self.temp_directory
        con = duckdb.connect(self.path, read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()
