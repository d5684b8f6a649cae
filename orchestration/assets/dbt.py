"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

The project directory comes from `prepare_dbt_project` (the repository's, or a private copy
when another sources file generates a different staging layer); the profile is written beside
the warehouse so that the warehouse path is configuration, not a constant in profiles.yml.
"""


import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Config
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.assets.ingest import WAREHOUSE_POOL

def dbt_executable() -> str:
    """The dbt of this Python environment, so that an un-activated venv still finds it."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_resource(project_dir: Path, profiles_dir: Path) -> DbtCliResource:
    return DbtCliResource(project_dir=str(project_dir), profiles_dir=str(profiles_dir),
                          dbt_executable=dbt_executable())


PROJECT_FILE_GLOBS = ("dbt_project.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")


def write_profile(profiles_dir: Path, warehouse: Path, threads: int = 2,
                  memory_limit: str | None = None, duckdb_threads: int | None = None,
                  temp_directory: Path | None = None) -> Path:
    """A dbt profile pointing at the configured warehouse file, with the same DuckDB settings
    (memory limit, threads, spill directory) as the Python steps."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    content = (
        "# Written by huaxiang for this warehouse; regenerated on every load of the definitions.\n"
        "huaxiang:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {json.dumps(str(warehouse))}\n      threads: {threads}\n"
    )
    settings = {"memory_limit": memory_limit, "threads": duckdb_threads,
                "temp_directory": str(temp_directory) if temp_directory else None}
    if any(v is not None for v in settings.values()):
        content += "      settings:\n" + "".join(
            f"        {k}: {json.dumps(v)}\n" for k, v in settings.items() if v is not None)
    path = profiles_dir / "profiles.yml"
    if not path.exists() or path.read_text() != content:
        path.write_text(content)
    return profiles_dir


def _project_fingerprint(project_dir: Path) -> str:
    h = hashlib.sha256()
    for pattern in PROJECT_FILE_GLOBS:
        for p in sorted(project_dir.glob(pattern)):
            if p.is_file():
                h.update(p.relative_to(project_dir).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def dbt_vars(as_of: str | None) -> list[str]:
    """The --vars of every dbt command for this as-of date (the same for parse and build)."""
    return ["--vars", json.dumps({"as_of_date": as_of})] if as_of else []


def use_target_dir(target: Path) -> Path:
    """Make `target` the dbt target folder of this process (parse, and every build's own
    sub-folder, which dagster-dbt derives from DBT_TARGET_PATH).

    One per warehouse (beside it, in the settings' work_dir) rather than the project's
    `target/`: two processes building two warehouses (tests in parallel, a CLI run beside
    `dagster dev`) would otherwise overwrite each other's manifest and partial-parse file."""
    target.mkdir(parents=True, exist_ok=True)
    os.environ["DBT_TARGET_PATH"] = str(target)
    return target


def ensure_manifest(project_dir: Path, profiles_dir: Path, as_of: str | None = None,
                    target: Path | None = None) -> Path:
    """`dbt parse` when the project, the profile or the vars changed since the last manifest;
    returns manifest.json.

    The parse also leaves partial_parse.msgpack in `target` (default: the project's target/),
    which dagster-dbt copies into each build's target: dbt reuses it only when the profile and
    the vars are the ones it was made with, so they are part of the fingerprint (otherwise
    every build re-parses the project).
    """
    target = target or project_dir / "target"
    manifest = target / "manifest.json"
    stamp = target / "huaxiang_fingerprint.txt"
    fingerprint = _project_fingerprint(project_dir) + hashlib.sha256(
        (profiles_dir / "profiles.yml").read_bytes() + json.dumps(dbt_vars(as_of)).encode()).hexdigest()
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    dbt = dbt_resource(project_dir, profiles_dir)
    invocation = dbt.cli(["parse", "--quiet", *dbt_vars(as_of)], target_path=target, raise_on_error=False)
    invocation.wait()
    if not invocation.is_successful() or not manifest.exists():
        raise RuntimeError(f"dbt parse failed for {project_dir}: {invocation.get_error()}")
    stamp.write_text(fingerprint)
    return manifest


class HuaxiangDbtTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts); keys stay [schema, model], and
    sources take the raw asset keys set in their meta (generated by dbt_codegen)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 1:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


class DbtBuildConfig(Config):
    """Run configuration of the dbt step."""

    as_of_date: str | None = None
    """YYYY-MM-DD to compute for a past date; empty: the end of the loaded data."""


TAG_STORE_SELECTOR = "tag:tag_store"
"""The marts built after the Python model tags (marts/tags): a second dbt step."""


def build_dbt_assets(manifest: Path, default_as_of: str | None = None) -> list:
    """Two dbt steps around the Python model tags: everything up to the fact tags, then the
    tag store that reads the model tags. One @dbt_assets over both would be a cycle between
    steps (dbt -> Python -> dbt)."""
    translator = HuaxiangDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def make(name: str, select: str, exclude: str | None):
        @dbt_assets(manifest=manifest, dagster_dbt_translator=translator, name=name,
                    select=select, exclude=exclude, pool=WAREHOUSE_POOL)
        def _dbt(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
            as_of = config.as_of_date or default_as_of
            yield from dbt.cli(["build", *dbt_vars(as_of)], context=context).stream()

        return _dbt

    return [make("huaxiang_dbt", "fqn:*", TAG_STORE_SELECTOR),
            make("huaxiang_dbt_tag_store", TAG_STORE_SELECTOR, None)]
