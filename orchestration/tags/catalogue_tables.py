"""The tag catalogue as tables: `model_tags.tag_catalogue` (every tag of the catalogue file and
every rule tag that built, with the version hash of its rule) and `model_tags.tag_value_labels`
(the label of each value of each enumerated tag, in the catalogue's order)."""

from __future__ import annotations

import json

import pandas as pd

from orchestration.settings import repo_relative
from orchestration.tags.catalogue import FACTS, TagConfig
from orchestration.tags.model_tags import write_model_table
from orchestration.warehouse import Connection, read_frame, table_columns
from orchestration.warehouse.tables import FACT_TAGS, RULE_TAG_CATALOGUE, TAG_CATALOGUE, TAG_VALUE_LABELS


def write_tag_catalogue(con: Connection, config: TagConfig, versions: dict[str, str]
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write both tables; returns (definitions, labels). A fact tag of the catalogue that is
    not a column of the fact table is an error of the catalogue file, named as such."""
    columns = set(table_columns(con, FACT_TAGS))
    missing = [t.key for t in config.tags if t.source == FACTS and t.key not in columns]
    if missing:
        raise ValueError(f"{config.path}: fact tag(s) {missing} are not columns of {FACT_TAGS}")
    defs = pd.DataFrame([{
        "tag_key": t.key, "name_zh": t.name_zh, "name_en": t.name_en, "layer": t.layer,
        "value_type": t.value_type, "source": t.source, "description": t.description,
        "owner": t.owner, "tracks_changes": t.tracks_changes, "rule_version": versions[t.key],
        "position": i, "defined_in": repo_relative(config.path),
        "definition": json.dumps(t.entry(), sort_keys=True, ensure_ascii=False),
    } for i, t in enumerate(config.tags, start=1)])
    # value_position: the order the catalogue lists the values in, which is the order a
    # reader expects (一线 before 新一线 before 二线; <18 before 18-24), not the text order
    labels = pd.DataFrame([{"tag_key": t.key, "value": code, "value_label": label, "value_position": i}
                           for t in config.tags for i, (code, label) in enumerate(t.values, start=1)],
                          columns=["tag_key", "value", "value_label", "value_position"])
    rules = read_frame(con, f"select * from {RULE_TAG_CATALOGUE} order by position")
    if len(rules):
        labels = pd.concat([labels, pd.DataFrame(
            [{"tag_key": r.tag_key, "value": code, "value_label": label, "value_position": i}
             for r in rules.itertuples()
             for i, (code, label) in enumerate(json.loads(r.value_labels), start=1)],
            columns=labels.columns)], ignore_index=True)
        defs = pd.concat([defs, rules[defs.columns]], ignore_index=True)
    write_model_table(con, TAG_CATALOGUE.name, defs, order_by="position")
    write_model_table(con, TAG_VALUE_LABELS.name, labels, order_by="tag_key, value")
    return defs, labels
