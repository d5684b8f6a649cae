"""The Dagster definitions: the full graph, the job, the schedule and the landing sensor."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_sensor_context

from mini_landing import write_mini_landing
from orchestration.automation import build_landing_sensor
from orchestration.definitions import build_definitions
from orchestration.settings import Settings
from orchestration.sources_config import load_sources_config


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("defs")
    write_mini_landing(root / "landing")
    return Settings(landing_dir=root / "landing", warehouse=root / "w.duckdb", memory_budget="4GB", spill_limit="10GB")


@pytest.fixture(scope="module")
def defs(settings):
    return build_definitions(settings)


def test_graph_has_ingest_staging_and_marts(defs):
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    assert AssetKey(["raw", "crm__contacts"]) in keys
    assert AssetKey(["staging", "stg_crm__contacts"]) in keys
    assert AssetKey(["intermediate", "int_orders_validated"]) in keys
    assert AssetKey(["marts", "fct_orders"]) in keys
    graph = defs.resolve_asset_graph()
    # dbt sources resolve to the ingestion assets: staging depends on raw
    assert AssetKey(["raw", "crm__contacts"]) in graph.get(AssetKey(["staging", "stg_crm__contacts"])).parent_keys


def test_checks_include_reconciliation_ge_and_dbt_tests(defs):
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("raw/oms__orders", "rows_reconcile") in checks
    assert ("raw/oms__orders", "great_expectations") in checks
    assert any(a == "marts/fct_orders" and n.startswith("unique_fct_orders_order_line_id") for a, n in checks)


def test_job_and_daily_schedule(defs):
    job = defs.resolve_job_def("refresh_everything")
    assert job.executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "daily_refresh"


def test_training_is_weekly_and_scoring_daily(defs):
    graph = defs.resolve_asset_graph()
    training = {AssetKey(["model_tags", "churn_model"]), AssetKey(["model_tags", "churn_backtest"])}
    daily = set(defs.resolve_job_def("daily_refresh").asset_layer.selected_asset_keys)
    assert AssetKey(["model_tags", "churn"]) in daily and not daily & training
    assert set(defs.resolve_job_def("weekly_churn_training").asset_layer.selected_asset_keys) == training
    weekly = defs.resolve_schedule_def("weekly_churn_training")
    assert weekly.cron_schedule == "0 5 * * 1" and weekly.job_name == "weekly_churn_training"
    # refresh_everything trains before it scores
    assert AssetKey(["model_tags", "churn_model"]) in graph.get(AssetKey(["model_tags", "churn"])).parent_keys
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == AssetKey(["model_tags", "churn"])}
    assert "model_age" in checks
    sensor = defs.resolve_sensor_def("landing_files_sensor")  # raises when there is none
    assert sensor.job_name == "daily_refresh", sensor.job_name


def test_landing_sensor_fires_on_new_files_only(tmp_path, default_sources):
    write_mini_landing(tmp_path / "landing")
    sensor = build_landing_sensor(load_sources_config(default_sources, tmp_path / "landing"), tmp_path / "w.duckdb")
    ctx = build_sensor_context()
    first = sensor(ctx)
    assert isinstance(first, RunRequest)
    ctx = build_sensor_context(cursor=ctx.cursor)
    assert isinstance(sensor(ctx), SkipReason)
    (tmp_path / "landing" / "store" / "members_2.csv").write_text(
        "card_no|name|phone|store_id|store_city|join_date\n8|x|1|S|c|2024/01/01\n", encoding="utf-8")
    ctx = build_sensor_context(cursor=ctx.cursor)
    again = sensor(ctx)
    assert isinstance(again, RunRequest) and "store/members_2.csv" in again.tags["huaxiang/changed_files"]


def test_the_dbt_profile_and_the_resource_carry_the_duckdb_settings(tmp_path, monkeypatch):
    """Memory limit, threads and the spill directory apply to dbt's DuckDB as to ours."""
    import yaml

    from orchestration.warehouse.dbt_profile import write_profile
    from orchestration.warehouse.resource import DuckDBWarehouse

    monkeypatch.setenv("HUAXIANG_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("HUAXIANG_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("HUAXIANG_DUCKDB_THREADS", "1")
    settings = Settings.from_env()
    assert settings.duckdb_temp_dir == (tmp_path / "spill").resolve()
    write_profile(tmp_path / "profile", tmp_path / "w.duckdb", memory_limit=settings.duckdb_memory_limit,
                  duckdb_threads=settings.duckdb_threads, temp_directory=settings.duckdb_temp_dir)
    profile = yaml.safe_load((tmp_path / "profile" / "profiles.yml").read_text())
    # config_options: given once at connect (a SET per cursor fails once DuckDB has spilled)
    assert profile["huaxiang"]["outputs"]["duckdb"]["config_options"] == {
        "memory_limit": "1GB", "threads": 1, "temp_directory": str(settings.duckdb_temp_dir)}
    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"), memory_limit="1GB", threads=1,
                                temp_directory=str(settings.duckdb_temp_dir))
    with warehouse.connect() as con:
        temp, threads = con.execute("select current_setting('temp_directory'), "
                                    "current_setting('threads')").fetchall()[0]
    assert temp == str(settings.duckdb_temp_dir) and int(threads) == 1


