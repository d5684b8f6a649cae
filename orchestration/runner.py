"""Run the full-refresh job in-process and summarise it.

The same `Definitions` as `dagster dev` (built by `build_definitions`), executed without a
webserver: what the scheduler would do, for scripts, CI and `make demo`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dagster import (
    AssetKey, AssetSelection, DagsterEventType, DagsterInstance, Definitions, JobDefinition, define_asset_job, in_process_executor,
)
from dagster._core.utils import make_new_run_id

from orchestration.dbt_runtime import DBT_STEPS
from orchestration.automation import EVERYTHING_JOB
from orchestration.definitions import build_definitions
from orchestration.ingest.loader import REASON_KIND_SQL
from orchestration.progress import RunProgress
from orchestration.run_guard import reap_dead_runs, run_tags
from orchestration.warehouse import CatalogError, open_read_only, warehouse_run_lock
from orchestration.settings import RUN_LOCK_WAIT_SECONDS, Settings


@dataclass
class RunOutcome:
    success: bool
    seconds: float
    warehouse: str
    engine: str = "duckdb"  # where dbt built (settings.Settings.engine)
    sources: list[dict] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    window: dict | None = None
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    evaluated_checks: list[str] = field(default_factory=list)  # asset:check of every check that ran
    failed_steps: list[str] = field(default_factory=list)
    top_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    identity: dict | None = None  # metadata of the identity_quality check
    tags: dict | None = None  # newest tag snapshot: as-of date, counts, distributions
    segments: list[tuple[str, str, int, int, int]] = field(default_factory=list)  # key, name, members, in, out
    outputs: dict[str, str] = field(default_factory=dict)  # what the run left for people and tools
    observed_rows: dict[str, int] = field(default_factory=dict)  # asset key -> rows observed after its dbt build
    steps: list[dict] = field(default_factory=list)  # each Dagster step: key, start (epoch s), seconds, status
    run_id: str = ""
    log_file: str = ""  # every event of the run, and dbt's output

    def render(self) -> str:
        lines = ["", "huaxiang run: " + ("OK" if self.success else "FAILED"),
                 f"  warehouse  {self.warehouse}"
                 + ("" if self.engine == "duckdb" else f"  (dbt on {self.engine}: docs/spark.md)")]
        if self.window:
            w = self.window
            span = (f"{w['data_start_date']} .. {w['data_end_date']}" if w["data_end_date"] is not None
                    else "no date in the data")
            if w["as_of_date"] is not None:
                lines.append(f"  data       {span}; as of {w['as_of_date']} ({w['as_of_source']})")
            else:
                lines.append(f"  data       {span}; no as-of date: tags, segments, exports and the report "
                             "are not computed (give --as-of YYYY-MM-DD)")
        if self.sources:
            head = f"  {'source table':<24}{'files':>6}{'read':>13}{'loaded':>13}" \
                   f"{'rejected@load':>15}{'rejected@check':>16}{'kept':>13}"
            lines += ["", head, "  " + "-" * (len(head) - 2)]
            for s in self.sources:
                lines.append(
                    f"  {s['table']:<24}{s['files']:>6}{s['read']:>13,}{s['loaded']:>13,}"
                    f"{s['rejected_load']:>15,}{s['rejected_check']:>16,}{s['kept']:>13,}")
            lines.append("  (read = loaded + rejected@load; loaded = kept + rejected@check; "
                         "reasons in raw.rejects and intermediate.int_source_rows_rejected)")
        if self.top_reasons:
            lines += ["", "  most frequent reasons for rejecting a row (numbers shown as N):"]
            lines += [f"    {n:>10,}  {table:<22} {reason}" for table, reason, n in self.top_reasons]
        if self.identity:
            lines += ["", self._identity_line()]
        if self.tags:
            lines += ["", *self._tag_lines()]
        if self.segments:
            lines.append("  segments   " + "  ".join(
                f"{name} {n:,} (+{i:,}/-{o:,})" for _, name, n, i, o in self.segments))
        if self.outputs:
            lines += [f"  {label:<10} {path}" for label, path in self.outputs.items()]
        if self.log_file:
            lines.append(f"  {'run log':<10} {self.log_file}")
        if self.tables:
            lines += ["", "  tables built: " + ", ".join(
                f"{schema} {n}" for schema, n in sorted(self.tables.items()))]
        for label, items in (("failed steps", self.failed_steps),
                             ("failed checks", self.failed_checks),
                             ("warnings", self.warned_checks)):
            if items:
                lines.append(f"  {label}:")
                lines += [f"    - {i}" for i in items]
        lines.append(f"  time taken  {self.seconds:.1f}s")
        return "\n".join(lines)


    def _tag_lines(self) -> list[str]:
        t = self.tags or {}
        lines = [f"  tags       as of {t['as_of_date']}: {t['tags']} tags x {t['customers']:,} customers "
                 f"({t['values']:,} values; snapshots in history: {t['snapshots']})"]
        if t.get("run_as_of") and t["run_as_of"] != t["as_of_date"]:
            lines.append(f"             this run computed {t['run_as_of']}: its snapshot is in customer_tag_history; "
                         "customer_tags and customer_360 stay on the newest date")
        for label, key in (("RFM segment", "rfm_segment"), ("state", "customer_state"),
                           ("lifecycle", "lifecycle_stage"), ("value class", "value_class")):
            lines.append(f"    {label:<12}" + "  ".join(f"{name} {n:,}" for name, n in t.get(key, [])))
        return lines

    def _identity_line(self) -> str:
        i = self.identity or {}
        line = (f"  identity   {i.get('records', 0):,} customer records -> {i.get('customers', 0):,} customers "
                f"(merge rate {i.get('merge_rate', 0):.1%}, largest {i.get('largest_customer_records', 0)} records)")
        if "precision_all" in i:
            line += (f"\n             vs ground truth: precision {i['precision_all']:.4f}, recall {i['recall_all']:.4f}"
                     f"; weak records: precision {i.get('precision_weak', 0):.4f}, recall {i.get('recall_weak', 0):.4f}")
        return line


TOP_REASONS_SQL = rf"""
with reasons as (
    select source || '__' || table_name as t, {REASON_KIND_SQL} as r
    from raw.rejects
    union all
    select source_system || '__' || source_table,
           regexp_replace(reject_reason, '[0-9][0-9:. /=-]*[0-9]|[0-9]', 'N', 'g')
    from intermediate.int_source_rows_rejected
)
select t, r, count(*) from reasons group by 1, 2 order by 3 desc, 1, 2 limit 8
"""


def _instance() -> DagsterInstance:
    """The configured instance when DAGSTER_HOME is set (runs show in the UI), else ephemeral."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def _summarise_warehouse(outcome: RunOutcome, path: str) -> None:
    con = open_read_only(path)
    try:
        def q(sql: str) -> list[tuple]:
            try:
                return con.execute(sql).fetchall()
            except CatalogError:
                return []

        loads = q("select source || '__' || table_name, count(*), coalesce(sum(rows_read), 0), "
                  "sum(rows_loaded), sum(rows_rejected) from raw.load_log group by 1 order by 1")
        checks = {r[0]: (r[1], r[2]) for r in q(
            "select source_system || '__' || source_table, sum(kept_rows), sum(rejected_rows) "
            "from intermediate.int_source_row_accounting group by 1")}
        for table, files, read, loaded, rejected in loads:
            kept, rej_check = checks.get(table, (None, None))
            outcome.sources.append({
                "table": table, "files": int(files), "read": int(read), "loaded": int(loaded),
                "rejected_load": int(rejected),
                "rejected_check": int(rej_check) if rej_check is not None else 0,
                "kept": int(kept) if kept is not None else 0,
            })
        outcome.top_reasons = [(t, r, int(n)) for t, r, n in q(TOP_REASONS_SQL)]
        outcome.tables = {s: int(n) for s, n in q(
            "select table_schema, count(*) from information_schema.tables "
            "where table_schema in ('raw', 'staging', 'intermediate', 'model_tags', 'marts') group by 1")}
        _summarise_tags(outcome, q)
        outcome.segments = [(k, name, int(n), int(i), int(o)) for k, name, n, i, o in q(
            "select segment_key, name_zh, members, entered, exited from marts.segment_definitions "
            "order by members desc, segment_key")]
        window = q("select data_start_date, data_end_date, as_of_date, as_of_source "
                   "from intermediate.int_data_window")
        if window:
            outcome.window = dict(zip(
                ["data_start_date", "data_end_date", "as_of_date", "as_of_source"], window[0]))
    finally:
        con.close()


