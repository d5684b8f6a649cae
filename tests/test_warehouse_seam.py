"""The warehouse is met in one place (orchestration/warehouse): the seam a second engine
plugs into. These tests read the source, so a new `import duckdb` elsewhere fails at once."""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.warehouse import SCHEMAS, Table, open_scratch, table_columns, table_exists
from orchestration.warehouse import tables
from orchestration.warehouse.io import read_arrow, read_frame, replace_table

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("orchestration", "web", "models", "datagen")
SEAM = REPO / "orchestration" / "warehouse"


def _product_files():
    for top in PRODUCT:
        for path in sorted((REPO / top).rglob("*.py")):
            if SEAM not in path.parents:
                yield path


def test_only_the_warehouse_package_uses_duckdb():
    offenders = []
    for path in _product_files():
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(r"^\s*(import duckdb|from duckdb)|\bduckdb\.(connect|\w*Exception|Error|DuckDBPyConnection)\b", code):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "ask orchestration.warehouse instead:\n" + "\n".join(offenders)


def test_registry_names_tables_and_their_asset_keys():
    assert tables.FACT_TAGS.schema in SCHEMAS
    assert str(tables.DIM_CUSTOMER) == "marts.dim_customer"
    assert tables.DIM_CUSTOMER.key.path == ["marts", "dim_customer"]
    assert Table.parse("model_tags.rfm") == tables.model_tags("rfm")


def test_rows_in_and_out():
    import pandas as pd

    con = open_scratch()
    try:
        frame = pd.DataFrame({"customer_id": ["b", "a"], "as_of_date": pd.to_datetime(["2026-01-02"] * 2),
                              "score": [2.5, 1.0]})
        target = tables.model_tags("example")
        replace_table(con, target, frame, order_by="customer_id", date_columns=["as_of_date"])
        assert table_exists(con, target) and not table_exists(con, "model_tags.other")
        assert table_columns(con, target) == ["customer_id", "as_of_date", "score"]
        arrow = read_arrow(con, f"select * from {target} where score > $min", {"min": 0})
        assert arrow.column("customer_id").to_pylist() == ["a", "b"]
        assert str(arrow.schema.field("as_of_date").type) == "date32[day]"
        assert read_frame(con, f"select count(*) as n from {target}")["n"].tolist() == [2]
    finally:
        con.close()
