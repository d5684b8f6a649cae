"""The BI copy on a built warehouse: written whole, then updated (orchestration/exports/bi_stamped.py).

    .venv/bin/python bench/bi_copy_bench.py --warehouse bench/work/1000000-42-a1.6/warehouse.duckdb
                                            [--out bench/work/bi_copy] [--memory-limit 4GB] [--threads 2]

Opens the warehouse read-only (run it when no pipeline run holds the file), writes the BI copy
into `--out` twice and prints the seconds and rows written each time. The second export finds
nothing new: it is the floor of a daily run's copy (a day adds about 1 % to the facts, copied
on top of it); the difference to the first is what the stamped facts save.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration.exports.bi import export_bi  # noqa: E402
from orchestration.warehouse import connect  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("bench/work/bi_copy"))
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    config = {"memory_limit": args.memory_limit, "threads": str(args.threads)}
    with connect(args.warehouse, read_only=True, config=config, wait_seconds=0) as con:
        for label in ("whole", "update, nothing new"):
            started = time.perf_counter()
            result = export_bi(con, args.out)
            seconds = time.perf_counter() - started
            size = (args.out / "huaxiang_bi.duckdb").stat().st_size
            print(f"{label:22s} {seconds:7.1f} s  updated={result.updated}  rows written "
                  f"{sum(result.rows_written.values()):,} of {sum(result.tables.values()):,}  "
                  f"file {size / 2**30:.2f} GiB", flush=True)


if __name__ == "__main__":
    main()