def test_one_memory_budget_is_shared_between_dbt_and_the_python_steps(defs, settings):
    """HUAXIANG_MEMORY_BUDGET=4GB for the run: dbt's DuckDB gets it less 30 % for what the
    tree holds outside that limit (the interpreters, the steps' leftovers), the Python steps'
    DuckDB half (the rest is their data frames'), and both spill at most HUAXIANG_SPILL_LIMIT."""
    import yaml

    resource = defs.resources["warehouse"]
    profiles = settings.work_dir / "dbt_profile" / "profiles.yml"
    options = yaml.safe_load(profiles.read_text())["huaxiang"]["outputs"]["duckdb"]["config_options"]
    assert options["memory_limit"] == "2670MiB"            # 4e9 * 0.7 bytes
    assert resource.memory_limit == "1907MiB"              # 4e9 / 2 bytes
    assert options["max_temp_directory_size"] == resource.spill_limit == "9536MiB"
    with resource.connect() as con:
        limit, spill = con.execute("select current_setting('memory_limit'), "
                                   "current_setting('max_temp_directory_size')").fetchall()[0]
    assert limit == "1.8 GiB" and spill == "9.3 GiB"


@pytest.mark.parametrize("budget, spill, fixed, dbt, steps, spill_text", [
    (None, None, "1GB", "1GB", "1GB", None),                 # HUAXIANG_DUCKDB_MEMORY_LIMIT: one limit, no budget
    ("2GiB", None, None, "1433MiB", "1024MiB", "8192MiB"),   # 70 % for dbt's DuckDB, 30 % outside it
    ("16GB", "100GB", None, "10681MiB", "7629MiB", "95367MiB"),   # 16e9 * 0.7
])
def test_the_budget_derives_each_limit(budget, spill, fixed, dbt, steps, spill_text):
    from orchestration.warehouse.budget import ResourceBudget

    b = ResourceBudget.resolve(budget, spill, fixed)
    assert (b.dbt_duckdb_limit, b.steps_duckdb_limit) == (dbt, steps)
    if spill_text:
        assert b.spill_limit == spill_text


def test_a_budget_that_is_not_a_size_names_the_setting():
    from orchestration.warehouse.budget import BudgetError, ResourceBudget

    with pytest.raises(BudgetError, match="HUAXIANG_MEMORY_BUDGET='eight gigs' is not a size"):
        ResourceBudget.resolve("eight gigs", None)
    with pytest.raises(BudgetError, match="less than 512MB"):
        ResourceBudget.resolve("300MB", None)


