"""Benchmark: our identity resolution (the dbt identity models) against Splink 5 (DuckDB).

Both resolve the same records - intermediate.int_identity_records of a warehouse built from
generated data - and both are scored with the same pairwise precision / recall against the
generator's ground truth (orchestration.identity.evaluation.evaluate). Each runs in its own
process so that its wall time and peak resident memory are its own:

    1. generate the data set (skipped when WORKDIR already holds it),
    2. build the warehouse with the full pipeline (`huaxiang run`),
    3. time `dbt build` of the identity models and their tests on that warehouse; score
       marts.customer_source_xref,
    4. run Splink (bench/splink_identity.py: train, predict, cluster at 0.7); score its
       clusters at 0.7 and, clustering its predictions again, at every threshold of a grid,
       to report the best-F1 one too (a threshold chosen with the ground truth: an upper
       bound for Splink, not something a user without labels could pick),
    5. write WORKDIR/results.json and print a table.

Usage: python bench/identity_bench.py --customers 100000 [--memory-limit 8GB]
(Splink is the optional dependency group 'bench': uv sync --extra bench.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml

try:
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold
except ImportError:
    sys.exit("Splink is not installed: python3 -m uv sync --frozen --extra bench (or make bench-identity)")

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DBT_PROJECT = REPO / "dbt_project"
SPLINK_WORKER = Path(__file__).resolve().parent / "splink_identity.py"

# The identity models: everything between the name keys and the identity marts. 'cautious'
# keeps only the tests whose every parent is selected (not, say, the relationship test from
# customer_source_xref to dim_customer), so nothing downstream is built or tested.
IDENTITY_SELECTOR = ("int_identity_name_keys+,+customer_source_xref "
                     "int_identity_name_keys+,+customer_id_history")
# the dbt var identity_match_probability, the default a user gets (Splink is scored at it too)
OUR_THRESHOLD = float(yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"]["identity_match_probability"])
THRESHOLD_GRID = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
                  0.995, 0.999, 0.9999, 0.99999)
IDENTITY_CODE_GLOBS = ("models/intermediate/identity/*", "models/marts/identity/*",
                       "macros/identity/*", "dbt_project.yml")


@dataclass(frozen=True)
class Config:
    """What one benchmark run does, and where."""

    customers: int
    seed: int
    workdir: Path
    memory_limit: str | None
    skip_generate: bool
    skip_pipeline: bool
    splink_timeout: float
    u_max_pairs: float
    identity_dirt: bool

    @property
    def landing(self) -> Path:
        return self.workdir / "landing"

    @property
    def truth(self) -> Path:
        return self.workdir / "ground_truth" / "records.csv"

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"


@dataclass
class Measured:
    """One command run in a child process: wall time, peak RSS, exit status."""

    command: str
    wall_seconds: float
    peak_rss_bytes: int
    returncode: int | None
    timed_out: bool
    log: str
    load_average_before: tuple[float, float, float]  # the machine is shared: how busy it was
    load_average_after: tuple[float, float, float]


def run_measured(argv: list[str], log: Path, cwd: Path | None = None, env: dict | None = None,
                 timeout: float | None = None) -> Measured:
    """Run argv with its output in `log`; measure wall time and peak resident memory.

    The peak is the kernel's high-water mark (wait4 ru_maxrss) of the child, which Linux
    reports as the largest of the child and the descendants it waited for - exact for dbt and
    Splink, which each do their work in one process. A child still running after `timeout`
    seconds is killed with its process group (it is started in a session of its own).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout and not timed_out:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.2)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is reaped
    return Measured(command=shlex.join(argv), wall_seconds=round(wall, 2),
                    peak_rss_bytes=usage.ru_maxrss * 1024, returncode=proc.returncode,
                    timed_out=timed_out, log=str(log), load_average_before=load_before,
                    load_average_after=os.getloadavg())


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --- 1. data ------------------------------------------------------------------------------

