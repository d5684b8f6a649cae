"""Hash every table of a warehouse, to prove that a change of code changed no data.

Issue 19 (one seam to the warehouse, thin assets) must leave every table of the demo as it
was: run the demo before the change, `python bench/table_hashes.py data/warehouse.duckdb --out
before.json`, run it again after and `--compare before.json`. Each table gets its row count and
an order-independent hash computed in DuckDB (the sum of the rows' hashes, so a duplicated row
counts), without the columns that record when a file was loaded or a row was built, and with
doubles rounded (summing in another order may move the last bits). DuckDB's hash is stable for
one DuckDB version: compare hashes made with the same one.

    python bench/table_hashes.py WAREHOUSE [--out FILE] [--compare FILE] [--digits N]

Exit status 1 when `--compare` finds a table that differs, is missing or is new.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

SCHEMAS = ("raw", "staging", "intermediate", "model_tags", "marts")
# when an incremental model last judged or built a row: a second run re-judges the rows whose
# judgement depends on the end of the data (macros/incremental.sql), with its own stamp
RUN_STAMPS = ("_validated_at", "_built_at")
# when a file was loaded or a build recorded: differ between two warehouses built from the same files
LOAD_STAMPS = ("_loaded_at", "loaded_at", "_recorded_at")
STAMPS = frozenset(RUN_STAMPS + LOAD_STAMPS)
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def table_hashes(warehouse: Path, digits: int = 9) -> dict[str, dict[str, object]]:
    """{schema.table: {"rows": n, "hash": text, "columns": [...]}} for every table and view."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by 1, 2").fetchall()
        out: dict[str, dict[str, object]] = {}
        for schema, table in tables:
            columns = [(c, t) for c, t in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
                if c not in STAMPS]
            exprs = [f'round("{c}", {digits})' if t in FLOAT_TYPES else f'"{c}"' for c, t in columns]
            row_hash = f"hash({', '.join(exprs)})" if exprs else "0"
            rows, total = con.execute(
                f'select count(*), cast(coalesce(sum(cast({row_hash} as hugeint)), 0) as varchar) '
                f'from "{schema}"."{table}"').fetchall()[0]
            out[f"{schema}.{table}"] = {"rows": rows, "hash": total, "columns": [c for c, _ in columns]}
        return out
    finally:
        con.close()


def differences(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """One line per table that is new, gone, or holds other rows."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            lines.append(f"{name}: gone")
        elif name not in before:
            lines.append(f"{name}: new")
        elif before[name]["columns"] != after[name]["columns"]:
            lines.append(f"{name}: columns {before[name]['columns']} -> {after[name]['columns']}")
        elif (before[name]["rows"], before[name]["hash"]) != (after[name]["rows"], after[name]["hash"]):
            lines.append(f"{name}: rows {before[name]['rows']} -> {after[name]['rows']}, other values")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--out", type=Path, help="write the hashes here (JSON)")
    parser.add_argument("--compare", type=Path, help="a JSON file written by --out: report what differs")
    parser.add_argument("--digits", type=int, default=9, help="decimals doubles are rounded to (default 9)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"no warehouse at {args.warehouse}")
    before = None
    if args.compare:
        try:
            before = json.loads(args.compare.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            parser.error(f"cannot read the hashes to compare with, {args.compare}: {exc}")
    try:
        hashes = table_hashes(args.warehouse, args.digits)
    except duckdb.Error as exc:
        parser.error(f"cannot read the warehouse {args.warehouse}: {exc}")
    if args.out:
        args.out.write_text(json.dumps(hashes, indent=1, sort_keys=True), encoding="utf-8")
        print(f"{len(hashes)} tables hashed into {args.out}")
    if before is not None:
        lines = differences(before, hashes)
        for line in lines:
            print(line)
        print(f"{len(hashes)} tables, {len(lines)} differ" if lines else f"all {len(hashes)} tables are the same")
        return 1 if lines else 0
    if not args.out:
        for name, info in hashes.items():
            print(f"{name}\t{info['rows']}\t{info['hash']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
