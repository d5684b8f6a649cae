"""Rule tags: loading `config/rule_tags/` against the catalogue, computing every sound rule tag
for every customer in one step (orchestration/tags/rule_engine.py does the SQL), and what a
run says about each: count, coverage, distribution, change since the previous snapshot.

The values go to `model_tags.rule_tag_values` and the definitions to
`model_tags.rule_tag_catalogue`, which the tag catalogue and the dbt tag store read like any
other tag. The Dagster assets are orchestration/assets/rule_tags.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.settings import repo_relative
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.model_tags import write_model_table
from orchestration.tags.rule_engine import (
    VALUES_TABLE,
    Evaluation,
    evaluate_rule_tags,
    prepare_relations,
    rule_fields,
    write_tag_inputs,
)
from orchestration.tags.rules.loading import load_rule_tags
from orchestration.tags.rules.schema import RuleError, RuleTag
from orchestration.warehouse import Connection, table_exists
from orchestration.warehouse.tables import CUSTOMER_TAG_HISTORY, RULE_TAG_CATALOGUE, RULE_TAG_VALUES, TAG_INPUTS

SOURCE = "rule_tags"


def where_defined(path: str, line: int) -> str:
    """file:line, relative to the repository when the file is in it (stable across checkouts)."""
    return f"{repo_relative(path)}:{line}"


def load_rules(config: TagConfig, folder: Path) -> tuple[list[RuleTag], list[RuleError]]:
    """The rule tags of `folder` (none when it does not exist) checked against the catalogue."""
    if not folder.is_dir():
        return [], []
    return load_rule_tags(folder, rule_fields(config), reserved={t.key for t in config.tags})


def catalogue_rows(tags: list[RuleTag], first_position: int) -> pd.DataFrame:
    """The rule tags as rows of the tag catalogue (same columns as model_tags.tag_catalogue)."""
    return pd.DataFrame([{
        "tag_key": t.key, "name_zh": t.name_zh, "name_en": t.name_en, "layer": t.layer,
        "value_type": t.value_type, "source": SOURCE, "description": t.description, "owner": t.owner,
        "tracks_changes": t.value_type in ("enum", "boolean"), "rule_version": t.rule_version,
        "position": first_position + i, "defined_in": where_defined(t.path, t.line), "definition": t.definition,
        "value_labels": json.dumps([[c, label] for c, label in t.value_labels], ensure_ascii=False),
    } for i, t in enumerate(tags)], columns=[
        "tag_key", "name_zh", "name_en", "layer", "value_type", "source", "description", "owner",
        "tracks_changes", "rule_version", "position", "defined_in", "definition", "value_labels"])


def change_since_previous(con: Connection, key: str, as_of, current: str,
                          history: str = str(CUSTOMER_TAG_HISTORY)) -> dict:
    """Entered / exited customers of tag `key` against its newest snapshot before `as_of` in
    the history; `current` is the relation of this run's values (customer_id, tag_key, value)."""
    if not table_exists(con, history):
        return {"previous_snapshot": "none"}
    prev = con.execute(f"select max(as_of_date) from {history} where tag_key = $tag and as_of_date < $as_of",
                       {"tag": key, "as_of": as_of}).fetchall()[0][0]
    if prev is None:
        return {"previous_snapshot": "none"}
    changed, new, gone = con.execute(f"""
        with c as (select customer_id, value from {current} where tag_key = $tag),
             p as (select customer_id, value from {history} where tag_key = $tag and as_of_date = $prev)
        select count(*) filter (where c.customer_id is not null and p.customer_id is not null
                                and c.value is distinct from p.value),
               count(*) filter (where p.customer_id is null),
               count(*) filter (where c.customer_id is null)
        from c full outer join p on p.customer_id = c.customer_id""", {"tag": key, "prev": prev}).fetchall()[0]
    return {"previous_snapshot": prev.isoformat(), "customers_changed": int(changed),
            "customers_new": int(new), "customers_gone": int(gone)}


@dataclass
class RuleTagStats:
    distribution: list[tuple[str, int]]  # the 20 commonest values with their customers
    with_value: int
    mean: float | None
    low: float | None
    high: float | None
    change: dict


@dataclass
class RuleTagRun:
    as_of: date
    evaluation: Evaluation
    customers: int
    stats: dict[str, RuleTagStats] = field(default_factory=dict)


def compute_rule_tags(con: Connection, config: TagConfig, tags: list[RuleTag]) -> RuleTagRun:
    """Write model_tags.tag_inputs, evaluate every rule tag in dependency order into
    model_tags.rule_tag_values and write model_tags.rule_tag_catalogue; a rule that fails is
    in `evaluation.errors`, the others still build."""
    as_of = write_tag_inputs(con, config)
    prepare_relations(con, as_of)
    evaluation = evaluate_rule_tags(con, tags, as_of)
    con.execute(f"""create or replace table {RULE_TAG_VALUES} as
        select cast($as_of as date) as as_of_date, customer_id, tag_key, value, numeric_value
        from {VALUES_TABLE} order by tag_key, customer_id""", {"as_of": as_of})
    n_customers = con.execute(f"select count(*) from {TAG_INPUTS}").fetchall()[0][0]
    write_model_table(con, RULE_TAG_CATALOGUE.name, catalogue_rows(evaluation.built, 1000), order_by="position")
    run = RuleTagRun(as_of, evaluation, n_customers)
    for t in evaluation.built:
        dist = con.execute(f"select coalesce(value, '(null)'), count(*) from {RULE_TAG_VALUES} "
                           "where tag_key = $tag group by 1 order by 2 desc, 1 limit 20", {"tag": t.key}).fetchall()
        with_value, mean, low, high = con.execute(
            f"select count(value), avg(numeric_value), min(numeric_value), max(numeric_value) "
            f"from {RULE_TAG_VALUES} where tag_key = $tag", {"tag": t.key}).fetchall()[0]
        run.stats[t.key] = RuleTagStats(dist, with_value, mean, low, high,
                                        change_since_previous(con, t.key, as_of, str(RULE_TAG_VALUES)))
    return run
