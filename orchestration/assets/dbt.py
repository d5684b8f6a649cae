"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

The project directory comes from `prepare_dbt_project` (the repository's, or a private copy
when another sources file generates a different staging layer); the profile is written beside
the warehouse so that the warehouse path is configuration, not a constant in profiles.yml.
"""


import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Config, Output, TableColumn, TableSchema
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.incremental import (
    REFERENCES_MODEL,
    BuildPlan,
    customer_side_fingerprint,
    plan_build,
    read_state,
    write_state,
)
from orchestration.resources import DuckDBWarehouse

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
        # a reader holding the file (a notebook, a BI tool): wait 1+2+...+128 s, then fail
        "      retries:\n        connect_attempts: 9\n"
    )
    # config_options are given to duckdb.connect once; `settings` would be SET again on every
    # cursor, and DuckDB refuses to set temp_directory again once it has spilled there
    # ("Cannot switch temporary directory after the current one has been used")
    options = {"memory_limit": memory_limit, "threads": duckdb_threads,
               "temp_directory": str(temp_directory) if temp_directory else None}
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


def project_fingerprint(project_dir: Path) -> str:
    """The dbt project's code and seeds, hashed: a new manifest, and a full refresh."""
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


def prune_build_folders(target: Path, keep: int = 6) -> list[Path]:
    """Remove all but the newest `keep` build folders dagster-dbt left in `target` (one per dbt
    step and run, `huaxiang_dbt-<run>-<hash>`, 10 to 40 MB each with the compiled SQL and run
    results): kept for ever, a daily refresh filled gigabytes a year. The newest stay for
    looking into the last runs; a running build's folder is the newest."""
    folders = sorted((p for p in target.iterdir() if p.is_dir() and p.name.startswith("huaxiang_dbt")),
                     key=lambda p: p.stat().st_mtime, reverse=True) if target.is_dir() else []
    removed = folders[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


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
    fingerprint = project_fingerprint(project_dir) + hashlib.sha256(
        (profiles_dir / "profiles.yml").read_bytes() + json.dumps(dbt_vars(as_of)).encode()).hexdigest()
    target.mkdir(parents=True, exist_ok=True)
    # one parse at a time per target folder: two processes loading the definitions at once
    # (test workers, `dagster dev` beside a CLI run) would otherwise both write manifest.json
    # and one would read it half-written
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
                return manifest
            stamp.unlink(missing_ok=True)
            # parse into a folder of its own, then move the results in by rename: a process
            # reading manifest.json (or one killed mid-parse) never sees half a file
            scratch = target / f".parse.{os.getpid()}"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            if (target / "partial_parse.msgpack").exists():
                shutil.copy2(target / "partial_parse.msgpack", scratch / "partial_parse.msgpack")
            dbt = dbt_resource(project_dir, profiles_dir)
            invocation = dbt.cli(["parse", "--quiet", *dbt_vars(as_of)], target_path=scratch, raise_on_error=False)
            invocation.wait()
            if not invocation.is_successful() or not (scratch / "manifest.json").exists():
                shutil.rmtree(scratch, ignore_errors=True)
                raise RuntimeError(f"dbt parse failed for {project_dir}: {invocation.get_error()}")
            for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):
                if (scratch / name).exists():
                    os.replace(scratch / name, target / name)
            shutil.rmtree(scratch, ignore_errors=True)
            _write_atomically(stamp, fingerprint)
            return manifest
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


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

    full_refresh: bool = False
    """Rebuild every incremental model from its inputs (dbt --full-refresh; the history
    tables and the customer-id register are never rebuilt) and skip nothing."""


