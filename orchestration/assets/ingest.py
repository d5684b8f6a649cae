"""Ingestion assets: one per source table of the sources file, loading its landing files into
`raw.<source>__<table>`, with two checks run in the same step: the reconciliation (per file,
rows read = loaded + rejected) and the Great Expectations suite on the rows just loaded.
"""


from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.ingest.loader import (
    TableLoadReport,
    load_table,
    reconcile,
    reject_reason_counts,
)
from orchestration.ingest.quality import expectation_columns, validate_frame
from orchestration.ingest.raw_tables import loaded_rows
from orchestration.sources_config import SourcesConfig, TableConfig
from orchestration.warehouse import tables
from orchestration.warehouse.resource import WAREHOUSE_POOL, DuckDBWarehouse

GE_SAMPLE_ROWS = 200_000
"""Rows of the batch the suite looks at: the expectations are shares, a sample shows them."""

def raw_asset_key(table: TableConfig) -> AssetKey:
    return tables.raw(table.raw_table).key


def build_raw_asset(table: TableConfig, landing_dir: Path) -> AssetsDefinition:
    key = raw_asset_key(table)
    reconcile_check = AssetCheckSpec(
        "rows_reconcile", asset=key,
        description="For every landing file: rows read = rows loaded + rows rejected.")
    ge_check = AssetCheckSpec(
        "great_expectations", asset=key,
        description="Great Expectations suite on the rows loaded by this run.")

    @asset(
        key=key,
        group_name="ingest",
        kinds={"duckdb", table.format},
        pool=WAREHOUSE_POOL,
        check_specs=[reconcile_check, ge_check],
        description=(f"{table.kind} of source `{table.source}` from `{table.path}` "
                     f"({table.format}) in {landing_dir}, loaded as text with lineage; "
                     "unreadable rows go to raw.rejects with a reason."),
        metadata={"landing_path": table.path, "format": table.format, "kind": table.kind},
    )
    def _load(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect() as con:
            report = load_table(con, table, landing_dir)
            balance = reconcile(con, table)
            reasons = reject_reason_counts(con, table)
            frame = loaded_rows(con, table, report.loaded_files, GE_SAMPLE_ROWS, expectation_columns(table))
        totals = report.totals()
        for f in report.files:
            if f.status != "unchanged":
                context.log.info(f"{table.raw_table} ← {f.source_file}: {f.status}, read "
                                 f"{'unknown' if f.rows_read is None else f.rows_read}, loaded {f.rows_loaded}, rejected {f.rows_rejected}"
                                 + (f" ({f.message})" if f.message else ""))
        if not report.files:
            context.log.warning(f"no file matches {table.path} under {landing_dir}")

        unbalanced = [b for b in balance if not b["balanced"]]
        reconcile_result = AssetCheckResult(
            check_name="rows_reconcile",
            passed=not unbalanced,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "files": len(balance),
                "rows_read": sum(b["rows_read"] or 0 for b in balance),
                "files_rows_unknown": sum(b["rows_read"] is None for b in balance),
                "rows_loaded": sum(b["rows_loaded"] for b in balance),
                "rows_rejected": sum(b["rows_rejected"] for b in balance),
                "unbalanced_files": MetadataValue.json(unbalanced),
            },
            description=("every file balances" if not unbalanced else
                         f"{len(unbalanced)} file(s) do not balance: "
                         + ", ".join(b["file"] for b in unbalanced)),
        )
        quality = validate_frame(frame, table)
        ge_result = AssetCheckResult(
            check_name="great_expectations",
            passed=quality.success,
            severity=AssetCheckSeverity.ERROR if quality.errors else AssetCheckSeverity.WARN,
            metadata={
                "rows_validated": quality.rows_validated,
                "expectations_written": quality.expectations_written,
                "expectations_run": quality.expectations_run,
                "failures": MetadataValue.json(quality.failures),
                "errors": MetadataValue.json(quality.errors),
            },
            description=quality.summary,
        )
        return MaterializeResult(
            metadata={
                **{k: v for k, v in totals.items()},
                "reject_reasons": MetadataValue.json(reasons),
                "files": MetadataValue.md(_files_table(report)),
            },
            check_results=[reconcile_result, ge_result],
        )

    return _load


def _files_table(report: TableLoadReport) -> str:
    lines = ["| file | status | read | loaded | rejected |", "|---|---|---:|---:|---:|"]
    for f in report.files:
        read = "unknown" if f.rows_read is None else f.rows_read
        lines.append(f"| {f.source_file} | {f.status} | {read} | {f.rows_loaded} "
                     f"| {f.rows_rejected} |")
    return "\n".join(lines)


def build_ingest_assets(config: SourcesConfig) -> list[AssetsDefinition]:
    return [build_raw_asset(t, config.landing_dir) for t in config.tables]
