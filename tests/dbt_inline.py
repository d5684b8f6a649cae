"""Run a query through dbt (`dbt show --inline`) so tests exercise the real macros on DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def dbt_show(sql: str, warehouse: Path, profiles_dir: Path | None = None,
             dbt_vars: dict | None = None) -> list[dict]:
    """`warehouse`: the DuckDB file of the repository's profile; dbt's target folder goes beside
    it. `profiles_dir`: another profile instead (Spark's: tests/spark). `dbt_vars`: dbt's --vars."""
    env = {**os.environ, "HUAXIANG_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run(
        [str(dbt), "show", "--inline", sql, "--output", "json", "--limit", "-1",
         "--log-format", "json", "--profiles-dir", str(profiles_dir or "."),
         "--target-path", str(warehouse.parent / "target"),
         *(["--vars", json.dumps(dbt_vars)] if dbt_vars else [])],
        cwd=REPO / "dbt_project", env=env, capture_output=True, text=True, timeout=300)
    for line in proc.stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        preview = event.get("data", {}).get("preview")
        if preview is not None:
            return json.loads(preview)
    raise AssertionError(f"dbt show failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
