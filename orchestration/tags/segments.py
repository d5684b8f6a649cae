"""Segments: loading `config/segments/` against the catalogue and the sound rule tags, and
computing the members of each on the as-of date.

A segment is an expression over tags (catalogue tags, rule tags, golden fields), compiled by
the same code as a boolean rule tag and run over `model_tags.tag_inputs` and
`model_tags.rule_tag_values`. Members go to `model_tags.segment_membership` with the values
of the tags that put them in. A segment that names a rule tag that did not build this run is
left out and reported, never computed as if nobody had the tag. The Dagster assets are
orchestration/assets/segments.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.tags.catalogue import TagConfig
from orchestration.tags.model_tags import write_model_table
from orchestration.tags.rule_engine import TAG_INPUTS, inputs_as_of, membership_sql, rule_fields
from orchestration.tags.rule_tags import load_rules, where_defined
from orchestration.tags.rules.loading import rule_tag_specs
from orchestration.tags.rules.schema import RuleError, Segment
from orchestration.tags.rules.segments import load_segments
from orchestration.warehouse import Connection, WarehouseError, table_exists
from orchestration.warehouse.tables import RULE_TAG_VALUES, SEGMENT_CATALOGUE, SEGMENT_MEMBERS, SEGMENT_MEMBERSHIP

RULE_VALUES = str(RULE_TAG_VALUES)
MEMBERS_HISTORY = str(SEGMENT_MEMBERS)
MEMBERS_TEMP = "_segment_members"


def load_segment_definitions(config: TagConfig, rule_tags_dir: Path, segments_dir: Path
                             ) -> tuple[list[Segment], list[RuleError]]:
    """The segments of `segments_dir`, checked against the catalogue and the sound rule tags."""
    if not segments_dir.is_dir():
        return [], []
    rule_tags, _ = load_rules(config, rule_tags_dir)
    return load_segments(segments_dir, rule_fields(config), rule_tag_specs(rule_tags))


def evaluate_segments(con: Connection, segments: list[Segment], built_rule_tags: set[str],
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
            con.execute(f"insert into {MEMBERS_TEMP} select $segment_key, customer_id, reasons from ({sql}) as m",
                        {**params, "segment_key": seg.key})
            built.append(seg)
        except WarehouseError as exc:
            con.execute(f"delete from {MEMBERS_TEMP} where segment_key = $segment_key", {"segment_key": seg.key})
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


def previous_members(con: Connection, key: str, as_of) -> dict:
    if not table_exists(con, MEMBERS_HISTORY):
        return {"previous_snapshot": "none"}
    prev = con.execute(f"select max(as_of_date) from {MEMBERS_HISTORY} where segment_key = $key and as_of_date < $as_of",
                       {"key": key, "as_of": as_of}).fetchall()[0][0]
    if prev is None:
        return {"previous_snapshot": "none"}
    entered, exited = con.execute(f"""
        with c as (select customer_id from {MEMBERS_TEMP} where segment_key = $key),
             p as (select customer_id from {MEMBERS_HISTORY} where segment_key = $key and as_of_date = $prev)
        select count(*) filter (where p.customer_id is null), count(*) filter (where c.customer_id is null)
        from c full outer join p on p.customer_id = c.customer_id""", {"key": key, "prev": prev}).fetchall()[0]
    return {"previous_snapshot": prev.isoformat(), "entered": int(entered), "exited": int(exited)}


@dataclass
class SegmentRun:
    as_of: date
    built: list[Segment]
    errors: list[RuleError]
    customers: int
    members: dict[str, int]  # segment key: members
    changes: dict[str, dict]  # segment key: entered / exited since the previous snapshot


def compute_segments(con: Connection, segments: list[Segment]) -> SegmentRun:
    """Members of every segment into model_tags.segment_membership and the segments that built
    into model_tags.segment_catalogue."""
    as_of = inputs_as_of(con)
    built_tags = {r[0] for r in con.execute(f"select distinct tag_key from {RULE_VALUES}").fetchall()}
    built, errors = evaluate_segments(con, segments, built_tags)
    con.execute(f"""create or replace table {SEGMENT_MEMBERSHIP} as
        select cast($as_of as date) as as_of_date, segment_key, customer_id, reasons
        from {MEMBERS_TEMP} order by segment_key, customer_id""", {"as_of": as_of})
    write_model_table(con, SEGMENT_CATALOGUE.name, catalogue_rows(built).assign(as_of_date=as_of), order_by="position")
    n_customers = con.execute(f"select count(*) from {TAG_INPUTS}").fetchall()[0][0]
    counts = dict(con.execute(f"select segment_key, count(*) from {MEMBERS_TEMP} group by 1").fetchall())
    changes = {s.key: previous_members(con, s.key, as_of) for s in built}
    return SegmentRun(as_of, built, errors, n_customers, counts, changes)
