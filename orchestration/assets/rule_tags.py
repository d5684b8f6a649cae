"""Rule tags as Dagster assets: one asset per rule tag of `config/rule_tags/`, computed together.

The YAML files are read when the definitions load, so each sound rule tag is its own asset
(`rule_tags/<key>`) whose materialisation shows its count, coverage, distribution and the
change since the previous snapshot. They are computed in one step, in dependency order, by
`orchestration/tags/rule_engine.py`, over `model_tags.tag_inputs` (every catalogue tag and
golden field per customer, written here too). The values go to `model_tags.rule_tag_values`
and the definitions to `model_tags.rule_tag_catalogue`, which the tag catalogue and the dbt
tag store read like any other tag. A broken rule file is reported by the `rule_files` check
(warn: the other tags still build), with the file, the line and the problem.
"""

import json
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
from orchestration.assets.model_tags import FACTS_KEY, MODEL_TAGS, model_tag_key, write_table
from orchestration.resources import DuckDBWarehouse
from orchestration.settings import REPO_ROOT
from orchestration.warehouse_schema import table_exists
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.rule_engine import (
    VALUES_TABLE,
    evaluate_rule_tags,
    prepare_relations,
    rule_fields,
    write_tag_inputs,
)
from orchestration.tags.rules import RuleError, RuleTag, load_rule_tags

GROUP = "rule_tags"
SOURCE = "rule_tags"
TAG_INPUTS_KEY = model_tag_key("tag_inputs")
VALUES_KEY = model_tag_key("rule_tag_values")
CATALOGUE_KEY = model_tag_key("rule_tag_catalogue")
HISTORY_TABLE = "marts.customer_tag_history"
UPSTREAM = [FACTS_KEY, AssetKey(["marts", "dim_customer"]), AssetKey(["marts", "dim_account"]),
            AssetKey(["marts", "fct_customer_events"]), AssetKey(["marts", "fct_orders"])]


def where_defined(path: str, line: int) -> str:
    """file:line, relative to the repository when the file is in it (stable across checkouts)."""
    p = Path(path)
    shown = p.relative_to(REPO_ROOT) if p.is_absolute() and p.is_relative_to(REPO_ROOT) else p
    return f"{shown.as_posix()}:{line}"


def rule_tag_key(key: str) -> AssetKey:
    return AssetKey([GROUP, key])


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


def change_since_previous(con: duckdb.DuckDBPyConnection, key: str, as_of, current: str,
                          history: str = HISTORY_TABLE) -> dict:
    """Entered / exited customers of tag `key` against its newest snapshot before `as_of` in
    the history; `current` is the relation of this run's values (customer_id, tag_key, value)."""
    if not table_exists(con, history):
        return {"previous_snapshot": "none"}
    prev = con.execute(f"select max(as_of_date) from {history} where tag_key = ? and as_of_date < ?",
                       [key, as_of]).fetchall()[0][0]
    if prev is None:
        return {"previous_snapshot": "none"}
    changed, new, gone = con.execute(f"""
        with c as (select customer_id, value from {current} where tag_key = ?),
             p as (select customer_id, value from {history} where tag_key = ? and as_of_date = ?)
        select count(*) filter (where c.customer_id is not null and p.customer_id is not null
                                and c.value is distinct from p.value),
               count(*) filter (where p.customer_id is null),
               count(*) filter (where c.customer_id is null)
        from c full outer join p on p.customer_id = c.customer_id""", [key, key, prev]).fetchall()[0]
    return {"previous_snapshot": prev.isoformat(), "customers_changed": int(changed),
            "customers_new": int(new), "customers_gone": int(gone)}


