"""What the warehouse holds right now: whether a table exists, and its columns.

One place for the information_schema queries the assets, exports and previews ask before
they read a table a run may not have built yet."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """`table` as schema.name."""
    schema, name = table.split(".")
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, name]).fetchall()[0][0])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of `table` (schema.name) in their order; [] when it does not exist."""
    schema, name = table.split(".")
    return [r[0] for r in con.execute("select column_name from information_schema.columns where table_schema = ? "
                                      "and table_name = ? order by ordinal_position", [schema, name]).fetchall()]