def dataset_present(cfg: Config) -> bool:
    """True when WORKDIR holds the data set of these customers, seed and identity dirt; an
    other one there is an error rather than something to overwrite or, worse, to benchmark
    unknowingly."""
    manifest = cfg.landing / "DATASET.json"
    if not (manifest.exists() and cfg.truth.exists()):
        return False
    meta = json.loads(manifest.read_text())
    held = (meta.get("customers"), meta.get("seed"), bool(meta.get("identity_dirt", False)))
    if held != (cfg.customers, cfg.seed, cfg.identity_dirt):
        sys.exit(f"{cfg.workdir} holds {held[0]} customers with seed {held[1]}, identity dirt {held[2]}, "
                 f"not {cfg.customers} with seed {cfg.seed}, identity dirt {cfg.identity_dirt}: "
                 "choose another --workdir")
    return True


def generate(cfg: Config) -> dict:
    if dataset_present(cfg):
        return {"status": "present"}
    if cfg.skip_generate:
        sys.exit(f"--skip-generate but no data set in {cfg.workdir}")
    argv = [str(BIN / "huaxiang"), "generate", "--customers", str(cfg.customers), "--seed",
            str(cfg.seed), "--out", str(cfg.workdir), "--quiet",
            "--identity-dirt" if cfg.identity_dirt else "--no-identity-dirt"]
    say(f"generating {cfg.customers:,} customers: {shlex.join(argv)}")
    m = run_measured(argv, cfg.logs / "generate.log")
    if m.returncode != 0:
        sys.exit(f"generation failed, see {m.log}")
    return {"status": "generated", **asdict(m)}


# --- 2. warehouse -------------------------------------------------------------------------

def pipeline_env(cfg: Config) -> dict:
    env = dict(os.environ)
    if cfg.memory_limit:
        env["HUAXIANG_DUCKDB_MEMORY_LIMIT"] = cfg.memory_limit
    return env


def build_warehouse(cfg: Config) -> dict:
    """The full pipeline, once: identity resolution needs the staged, validated records.
    Exit 1 can mean only that a quality check failed; the warehouse is then still built."""
    if cfg.skip_pipeline:
        if not cfg.warehouse.exists():
            sys.exit(f"--skip-pipeline but no warehouse at {cfg.warehouse}")
        return {"status": "skipped"}
    argv = [str(BIN / "huaxiang"), "run", "--landing", str(cfg.landing), "--warehouse",
            str(cfg.warehouse), "--truth", str(cfg.truth)]
    say(f"building the warehouse: {shlex.join(argv)}")
    m = run_measured(argv, cfg.logs / "pipeline.log", env=pipeline_env(cfg))
    if m.returncode != 0:
        say(f"pipeline exited {m.returncode} (see {m.log}); going on if the identity tables exist")
    return {"status": "ran", **asdict(m)}


def require_identity_tables(cfg: Config) -> None:
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        for table in ("intermediate.int_identity_records", "marts.customer_source_xref"):
            try:
                con.execute(f"select 1 from {table} limit 1")
            except duckdb.Error as err:
                sys.exit(f"{cfg.warehouse} has no {table} ({err}); see {cfg.logs / 'pipeline.log'}")


# --- 3. ours ------------------------------------------------------------------------------

def write_profile(cfg: Config) -> Path:
    """A dbt profile of our own (as the pipeline writes one): the warehouse, 2 threads and
    the DuckDB memory limit, so that the timed build runs like the pipeline's."""
    profiles_dir = cfg.workdir / "dbt_profile"
    profiles_dir.mkdir(parents=True, exist_ok=True)
    text = ("huaxiang:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
            f"      path: {json.dumps(str(cfg.warehouse))}\n      threads: 2\n")
    if cfg.memory_limit:
        text += f"      settings:\n        memory_limit: {json.dumps(cfg.memory_limit)}\n"
    (profiles_dir / "profiles.yml").write_text(text)
    return profiles_dir


