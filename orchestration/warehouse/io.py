"""Rows in and out of the warehouse: Arrow tables (pandas frames for the tag models, which
compute in pandas), registered under a name for the length of one statement.

Writing goes through here so that a second engine has one place to map "replace this table
with these rows" onto its own writer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa

from orchestration.warehouse.connection import Connection
from orchestration.warehouse.tables import Table

Params = Sequence[Any] | Mapping[str, Any] | None
Rows = pa.Table | pd.DataFrame


def read_arrow(con: Connection, sql: str, params: Params = None) -> pa.Table:
    """The result of `sql` as an Arrow table."""
    return con.sql(sql, params=params or None).to_arrow_table()


def read_frame(con: Connection, sql: str, params: Params = None) -> pd.DataFrame:
    """The result of `sql` as a pandas frame (DuckDB's own conversion: dates as datetimes,
    integers with NULLs as floats), for the tag models that compute in pandas."""
    return con.execute(sql, params or []).fetch_df()


@contextmanager
def registered(con: Connection, name: str, rows: Rows) -> Iterator[str]:
    """`rows` readable as the view `name` inside the block (no copy), gone after it."""
    con.register(name, rows)
    try:
        yield name
    finally:
        con.unregister(name)


def replace_table(con: Connection, table: Table | str, rows: Rows, order_by: str | None = None,
                  date_columns: Sequence[str] = ()) -> None:
    """Replace `table` (creating its schema) with `rows`, in the order `order_by` when given
    (byte-identical reruns), the `date_columns` typed DATE whatever pandas made of them."""
    target = str(table)
    con.execute(f"create schema if not exists {target.split('.')[0]}")
    dates = [c for c in date_columns if c in rows.columns]
    star = ("* replace (" + ", ".join(f"cast({c} as date) as {c}" for c in dates) + ")") if dates else "*"
    order = f" order by {order_by}" if order_by else ""
    with registered(con, "_huaxiang_rows", rows):
        con.execute(f"create or replace table {target} as select {star} from _huaxiang_rows{order}")


def insert_rows(con: Connection, table: Table | str, rows: Rows, select: str = "*",
                params: Params = None) -> None:
    """Append `rows` to `table`: `select` is the list of expressions over the registered rows
    (`_huaxiang_rows`), so that constants and casts can be bound as parameters."""
    with registered(con, "_huaxiang_rows", rows):
        con.execute(f"insert into {table} select {select} from _huaxiang_rows", params or [])