def build_rule_tag_assets(config: TagConfig, folder: Path) -> list[AssetsDefinition]:
    tags, load_errors = load_rules(config, folder)
    specs = [
        AssetSpec(TAG_INPUTS_KEY, group_name=GROUP, deps=[*UPSTREAM, *(model_tag_key(m) for m in MODEL_TAGS)],
                  kinds={"python", "duckdb"},
                  description="One row per customer on the as-of date with every catalogue tag and the "
                              "golden-record fields a rule may name (masked): what rule tags and segments read."),
        AssetSpec(VALUES_KEY, group_name=GROUP, deps=[TAG_INPUTS_KEY], kinds={"python", "duckdb"},
                  description="The value of every rule tag for every customer on the as-of date (long)."),
        AssetSpec(CATALOGUE_KEY, group_name=GROUP, kinds={"python", "duckdb"},
                  description=f"The rule tags of {folder} that built, with their rule version."),
    ]
    for t in tags:
        specs.append(AssetSpec(
            rule_tag_key(t.key), group_name=GROUP, skippable=True, kinds={"yaml", "sql"},
            deps=[VALUES_KEY, *(rule_tag_key(d) for d in sorted(t.depends_on))],
            description=f"{t.name_zh} ({t.name_en}), {t.layer} tag, {t.value_type}: {t.description} "
                        f"Defined in {where_defined(t.path, t.line)}; owner {t.owner}.",
            metadata={"defined_in": where_defined(t.path, t.line), "rule_version": t.rule_version}))
    check = AssetCheckSpec("rule_files", asset=VALUES_KEY,
                           description=f"Every rule file of {folder} is sound and every rule tag built; a "
                                       "broken one is named with its file and line (the others still build).")

    @multi_asset(name="rule_tags", specs=specs, check_specs=[check], pool=WAREHOUSE_POOL)
    def rule_tags_asset(context: AssetExecutionContext, warehouse: DuckDBWarehouse):
        with warehouse.connect() as con:
            as_of = write_tag_inputs(con, config)
            prepare_relations(con, as_of)
            evaluation = evaluate_rule_tags(con, tags, as_of)
            con.execute(f"""create or replace table model_tags.rule_tag_values as
                select cast(? as date) as as_of_date, customer_id, tag_key, value, numeric_value
                from {VALUES_TABLE} order by tag_key, customer_id""", [as_of])
            n_customers = con.execute("select count(*) from model_tags.tag_inputs").fetchall()[0][0]
            write_table(con, "rule_tag_catalogue", catalogue_rows(evaluation.built, 1000), order_by="position")
            stats = {}
            for t in evaluation.built:
                dist = con.execute("select coalesce(value, '(null)'), count(*) from model_tags.rule_tag_values "
                                   "where tag_key = ? group by 1 order by 2 desc, 1 limit 20", [t.key]).fetchall()
                summary = con.execute("select count(value), avg(numeric_value), min(numeric_value), "
                                      "max(numeric_value) from model_tags.rule_tag_values where tag_key = ?",
                                      [t.key]).fetchall()[0]
                stats[t.key] = (dist, summary, change_since_previous(con, t.key, as_of, "model_tags.rule_tag_values"))
        errors = [*load_errors, *evaluation.errors]
        for e in errors:
            context.log.warning("rule tag not built: %s", e)
        yield MaterializeResult(asset_key=TAG_INPUTS_KEY, metadata={
            "as_of_date": as_of.isoformat(), "customers": n_customers})
        yield MaterializeResult(asset_key=VALUES_KEY, metadata={
            "as_of_date": as_of.isoformat(), "rule_tags": len(evaluation.built),
            "values": n_customers * len(evaluation.built)})
        yield MaterializeResult(asset_key=CATALOGUE_KEY, metadata={"rule_tags": len(evaluation.built)})
        for t in evaluation.built:
            dist, (with_value, avg, low, high), change = stats[t.key]
            metadata = {
                "as_of_date": as_of.isoformat(), "customers": n_customers,
                "coverage": MetadataValue.float(round(with_value / max(1, n_customers), 6)),
                "distribution": MetadataValue.json({v: int(n) for v, n in dist}),
                "change": MetadataValue.json(change), "rule_version": t.rule_version,
                "defined_in": where_defined(t.path, t.line),
                "compiled_sql": MetadataValue.md(f"```sql\n{evaluation.sql.get(t.key, '')}\n```"),
            }
            if t.value_type == "boolean":
                metadata["count"] = int(dict(dist).get("true", 0))
            if t.value_type == "number" and avg is not None:
                metadata.update({"mean": MetadataValue.float(round(float(avg), 4)),
                                 "min": MetadataValue.float(float(low)), "max": MetadataValue.float(float(high))})
            yield MaterializeResult(asset_key=rule_tag_key(t.key), metadata=metadata)
        yield AssetCheckResult(
            check_name="rule_files", asset_key=VALUES_KEY, passed=not errors, severity=AssetCheckSeverity.WARN,
            metadata={"built": len(evaluation.built), "broken": len(errors),
                      "problems": MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")},
            description=None if not errors else f"{len(errors)} rule tag(s) not built: " + "; ".join(
                str(e) for e in errors)[:1500])

    return [rule_tags_asset]