def dbt_argv(cfg: Config, command: str, profiles_dir: Path) -> list[str]:
    """dbt with a target and log path under WORKDIR: dbt_project/target stays untouched."""
    return [str(BIN / "dbt"), command, "--profiles-dir", str(profiles_dir),
            "--target-path", str(cfg.workdir / "dbt_target"), "--log-path", str(cfg.workdir / "dbt_logs"),
            *(["--select", IDENTITY_SELECTOR, "--indirect-selection", "cautious"] if command == "build" else [])]


def dbt_node_summary(cfg: Config) -> dict:
    """Models and tests the build ran, their statuses and summed execution times."""
    results = json.loads((cfg.workdir / "dbt_target" / "run_results.json").read_text())["results"]
    summary: dict = {"models": [], "tests": 0, "statuses": {}, "model_seconds": 0.0, "test_seconds": 0.0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        summary["statuses"][r["status"]] = summary["statuses"].get(r["status"], 0) + 1
        if kind == "model":
            summary["models"].append(r["unique_id"].split(".")[-1])
            summary["model_seconds"] += r["execution_time"]
        elif kind == "test":
            summary["tests"] += 1
            summary["test_seconds"] += r["execution_time"]
    summary["model_seconds"] = round(summary["model_seconds"], 2)
    summary["test_seconds"] = round(summary["test_seconds"], 2)
    summary["failures"] = [r["unique_id"] for r in results if r["status"] in ("error", "fail")]
    summary.update(spans_after_preparation(results))
    return summary


def spans_after_preparation(results: list[dict]) -> dict:
    """Wall seconds of the build after int_identity_records, the prepared records Splink is
    given as its input (exported untimed): until int_identity_clusters is built (what Splink's
    load, train, predict and cluster do), and until the last node ends (customer ids, the
    cross-reference, their history and every test). The like-for-like figures beside the whole
    build's, which also normalises the names and the records."""
    def ended(r: dict) -> datetime | None:
        stamps = [t.get("completed_at") for t in r.get("timing") or [] if t.get("completed_at")]
        return max(datetime.fromisoformat(x.replace("Z", "+00:00")) for x in stamps) if stamps else None

    by_model = {r["unique_id"].split(".")[-1]: ended(r) for r in results if r["unique_id"].startswith("model.")}
    prepared, clusters = by_model.get("int_identity_records"), by_model.get("int_identity_clusters")
    last = max((e for e in map(ended, results) if e), default=None)
    if not (prepared and clusters and last):
        return {}
    return {"prepared_to_clusters_seconds": round((clusters - prepared).total_seconds(), 2),
            "prepared_to_end_seconds": round((last - prepared).total_seconds(), 2)}


def run_ours(cfg: Config) -> dict:
    """`dbt parse` first (not timed), so the timed `dbt build` starts from a parsed project,
    as the pipeline's does. The rebuild is a second run on the same data: the incremental id
    table (int_customer_ids_assigned) keeps its ids and customer_id_history gains nothing."""
    profiles_dir = write_profile(cfg)
    code_before = code_fingerprint()
    parse = run_measured(dbt_argv(cfg, "parse", profiles_dir), cfg.logs / "dbt_parse.log", cwd=DBT_PROJECT)
    if parse.returncode != 0:
        sys.exit(f"dbt parse failed, see {parse.log}")
    argv = dbt_argv(cfg, "build", profiles_dir)
    say(f"timing our identity resolution: (cd dbt_project && {shlex.join(argv)})")
    build = run_measured(argv, cfg.logs / "dbt_identity_build.log", cwd=DBT_PROJECT)
    nodes = dbt_node_summary(cfg)
    code = {"before_parse": code_before, "after_build": code_fingerprint()}
    if code["before_parse"]["identity_code_sha256"] != code["after_build"]["identity_code_sha256"]:
        say("the identity code changed while dbt ran: the measured version is uncertain")
    if build.returncode != 0:
        say(f"dbt build exited {build.returncode}: failures {nodes['failures']} (see {build.log})")
    scores = evaluate_table(cfg, "w.marts.customer_source_xref", attach_warehouse=True)
    return {"system": "huaxiang (dbt identity models)", "threshold": OUR_THRESHOLD,
            "threshold_choice": "default (identity_match_probability)",
            "measured": asdict(build), "parse": asdict(parse), "dbt": nodes, "code": code, "scores": scores}


# --- 4. Splink ----------------------------------------------------------------------------

def export_records(cfg: Config) -> Path:
    """int_identity_records to parquet: Splink reads the very rows our models read."""
    path = cfg.workdir / "splink" / "records.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        con.execute("copy (select * from intermediate.int_identity_records order by record_key) "
                    f"to '{path.as_posix()}' (format parquet)")
    return path