def _summarise_tags(outcome: RunOutcome, q) -> None:
    head = q("select min(as_of_date), count(*) from marts.customer_360")
    if not head or head[0][0] is None:
        return
    tags = {"as_of_date": str(head[0][0]), "customers": int(head[0][1]),
            "tags": int(q("select count(*) from marts.tag_definitions")[0][0]),
            "values": int(q("select count(*) from marts.customer_tags")[0][0]),
            "snapshots": int(q("select count(*) from marts.tag_snapshot_dates")[0][0])}
    run_as_of = q("select min(as_of_date) from intermediate.int_customer_fact_tags")
    if run_as_of and run_as_of[0][0] is not None:
        tags["run_as_of"] = str(run_as_of[0][0])
    for key in ("rfm_segment", "customer_state", "lifecycle_stage", "value_class"):
        tags[key] = [(str(name), int(n)) for name, n in q(
            f"select coalesce({key}_name, {key}), count(*) from marts.customer_360 group by 1 order by 2 desc, 1")]
    outcome.tags = tags


def failure_cause(error, limit: int = 1200) -> str:
    """What went wrong in a failed step, for people: the messages of the exception and of
    what caused it, outermost first, without Dagster's own wrapper ("Error occurred while
    executing op ...", which names only the step) and without stack traces (in the run log)."""
    parts = []
    node = error
    while node is not None:
        if node.cls_name != "DagsterExecutionStepExecutionError":
            text = node.message.strip()
            if text and text not in parts:
                parts.append(text)
        node = node.cause or node.context
    text = " <- caused by: ".join(parts) if parts else error.message.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_timings(entries) -> list[dict]:
    """Wall time of every step of a run (from its event log entries), in the order they
    started: where the time went."""
    started: dict[str, float] = {}
    out = []
    for entry in entries:
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[event.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) \
                and event.step_key in started:
            begin = started[event.step_key]
            out.append({"step": event.step_key, "start": begin, "seconds": round(entry.timestamp - begin, 3),
                        "status": "ok" if event.event_type == DagsterEventType.STEP_SUCCESS else "failed"})
    return sorted(out, key=lambda s: s["start"])


