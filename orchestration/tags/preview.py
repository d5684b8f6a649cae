"""Previews of rule tags and segments over the warehouse, without writing anything.

For operators trying a rule before the next run: the rules are evaluated on a read-only
connection into temporary tables (gone when it closes) over the inputs of the last run
(`model_tags.tag_inputs`, its as-of date), with the rule tags they name computed first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from orchestration.tags.rule_engine import (
    TAG_INPUTS,
    VALUES_TABLE,
    evaluate_rule_tags,
    inputs_as_of,
    membership_sql,
    prepare_relations,
)
from orchestration.tags.rules.schema import RuleError, RuleTag, Segment
from orchestration.warehouse import Connection, table_exists

SAMPLE_COLUMNS = ("name_masked", "mobile_masked")


class PreviewError(RuntimeError):
    """The warehouse cannot answer a preview (no run yet, ...): said plainly."""


@dataclass
class Preview:
    key: str
    as_of_date: str
    customers: int
    matched: int  # boolean tags and segments: customers for whom it holds; others: with a value
    distribution: list[tuple[str, int]]
    sample: pd.DataFrame
    errors: list[RuleError] = field(default_factory=list)
    sql: str = ""


def _closure(keys: set[str], tags: list[RuleTag]) -> list[RuleTag]:
    by_key = {t.key: t for t in tags}
    needed: set[str] = set()
    stack = list(keys)
    while stack:
        k = stack.pop()
        if k in needed or k not in by_key:
            continue
        needed.add(k)
        stack += list(by_key[k].depends_on)
    return [t for t in tags if t.key in needed]  # `tags` is in dependency order


def _require_inputs(con: Connection) -> None:
    if not table_exists(con, TAG_INPUTS):
        raise PreviewError("the warehouse has no model_tags.tag_inputs yet: run `huaxiang run` once first")


def _sample(con: Connection, where_sql: str, params: dict, columns: list[str], n: int
            ) -> pd.DataFrame:
    extra = "".join(f", {c}" for c in columns)
    return con.execute(
        f"select v.customer_id, {', '.join('c.' + c for c in SAMPLE_COLUMNS)}{extra} "
        f"from ({where_sql}) as v left join marts.dim_customer as c on c.customer_id = v.customer_id "
        f"order by v.customer_id limit {int(n)}", params).fetch_df()


def preview_rule_tag(con: Connection, key: str, tags: list[RuleTag], sample: int = 10) -> Preview:
    """Evaluate rule tag `key` (and the rule tags it names) over the last run's inputs."""
    _require_inputs(con)
    as_of = inputs_as_of(con)
    prepare_relations(con, as_of)
    evaluation = evaluate_rule_tags(con, _closure({key}, tags), as_of)
    n_customers = con.execute(f"select count(*) from {TAG_INPUTS}").fetchall()[0][0]
    tag = next(t for t in tags if t.key == key)
    dist = [(str(v), int(n)) for v, n in con.execute(
        f"select coalesce(value, '(null)'), count(*) from {VALUES_TABLE} where tag_key = $tag_key "
        "group by 1 order by 2 desc, 1 limit 20", {"tag_key": key}).fetchall()]
    if tag.value_type == "boolean":
        matched = dict(dist).get("true", 0)
        where = f"select customer_id, value from {VALUES_TABLE} where tag_key = $tag_key and value = 'true'"
    else:
        matched = sum(n for v, n in dist if v != "(null)")
        where = f"select customer_id, value from {VALUES_TABLE} where tag_key = $tag_key and value is not null"
    rows = _sample(con, where, {"tag_key": key}, ["v.value"], sample) if key in {t.key for t in evaluation.built} \
        else pd.DataFrame()
    return Preview(key, as_of.isoformat(), int(n_customers), int(matched), dist, rows, evaluation.errors,
                   evaluation.sql.get(key, ""))


def preview_segment(con: Connection, segment: Segment, tags: list[RuleTag], sample: int = 10
                    ) -> Preview:
    """Members of `segment` over the last run's inputs, with the rule tags it names computed now."""
    _require_inputs(con)
    as_of = inputs_as_of(con)
    prepare_relations(con, as_of)
    evaluation = evaluate_rule_tags(con, _closure(set(segment.depends_on), tags), as_of)
    built = {t.key for t in evaluation.built}
    missing = sorted(segment.depends_on - built)
    n_customers = con.execute(f"select count(*) from {TAG_INPUTS}").fetchall()[0][0]
    if missing:
        err = RuleError(segment.path, segment.line, segment.key, f"names rule tag {missing[0]!r}, which does not "
                        "build", "segment")
        return Preview(segment.key, as_of.isoformat(), int(n_customers), 0, [], pd.DataFrame(),
                       [*evaluation.errors, err])
    sql, params = membership_sql(segment, TAG_INPUTS, VALUES_TABLE)
    matched = con.execute(f"select count(*) from ({sql}) as m", params).fetchall()[0][0]
    rows = _sample(con, sql, params, ["v.reasons"], sample)
    return Preview(segment.key, as_of.isoformat(), int(n_customers), int(matched),
                   [("members", int(matched)), ("others", int(n_customers - matched))], rows, evaluation.errors, sql)
