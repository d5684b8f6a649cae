"""Splink 5 (DuckDB backend) deduplication of the records our identity resolution sees.

Run by identity_bench.py in its own process, so that its wall time and peak memory are
Splink's alone. It reads the records (int_identity_records exported to parquet), trains a
Fellegi-Sunter model the way Splink's documentation recommends (prior from deterministic
rules, u by random sampling, m by expectation-maximisation sessions), predicts the pairs its
blocking rules find, clusters them at one match probability and writes:

    predictions.parquet  record_key_l, record_key_r, match_probability (>= --predict-floor)
    clusters.parquet     record_key, cluster_id at --threshold
    model.json           the trained Splink model
    phases.json          seconds per phase and counts

The predictions keep the pairs down to --predict-floor so that the benchmark can cluster them
again at other thresholds (to find Splink's best threshold) without retraining.

The model is the reference, not a copy of ours: its comparisons use Splink's own comparison
library (NameComparison, DateOfBirthComparison, EmailComparison, ...) on the same columns.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# Columns of intermediate.int_identity_records that Splink compares, blocks on or maps back.
RECORD_COLUMNS = (
    "record_key", "source_system", "source_record_id", "name_key", "family_key", "given_key",
    "gender", "birth_date", "birth_year", "city", "address_key", "postcode", "mobile", "email",
    "id_number", "wechat_unionid",
)

# Blocking rules for prediction: ours (dbt macro identity_blocking_rules) plus the WeChat
# account, which our deterministic rules also link on. Splink has no block-size cap, so a
# common key yields every pair of its block.
PREDICTION_BLOCKING_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("name_key", "birth_year"),
    ("family_key", "birth_date"),
    ("given_key", "birth_date"),
    ("name_key", "city"),
    ("name_key", "postcode"),
    ("birth_date", "city"),
    ("birth_date", "postcode"),
    ("address_key",),
    ("mobile",),
    ("email",),
    ("id_number",),
    ("wechat_unionid",),
)

# Deterministic rules for the prior (probability two random records match), with the recall
# they are assumed to have - the same 0.8 our model assumes (identity_deterministic_recall).
DETERMINISTIC_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("id_number",), ("wechat_unionid",), ("mobile",), ("email",),
)
DETERMINISTIC_RECALL = 0.8

# EM training sessions, each blocked on one rule (Splink estimates m for the comparisons
# the rule does not fix); together they estimate every comparison.
EM_TRAINING_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("name_key", "birth_year"), ("mobile",), ("address_key",),
)


def comparisons() -> list:
    """Splink's recommended comparison for each field we compare.

    Names: exact match with term-frequency adjustment, then Jaro-Winkler levels. Birth date:
    exact, one character apart, then date differences (a month, a year, ten years). Address:
    exact with term-frequency adjustment (an address many records share, a company's, is weak
    evidence); fuzzy levels (one edit apart, same street and house number) were tried and
    never occur among the matches EM trains on, so Splink leaves them untrained. Postcodes are
    Chinese, so Splink's UK PostcodeComparison does not apply: exact.
    """
    return [
        cl.NameComparison("name_key"),
        cl.DateOfBirthComparison("birth_date", input_is_string=False),
        cl.ExactMatch("gender"),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        cl.ExactMatch("address_key").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode"),
        cl.ExactMatch("mobile").configure(term_frequency_adjustments=True),
        cl.EmailComparison("email"),
        cl.ExactMatch("id_number"),
        cl.ExactMatch("wechat_unionid"),
    ]


def settings() -> SettingsCreator:
    """A dedupe_only model over record_key; retains nothing but the ids and the scores."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in PREDICTION_BLOCKING_COLUMNS],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(linker: Linker, max_pairs: float, seed: int) -> None:
    """Prior from deterministic rules, u from random pairs, m from EM sessions."""
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*cols) for cols in DETERMINISTIC_COLUMNS], recall=DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for cols in EM_TRAINING_COLUMNS:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*cols))


def connect(memory_limit: str | None, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB (Splink's default) that may spill to temp_dir, with the same
    memory limit as our warehouse when one is given."""
    con = duckdb.connect(":memory:")
    temp_dir.mkdir(parents=True, exist_ok=True)
    con.execute(f"set temp_directory = '{temp_dir.as_posix()}'")
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    return con


class Phases:
    """Wall seconds per named phase, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)
            logging.getLogger("splink_identity").info("phase %s: %.1fs", name, self.seconds[name])


def copy_to_parquet(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    """Write a query's rows to a parquet file; returns the row count."""
    con.execute(f"copy ({sql}) to '{path.as_posix()}' (format parquet)")
    return con.execute(f"select count(*) from read_parquet('{path.as_posix()}')").fetchone()[0]


def run(records: Path, out_dir: Path, threshold: float, predict_floor: float, max_pairs: float,
        seed: int, memory_limit: str | None, phases: Phases) -> dict:
    """Load, train, predict, cluster; write the outputs. Returns counts for phases.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = connect(memory_limit, out_dir / "duckdb_tmp")
    with phases.time("load"):
        con.execute("create table records as select "
                    f"{', '.join(RECORD_COLUMNS)} from read_parquet('{records.as_posix()}')")
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register("records"), settings())
    with phases.time("train"):
        train(linker, max_pairs=max_pairs, seed=seed)
    with phases.time("predict"):
        predictions = linker.inference.predict(threshold_match_probability=predict_floor)
    with phases.time("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
    # Writing the outputs is for the benchmark, not part of Splink's work: timed apart.
    with phases.time("write_outputs"):
        n_pred = copy_to_parquet(
            con, f"select record_key_l, record_key_r, match_probability from {predictions.physical_name}",
            out_dir / "predictions.parquet")
        n_rec = copy_to_parquet(con, f"select record_key, cluster_id from {clusters.physical_name}",
                                out_dir / "clusters.parquet")
        linker.misc.save_model_to_json(str(out_dir / "model.json"), overwrite=True)
    n_clusters = con.execute(
        f"select count(distinct cluster_id) from read_parquet('{(out_dir / 'clusters.parquet').as_posix()}')"
    ).fetchone()[0]
    return {"records": n_rec, "predicted_pairs_at_floor": n_pred, "clusters": n_clusters,
            "prior": linker._settings_obj._probability_two_random_records_match}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, required=True, help="parquet of int_identity_records")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=0.7, help="match probability to cluster at")
    parser.add_argument("--predict-floor", type=float, default=0.01,
                        help="keep predicted pairs at or above this match probability")
    parser.add_argument("--max-pairs", type=float, default=1e7, help="random pairs for the u estimates")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 8GB")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    phases = Phases()
    counts = run(args.records, args.out_dir, args.threshold, args.predict_floor, args.max_pairs,
                 args.seed, args.memory_limit, phases)
    work = ("load", "train", "predict", "cluster")
    summary = {
        "splink_version": splink.__version__,
        "duckdb_version": duckdb.__version__,
        "threshold": args.threshold,
        "predict_floor": args.predict_floor,
        "max_pairs": args.max_pairs,
        "seed": args.seed,
        "memory_limit": args.memory_limit,
        "phase_seconds": phases.seconds,
        "work_seconds": round(sum(phases.seconds[p] for p in work), 3),
        **counts,
    }
    (args.out_dir / "phases.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