def full_refresh_config() -> dict:
    """Run config that rebuilds every incremental dbt model from its inputs."""
    return {"ops": {op: {"config": {"full_refresh": True}}
                    for op in DBT_STEPS}}


def run_job(settings: Settings, run_config: dict | None = None,
            log_level: str = "INFO", job_name: str = EVERYTHING_JOB,
            wait_for_lock: float = RUN_LOCK_WAIT_SECONDS,
            say: Callable[[str], None] = print, progress: bool = False,
            dbt_tests: bool = True, upstream_of: Sequence[str] = ()) -> RunOutcome:
    """Run `job_name` (default: refresh_everything, every asset) in this process, holding the
    warehouse's run lock (waiting for it at most `wait_for_lock` seconds: WarehouseBusy).

    `dbt_tests=False` builds the same assets without running the dbt data tests (the other
    checks run: they are part of their assets); `upstream_of` (asset keys as "marts/dim_customer")
    builds only those assets and what they are built from, with their checks. Both are for
    tests and benchmarks that look at one part (identity, say): the dbt tests are a quarter of
    a small run's time, the tag store and the exports another third. Not offered on the
    command line: a scheduled run always builds and tests everything."""
    started = time.perf_counter()
    with warehouse_run_lock(settings.warehouse, wait_for_lock, say=say):
        return _run_locked(settings, run_config, log_level, job_name, started, say, progress, dbt_tests,
                           tuple(upstream_of))


