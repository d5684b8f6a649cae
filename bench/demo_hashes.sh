#!/usr/bin/env bash
# Hash every table of the demo after a full run and after an incremental one, to prove a
# refactor changed no data (issue 19). Run once before the change and once after:
#
#   bench/demo_hashes.sh /tmp/before            # writes /tmp/before/{full,incremental}.json
#   bench/demo_hashes.sh /tmp/after /tmp/before # ... and compares with /tmp/before
#
# The demo's data (10,000 customers, seed 42) with its last day held out is loaded, then the
# held-out day arrives and a second run is incremental; a third run builds everything from
# the same files in an empty warehouse. Exit 1 when a table differs.
set -euo pipefail
out=${1:?usage: bench/demo_hashes.sh OUTDIR [BEFOREDIR]}
before=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$here/.venv/bin}
customers=${CUSTOMERS:-10000}
seed=${SEED:-42}
rm -rf "$out" && mkdir -p "$out"
"$bin/huaxiang" generate --customers "$customers" --seed "$seed" --out "$out/data" --hold-out-days 1 --quiet
export DAGSTER_HOME=$out/.dagster && mkdir -p "$DAGSTER_HOME" && cp "$here/dagster.yaml" "$DAGSTER_HOME/"
landing=$out/data/landing
"$bin/huaxiang" run --landing "$landing" --warehouse "$out/inc.duckdb" >"$out/run1.log"
cp -r "$out/data/next_delivery/landing/." "$landing/"
"$bin/huaxiang" run --landing "$landing" --warehouse "$out/inc.duckdb" >"$out/run2.log"
"$bin/huaxiang" run --landing "$landing" --warehouse "$out/full.duckdb" >"$out/run3.log"
status=0
for kind in inc full; do
  "$bin/python" "$here/bench/table_hashes.py" "$out/$kind.duckdb" --out "$out/$kind.json"
  if [[ -n "$before" ]]; then
    "$bin/python" "$here/bench/table_hashes.py" "$out/$kind.duckdb" --compare "$before/$kind.json" || status=1
  fi
done
exit $status
