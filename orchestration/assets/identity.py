"""The identity-resolution quality check: precision and recall against ground truth where
there is one (a generated data set), and the resolution statistics always.

Runs after dbt has built `marts.customer_source_xref`; the counting itself is SQL in the
warehouse (orchestration/identity/evaluation.py), so it costs seconds at a million customers.
"""

from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    MetadataValue,
    asset_check,
)

from orchestration.warehouse.resource import WAREHOUSE_POOL
from orchestration.identity.evaluation import evaluate, identity_stats, match_parameters_markdown
from orchestration.warehouse import tables
from orchestration.warehouse.resource import DuckDBWarehouse
from orchestration.settings import Settings

XREF_ASSET = tables.CUSTOMER_SOURCE_XREF.key


def build_identity_checks(settings: Settings, landing_dir: Path) -> list[AssetChecksDefinition]:
    truth = settings.identity_truth or truth_next_to(landing_dir)
    min_precision, min_recall = settings.identity_min_precision, settings.identity_min_recall

    @asset_check(
        asset=XREF_ASSET,
        name="identity_quality",
        # its statistics count orders and events without a customer
        additional_deps=[tables.FCT_ORDERS.key, tables.FCT_CUSTOMER_EVENTS.key],
        pool=WAREHOUSE_POOL,
        description=(
            "Pairwise precision and recall of the customer ids against ground truth (when "
            f"configured), failing below precision {min_precision} or recall {min_recall}; "
            "cluster sizes, merge rate, links per rule and the estimated match parameters (prior, "
            "m, u, weights) as metadata."),
    )
    def identity_quality(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            stats = identity_stats(con)
            scores = evaluate(con, truth) if truth else []
        metadata: dict = {
            "records": stats["records"],
            "customers": stats["customers"],
            "merge_rate": MetadataValue.float(stats["merge_rate"]),
            "largest_customer_records": stats["largest_customer_records"],
            "customers_by_record_count": MetadataValue.json(stats["customers_by_record_count"]),
            "links_by_rule": MetadataValue.json(stats["links_by_rule"]),
            "records_by_match_rule": MetadataValue.json(stats["records_by_match_rule"]),
            "identifiers_not_person_keys": stats["identifiers_not_person_keys"],
            "orders_without_customer": stats["orders_without_customer"],
            "events_unresolved_member": stats["events_unresolved_member"],
            "match_prior": MetadataValue.float(stats["match_prior"] or 0.0),
            "match_parameters": MetadataValue.md(match_parameters_markdown(stats["match_parameters"])),
            "candidate_pairs_by_first_rule": MetadataValue.json(stats["candidate_pairs_by_first_rule"]),
        }
        if not truth:
            metadata["ground_truth"] = "none configured (HUAXIANG_IDENTITY_TRUTH): precision and recall not measured"
            return AssetCheckResult(passed=True, metadata=metadata,
                                    description="no ground truth: statistics only")
        metadata["ground_truth"] = MetadataValue.path(str(truth))
        for s in scores:
            metadata[f"precision_{s.scope}"] = MetadataValue.float(round(s.precision, 6))
            metadata[f"recall_{s.scope}"] = MetadataValue.float(round(s.recall, 6))
            metadata[f"pairs_{s.scope}"] = MetadataValue.json(
                {"true": s.true_pairs, "predicted": s.predicted_pairs, "true_positive": s.true_positive_pairs,
                 "records": s.records})
        overall = next(s for s in scores if s.scope == "all")
        passed = overall.precision >= min_precision and overall.recall >= min_recall
        context.log.info("identity precision %.4f recall %.4f (floors %.3f / %.3f)",
                         overall.precision, overall.recall, min_precision, min_recall)
        return AssetCheckResult(
            passed=passed, severity=AssetCheckSeverity.ERROR, metadata=metadata,
            description=(f"precision {overall.precision:.4f} (floor {min_precision}), "
                         f"recall {overall.recall:.4f} (floor {min_recall})"))

    return [identity_quality]


def truth_next_to(landing_dir: Path) -> Path | None:
    """The generator writes `ground_truth/records.csv` beside `landing/`: use it when present."""
    candidate = landing_dir.parent / "ground_truth" / "records.csv"
    return candidate if candidate.is_file() else None
