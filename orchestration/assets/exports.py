"""The assets that leave files for people and tools at the end of a run.

* `exports/segment_files`: every segment's newest members as CSV and Parquet for campaign tools;
* `exports/bi_warehouse`: the BI copy (a separate DuckDB file and Parquet files, masked PII only),
  which is also what the operator commands read, and the empty docs catalogue `huaxiang docs` reads;
* `exports/portrait_report`: the portrait report, one HTML file that opens offline;
* `exports/restricted_contacts`: raw contacts for stewards' reveals and campaign exports, in a
  folder only the pipeline's user may open (exports/restricted.py).

Where they go comes from the settings (`outputs`: beside the warehouse by default).
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.warehouse.resource import WAREHOUSE_POOL
from orchestration.exports.bi import BI_TABLES, export_bi
from orchestration.exports.docs_catalog import docs_catalog_path, write_docs_catalog
from orchestration.exports.restricted import contacts_path, write_contacts
from orchestration.exports.segments import export_all_segments
from orchestration.reports.portrait_data import load_portrait_data
from orchestration.reports.portrait_html import render_portrait_report
from orchestration.warehouse import Table, tables
from orchestration.warehouse.resource import DuckDBWarehouse

GROUP = "exports"


def _mart(name: str) -> AssetKey:
    return tables.mart(name).key


def build_export_assets(outputs: Path, work_dir: Path) -> list:
    segments_dir = outputs / "exports" / "segments"
    bi_dir = outputs / "bi"
    report_path = outputs / "reports" / "portrait_report.html"

    @asset(key=["exports", "segment_files"], group_name=GROUP, pool=WAREHOUSE_POOL, kinds={"csv", "parquet"},
           deps=[_mart("segment_members"), _mart("segment_definitions"), _mart("dim_customer")],
           description=f"Every segment's newest members as CSV and Parquet in {segments_dir}: customer id, masked "
                       "contact, consent flag and the tags that put them in.")
    def segment_files(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect(read_only=True) as con:
            written = export_all_segments(con, segments_dir)
        return MaterializeResult(metadata={
            "folder": MetadataValue.path(str(segments_dir)),
            "files": MetadataValue.json({e.path.name: e.rows for e in written})})

    @asset(key=["exports", "bi_warehouse"], group_name=GROUP, pool=WAREHOUSE_POOL, kinds={"duckdb", "parquet"},
           deps=[Table.parse(t).key for t in BI_TABLES],
           description=f"The BI copy in {bi_dir}: only the BI-facing marts, masked personal data, replaced in one "
                       "rename at the end of each run; safe to open read-only from a BI tool, and what the "
                       "operator commands read. Also the docs catalogue (columns, no rows) for `huaxiang docs`.")
    def bi_warehouse(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        catalog = docs_catalog_path(work_dir)
        with warehouse.connect(read_only=True) as con:
            result = export_bi(con, bi_dir)
            relations = write_docs_catalog(con, catalog)
        return MaterializeResult(metadata={
            "database": MetadataValue.path(str(result.database)),
            "docs_catalog": MetadataValue.path(str(catalog)), "docs_catalog_relations": relations,
            "parquet": MetadataValue.path(str(result.parquet_dir)),
            "tables": MetadataValue.json(result.tables)})

    @asset(key=["exports", "portrait_report"], group_name=GROUP, pool=WAREHOUSE_POOL, kinds={"html"},
           deps=[_mart(n) for n in ("portrait_distribution", "portrait_cross", "portrait_spend_pareto",
                                    "portrait_tag_trend", "portrait_overview", "portrait_monthly",
                                    "portrait_rfm_matrix", "portrait_score_distribution",
                                    "portrait_segment_distribution", "portrait_channel", "portrait_channel_mix",
                                    "segment_definitions", "customer_360")],
           description=f"The portrait report {report_path}: lifecycle funnel, RFM segments and the R × F matrix, "
                       "spend Pareto curve, monthly trends, churn and value predictions, channels and categories, "
                       "make-up of the base, segments against the base; one HTML file that opens offline.")
    def portrait_report(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect(read_only=True) as con:
            data = load_portrait_data(con)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = report_path.with_name(report_path.name + ".tmp")
        tmp.write_text(render_portrait_report(data), encoding="utf-8")
        tmp.replace(report_path)
        return MaterializeResult(metadata={
            "path": MetadataValue.path(str(report_path)), "as_of_date": data.as_of_date,
            "customers": data.customers, "segments": len(data.segments)})

    @asset(key=["exports", "restricted_contacts"], group_name=GROUP, pool=WAREHOUSE_POOL, kinds={"duckdb"},
           deps=[_mart("dim_customer")],
           description=f"Raw contact data (name, mobile, e-mail, consent) per customer in {contacts_path(outputs)}, "
                       "readable by the pipeline's user only: what a steward reveals on the customer card and what "
                       "a campaign export sends; every use is audited (restricted/audit.sqlite).")
    def restricted_contacts(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect(read_only=True) as con:
            rows = write_contacts(con, outputs)
        return MaterializeResult(metadata={"path": MetadataValue.path(str(contacts_path(outputs))), "customers": rows})

    return [segment_files, bi_warehouse, portrait_report, restricted_contacts]
