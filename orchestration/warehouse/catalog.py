"""What the warehouse holds right now: whether a table exists, and its columns.

One place for the information_schema queries the assets, exports and previews ask before
they read a table a run may not have built yet."""

from __future__ import annotations

from orchestration.warehouse.connection import Connection
from orchestration.warehouse.tables import Table


def _parts(table: Table | str) -> tuple[str, str]:
    t = table if isinstance(table, Table) else Table.parse(table)
    return t.schema, t.name


def table_exists(con: Connection, table: Table | str) -> bool:
    """`table` as a registry Table or as schema.name."""
    schema, name = _parts(table)
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = $schema "
                            "and table_name = $name", {"schema": schema, "name": name}).fetchall()[0][0])


def table_columns(con: Connection, table: Table | str, catalog: str | None = None) -> list[str]:
    """The columns of `table` in their order; [] when it does not exist. `catalog`: in that
    attached database only (an export's copy beside the warehouse)."""
    schema, name = _parts(table)
    in_catalog = " and table_catalog = $catalog" if catalog else ""
    return [r[0] for r in con.execute("select column_name from information_schema.columns where table_schema = $schema "
                                      f"and table_name = $name{in_catalog} order by ordinal_position",
                                      {"schema": schema, "name": name, **({"catalog": catalog} if catalog else {})}
                                      ).fetchall()]
