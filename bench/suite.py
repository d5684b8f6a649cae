"""The benchmark suite: a full build at a chosen size, then an incremental refresh with one
more day of orders and events, the time of every stage, the peak memory of the whole process
tree, floors in bare DuckDB for the heaviest steps, and a pandas baseline for RFM and customer
state. Results go to a JSON file and are printed as tables.

    .venv/bin/python bench/suite.py --customers 100000 [--memory-limit 8GB] [--threads 2]
                                    [--data bench/data] [--work bench/work] [--out bench/results]

The data set is generated once per size and seed (`<data>/<customers>-<seed>-a<activity>`; the
time is reported but is not part of the pipeline), and its last day is held out once as the
next delivery (`next_delivery/`, datagen.holdout). The full build loads the rest; the
incremental refresh adds the delivery's files to the landing folder and runs the daily job
(everything but the weekly churn training), as the daily schedule would. The full build starts from an empty warehouse
and runs in this process, as `huaxiang run` does (dbt runs as a child process; both count).

Floors, each on the same data, in a fresh DuckDB connection with the same memory limit and
threads, measured after the run:
* ingestion of orders: read the orders' Parquet files into a table (`raw__oms__orders` does
  that plus lineage columns, text typing, row hashes and the Great Expectations batch check);
* per-customer aggregation behind RFM: paid order lines up to the as-of date grouped per
  customer and day, from `marts.fct_orders` (ours: `int_customer_orders_as_of` +
  `int_customer_order_days`);
* identity clustering: the same label propagation, the same passes, over the same edges
  copied into a bare table (ours: `int_identity_clusters`).

Baseline: RFM segments and customer states from the staged order lines in plain pandas, as a
user would write them (group-bys, `qcut`, a per-customer apply for the purchase cycle),
against our path (the two aggregation models + the `rfm` and `customer_state` assets).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from datagen import generate  # noqa: E402
from datagen.holdout import hold_out_last_days  # noqa: E402
from orchestration.automation import DAILY_REFRESH_JOB, EVERYTHING_JOB  # noqa: E402
from orchestration.dbt_runtime import DBT_STEP, TAG_STORE_STEP  # noqa: E402
from orchestration.runner import run_job  # noqa: E402
from orchestration.settings import Settings  # noqa: E402


# ----------------------------------------------------------------------------- memory
class PeakSampler:
    """The peak of `sample()` while the `with` block runs, sampled in a thread every
    `interval` seconds (and once more at the end)."""

    def __init__(self, interval: float) -> None:
        self.interval, self.peak, self.peak_at, self._stop = interval, 0, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        raise NotImplementedError

    def _record(self) -> None:
        value = self.sample()
        if value > self.peak:
            self.peak, self.peak_at = value, time.time()
            self.on_peak()

    def on_peak(self) -> None:
        """Called when a sample sets a new peak (the sample's details are still at hand)."""

    def _run(self) -> None:
        while not self._stop.is_set():
            self._record()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._record()


class TreeMemory(PeakSampler):
    """Peak memory of this process and all its descendants, sampled from /proc, and what each
    process of the tree held at that peak (this one runs Dagster and the Python steps; dbt's is
    a child): which of them a memory budget has to be taken from.

    Counted as proportional set size (Pss in /proc/PID/smaps_rollup): a page shared by n
    processes counts 1/n in each, so the tree's sum counts it once. Summing resident sizes
    (RSS) counted twice the pages a forked child still shares with its parent and every shared
    library once per process; `peak_rss_sum` keeps that older, larger figure beside it. A
    process whose smaps_rollup cannot be read (another user's) counts its RSS."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(interval)
        self._last: list[tuple[int, int]] = []
        self.peak_processes: list[tuple[str, int]] = []
        self.peak_rss_sum = 0

    def on_peak(self) -> None:
        # named here, not in every sample: only a peak's processes are reported
        self.peak_processes = [(_process_label(pid), n) for pid, n in self._last]

    def sample(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        total, rss_sum, todo, parts = 0, 0, [os.getpid()], []
        while todo:
            pid = todo.pop()
            held = _pss(pid, rss.get(pid, 0))
            total += held
            rss_sum += rss.get(pid, 0)
            parts.append((pid, held))
            todo += children.get(pid, [])
        self._last = [(pid, n) for pid, n in sorted(parts, key=lambda p: -p[1]) if n]
        self.peak_rss_sum = max(self.peak_rss_sum, rss_sum)
        return total


def _pss(pid: int, rss: int) -> int:
    """The process's proportional set size in bytes; `rss` when it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return rss


def _process_label(pid: int) -> str:
    """'suite (Dagster, Python steps)' for this process, else the start of its command line."""
    if pid == os.getpid():
        return "suite (Dagster, Python steps)"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return str(pid)
    return " ".join(os.path.basename(a) if i < 2 else a for i, a in enumerate(argv[:4]))[:80]


class DiskPeak(PeakSampler):
    """Peak bytes on disk under some folders (the warehouse and its WAL, DuckDB's spill, the
    outputs), sampled once a second; folders named in `skip` (the landing links) are left out."""

    def __init__(self, roots: list[Path], skip: tuple[str, ...] = ("landing",), interval: float = 1.0) -> None:
        super().__init__(interval)
        self.roots, self.skip = roots, skip

    def sample(self) -> int:
        total = 0
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if d not in self.skip]
                for name in files:
                    try:
                        total += os.lstat(os.path.join(folder, name)).st_blocks * 512
                    except OSError:  # a spill file or a dbt artefact removed meanwhile
                        pass
        return total


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- stages
STAGES = [  # (stage, predicate on a step key), first match wins
    ("ingestion", lambda k: k.startswith("raw__")),
    ("dbt: staging → marts", lambda k: k == DBT_STEP),
    ("identity check", lambda k: k.endswith("identity_quality")),
    ("model tags", lambda k: k.startswith("model_tag_")),
    ("churn training + backtest", lambda k: k == "churn_training"),
    ("rule tags", lambda k: k == "rule_tags"),
    ("segments", lambda k: k == "segments"),
    ("tag catalogue", lambda k: k == "tag_catalogue"),
    ("dbt: tag store, segments, portraits", lambda k: k == TAG_STORE_STEP),
    ("exports (segment files, BI copy, report)", lambda k: k.startswith("exports")),
]

