"""The one place where the Dagster definitions are assembled.

`build_definitions(settings)` is used by `dagster dev` (through `defs`, built from the
environment) and by `huaxiang run` (with its own settings): the same assets either way.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.assets.dbt import build_dbt_assets
from orchestration.dbt_runtime import (
    dbt_resource,
    ensure_manifest,
    project_fingerprint,
    prune_build_folders,
    use_target_dir,
)
from orchestration.warehouse.dbt_profile import spark_engine_problem, write_profile, write_spark_profile
from orchestration.assets.identity import build_identity_checks
from orchestration.assets.churn_training import build_churn_training_asset
from orchestration.assets.exports import build_export_assets
from orchestration.assets.ingest import build_ingest_assets
from orchestration.assets.model_tags import build_model_tag_assets
from orchestration.assets.rule_tags import build_rule_tag_assets
from orchestration.assets.segments import build_segment_assets
from orchestration.automation import (
    build_landing_sensor,
    daily_refresh_job,
    daily_schedule,
    everything_job,
    weekly_training_job,
    weekly_training_schedule,
)
from orchestration.dbt_codegen import INCREMENTAL_KINDS, prepare_dbt_project
from orchestration.warehouse.resource import DuckDBWarehouse
from orchestration.warehouse.spark_jar import SparkJarError, build_jar
from orchestration.settings import Settings, SettingsError
from orchestration.sources_config import load_sources_config
from orchestration.tags.catalogue import load_tag_config


def build_definitions(settings: Settings) -> Definitions:
    config = load_sources_config(settings.sources_file, settings.landing_dir)
    project_dir = prepare_dbt_project(config, settings.dbt_project_dir, settings.work_dir)
    budget = settings.budget
    if settings.engine == "spark":
        problem = spark_engine_problem()
        if problem:
            raise SettingsError(problem)
        try:
            jar = build_jar(settings.spark_dir)
        except SparkJarError as exc:
            raise SettingsError(str(exc)) from exc
        profiles_dir = write_spark_profile(settings.work_dir / "dbt_profile_spark", settings.spark_dir, jars=(jar,))
    else:
        profiles_dir = write_profile(settings.work_dir / "dbt_profile", settings.warehouse,
                                     memory_limit=budget.dbt_duckdb_limit, duckdb_threads=settings.duckdb_threads,
                                     temp_directory=settings.duckdb_temp_dir, spill_limit=budget.spill_limit)
    as_of = settings.as_of.isoformat() if settings.as_of else None
    target = use_target_dir(settings.work_dir / ("dbt_target" if settings.engine == "duckdb" else "dbt_target_spark"))
    prune_build_folders(target)
    manifest = ensure_manifest(project_dir, profiles_dir, as_of, target)
    fact_tables = {(t.source, t.name) for t in config.tables if t.kind in INCREMENTAL_KINDS}
    dbt_assets_defs = build_dbt_assets(manifest, default_as_of=as_of, fact_tables=fact_tables,
                                       code=project_fingerprint(project_dir))
    tag_config = load_tag_config(settings.tags_file)
    tag_assets, tag_checks = build_model_tag_assets(tag_config, project_dir, settings.models)
    rule_assets = build_rule_tag_assets(tag_config, settings.rule_tags_dir)
    training = build_churn_training_asset(tag_config, settings.rule_tags_dir, settings.models)
    segment_assets = build_segment_assets(tag_config, settings.rule_tags_dir, settings.segments_dir)
    return Definitions(
        assets=[*build_ingest_assets(config), *dbt_assets_defs, *tag_assets, *rule_assets, *segment_assets, training,
                *build_export_assets(settings.outputs, settings.work_dir)],
        asset_checks=[*build_identity_checks(settings, config.landing_dir), *tag_checks],
        jobs=[everything_job, daily_refresh_job, weekly_training_job],
        schedules=[daily_schedule, weekly_training_schedule],
        sensors=[build_landing_sensor(config, settings.warehouse)],
        resources={
            "warehouse": DuckDBWarehouse(
                path=str(settings.warehouse),
                memory_limit=budget.steps_duckdb_limit,
                spill_limit=budget.spill_limit,
                threads=settings.duckdb_threads,
                temp_directory=str(settings.duckdb_temp_dir) if settings.duckdb_temp_dir else None,
                engine=settings.engine,
                spark_profiles_dir=str(profiles_dir) if settings.engine == "spark" else None,
            ),
            "dbt": dbt_resource(project_dir, profiles_dir),
        },
    )


defs = build_definitions(Settings.from_env())