def test_the_landing_sensor_starts_from_what_the_warehouse_has_loaded(tmp_path, default_sources):
    """`make dev` after `make demo`: the files the demo loaded are not new (raw.load_log)."""
    import duckdb

    from orchestration.ingest.loader import load_table

    write_mini_landing(tmp_path / "landing")
    config = load_sources_config(default_sources, tmp_path / "landing")
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    for table in config.tables:
        load_table(con, table, config.landing_dir)
    con.close()
    sensor = build_landing_sensor(config, warehouse)
    ctx = build_sensor_context()
    assert isinstance(sensor(ctx), SkipReason) and ctx.cursor  # nothing new; the cursor now set
    # a file changed since it was loaded (same name, other content) is new
    members = tmp_path / "landing" / "store" / "members.csv"
    members.write_text(members.read_text(encoding="utf-8") + "9|y|1|S|c|2024/01/02\n", encoding="utf-8")
    request = sensor(build_sensor_context())
    assert isinstance(request, RunRequest) and request.tags["huaxiang/changed_files"] == "store/members.csv"
    # while a run holds the warehouse, the first tick waits instead of guessing
    writer = duckdb.connect(str(warehouse))
    try:
        busy = sensor(build_sensor_context())
    finally:
        writer.close()
    assert isinstance(busy, SkipReason) and "is busy" in busy.skip_message


def test_old_dbt_build_folders_are_pruned(tmp_path):
    """One folder per dbt step and run (10-40 MB): only the newest few are kept."""
    import os

    from orchestration.dbt_runtime import prune_build_folders

    for i in range(10):
        folder = tmp_path / f"huaxiang_dbt-run{i}-abc"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "manifest.json").write_text("{}")
    removed = prune_build_folders(tmp_path, keep=6)
    assert sorted(p.name for p in removed) == [f"huaxiang_dbt-run{i}-abc" for i in range(4)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["manifest.json", *(f"huaxiang_dbt-run{i}-abc" for i in range(4, 10))])


def test_the_spark_engine_builds_dbt_with_a_spark_profile(tmp_path):
    """HUAXIANG_ENGINE=spark: the dbt resource reads a Spark profile (local mode under the
    warehouse's work folder) and the warehouse resource copies tables around the dbt steps.
    Built only where the spark extra and Java are there (make test-spark runs it)."""
    import yaml

    from orchestration.warehouse.dbt_profile import spark_engine_problem

    problem = spark_engine_problem()
    if problem:
        pytest.skip(problem)
    write_mini_landing(tmp_path / "landing")
    settings = Settings(landing_dir=tmp_path / "landing", warehouse=tmp_path / "w.duckdb", engine="spark")
    defs = build_definitions(settings)
    warehouse = defs.resources["warehouse"]
    assert warehouse.engine == "spark"
    profile = yaml.safe_load((settings.work_dir / "dbt_profile_spark" / "profiles.yml").read_text())
    outputs = profile["huaxiang"]["outputs"]["spark"]
    assert outputs["type"] == "spark" and outputs["method"] == "session"
    assert outputs["server_side_parameters"]["spark.sql.warehouse.dir"] == str(settings.spark_dir / "warehouse")
    assert warehouse.spark_profiles_dir == str(settings.work_dir / "dbt_profile_spark")
    # the project's string functions, compiled from their sources into a jar on the class path
    jars = outputs["server_side_parameters"]["spark.jars"].split(",")
    assert len(jars) == 1 and Path(jars[0]).parent == settings.spark_dir.resolve() and Path(jars[0]).is_file()


class _Finished:
    """What dagster-dbt's invocation gives after dbt ended: its run_results.json."""

    def get_artifact(self, name: str) -> dict:
        assert name == "run_results.json"
        return {"results": [{"unique_id": "model.huaxiang.kept", "status": "success"},
                            {"unique_id": "model.huaxiang.lost", "status": "success"},
                            {"unique_id": "model.huaxiang.failed", "status": "error"},
                            {"unique_id": "test.huaxiang.not_null_x", "status": "pass"}]}


def test_a_built_model_whose_event_never_arrived_fails_the_step():
    """A model dbt built whose event Dagster never saw fails its step, by unique id (a model
    and a seed may share a name); failed nodes and tests are dbt's own report's business."""
    from dagster import Failure

    from orchestration.assets.dbt import _check_no_event_lost

    with pytest.raises(Failure, match=r"1 node\(s\) whose events never reached Dagster: model\.huaxiang\.lost"):
        _check_no_event_lost(_Finished(), {"model.huaxiang.kept", "seed.huaxiang.lost"})
    _check_no_event_lost(_Finished(), {"model.huaxiang.kept", "model.huaxiang.lost"})
