"""Splink 5 (DuckDB backend) on a FEBRL data set: the reference model for bench/febrl_bench.py.

Run by febrl_bench.py in its own process, so that its wall time is Splink's alone. It reads
the FEBRL records (parquet written by febrl_bench.py: record_key, source_system,
source_record_id and the FEBRL columns, trimmed, empty values as NULL), trains a
Fellegi-Sunter model the way Splink's own FEBRL examples do (docs/demos/examples/duckdb/
febrl3 and febrl4: prior from deterministic rules, u by random sampling, m by two EM
sessions), scores every pair its blocking rules generate, clusters at one match probability
and writes to --out-dir:

    predictions.parquet  record_key_l, record_key_r, match_probability: every blocked pair
                         (no threshold), so that the benchmark can measure the blocking
                         recall and cluster again at other thresholds without retraining
    clusters.parquet     record_key, cluster_id at --threshold
    model.json           the trained model
    phases.json          seconds per phase and counts

The model is a competent user's, not ours: the same settings for FEBRL3 (dedupe_only, one
file) and FEBRL4 (link_only, two files), chosen without looking at the labels.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import duckdb
import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from splink_identity import Phases, connect, copy_to_parquet

FEBRL_COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id")

# Blocking rules for prediction: those of Splink's FEBRL4 example (both names; names swapped;
# birth date; social security id; state + street; house number + street; postcode). Any one
# field intact is enough for a pair to be scored; at 5,000 records a side even the broadest
# (postcode) makes few pairs.
PREDICTION_BLOCKING_RULES = (
    block_on("given_name", "surname"),
    "l.given_name = r.surname and l.surname = r.given_name",
    block_on("date_of_birth"),
    block_on("soc_sec_id"),
    block_on("state", "address_1"),
    block_on("street_number", "address_1"),
    block_on("postcode"),
)

# Deterministic rules for the prior (probability two random records match) and the recall
# they are assumed to have, as in Splink's FEBRL examples.
DETERMINISTIC_RULES = (
    block_on("soc_sec_id"),
    block_on("given_name", "surname", "date_of_birth"),
)
DETERMINISTIC_RECALL = 0.8

# EM sessions, as in Splink's FEBRL examples: blocked on birth date, then on postcode, so
# that every comparison is trained in at least one of them.
EM_BLOCKING_RULES = (block_on("date_of_birth"), block_on("postcode"))


def comparisons() -> list:
    """Splink's comparison library on the FEBRL columns.

    Names: exact (term-frequency adjusted), then Jaro-Winkler 0.92 / 0.88 / 0.7. Birth date
    (YYYYMMDD text): exact, one character apart, within a month / a year / ten years. The
    social security id: exact, then Damerau-Levenshtein 1 and 2 (FEBRL's corruptions are
    typos). Postcode: exact (term-frequency adjusted), Damerau-Levenshtein 1 and 2 (Splink's
    PostcodeComparison is for UK postcodes). House number exact (term-frequency adjusted).
    Street (address_1) and suburb: exact (term-frequency adjusted), then Jaro-Winkler; in
    FEBRL the suburb is drawn independently of the postcode (4,981 distinct pairs among the
    5,000 records of file A), so it is evidence of its own, unlike in real addresses.
    address_2 (a building or property name, mostly empty) and state (8 values) are left out.
    """
    return [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                 invalid_dates_as_null=True),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
    ]


def settings(link_type: str) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="record_key",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=list(PREDICTION_BLOCKING_RULES),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(linker: Linker, max_pairs: float, seed: int) -> None:
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in EM_BLOCKING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)


def run(records: Path, link_type: str, out_dir: Path, threshold: float, max_pairs: float, seed: int,
        phases: Phases) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    con = connect(None, out_dir / "duckdb_tmp")
    with phases.time("load"):
        columns = ", ".join(("record_key", "source_system", *FEBRL_COLUMNS))
        con.execute(f"create table records as select {columns} from read_parquet('{records.as_posix()}')")
        db_api = DuckDBAPI(connection=con)
        if link_type == "link_only":
            # one input table per source file, as Splink's link_only expects
            sources = [s for (s,) in con.execute(
                "select distinct source_system from records order by 1").fetchall()]
            if len(sources) < 2:
                raise SystemExit(f"link_only needs two source files, {records} has {sources}")
            inputs = []
            for i, source in enumerate(sources):
                con.execute(f"create table records_{i} as select * exclude (source_system) from records "
                            f"where source_system = ?", [source])
                inputs.append(db_api.register(f"records_{i}", dataset_display_name=source))
        else:
            inputs = [db_api.register("records")]
        linker = Linker(inputs, settings(link_type))
    with phases.time("train"):
        train(linker, max_pairs=max_pairs, seed=seed)
    with phases.time("predict"):
        predictions = linker.inference.predict()  # every blocked pair, scored
    with phases.time("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
    with phases.time("write_outputs"):
        n_pred = copy_to_parquet(
            con, f"select record_key_l, record_key_r, match_probability from {predictions.physical_name}",
            out_dir / "predictions.parquet")
        n_rec = copy_to_parquet(con, f"select record_key, cluster_id from {clusters.physical_name}",
                                out_dir / "clusters.parquet")
        linker.misc.save_model_to_json(str(out_dir / "model.json"), overwrite=True)
    n_clusters = con.execute(
        f"select count(distinct cluster_id) from read_parquet('{(out_dir / 'clusters.parquet').as_posix()}')"
    ).fetchall()[0][0]
    return {"records": n_rec, "blocked_pairs": n_pred, "clusters": n_clusters,
            "prior": linker._settings_obj._probability_two_random_records_match}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, required=True, help="parquet written by febrl_bench.py")
    parser.add_argument("--link-type", choices=("dedupe_only", "link_only"), required=True)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=0.9, help="match probability to cluster at")
    parser.add_argument("--max-pairs", type=float, default=1e7, help="random pairs for the u estimates")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    phases = Phases()
    counts = run(args.records, args.link_type, args.out_dir, args.threshold, args.max_pairs, args.seed, phases)
    work = ("load", "train", "predict", "cluster")
    summary = {
        "splink_version": splink.__version__,
        "duckdb_version": duckdb.__version__,
        "link_type": args.link_type,
        "threshold": args.threshold,
        "max_pairs": args.max_pairs,
        "seed": args.seed,
        "phase_seconds": phases.seconds,
        "work_seconds": round(sum(phases.seconds[p] for p in work), 3),
        **counts,
    }
    (args.out_dir / "phases.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
