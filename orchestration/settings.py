"""Where things are: the sources file, the landing folder, the warehouse, the dbt project.

One immutable object built from the environment (for `dagster dev` and the schedule) or from
command-line options (for `huaxiang run`), and passed to the definitions factory: no module
reads paths from anywhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from orchestration.warehouse.budget import ResourceBudget

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SOURCES = REPO_ROOT / "config" / "sources.yml"
DEFAULT_TAGS = REPO_ROOT / "config" / "tags.yml"
DEFAULT_RULE_TAGS = REPO_ROOT / "config" / "rule_tags"
DEFAULT_SEGMENTS = REPO_ROOT / "config" / "segments"
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
RUN_LOCK_WAIT_SECONDS = 600.0
"""How long a run waits for another run on the same warehouse before it gives up."""


def repo_relative(path: str | Path) -> str:
    """`path` relative to the repository when it is inside it, else as given: what a table
    records of a configuration file, so that two checkouts build the same rows."""
    p = Path(path)
    shown = p.relative_to(REPO_ROOT) if p.is_absolute() and p.is_relative_to(REPO_ROOT) else p
    return shown.as_posix()


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
ENGINES = ("duckdb", "spark")


class SettingsError(ValueError):
    """A setting (an environment variable) that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    sources_file: Path = DEFAULT_SOURCES
    tags_file: Path = DEFAULT_TAGS
    rule_tags_dir: Path = DEFAULT_RULE_TAGS
    segments_dir: Path = DEFAULT_SEGMENTS
    outputs_dir: Path | None = None  # None: beside the warehouse (exports/, bi/, reports/)
    models_dir: Path | None = None  # None: models/ beside the warehouse (versioned model artefacts)
    warehouse: Path = DEFAULT_WAREHOUSE
    landing_dir: Path | None = None  # None: the sources file's own landing_dir
    as_of: date | None = None  # None: the end of the loaded data
    dbt_project_dir: Path = DBT_PROJECT_DIR
    memory_budget: str | None = None  # the run's process tree (dbt + Dagster); None: 3/4 of the machine's memory
    spill_limit: str | None = None  # most DuckDB may spill; None: four times the memory budget
    duckdb_memory_limit: str | None = None  # one DuckDB limit for both processes instead of the budget's shares
    duckdb_threads: int | None = None
    duckdb_temp_dir: Path | None = None  # None: DuckDB's default (<warehouse>.tmp): where it spills past the limit
    identity_truth: Path | None = None  # None: ground_truth/records.csv beside the landing folder, if any
    identity_min_precision: float = 0.995
    identity_min_recall: float = 0.98
    engine: str = "duckdb"  # where dbt builds: duckdb (the warehouse file) or spark (docs/spark.md)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"HUAXIANG_ENGINE={self.engine!r}: the engine is one of {', '.join(ENGINES)}")

    @property
    def spark_dir(self) -> Path:
        """The Spark engine's tables and table catalogue in local mode."""
        return self.work_dir / "spark"

    @property
    def outputs(self) -> Path:
        """Where a run leaves files for people and tools: segment exports, the BI copy, the report."""
        return self.outputs_dir or self.warehouse.parent

    @property
    def models(self) -> Path:
        """Where trained models are kept between runs (the weekly training, the daily scoring)."""
        return self.models_dir or self.warehouse.parent / "models"

    @property
    def budget(self) -> ResourceBudget:
        """The memory budget and spill bound of a run, and each DuckDB's share (warehouse/budget.py)."""
        return ResourceBudget.resolve(self.memory_budget, self.spill_limit, self.duckdb_memory_limit)

    @property
    def work_dir(self) -> Path:
        """Private state beside the warehouse: generated dbt profile, project copies."""
        return self.warehouse.parent / ".huaxiang" / self.warehouse.stem

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        as_of = env.get("HUAXIANG_AS_OF")
        threads = env.get("HUAXIANG_DUCKDB_THREADS")
        return cls(
            sources_file=Path(env.get("HUAXIANG_SOURCES", DEFAULT_SOURCES)).resolve(),
            tags_file=Path(env.get("HUAXIANG_TAGS", DEFAULT_TAGS)).resolve(),
            rule_tags_dir=Path(env.get("HUAXIANG_RULE_TAGS", DEFAULT_RULE_TAGS)).resolve(),
            segments_dir=Path(env.get("HUAXIANG_SEGMENTS", DEFAULT_SEGMENTS)).resolve(),
            outputs_dir=Path(env["HUAXIANG_OUTPUTS_DIR"]).resolve() if env.get("HUAXIANG_OUTPUTS_DIR") else None,
            models_dir=Path(env["HUAXIANG_MODELS_DIR"]).resolve() if env.get("HUAXIANG_MODELS_DIR") else None,
            warehouse=Path(env.get("HUAXIANG_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve(),
            landing_dir=Path(env["HUAXIANG_LANDING_DIR"]).resolve()
            if env.get("HUAXIANG_LANDING_DIR") else None,
            as_of=date.fromisoformat(as_of) if as_of else None,
            memory_budget=env.get("HUAXIANG_MEMORY_BUDGET") or None,
            spill_limit=env.get("HUAXIANG_SPILL_LIMIT") or None,
            duckdb_memory_limit=env.get("HUAXIANG_DUCKDB_MEMORY_LIMIT") or None,
            duckdb_threads=int(threads) if threads else None,
            duckdb_temp_dir=Path(env["HUAXIANG_DUCKDB_TEMP_DIR"]).resolve()
            if env.get("HUAXIANG_DUCKDB_TEMP_DIR") else None,
            identity_truth=Path(env["HUAXIANG_IDENTITY_TRUTH"]).resolve()
            if env.get("HUAXIANG_IDENTITY_TRUTH") else None,
            identity_min_precision=float(env.get("HUAXIANG_IDENTITY_MIN_PRECISION", 0.995)),
            identity_min_recall=float(env.get("HUAXIANG_IDENTITY_MIN_RECALL", 0.98)),
            engine=env.get("HUAXIANG_ENGINE") or "duckdb",
        )

    def with_overrides(self, **changes) -> "Settings":
        clean = {k: v for k, v in changes.items() if v is not None}
        for key in ("sources_file", "tags_file", "rule_tags_dir", "segments_dir", "outputs_dir", "models_dir", "warehouse", "duckdb_temp_dir",
                    "landing_dir", "identity_truth"):
            if key in clean:
                clean[key] = Path(clean[key]).resolve()
        return replace(self, **clean)