def _described(context: AssetExecutionContext, warehouse: DuckDBWarehouse, events):
    """Pass a dbt invocation's events on as they come, then observe every table it built: its
    row count and its columns with their types (dagster/row_count, dagster/column_schema).
    Read after dbt ends because dbt holds the warehouse file while it builds."""
    built = []
    for event in events:
        if isinstance(event, Output) and not (event.metadata or {}).get("skipped"):
            built.append(context.asset_key_for_output(event.output_name))
        yield event
    if not built:
        return
    with warehouse.connect(read_only=True) as con:
        columns: dict[tuple[str, str], list[TableColumn]] = {}
        for schema, table, column, kind in con.execute(
                "select table_schema, table_name, column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append(TableColumn(name=column, type=kind))
        kinds = dict(((s, t), k) for s, t, k in con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database()").fetchall())
        for key in built:
            relation = tuple(key.path[-2:])
            if relation not in columns:
                continue
            metadata = {"dagster/column_schema": TableSchema(columns=columns[relation])}
            if kinds.get(relation) == "BASE TABLE":  # a view's count would run its query
                metadata["dagster/row_count"] = con.execute(
                    f'select count(*) from "{relation[0]}"."{relation[1]}"').fetchall()[0][0]
            yield AssetObservation(asset_key=key, metadata=metadata)


TAG_STORE_SELECTOR = "tag:tag_store"
"""The marts built after the Python model tags (marts/tags): a second dbt step."""


def _incremental_build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse,
                       plan: BuildPlan, vars_: list[str], code: str, full_refresh: bool):
    """Phase one (the facts up to the customer references), then the rest, leaving the
    customer side alone when its inputs are unchanged (orchestration/incremental.py)."""
    with warehouse.connect() as con:
        built_code = read_state(con, "project")
        side_state = read_state(con, "customer_side")
    if full_refresh or built_code != code:
        # first build, code changed, or asked: everything, incremental models from scratch
        with warehouse.connect() as con:
            write_state(con, "customer_side", None)
        # --full-refresh even with no state: a warehouse built before incremental models
        # existed holds them as plain tables without their stamp columns
        args = ["build", *vars_, "--full-refresh"]
        context.log.info("dbt: full build (%s)", "asked" if full_refresh else
                         "first build" if built_code is None else "the dbt project changed since the last build")
        yield from _described(context, warehouse, dbt.cli(args, context=context).stream())
        with warehouse.connect() as con:
            write_state(con, "customer_side", customer_side_fingerprint(
                con, plan, code, vars_, f"intermediate.{REFERENCES_MODEL}"), "full build")
            write_state(con, "project", code)
        return
    yield from _described(context, warehouse, dbt.cli(
        ["build", *vars_, "--exclude", " ".join(plan.phase_one_exclude())], context=context).stream())
    with warehouse.connect() as con:
        side = customer_side_fingerprint(con, plan, code, vars_, f"intermediate.{REFERENCES_MODEL}")
        unchanged = side == side_state
        if not unchanged:
            write_state(con, "customer_side", None)
    exclude = plan.phase_two_exclude(unchanged)
    context.log.info("dbt: customer side %s", "unchanged: %d models left alone" % len(plan.customer_side)
                     if unchanged else "changed: rebuilt")
    if unchanged:
        # before phase two: Dagster wants a multi-asset's outputs in dependency order
        for key in plan.customer_side_keys:
            if key in context.selected_asset_keys:
                yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                             metadata={"skipped": "inputs unchanged since the last build: customer files, "
                                                  "customer references, code and vars"})
    yield from _described(context, warehouse, dbt.cli(["build", *vars_, "--exclude", " ".join(exclude)],
                                                       context=context).stream())
    if not unchanged:
        with warehouse.connect() as con:
            write_state(con, "customer_side", side, "rebuilt")


# the two dbt steps (op names): everything up to the fact tags, and the tag store after the
# Python model tags
DBT_STEP = "huaxiang_dbt"
TAG_STORE_STEP = "huaxiang_dbt_tag_store"
DBT_STEPS = (DBT_STEP, TAG_STORE_STEP)


def build_dbt_assets(manifest: Path, default_as_of: str | None = None,
                     fact_tables: set[tuple[str, str]] | None = None, code: str = "") -> list:
    """Two dbt steps around the Python model tags: everything up to the fact tags, then the
    tag store that reads the model tags. One @dbt_assets over both would be a cycle between
    steps (dbt -> Python -> dbt)."""
    translator = HuaxiangDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
    manifest_doc = json.loads(manifest.read_text())

    def make(name: str, select: str, exclude: str | None, plan: BuildPlan | None):
        @dbt_assets(manifest=manifest, dagster_dbt_translator=translator, name=name,
                    select=select, exclude=exclude, pool=WAREHOUSE_POOL)
        def _dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse,
                 config: DbtBuildConfig):
            as_of = config.as_of_date or default_as_of
            whole = set(context.selected_asset_keys) == set(context.assets_def.keys)
            if plan is not None and whole:
                yield from _incremental_build(context, dbt, warehouse, plan, dbt_vars(as_of), code,
                                              config.full_refresh)
                return
            args = ["build", *dbt_vars(as_of)] + (["--full-refresh"] if config.full_refresh else [])
            yield from _described(context, warehouse, dbt.cli(args, context=context).stream())

        return _dbt

    main = make(DBT_STEP, "fqn:*", TAG_STORE_SELECTOR, None)
    plan = None
    if fact_tables is not None:
        keys_by_id = {}
        for u, n in manifest_doc["nodes"].items():
            if n["resource_type"] in ("model", "seed", "snapshot"):
                key = translator.get_asset_key(n)
                if key in main.keys:
                    keys_by_id[u] = key
        plan = plan_build(manifest_doc, set(keys_by_id), fact_tables)
        if plan is not None:
            plan.customer_side_keys = [keys_by_id[u] for u in plan.customer_side_ids]
            main = make(DBT_STEP, "fqn:*", TAG_STORE_SELECTOR, plan)
    return [main, make(TAG_STORE_STEP, TAG_STORE_SELECTOR, None, None)]