DBT_GROUPS = [  # (group, predicate on the model's file path)
    ("staging", lambda p: "/staging/" in p),
    ("identity", lambda p: "/identity/" in p),
    ("fact-tag inputs", lambda p: "/intermediate/tags/" in p),
    ("validation + other intermediate", lambda p: "/intermediate/" in p),
    ("portraits", lambda p: "/portraits/" in p),
    ("marts", lambda p: "/marts/" in p),
]


def stage_of(step: str) -> str:
    return next((name for name, match in STAGES if match(step)), "other")


def dbt_timings(target: Path, since: float) -> pd.DataFrame:
    """Every dbt node (models and tests) of the invocations that finished after `since`."""
    manifest = json.loads((target / "manifest.json").read_text())
    paths = {uid: n.get("original_file_path", "") for uid, n in manifest["nodes"].items()}
    rows = []
    for results in target.glob("*/run_results.json"):
        if results.stat().st_mtime < since:
            continue
        invocation = results.parent.name.split("-")[0]
        for r in json.loads(results.read_text())["results"]:
            uid = r["unique_id"]
            rows.append({"invocation": invocation, "node": uid, "kind": uid.split(".")[0],
                         "path": "/" + paths.get(uid, ""), "seconds": float(r.get("execution_time") or 0)})
    return pd.DataFrame(rows, columns=["invocation", "node", "kind", "path", "seconds"]).astype({"seconds": float})


# ----------------------------------------------------------------------------- floors
def connect(memory_limit: str | None, threads: int | None, path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"set threads = {threads}")
    return con