def run_splink(cfg: Config, records: Path) -> dict:
    out_dir = cfg.workdir / "splink" / "out"
    argv = [sys.executable, str(SPLINK_WORKER), "--records", str(records), "--out-dir", str(out_dir),
            "--threshold", str(OUR_THRESHOLD), "--predict-floor", str(min(THRESHOLD_GRID)),
            "--max-pairs", str(cfg.u_max_pairs), "--seed", str(cfg.seed)]
    if cfg.memory_limit:
        argv += ["--memory-limit", cfg.memory_limit]
    say(f"running Splink: {shlex.join(argv)}")
    m = run_measured(argv, cfg.logs / "splink.log", timeout=cfg.splink_timeout)
    phases_file = out_dir / "phases.json"
    ok = m.returncode == 0 and phases_file.exists()
    return {"measured": asdict(m), "ok": ok, "out_dir": str(out_dir),
            "phases": json.loads(phases_file.read_text()) if ok else None}


def splink_rows(cfg: Config, records: Path, splink: dict) -> tuple[list[dict], list[dict]]:
    """Splink's clusters at 0.7 (the timed run's own output) and at the best-F1 threshold of
    the grid; plus the whole scan. The scan's 0.7 scores are checked against the timed run's."""
    out_dir = Path(splink["out_dir"])
    base = {"measured": splink["measured"], "splink": splink["phases"]}
    xref = (f"select r.source_system, r.source_record_id, c.cluster_id as customer_id "
            f"from read_parquet('{(out_dir / 'clusters.parquet').as_posix()}') c "
            f"join read_parquet('{records.as_posix()}') r using (record_key)")
    at_default = evaluate_table(cfg, f"({xref})")
    scan = threshold_scan(cfg, records, out_dir / "predictions.parquet")
    best = max(scan, key=lambda row: (row["f1_all"], -row["threshold"]))
    in_scan = next(row for row in scan if row["threshold"] == OUR_THRESHOLD)
    consistent = in_scan["scores"]["all"]["predicted_pairs"] == at_default["all"]["predicted_pairs"]
    version = splink["phases"]["splink_version"]
    rows = [
        {"system": f"splink {version}", "threshold": OUR_THRESHOLD, "threshold_choice": "fixed (our default)",
         "scores": at_default, "scan_agrees_with_timed_run": consistent, **base},
        {"system": f"splink {version}", "threshold": best["threshold"],
         "threshold_choice": "best pairwise F1 on the ground truth (oracle)", "scores": best["scores"], **base},
    ]
    return rows, scan


def threshold_scan(cfg: Config, records: Path, predictions: Path) -> list[dict]:
    """Cluster Splink's predictions at every grid threshold with Splink's own connected
    components (the function its linker's clustering calls) and score each clustering."""
    con = duckdb.connect()
    con.execute(f"create table nodes as select record_key, source_system, source_record_id "
                f"from read_parquet('{records.as_posix()}')")
    con.execute(f"create table edges as select * from read_parquet('{predictions.as_posix()}')")
    db_api = DuckDBAPI(connection=con)
    rows = []
    for t in THRESHOLD_GRID:
        clusters = cluster_pairwise_predictions_at_threshold(
            "nodes", "edges", db_api=db_api, node_id_column_name="record_key",
            edge_id_column_name_left="record_key_l", edge_id_column_name_right="record_key_r",
            threshold_match_probability=t)
        xref = (f"(select n.source_system, n.source_record_id, c.cluster_id as customer_id "
                f"from {clusters.physical_name} c join nodes n using (record_key))")
        scores = evaluate_table(cfg, xref, con=con)
        clusters.drop_table_from_database_and_remove_from_cache()
        rows.append({"threshold": t, "f1_all": f1(scores["all"]), "scores": scores})
    con.close()
    return rows


