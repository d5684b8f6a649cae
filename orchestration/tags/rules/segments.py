"""Segment files (`config/segments/*.yml`): expressions over tags, checked like a boolean rule
tag without events, and the SQL of the values that put a customer in."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.tags.rules.compiling import ConditionSql
from orchestration.tags.rules.conditions import ConditionParser
from orchestration.tags.rules.loading import check_entry, file_entries
from orchestration.tags.rules.schema import KEY_PATTERN, FieldSpec, RuleError, Segment, SegmentEntry


def load_segments(folder: Path, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]
                  ) -> tuple[list[Segment], list[RuleError]]:
    """Every sound segment of `folder` (sorted by key) and every problem, as file:line messages.

    `fields`: the catalogue's tags and golden fields; `rule_keys`: the rule tags that built
    (see `rule_tag_specs`)."""
    segments: dict[str, Segment] = {}
    errors: list[RuleError] = []
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        try:
            entries = file_entries(path, "segments")
        except RuleError as err:
            errors.append(err)
            continue
        for raw in entries:
            try:
                seg = _parse_segment(path, raw, fields, rule_keys)
                if seg.key in segments:
                    raise RuleError(path, seg.line, seg.key, f"defined twice (also in {segments[seg.key].path})",
                                    "segment")
                segments[seg.key] = seg
            except RuleError as err:
                errors.append(err)
    return [segments[k] for k in sorted(segments)], errors


def _parse_segment(path: Path, raw: Any, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]) -> Segment:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict):
        raise RuleError(path, line, None, "a segment must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RuleError(path, line, None, f"key {key!r} must be lower-case letters, digits and _")
    p = ConditionParser(path, key, fields, dict(rule_keys), allow_events=False, what="segment")
    check_entry(SegmentEntry, path, raw, key, "segment")
    if not raw["rule"]:
        raise p.fail(raw, "missing rule")
    condition = p.condition(raw["rule"])
    return Segment(key=key, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]),
                   description=str(raw["description"]).strip(), owner=str(raw.get("owner") or "运营"),
                   path=str(path), line=line or 0, condition=condition, fields_used=tuple(p.fields_used),
                   depends_on=frozenset(p.depends_on), numeric_deps=frozenset(p.numeric_deps),
                   definition=json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str))


def reasons_sql(segment: Segment, facts: str, rule_values: str) -> tuple[str, dict[str, Any]]:
    """A JSON object (text) of the values of the fields a segment names, for the customer of
    `facts` aliased t: the tags that put the customer in the segment."""
    sql = ConditionSql(facts=facts, events="", rule_values=rule_values, as_of=date.min, prefix="r")
    sql.rule_fields, sql.numeric_fields = segment.depends_on, segment.numeric_deps
    fields_used = segment.fields_used
    pairs = ", ".join(f"{sql.bind(name)}, {sql.column(name)}" for name in fields_used)
    return f"cast(json_object({pairs}) as varchar)", sql.params
