"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

The project directory comes from `prepare_dbt_project` (the repository's, or a private copy
when another sources file generates a different staging layer); the profile is written beside
the warehouse so that the warehouse path is configuration, not a constant in profiles.yml.
"""


import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Config
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


def write_profile(profiles_dir: Path, warehouse: Path, threads: int = 2) -> Path:
    """A dbt profile pointing at the configured warehouse file."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    content = (
        "# Written by huaxiang for this warehouse; regenerated on every load of the definitions.\n"
        "huaxiang:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {json.dumps(str(warehouse))}\n      threads: {threads}\n"
    )
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


def ensure_manifest(project_dir: Path, profiles_dir: Path) -> Path:
    """`dbt parse` when the project changed since the last manifest; returns manifest.json."""
    target = project_dir / "target"
    manifest = target / "manifest.json"
    stamp = target / "huaxiang_fingerprint.txt"
    fingerprint = _project_fingerprint(project_dir)
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    dbt = dbt_resource(project_dir, profiles_dir)
    invocation = dbt.cli(["parse", "--quiet"], target_path=target, raise_on_error=False)
    invocation.wait()
    if not invocation.is_successful() or not manifest.exists():
        raise RuntimeError(f"dbt parse failed for {project_dir}: {invocation.get_error()}")
    stamp.write_text(fingerprint)
    return manifest


class HuaxiangDbtTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts); keys are [schema, model]."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 1:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        return super().get_asset_key(dbt_resource_props)


class DbtBuildConfig(Config):
    """Run configuration of the dbt step."""

    as_of_date: str | None = None
    """YYYY-MM-DD to compute for a past date; empty: the end of the loaded data."""


def build_dbt_assets(manifest: Path, default_as_of: str | None = None):
    translator = HuaxiangDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=manifest, dagster_dbt_translator=translator, name="huaxiang_dbt",
                pool=WAREHOUSE_POOL)
    def huaxiang_dbt(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        as_of = config.as_of_date or default_as_of
        args = ["build"]
        if as_of:
            args += ["--vars", json.dumps({"as_of_date": as_of})]
        yield from dbt.cli(args, context=context).stream()

    return huaxiang_dbt