# --- scoring and report -------------------------------------------------------------------

def evaluate_table(cfg: Config, xref: str, attach_warehouse: bool = False,
                   con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """The pipeline's own pairwise evaluation on (source_system, source_record_id,
    customer_id); `xref` is a table name or a parenthesised query."""
    from orchestration.identity.evaluation import evaluate

    own = con is None
    con = con or duckdb.connect()
    if attach_warehouse:
        con.execute(f"attach '{cfg.warehouse.as_posix()}' as w (read_only)")
    scores = {s.scope: s.as_dict() for s in evaluate(con, cfg.truth, xref)}
    if own:
        con.close()
    return scores


def f1(scores: dict) -> float:
    p, r = scores["precision"], scores["recall"]
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def code_fingerprint() -> dict:
    """Which identity code was measured (it may be edited while a benchmark runs)."""
    h = hashlib.sha256()
    for pattern in IDENTITY_CODE_GLOBS:
        for p in sorted(DBT_PROJECT.glob(pattern)):
            if p.is_file():
                h.update(p.relative_to(DBT_PROJECT).as_posix().encode() + p.read_bytes())

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"git_head": git("rev-parse", "HEAD"), "git_dirty_files": len(git("status", "--short").splitlines()),
            "identity_code_sha256": h.hexdigest()[:16]}


