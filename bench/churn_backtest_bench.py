"""The churn backtest (classifier vs MBG/NBD vs the rule) on a warehouse a run has built,
read-only, with its time: the figures of issue 6.

    .venv/bin/python bench/churn_backtest_bench.py /tmp/t100k_v2/w.duckdb
"""

import sys
import time

import duckdb

from orchestration.assets.churn_backtest import run_backtest
from orchestration.settings import DEFAULT_RULE_TAGS, DEFAULT_TAGS
from orchestration.tags.catalogue import load_tag_config

con = duckdb.connect(sys.argv[1], read_only=True)
started = time.perf_counter()
results, _ = run_backtest(con, load_tag_config(DEFAULT_TAGS), DEFAULT_RULE_TAGS)
print(f"backtest in {time.perf_counter() - started:.1f}s, cutoff {results['cutoff_date'].iloc[0]}, "
      f"horizon {results['horizon_days'].iloc[0]} days")
print(results.drop(columns=["as_of_date", "cutoff_date", "horizon_days", "model_version"]).to_string(index=False))
