"""Every table of a warehouse as sorted rows, to prove two runs left the same tables (running
twice, a fresh warehouse, a run after a crash)."""

from __future__ import annotations

from pathlib import Path

import duckdb

# the schemas and the stamp columns are those of bench/table_hashes.py (on sys.path: conftest);
# the stamps are re-exported for the tests that leave them out
from table_hashes import LOAD_STAMPS, RUN_STAMPS, SCHEMAS  # noqa: F401


def snapshot(warehouse: Path, drop_columns: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
                if c not in drop_columns]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[f"{schema}.{table}"] = con.execute(
                f'select {sel} from "{schema}"."{table}" order by all').fetchall()
        return out
    finally:
        con.close()


def differing_tables(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    return [t for t in sorted(set(a) | set(b)) if a.get(t) != b.get(t)]
