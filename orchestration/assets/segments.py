"""Segments as Dagster assets: one asset per segment of `config/segments/`, computed together.

A segment is an expression over tags (catalogue tags, rule tags, golden fields), compiled by
the same code as a boolean rule tag and run over `model_tags.tag_inputs` and
`model_tags.rule_tag_values`. Members go to `model_tags.segment_membership` with the values
of the tags that put them in; the dbt tag store keeps them per as-of date (`segment_members`)
and derives entered / exited events (`segment_changes`). A segment that names a rule tag that
did not build this run is left out and reported, never computed as if nobody had the tag.
"""

from pathlib import Path

import duckdb
import pandas as pd
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

from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.assets.model_tags import model_tag_key, write_table
from orchestration.assets.rule_tags import TAG_INPUTS_KEY, VALUES_KEY, load_rules, rule_tag_key, where_defined
from orchestration.resources import DuckDBWarehouse
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.rule_engine import TAG_INPUTS, inputs_as_of, membership_sql, rule_fields
from orchestration.tags.rules import RuleError, Segment, load_segments, rule_tag_specs
from orchestration.warehouse_schema import table_exists

GROUP = "segments"
MEMBERSHIP_KEY = model_tag_key("segment_membership")
CATALOGUE_KEY = model_tag_key("segment_catalogue")
RULE_VALUES = "model_tags.rule_tag_values"
MEMBERS_HISTORY = "marts.segment_members"
MEMBERS_TEMP = "_segment_members"


def segment_key(key: str) -> AssetKey:
    return AssetKey([GROUP, key])


def load_segment_definitions(config: TagConfig, rule_tags_dir: Path, segments_dir: Path
                             ) -> tuple[list[Segment], list[RuleError]]:
    """The segments of `segments_dir`, checked against the catalogue and the sound rule tags."""
    if not segments_dir.is_dir():
        return [], []
    rule_tags, _ = load_rules(config, rule_tags_dir)
    return load_segments(segments_dir, rule_fields(config), rule_tag_specs(rule_tags))


def evaluate_segments(con: duckdb.DuckDBPyConnection, segments: list[Segment], built_rule_tags: set[str],
                      facts: str = TAG_INPUTS, rule_values: str = RULE_VALUES
                      ) -> tuple[list[Segment], list[RuleError]]:
    """Members of each segment into the temp table _segment_members (segment_key, customer_id, reasons)."""
    con.execute(f"create or replace temp table {MEMBERS_TEMP} (segment_key varchar, customer_id varchar, "
                "reasons varchar)")
    built, errors = [], []
    for seg in segments:
        missing = sorted(seg.depends_on - built_rule_tags)
        if missing:
            errors.append(RuleError(seg.path, seg.line, seg.key, f"names rule tag {missing[0]!r}, which did not "
                                    "build in this run", "segment"))
            continue
        sql, params = membership_sql(seg, facts, rule_values)
        try:
            con.execute(f"insert into {MEMBERS_TEMP} select ?, customer_id, reasons from ({sql}) as m",
                        [seg.key, *params])
            built.append(seg)
        except duckdb.Error as exc:
            con.execute(f"delete from {MEMBERS_TEMP} where segment_key = ?", [seg.key])
            errors.append(RuleError(seg.path, seg.line, seg.key, f"failed in the warehouse: {str(exc).splitlines()[0]}",
                                    "segment"))
    return built, errors


def catalogue_rows(segments: list[Segment]) -> pd.DataFrame:
    return pd.DataFrame([{
        "segment_key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "description": s.description,
        "owner": s.owner, "fields_used": ", ".join(s.fields_used), "defined_in": where_defined(s.path, s.line),
        "definition": s.definition, "rule_version": s.rule_version, "position": i,
    } for i, s in enumerate(segments, start=1)], columns=[
        "segment_key", "name_zh", "name_en", "description", "owner", "fields_used", "defined_in",
        "definition", "rule_version", "position"])


def _previous_members(con: duckdb.DuckDBPyConnection, key: str, as_of) -> dict:
    if not table_exists(con, MEMBERS_HISTORY):
        return {"previous_snapshot": "none"}
    prev = con.execute(f"select max(as_of_date) from {MEMBERS_HISTORY} where segment_key = ? and as_of_date < ?",
                       [key, as_of]).fetchall()[0][0]
    if prev is None:
        return {"previous_snapshot": "none"}
    entered, exited = con.execute(f"""
        with c as (select customer_id from {MEMBERS_TEMP} where segment_key = ?),
             p as (select customer_id from {MEMBERS_HISTORY} where segment_key = ? and as_of_date = ?)
        select count(*) filter (where p.customer_id is null), count(*) filter (where c.customer_id is null)
        from c full outer join p on p.customer_id = c.customer_id""", [key, key, prev]).fetchall()[0]
    return {"previous_snapshot": prev.isoformat(), "entered": int(entered), "exited": int(exited)}


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
            as_of = inputs_as_of(con)
            built_tags = {r[0] for r in con.execute(f"select distinct tag_key from {RULE_VALUES}").fetchall()}
            built, errors = evaluate_segments(con, segments, built_tags)
            con.execute(f"""create or replace table model_tags.segment_membership as
                select cast(? as date) as as_of_date, segment_key, customer_id, reasons
                from {MEMBERS_TEMP} order by segment_key, customer_id""", [as_of])
            write_table(con, "segment_catalogue", catalogue_rows(built).assign(as_of_date=as_of),
                        order_by="position")
            n_customers = con.execute(f"select count(*) from {TAG_INPUTS}").fetchall()[0][0]
            counts = dict(con.execute(f"select segment_key, count(*) from {MEMBERS_TEMP} group by 1").fetchall())
            changes = {s.key: _previous_members(con, s.key, as_of) for s in built}
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
