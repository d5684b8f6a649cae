"""The churn scores of a built warehouse, read-only: the backtest (classifier vs MBG/NBD vs the
rule, on who bought after a cutoff) and, with the generator's ground truth, every score of the
as-of date against the true churn dates. The figures of issue 6.

    .venv/bin/python bench/churn_bench.py WAREHOUSE [--truth DIR/ground_truth] [--no-backtest]
"""

import argparse
import time
from pathlib import Path

import duckdb

from orchestration.churn.backtest import run_backtest
from orchestration.settings import DEFAULT_RULE_TAGS, DEFAULT_TAGS
from orchestration.tags.catalogue import load_tag_config
from churn_truth import truth_metrics

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("warehouse", type=Path)
parser.add_argument("--truth", type=Path, help="the generator's ground_truth folder")
parser.add_argument("--no-backtest", action="store_true")
args = parser.parse_args()

config = load_tag_config(DEFAULT_TAGS)
con = duckdb.connect(str(args.warehouse), read_only=True)
if not args.no_backtest:
    started = time.perf_counter()
    results, _ = run_backtest(con, config, DEFAULT_RULE_TAGS)
    print(f"backtest in {time.perf_counter() - started:.1f}s, cutoff {results['cutoff_date'].iloc[0]}, "
          f"horizon {results['horizon_days'].iloc[0]} days (churned = no paid order since the cutoff)")
    print(results.drop(columns=["as_of_date", "cutoff_date", "horizon_days", "model_version"]).to_string(index=False))
if args.truth:
    started = time.perf_counter()
    table = truth_metrics(con, args.truth, config.churn.baseline_rule)
    as_of = con.execute("select max(as_of_date) from model_tags.churn").fetchall()[0][0]
    print(f"\nthe scores of {as_of} against the generator's true churn dates ({time.perf_counter() - started:.1f}s; "
          "truly churned = dropped out on or before the as-of date)")
    print(table.to_string(index=False))
