"""A fingerprint of every table of a warehouse, to prove two runs left the same tables.

Columns that record when or by which process something happened (load times, run ids, model
training times, temporary file names) differ between any two runs and are left out; so are
tables that are a log of runs rather than data (raw.load_log, raw.build_state)."""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("raw", "staging", "intermediate", "marts", "model_tags")
RUN_LOG_TABLES = {"raw.load_log", "raw.build_state"}
# when or by whom, not what: differ between two runs on the same files
VOLATILE_COLUMNS = {"_loaded_at", "loaded_at", "_validated_at", "_built_at", "_recorded_at", "trained_at", "computed_at", "run_id",
                    "created_by_run", "model_path", "artefact_path", "scored_at", "built_at", "exported_at",
                    "_dbt_updated_at", "dbt_updated_at", "refreshed_at", "materialized_at", "model_version",
                    "model_trained_at", "model_id", "rule_version_at", "first_seen_run", "last_seen_run"}


def fingerprint(warehouse: Path, ignore: set[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """{schema.table: (rows, order-independent hash of the rows without volatile columns)}."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} and table_type = 'BASE TABLE' order by 1").fetchall()
        out = {}
        for (name,) in tables:
            if name in RUN_LOG_TABLES or name in ignore:
                continue
            schema, table = name.split(".")
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall() if c not in VOLATILE_COLUMNS]
            packed = ", ".join(f'"{c}" := "{c}"' for c in columns)
            rows, digest = con.execute(
                f'select count(*), coalesce(sum(hash(struct_pack({packed}))), 0) from "{schema}"."{table}"').fetchall()[0]
            out[name] = (int(rows), int(digest))
        return out
    finally:
        con.close()


def differences(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> list[str]:
    names = sorted(set(a) | set(b))
    return [f"{n}: {a.get(n)} != {b.get(n)}" for n in names if a.get(n) != b.get(n)]
