"""The one seam to the warehouse.

Only this package opens connections (to the warehouse, its BI copy, or a scratch database
for parsing and writing files), names the schemas and the tables the Python code touches (and
so their asset keys), moves rows in and out as Arrow tables or pandas frames, and takes the
run lock. The Dagster resource is `orchestration.warehouse.resource.DuckDBWarehouse` (kept
out of this module so that importing the seam does not import Dagster)."""

from orchestration.warehouse.catalog import table_columns, table_exists
from orchestration.warehouse.connection import (
    CatalogError,
    Connection,
    InterruptError,
    WarehouseError,
    WarehouseLocked,
    connect,
    connect_waiting,
    open_read_only,
    open_scratch,
    scratch,
)
from orchestration.warehouse.io import (
    insert_rows,
    read_arrow,
    read_frame,
    registered,
    replace_table,
)
from orchestration.warehouse.lock import WarehouseBusy, warehouse_run_lock
from orchestration.warehouse.tables import SCHEMAS, Table

__all__ = [
    "CatalogError", "Connection", "InterruptError", "SCHEMAS", "Table", "WarehouseBusy", "WarehouseError",
    "WarehouseLocked", "connect", "connect_waiting", "insert_rows", "open_read_only", "open_scratch", "read_arrow",
    "read_frame", "registered", "replace_table", "scratch", "table_columns", "table_exists",
    "warehouse_run_lock",
]
