"""Segments as Dagster assets: one asset per segment of `config/segments/`, computed together.

A segment is an expression over tags (catalogue tags, rule tags, golden fields), compiled by
the same code as a boolean rule tag and run over `model_tags.tag_inputs` and
`model_tags.rule_tag_values`. Members go to `model_tags.segment_membership` with the values
of the tags that put them in; the dbt tag store keeps them per as-of date (`segment_members`)
and derives entered / exited events (`segment_changes`). A segment that names a rule tag that
did not build this run is left out and reported, never computed as if nobody had the tag.
"""

from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.assets.rule_tags import TAG_INPUTS_KEY, VALUES_KEY, rule_tag_key
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.rule_tags import where_defined
from orchestration.tags.segments import compute_segments, load_segment_definitions
from orchestration.warehouse import tables
from orchestration.warehouse.resource import WAREHOUSE_POOL, DuckDBWarehouse

GROUP = "segments"
MEMBERSHIP_KEY = tables.SEGMENT_MEMBERSHIP.key
CATALOGUE_KEY = tables.SEGMENT_CATALOGUE.key


def segment_key(key: str) -> AssetKey:
    return AssetKey([GROUP, key])


def build_segment_assets(config: TagConfig, rule_tags_dir: Path, segments_dir: Path) -> list[AssetsDefinition]:
    segments, load_errors = load_segment_definitions(config, rule_tags_dir, segments_dir)
    specs = [
        AssetSpec(MEMBERSHIP_KEY, group_name=GROUP, deps=[TAG_INPUTS_KEY, VALUES_KEY], kinds={"python", "duckdb"},
                  description="The members of every segment on the as-of date, with the tags that put them in."),
        AssetSpec(CATALOGUE_KEY, group_name=GROUP, kinds={"python", "duckdb"},
                  description=f"The segments of {segments_dir} that built."),
    ]
    for s in segments:
        specs.append(AssetSpec(
            segment_key(s.key), group_name=GROUP, skippable=True, kinds={"yaml", "sql"},
            deps=[MEMBERSHIP_KEY, *(rule_tag_key(d) for d in sorted(s.depends_on))],
            description=f"{s.name_zh} ({s.name_en}): {s.description} Defined in {where_defined(s.path, s.line)}; owner {s.owner}.",
            metadata={"defined_in": where_defined(s.path, s.line), "rule_version": s.rule_version}))
    check = AssetCheckSpec("segment_files", asset=MEMBERSHIP_KEY,
                           description=f"Every segment file of {segments_dir} is sound and every segment built.")

    @multi_asset(name="segments", specs=specs, check_specs=[check], pool=WAREHOUSE_POOL)
    def segments_asset(context: AssetExecutionContext, warehouse: DuckDBWarehouse):
        with warehouse.connect() as con:
            run = compute_segments(con, segments)
        as_of, built, counts, changes, n_customers = run.as_of, run.built, run.members, run.changes, run.customers
        errors = run.errors
        errors = [*load_errors, *errors]
        for e in errors:
            context.log.warning("segment not built: %s", e)
        yield MaterializeResult(asset_key=MEMBERSHIP_KEY, metadata={
            "as_of_date": as_of.isoformat(), "segments": len(built), "rows": int(sum(counts.values()))})
        yield MaterializeResult(asset_key=CATALOGUE_KEY, metadata={"segments": len(built)})
        for s in built:
            n = int(counts.get(s.key, 0))
            yield MaterializeResult(asset_key=segment_key(s.key), metadata={
                "as_of_date": as_of.isoformat(), "members": n,
                "share_of_customers": MetadataValue.float(round(n / max(1, n_customers), 6)),
                "change": MetadataValue.json(changes[s.key]), "tags_used": ", ".join(s.fields_used),
                "rule_version": s.rule_version})
        yield AssetCheckResult(
            check_name="segment_files", asset_key=MEMBERSHIP_KEY, passed=not errors,
            severity=AssetCheckSeverity.WARN,
            metadata={"built": len(built), "broken": len(errors),
                      "problems": MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")},
            description=None if not errors else f"{len(errors)} segment(s) not built: " + "; ".join(
                str(e) for e in errors)[:1500])

    return [segments_asset]