def _job_subset(defs: Definitions, job_name: str, dbt_tests: bool, upstream_of: tuple[str, ...]) -> JobDefinition:
    """`job_name` without the dbt tests (with none of its checks selected, dagster-dbt runs no
    dbt test), or only the part of it `upstream_of` needs."""
    defs.resolve_job_def(job_name)  # an unknown name fails as it does with the dbt tests
    unresolved = next(j for j in defs.jobs or () if getattr(j, "name", None) == job_name)
    selection, graph = unresolved.selection, defs.resolve_asset_graph()
    if upstream_of:
        selection = selection & AssetSelection.assets(*map(AssetKey.from_user_string, upstream_of)).upstream()
        # a check that also reads an asset left out (a dbt relationship test to dim_household,
        # say) would look at a table this run does not build
        kept = selection.resolve(graph)
        outside = [spec.key for a in (*(defs.assets or ()), *(defs.asset_checks or ()))
                   for spec in getattr(a, "check_specs", ())
                   if any(dep.asset_key not in kept for dep in spec.additional_deps)]
        selection = selection - AssetSelection.checks(*outside)
    if not dbt_tests:
        dbt_checks = [key for a in defs.assets or () if getattr(a, "op", None) is not None
                      and a.op.name in DBT_STEPS for key in a.check_keys]
        selection = selection - AssetSelection.checks(*dbt_checks)
    name = job_name + ("_upstream_of_" + "_".join(k.replace("/", "__") for k in upstream_of) if upstream_of else "") \
        + ("" if dbt_tests else "_without_dbt_tests")
    return define_asset_job(name, selection=selection,
                            executor_def=in_process_executor).resolve(asset_graph=graph)


def _run_locked(settings: Settings, run_config: dict | None, log_level: str, job_name: str,
                started: float, say: Callable[[str], None], progress: bool, dbt_tests: bool = True,
                upstream_of: tuple[str, ...] = ()) -> RunOutcome:
    defs = build_definitions(settings)
    job = defs.resolve_job_def(job_name) if dbt_tests and not upstream_of else \
        _job_subset(defs, job_name, dbt_tests, upstream_of)
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    run_id = make_new_run_id()
    log_file = settings.work_dir / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{run_id[:8]}.log"
    per_step = {a.node_def.name: len(a.keys) for a in defs.assets if hasattr(a, "node_def") and a.keys}
    with _instance() as instance:
        reap_dead_runs(instance, say=say)
        say(f"run {run_id[:8]} on {settings.warehouse}; the full log: {log_file}")
        with RunProgress(instance, run_id, log_file, say if progress else (lambda m: None), per_step,
                         capture_stdout=progress):
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id,
                                            run_config=config, tags=run_tags(settings.warehouse))
        outcome = RunOutcome(success=result.success, seconds=0.0,
                             warehouse=str(settings.warehouse), engine=settings.engine)
        outcome.run_id = result.run_id
        outcome.log_file = str(log_file)
        outcome.steps = step_timings(instance.all_logs(result.run_id))
        for event in result.all_events:
            if event.event_type == DagsterEventType.ASSET_OBSERVATION:
                observation = event.event_specific_data.asset_observation
                rows = (observation.metadata or {}).get("dagster/row_count")
                if rows is not None:
                    outcome.observed_rows[observation.asset_key.to_user_string()] = getattr(rows, "value", rows)
            if event.event_type == DagsterEventType.STEP_FAILURE:
                outcome.failed_steps.append(f"{event.step_key}: {failure_cause(event.event_specific_data.error)}")
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                ev = event.event_specific_data
                outcome.evaluated_checks.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
                if ev.check_name == "identity_quality":
                    outcome.identity = {k: getattr(v, "value", v) for k, v in (ev.metadata or {}).items()}
                if not ev.passed:
                    label = f"{ev.asset_key.to_user_string()}:{ev.check_name}"
                    desc = ev.description or ""
                    text = f"{label} {('— ' + desc[:300]) if desc else ''}".strip()
                    if ev.severity.value == "ERROR":
                        outcome.failed_checks.append(text)
                    else:
                        outcome.warned_checks.append(text)
    if settings.warehouse.exists():
        _summarise_warehouse(outcome, str(settings.warehouse))
    for label, path in (("report", settings.outputs / "reports" / "portrait_report.html"),
                        ("BI copy", settings.outputs / "bi" / "huaxiang_bi.duckdb"),
                        ("exports", settings.outputs / "exports" / "segments")):
        if path.exists():
            outcome.outputs[label] = str(path)
    outcome.success = outcome.success and not outcome.failed_checks
    outcome.seconds = time.perf_counter() - started
    return outcome
