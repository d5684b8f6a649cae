"""When the pipeline runs: the full-refresh job, its daily schedule, and the landing sensor."""


import hashlib
import json
from pathlib import Path


from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    sensor,
)

from orchestration.ingest.loader import list_files, sha256_file
from orchestration.sources_config import SourcesConfig
from orchestration.warehouse import CatalogError, WarehouseError, open_read_only, tables

EVERYTHING_JOB = "refresh_everything"
DAILY_REFRESH_JOB = "daily_refresh"
WEEKLY_TRAINING_JOB = "weekly_churn_training"
# the weekly training: the churn classifier artefact and the backtest (orchestration/assets/churn_training.py)
TRAINING = AssetSelection.assets(tables.CHURN_MODEL.key, tables.CHURN_BACKTEST.key)

# In-process: the steps share one DuckDB file, which one process writes at a time.
everything_job = define_asset_job(
    EVERYTHING_JOB,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Everything: load every landing file, build and test every dbt model, train the churn classifier, "
                "compute every tag and segment, write the exports. `huaxiang run` runs this job.",
)

daily_refresh_job = define_asset_job(
    DAILY_REFRESH_JOB,
    selection=AssetSelection.all() - TRAINING,
    executor_def=in_process_executor,
    description="Everything but the weekly training: the churn tags are scored with the newest stored classifier "
                "(one is trained if none is stored yet).",
)

weekly_training_job = define_asset_job(
    WEEKLY_TRAINING_JOB,
    selection=TRAINING,
    executor_def=in_process_executor,
    description="Train the churn classifier on the warehouse as the last refresh left it, store it as a versioned "
                "artefact, and backtest it against MBG/NBD and the baseline rule.",
)

daily_schedule = ScheduleDefinition(
    name="daily_refresh_schedule",
    job=daily_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every day at 02:00 China time: load, build, score.",
)

weekly_training_schedule = ScheduleDefinition(
    name="weekly_churn_training",
    job=weekly_training_job,
    cron_schedule="0 5 * * 1",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every Monday at 05:00 China time, after the daily refresh: retrain the churn classifier; the "
                "next daily refresh scores with it.",
)


def landing_signature(config: SourcesConfig) -> dict[str, list[int]]:
    """{file: [size, mtime_ns]} of every landing file the sources file matches."""
    sig: dict[str, list[int]] = {}
    for table in config.tables:
        for path in list_files(table, config.landing_dir):
            st = path.stat()
            sig[path.relative_to(config.landing_dir).as_posix()] = [st.st_size, st.st_mtime_ns]
    return sig


def loaded_signature(config: SourcesConfig, warehouse: Path, sig: dict[str, list[int]]) -> dict[str, list[int]] | None:
    """The part of `sig` whose files the warehouse already holds as they are now: the same
    size and SHA-256 in raw.load_log. {} when there is no warehouse yet; None when it cannot
    be read now (a run holds it): the sensor then decides on its next tick."""
    if not warehouse.exists():
        return {}
    try:
        con = open_read_only(warehouse)
    except WarehouseError:
        return None
    try:
        logged = {(f, size): sha for f, size, sha in con.execute(
            "select source_file, file_bytes, file_sha256 from raw.load_log").fetchall()}
    except CatalogError:
        return {}
    finally:
        con.close()
    known = {}
    for rel, (size, mtime) in sig.items():
        sha = logged.get((rel, size))
        if sha is not None and sha == sha256_file(config.landing_dir / rel):
            known[rel] = [size, mtime]
    return known


def build_landing_sensor(config: SourcesConfig, warehouse: Path):
    @sensor(
        name="landing_files_sensor",
        job=daily_refresh_job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Starts a refresh when a file appears or changes under {config.landing_dir}.",
    )
    def landing_files_sensor(context: SensorEvaluationContext):
        # a run killed with -9 stays "started" and holds the run queue (one run at a time):
        # every tick, the runs whose process is gone are marked failed (orchestration/run_guard.py)
        from orchestration.run_guard import reap_dead_runs

        try:
            instance = context.instance
        except Exception:  # a context built without an instance (a test): nothing to clean
            instance = None
        if instance is not None:
            reap_dead_runs(instance, say=context.log.warning)
        sig = landing_signature(config)
        if context.cursor:
            previous = json.loads(context.cursor)
        else:
            # first tick (a new instance, `make dev` after `make demo`): what the warehouse has
            # loaded is not new; only files it lacks or holds another version of start a run
            previous = loaded_signature(config, warehouse, sig)
            if previous is None:
                return SkipReason(f"the warehouse {warehouse} is busy: the landing files are compared "
                                  "with what it has loaded on a later tick")
        changed = sorted(f for f, s in sig.items() if previous.get(f) != s)
        removed = sorted(set(previous) - set(sig))
        if not changed and not removed:
            if not context.cursor:
                context.update_cursor(json.dumps(sig, sort_keys=True))
            return SkipReason("no new or changed landing file")
        digest = hashlib.sha256(json.dumps(sig, sort_keys=True).encode()).hexdigest()[:16]
        context.update_cursor(json.dumps(sig, sort_keys=True))
        return RunRequest(
            run_key=f"landing-{digest}",
            tags={"huaxiang/trigger": "landing_files",
                  "huaxiang/changed_files": ", ".join(changed[:20]) or "-"},
        )

    return landing_files_sensor
