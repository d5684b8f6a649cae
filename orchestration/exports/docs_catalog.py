"""The docs catalogue: an empty copy of every table and view of the warehouse, for `dbt docs`.

Why: `dbt docs generate` asks the warehouse which columns each model has. Pointed at the
warehouse itself it would hold the file while a run wants to write it (DuckDB allows one
writer and no reader meanwhile). The run leaves this copy at its end instead: columns and
types only, no rows (a few hundred kilobytes at any scale), replaced in one rename, and
`huaxiang docs` points dbt at it.
"""

from __future__ import annotations

from pathlib import Path


from orchestration.exports.files import database_written_whole
from orchestration.warehouse import Connection

INTERNAL_SCHEMAS = ("information_schema", "pg_catalog")


def docs_catalog_path(work_dir: Path) -> Path:
    """Beside the warehouse's other private state (`.huaxiang/<warehouse>/`)."""
    return work_dir / "docs_catalog.duckdb"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_docs_catalog(con: Connection, path: Path) -> int:
    """Write the empty copy of every relation `con`'s database holds; returns how many.

    A view stays a view (over an empty table named `__columns_of_<view>`, which dbt ignores:
    it is no model), so the docs say which models are views."""
    relations = con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema not in ? order by 1, 2",
        [list(INTERNAL_SCHEMAS)]).fetchall()
    with database_written_whole(con, path, "docs_catalog"):
        for schema in sorted({s for s, _, _ in relations}):
            con.execute(f"create schema docs_catalog.{_ident(schema)}")
        for schema, name, kind in relations:
            source = f"{_ident(schema)}.{_ident(name)}"
            if kind == "VIEW":
                backing = f"docs_catalog.{_ident(schema)}.{_ident('__columns_of_' + name)}"
                con.execute(f"create table {backing} as select * from {source} limit 0")
                con.execute(f"create view docs_catalog.{source} as select * from {backing}")
            else:
                con.execute(f"create table docs_catalog.{source} as select * from {source} limit 0")
    return len(relations)