def timed(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> float:
    started = time.perf_counter()
    con.execute(sql, params or []).fetchall()
    return time.perf_counter() - started


def floors(settings: Settings, landing: Path, memory_limit: str | None, threads: int | None,
           passes: int) -> dict[str, float]:
    out = {}
    scratch = settings.warehouse.parent / "floor.duckdb"
    scratch.unlink(missing_ok=True)
    con = connect(memory_limit, threads, str(scratch))
    orders = (landing / "oms" / "orders").as_posix()
    out["ingestion of orders"] = timed(
        con, f"create or replace table orders as select * from read_parquet('{orders}/*.parquet', filename = true)")
    con.execute(f"attach '{settings.warehouse.as_posix()}' as w (read_only)")
    out["per-customer aggregation behind RFM"] = timed(con, """
        create or replace table order_days as
        select customer_id, order_date, count(distinct order_id) as paid_orders, sum(net_amount) as net_amount
        from w.marts.fct_orders
        where is_paid and customer_id is not null
          and order_date <= (select as_of_date from w.intermediate.int_data_window)
        group by customer_id, order_date""")
    # the identity graph, copied bare: nodes and edges only
    con.execute("create or replace table cc_nodes as select record_key as node from w.intermediate.int_identity_records")
    con.execute("""create or replace table cc_edges as
        select record_key_a as node_a, record_key_b as node_b from w.intermediate.int_identity_edges_deterministic
        union all
        select record_key_a, record_key_b from w.intermediate.int_identity_edges_probabilistic""")
    con.execute("detach w")
    ctes = ["cc_neighbours as (select node_a as node, node_b as other from cc_edges union all "
            "select node_b, node_a from cc_edges union all select node, node from cc_nodes)",
            "cc_l0 as (select node, node as label from cc_nodes)"]
    ctes += [f"cc_l{i} as (select n.node, min(p.label) as label from cc_neighbours n "
             f"join cc_l{i - 1} p on p.node = n.other group by n.node)" for i in range(1, passes + 1)]
    out["identity clustering"] = timed(
        con, "create or replace table clusters as with " + ", ".join(ctes) + f" select * from cc_l{passes}")
    con.close()
    scratch.unlink(missing_ok=True)
    return out


# ----------------------------------------------------------------------------- pandas baseline
def pandas_baseline(settings: Settings) -> dict:
    """RFM segments and customer states by hand in pandas, from the staged order lines."""
    from orchestration.tags.catalogue import load_tag_config

    config = load_tag_config(settings.tags_file)
    rfm_p, state_p = config.rfm, config.params("customer_state")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    started = time.perf_counter()
    lines = con.execute("select customer_id, order_id, order_date, is_paid, net_amount from marts.fct_orders "
                        "where customer_id is not null").fetch_df()
    as_of = pd.Timestamp(con.execute("select as_of_date from intermediate.int_data_window").fetchall()[0][0])
    customers = con.execute("select customer_id from intermediate.int_customer_fact_tags").fetch_df()
    ours = con.execute("select r.customer_id, r.segment_code, s.state from model_tags.rfm r "
                       "join model_tags.customer_state s using (customer_id)").fetch_df()
    con.close()
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    lines["order_date"] = pd.to_datetime(lines["order_date"])
    lines["net_amount"] = lines["net_amount"].astype(float)
    paid = lines[lines["is_paid"] & (lines["order_date"] <= as_of)]
    days = paid.groupby(["customer_id", "order_date"]).agg(orders=("order_id", "nunique"),
                                                           net=("net_amount", "sum")).reset_index()
    recent = days[days["order_date"] > as_of - pd.Timedelta(days=rfm_p.window_days)]
    rfm = recent.groupby("customer_id").agg(last=("order_date", "max"), f=("orders", "sum"), m=("net", "sum"))
    rfm["r"] = (as_of - rfm["last"]).dt.days
    for dim, reverse in (("r", True), ("f", False), ("m", False)):
        ranks = (-rfm[dim] if reverse else rfm[dim]).rank(method="first")
        rfm[f"{dim}_score"] = pd.qcut(ranks, 5, labels=False) + 1
        rfm[f"{dim}_high"] = rfm[f"{dim}_score"] > round(rfm[f"{dim}_score"].mean(), rfm_p.threshold_decimals)
    rfm["segment"] = rfm.apply(lambda row: ("important_" if row["m_high"] else "general_")
                               + {(True, True): "value", (False, True): "keep", (True, False): "develop",
                                  (False, False): "winback"}[(bool(row["r_high"]), bool(row["f_high"]))], axis=1)

    def cycle(dates: pd.Series) -> float:
        gaps = dates.sort_values().diff().dt.days.dropna()
        if len(gaps) < state_p.min_intervals:
            return state_p.default_cycle_days
        return float(np.clip(gaps.mean(), state_p.min_cycle_days, state_p.max_cycle_days))

    per = days.groupby("customer_id").agg(first=("order_date", "min"), last=("order_date", "max"))
    per["cycle"] = days.groupby("customer_id")["order_date"].apply(cycle)
    since = (as_of - per["last"]).dt.days / per["cycle"]
    per["state"] = np.select(
        [(as_of - per["first"]).dt.days < state_p.new_days, since <= state_p.active_multiple,
         since <= state_p.silent_multiple, since <= state_p.sleeping_multiple],
        ["new", "active", "silent", "sleeping"], default="churned")
    result = customers.set_index("customer_id")
    result["state"] = per["state"].reindex(result.index).fillna("prospect")
    result["segment"] = rfm["segment"].reindex(result.index).fillna("not_scored")
    seconds = time.perf_counter() - started

    merged = ours.set_index("customer_id").join(result, rsuffix="_pandas")
    return {"seconds": seconds, "load_seconds": load_seconds, "order_lines": len(lines),
            "state_agreement": float((merged["state"] == merged["state_pandas"]).mean()),
            "segment_agreement_scored": float(
                (merged["segment_code"] == merged["segment"])[merged["segment"] != "not_scored"].mean())}


# ----------------------------------------------------------------------------- main
def ensure_data(data: Path, customers: int, seed: int, activity: float) -> tuple[Path, float | None, dict]:
    folder = data / (f"{customers}-{seed}" + (f"-a{activity:g}" if activity != 1.0 else ""))
    marker = folder / "landing" / "DATASET.json"
    if marker.exists() and json.loads(marker.read_text()).get("customers") == customers \
            and json.loads(marker.read_text()).get("activity", 1.0) == activity:
        generated = None
    else:
        started = time.perf_counter()
        generate(folder, customers=customers, seed=seed, progress=True, activity=activity)
        generated = time.perf_counter() - started
    rows = json.loads(marker.read_text())["files"]
    counts: dict[str, int] = {}
    for file, n in rows.items():
        table = "orders" if file.startswith("oms/orders") else "order lines" if file.startswith("oms/order_items") \
            else "events" if file.startswith("app/events") else "customer records" if "members" in file \
            or "contacts" in file else "other"
        counts[table] = counts.get(table, 0) + int(n)
    return folder, generated, counts


def has_tables(warehouse: Path, tables: list[tuple[str, str]]) -> bool:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
    finally:
        con.close()
    return all(t in present for t in tables)


def ensure_delivery(folder: Path, days: int) -> tuple[Path, dict[str, int]]:
    """The data set's last `days` days of orders, lines and events, held out once (in place)
    as the next delivery: the full build loads the rest, the incremental one adds it."""
    marker = folder / "next_delivery" / "HELD.json"
    if marker.exists() and json.loads(marker.read_text()).get("days") == days:
        return folder / "next_delivery" / "landing", json.loads(marker.read_text())["files"]
    if marker.exists():
        raise SystemExit(f"{folder} already holds out {json.loads(marker.read_text())['days']} day(s); "
                         "delete the folder to regenerate it")
    end = datetime.strptime(json.loads((folder / "landing" / "DATASET.json").read_text())["end_date"],
                            "%Y-%m-%d").date()
    delivery = folder / "next_delivery" / "landing"
    held = hold_out_last_days(folder / "landing", delivery, end, days)
    marker.write_text(json.dumps({"days": days, "end_date": end.isoformat(), "files": held}, indent=2))
    return delivery, held


def link_tree(source: Path, target: Path) -> None:
    """Mirror `source`'s files into `target` as hard links (no copy of gigabytes; a copy only
    across file systems). Not symbolic links: the loader refuses a landing file that links
    outside the landing folder, as it would a user's."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.unlink(missing_ok=True)
            try:
                os.link(path, link)
            except OSError:
                shutil.copy2(path, link)


def _processes(parts: list[dict]) -> str:
    return ", ".join(f"{p['process']} {p['bytes'] / 2**30:.2f} GiB" for p in parts[:3])


def markdown(rows: list[tuple], head: tuple) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def measured_run(settings: Settings, job_name: str = EVERYTHING_JOB):
    """One run of a job on the warehouse: outcome, seconds, peak memory and disk, steps (with
    their stage) and dbt node timings."""
    started_at = time.time()
    roots = [settings.warehouse.parent] + ([settings.duckdb_temp_dir] if settings.duckdb_temp_dir else [])
    with TreeMemory() as memory, DiskPeak(roots) as disk:
        started = time.perf_counter()
        outcome = run_job(settings, log_level="WARNING", job_name=job_name)
        seconds = time.perf_counter() - started
    print(outcome.render())
    steps = pd.DataFrame(outcome.steps)
    steps["stage"] = steps["step"].map(stage_of)
    def step_at(moment: float) -> str:
        """The step running when a peak was sampled (the last started, if steps overlap)."""
        running = [s["step"] for s in outcome.steps if s["start"] <= moment <= s["start"] + s["seconds"]]
        return running[-1] if running else "between steps"

    peaks = {"memory": memory.peak, "memory_rss_sum": memory.peak_rss_sum, "memory_step": step_at(memory.peak_at),
             "memory_processes": [{"process": name, "bytes": n} for name, n in memory.peak_processes],
             "disk": disk.peak, "disk_step": step_at(disk.peak_at)}
    target = "dbt_target" if settings.engine == "duckdb" else f"dbt_target_{settings.engine}"
    return outcome, seconds, peaks, steps, dbt_timings(settings.work_dir / target, started_at)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--activity", type=float, default=1.6,
                        help="generator activity (default 1.6: about 9 orders, 17 order lines and 32 events "
                             "per customer, the mix of issue 7)")
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--memory-budget", default=None,
                        help="memory of the run's whole process tree, e.g. 8GB (HUAXIANG_MEMORY_BUDGET; default "
                             "three quarters of the machine's)")
    parser.add_argument("--spill-limit", default=None,
                        help="the most DuckDB may spill (HUAXIANG_SPILL_LIMIT; default four times the budget)")
    parser.add_argument("--memory-limit", default=None,
                        help="one DuckDB memory limit for both processes instead of the budget's shares "
                             "(HUAXIANG_DUCKDB_MEMORY_LIMIT), e.g. 8GB")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                        help="where dbt builds (spark: local mode, docs/spark.md; floors and the "
                             "pandas baseline still read the DuckDB file)")
    parser.add_argument("--temp-dir", type=Path, default=None,
                        help="where DuckDB spills past the memory limit (default: beside the warehouse)")
    parser.add_argument("--no-pandas", action="store_true",
                        help="skip the pandas baseline (it holds every order line in memory: minutes at 3M)")
    parser.add_argument("--delivery-days", type=int, default=1,
                        help="days held out of the data set and added by the incremental refresh (0: none)")
    args = parser.parse_args()

    folder, generated, counts = ensure_data(args.data, args.customers, args.seed, args.activity)
    delivery, held = ensure_delivery(folder, args.delivery_days) if args.delivery_days else (None, {})
    work = args.work / (folder.name if args.engine == "duckdb" else f"{folder.name}-{args.engine}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing = work / "landing"
    link_tree(folder / "landing", landing)
    settings = Settings(landing_dir=landing, warehouse=work / "warehouse.duckdb",
                        memory_budget=args.memory_budget, spill_limit=args.spill_limit,
                        duckdb_memory_limit=args.memory_limit, duckdb_threads=args.threads,
                        duckdb_temp_dir=args.temp_dir.resolve() if args.temp_dir else None,
                        identity_truth=folder / "ground_truth" / "records.csv", engine=args.engine)

    landing_bytes = tree_bytes(folder / "landing")
    outcome, total, peaks, steps, dbt = measured_run(settings)
    stages = steps.groupby("stage", sort=False)["seconds"].sum()
    models = dbt[dbt["kind"] == "model"].copy()
    models["group"] = models["path"].map(lambda p: next((g for g, m in DBT_GROUPS if m(p)), "other"))
    by_group = models.groupby(["invocation", "group"])["seconds"].sum()
    tests = dbt[dbt["kind"] == "test"].groupby("invocation")["seconds"].sum()

    passes = int(yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
                 ["vars"]["identity_cluster_passes"])
    # a run that failed before the marts leaves nothing to compare with: keep its stage times
    built = has_tables(settings.warehouse, [("marts", "fct_orders"), ("model_tags", "rfm"),
                                            ("intermediate", "int_identity_records")])
    floor = floors(settings, folder / "landing", settings.budget.dbt_duckdb_limit, args.threads, passes) if built else {}
    model_time = dict(zip(models["node"].str.split(".").str[-1], models["seconds"]))
    step_time = dict(zip(steps["step"], steps["seconds"]))
    ours = {"ingestion of orders": step_time.get("raw__oms__orders", float("nan")),
            "per-customer aggregation behind RFM": model_time.get("int_customer_orders_as_of", 0)
            + model_time.get("int_customer_order_days", 0),
            "identity clustering": model_time.get("int_identity_clusters", float("nan"))}
    baseline = None if args.no_pandas or not built else pandas_baseline(settings)

    incremental = None
    if delivery is not None and built:
        link_tree(delivery, landing)
        # what the daily schedule runs: everything but the weekly churn training
        inc_outcome, inc_total, inc_peaks, inc_steps, inc_dbt = measured_run(settings, DAILY_REFRESH_JOB)
        inc_models = inc_dbt[inc_dbt["kind"] == "model"]
        new_rows = sum(held.values())
        all_rows = sum(counts.get(k, 0) for k in ("orders", "order lines", "events"))
        incremental = {
            "days": args.delivery_days, "new_rows": new_rows, "new_files": held,
            "share_of_fact_rows": round(new_rows / all_rows, 5) if all_rows else None,
            "success": inc_outcome.success, "seconds": round(inc_total, 1),
            "share_of_full_refresh": round(inc_total / total, 3), "peak_memory_bytes": inc_peaks["memory"],
            "peak_memory_rss_sum_bytes": inc_peaks["memory_rss_sum"],
            "peak_disk_bytes": inc_peaks["disk"],
            "peak_memory_step": inc_peaks["memory_step"], "peak_memory_processes": inc_peaks["memory_processes"],
            "peak_disk_step": inc_peaks["disk_step"],
            "stages": {k: round(v, 2) for k, v in inc_steps.groupby("stage", sort=False)["seconds"].sum().items()},
            "steps": inc_outcome.steps,
            "dbt_models_seconds": round(float(inc_models["seconds"].sum()), 2),
            "dbt_tests_seconds": round(float(inc_dbt[inc_dbt["kind"] == "test"]["seconds"].sum()), 2),
            "slowest_dbt_models": inc_models.nlargest(10, "seconds")[["node", "seconds"]].to_dict("records"),
        }
    ours_rfm_state = (ours["per-customer aggregation behind RFM"] + step_time.get("model_tag_rfm", 0)
                      + step_time.get("model_tag_customer_state", 0))

    result = {
        "customers": args.customers, "seed": args.seed, "activity": args.activity, "rows": counts, "generated_seconds": generated,
        "memory_limit": args.memory_limit, "memory_budget": settings.budget.describe(), "threads": args.threads,
        "engine": args.engine, "success": outcome.success, "full_refresh_seconds": round(total, 1), "peak_memory_bytes": peaks["memory"],
        "peak_memory_rss_sum_bytes": peaks["memory_rss_sum"],
        "peak_memory_step": peaks["memory_step"], "peak_memory_processes": peaks["memory_processes"],
        "peak_disk_step": peaks["disk_step"],
        "landing_bytes": landing_bytes, "peak_disk_bytes": peaks["disk"],
        "peak_disk_per_landing": round(peaks["disk"] / landing_bytes, 2) if landing_bytes else None,
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "steps": outcome.steps, "dbt_groups": {f"{i}: {g}": round(v, 2) for (i, g), v in by_group.items()},
        "dbt_tests": {k: round(v, 2) for k, v in tests.items()},
        "slowest_dbt_models": models.nlargest(10, "seconds")[["node", "seconds"]].to_dict("records"),
        "floors": {k: {"ours": round(ours[k], 2), "floor": round(v, 2), "ratio": round(ours[k] / v, 2)}
                   for k, v in floor.items()},
        "pandas_baseline": None if baseline is None else {
            **baseline, "ours_seconds": round(ours_rfm_state, 2),
            "speedup": round(baseline["seconds"] / ours_rfm_state, 2)},
        "incremental": incremental,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    engine = "" if args.engine == "duckdb" else f"-{args.engine}"
    path = args.out / f"suite-{args.customers}{engine}-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, default=str))

    print(f"\nhuaxiang benchmark: {args.customers:,} customers, activity {args.activity:g} "
          f"({', '.join(f'{v:,} {k}' for k, v in counts.items())})")
    print(f"{settings.budget.describe()}")
    print(f"full build {'OK' if outcome.success else 'FAILED'} in {total:.1f} s; "
          f"peak memory of the process tree {peaks['memory'] / 2**30:.2f} GiB PSS ({peaks['memory_rss_sum'] / 2**30:.2f} GiB as a sum of RSS) (in {peaks['memory_step']}); "
          f"peak disk (warehouse, spill, outputs) {peaks['disk'] / 2**30:.2f} GiB (in {peaks['disk_step']}) = "
          f"{result['peak_disk_per_landing']}x the landing data ({landing_bytes / 2**30:.2f} GiB); "
          f"at the memory peak: {_processes(peaks['memory_processes'])}\n")
    if incremental:
        inc_stages = incremental["stages"]
        print(markdown([(k, f"{v:.1f}", f"{inc_stages.get(k, 0):.1f}") for k, v in stages.items()]
                       + [("**total**", f"{total:.1f}", f"{incremental['seconds']:.1f}")],
                       ("stage", "full build s", "incremental s")))
        print(f"\nincremental refresh {'OK' if incremental['success'] else 'FAILED'}: "
              f"{incremental['days']} more day(s), {incremental['new_rows']:,} new rows "
              f"({incremental['share_of_fact_rows']:.2%} of orders, lines and events) in "
              f"{incremental['seconds']:.1f} s = {incremental['share_of_full_refresh']:.1%} of the full build; "
              f"peak memory {incremental['peak_memory_bytes'] / 2**30:.2f} GiB (in {incremental['peak_memory_step']}), "
              f"peak disk {incremental['peak_disk_bytes'] / 2**30:.2f} GiB (in {incremental['peak_disk_step']}); "
              f"at the memory peak: {_processes(incremental['peak_memory_processes'])}")
    else:
        print(markdown([(k, f"{v:.1f}") for k, v in stages.items()], ("stage", "seconds")))
    print("\n" + markdown([(f"{i}: {g}", f"{v:.1f}") for (i, g), v in by_group.items()]
                          + [(f"{i}: tests", f"{v:.1f}") for i, v in tests.items()], ("dbt", "seconds")))
    print("\n" + markdown([(k, f"{v['ours']:.2f}", f"{v['floor']:.2f}", f"{v['ratio']:.2f}")
                           for k, v in result["floors"].items()], ("step", "ours s", "bare DuckDB s", "ratio")))
    b = result["pandas_baseline"]
    if b:
        print(f"\nRFM + customer state: ours {b['ours_seconds']:.2f} s, pandas by hand {b['seconds']:.2f} s "
              f"({b['speedup']:.1f}x; agreement: state {b['state_agreement']:.3f}, "
              f"segment {b['segment_agreement_scored']:.3f})")
    print(f"\nresults: {path}")
    return 0 if outcome.success and (incremental is None or incremental["success"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
