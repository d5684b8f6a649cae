"""The dbt profile of a warehouse: dbt (a subprocess) opens the DuckDB file itself, with the same
settings as the Python steps. The other place, beside orchestration/warehouse/connection.py,
that says how the warehouse is reached; a second engine writes its own profile here."""

from __future__ import annotations

import json
import os
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
    path = profiles_dir / "profiles.yml"
    if not path.exists() or path.read_text() != content:
        # write then rename: another process loading the definitions may be reading it
        tmp = path.with_name(f".profiles.{os.getpid()}.yml")
        tmp.write_text(content)
        tmp.replace(path)
    return profiles_dir
