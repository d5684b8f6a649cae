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

from orchestration.tags.catalogue import TagConfig
from orchestration.tags.model_tags import MODEL_TAGS
from orchestration.tags.rule_tags import compute_rule_tags, load_rules, where_defined
from orchestration.warehouse import tables
from orchestration.warehouse.resource import WAREHOUSE_POOL, DuckDBWarehouse

GROUP = "rule_tags"
TAG_INPUTS_KEY = tables.TAG_INPUTS.key
VALUES_KEY = tables.RULE_TAG_VALUES.key
CATALOGUE_KEY = tables.RULE_TAG_CATALOGUE.key
UPSTREAM = [t.key for t in (tables.FACT_TAGS, tables.DIM_CUSTOMER, tables.DIM_ACCOUNT, tables.FCT_CUSTOMER_EVENTS,
                            tables.FCT_ORDERS)]


def rule_tag_key(key: str) -> AssetKey:
    return AssetKey([GROUP, key])


def build_rule_tag_assets(config: TagConfig, folder: Path) -> list[AssetsDefinition]:
    tags, load_errors = load_rules(config, folder)
    specs = [
        AssetSpec(TAG_INPUTS_KEY, group_name=GROUP, deps=[*UPSTREAM, *(tables.model_tags(m).key for m in MODEL_TAGS)],
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
            run = compute_rule_tags(con, config, tags)
        as_of, evaluation, n_customers = run.as_of, run.evaluation, run.customers
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
            st = run.stats[t.key]
            dist, with_value, avg, low, high, change = st.distribution, st.with_value, st.mean, st.low, st.high, st.change
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