def machine() -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return {"cpus": os.cpu_count(), "mem_total_gb": round(int(meminfo["MemTotal"].split()[0]) / 2**20, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__}


def table(rows: list[dict]) -> str:
    """The side-by-side table: pairwise precision and recall (all records / weak ones),
    process wall time and peak RSS."""
    head = (f"{'system':<32} {'threshold':>9} {'records':>9} {'customers':>9} {'P all':>7} {'P weak':>7} "
            f"{'R all':>7} {'R weak':>7} {'F1 all':>7} {'time s':>8} {'peak GB':>8}")
    lines = [head, "-" * len(head)]
    for row in rows:
        a, w, m = row["scores"]["all"], row["scores"]["weak"], row["measured"]
        lines.append(
            f"{row['system']:<32} {row['threshold']:>9g} {a['records']:>9,} {a['customers']:>9,} "
            f"{a['precision']:>7.4f} {w['precision']:>7.4f} {a['recall']:>7.4f} {w['recall']:>7.4f} "
            f"{f1(a):>7.4f} {m['wall_seconds']:>8.1f} {m['peak_rss_bytes'] / 1e9:>8.2f}")
    return "\n".join(lines)


def report(cfg: Config, results: dict) -> None:
    (cfg.workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print()
    print(f"identity resolution, {cfg.customers:,} customers (seed {cfg.seed}"
          f"{', identity dirt' if cfg.identity_dirt else ''}); "
          f"ground truth: {results['rows'][0]['scores']['all']['persons']:,} persons")
    print(table(results["rows"]))
    ours = results["rows"][0]
    print(f"\nours: dbt build wall {ours['measured']['wall_seconds']}s; summed node times (2 threads, so they "
          f"overlap): {len(ours['dbt']['models'])} models {ours['dbt']['model_seconds']}s, {ours['dbt']['tests']} tests "
          f"{ours['dbt']['test_seconds']}s; statuses {ours['dbt']['statuses']}; code {ours['code']['after_build']}")
    if "prepared_to_clusters_seconds" in ours["dbt"]:
        print(f"ours from the prepared records (Splink's input, int_identity_records): to the clusters "
              f"{ours['dbt']['prepared_to_clusters_seconds']}s, to the end of the build (ids, history, tests) "
              f"{ours['dbt']['prepared_to_end_seconds']}s")
    splink = results.get("splink") or {}
    if splink.get("phases"):
        print(f"splink: process wall {splink['measured']['wall_seconds']}s; phases {splink['phases']['phase_seconds']}; "
              f"pairs >= {splink['phases']['predict_floor']}: {splink['phases']['predicted_pairs_at_floor']:,}")
        print("splink threshold scan (pairwise F1, all records): " + ", ".join(
            f"{r['threshold']:g}: {r['f1_all']:.4f}" for r in results["splink_threshold_scan"]))
    elif splink:
        m = splink["measured"]
        print(f"splink did not finish: exit {m['returncode']}, timed out {m['timed_out']} after "
              f"{m['wall_seconds']}s, peak {m['peak_rss_bytes'] / 1e9:.2f} GB; see {m['log']}")
    print("\ntime = wall seconds of the process (dbt build incl. tests / Splink load+train+predict+cluster "
          "+ writing its outputs); peak GB = its peak resident memory. The 'best F1' threshold is chosen "
          "with the ground truth. Timings are noisy when the machine is shared (load averages in results.json).")
    print("\ncommands:")
    for name, command in results["commands"].items():
        print(f"  {name}: {command}")
    print(f"\nresults: {cfg.workdir / 'results.json'}")


def parse_args() -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="default /tmp/hx_bench_<customers>")
    parser.add_argument("--skip-generate", action="store_true", help="use the data set already in WORKDIR")
    parser.add_argument("--skip-pipeline", action="store_true", help="use the warehouse already in WORKDIR")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the pipeline, our dbt build and Splink, e.g. 8GB")
    parser.add_argument("--splink-timeout", type=float, default=2700, help="seconds before Splink is killed")
    parser.add_argument("--u-max-pairs", type=float, default=1e7, help="Splink's random pairs for the u estimates")
    parser.add_argument("--identity-dirt", action="store_true",
                        help="generate with `huaxiang generate --identity-dirt` (the identity dirt of issue 16)")
    args = parser.parse_args()
    workdir = (args.workdir or Path(f"/tmp/hx_bench_{args.customers}")).resolve()
    return Config(customers=args.customers, seed=args.seed, workdir=workdir, memory_limit=args.memory_limit,
                  skip_generate=args.skip_generate, skip_pipeline=args.skip_pipeline,
                  splink_timeout=args.splink_timeout, u_max_pairs=args.u_max_pairs,
                  identity_dirt=args.identity_dirt)


def main() -> None:
    cfg = parse_args()
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"customers": cfg.customers, "seed": cfg.seed, "workdir": str(cfg.workdir),
                     "memory_limit": cfg.memory_limit, "identity_dirt": cfg.identity_dirt,
                     "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine()}
    results["generate"] = generate(cfg)
    results["pipeline"] = build_warehouse(cfg)
    require_identity_tables(cfg)
    ours = run_ours(cfg)
    records = export_records(cfg)
    splink = run_splink(cfg, records)
    results["splink"] = splink
    rows, scan = splink_rows(cfg, records, splink) if splink["ok"] else ([], [])
    results["rows"] = [ours, *rows]
    results["splink_threshold_scan"] = scan
    results["commands"] = {
        **({"generate": results["generate"]["command"]} if "command" in results["generate"] else {}),
        **({"pipeline": results["pipeline"]["command"]} if "command" in results["pipeline"] else {}),
        "ours (cwd dbt_project)": ours["measured"]["command"],
        "splink": splink["measured"]["command"],
    }
    if cfg.memory_limit and "pipeline" in results["commands"]:
        results["commands"]["pipeline"] = f"HUAXIANG_DUCKDB_MEMORY_LIMIT={cfg.memory_limit} " + results["commands"]["pipeline"]
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report(cfg, results)


if __name__ == "__main__":
    main()
