"""Model tags as Dagster assets: RFM, loyalty, customer state, lifecycle stage, value class,
and the tag catalogue they are described by.

Each asset reads already-aggregated facts from the warehouse with one SQL statement (the
per-customer fact tags, the per-customer-day paid orders), calls the pure function in
`models/`, and writes `model_tags.<name>` with the as-of date of the facts. The dbt tag store
(marts/tags) reads these tables as sources. Each model tag has two checks: coverage (every
customer known on the as-of date has exactly one value) and distribution (shares per value
as metadata; a shift beyond the configured bound from the previous snapshot fails, warn).
"""

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset_check,
    multi_asset,
)

from orchestration.churn.store import ModelStore
from orchestration.tags.catalogue import TagConfig, rule_versions
from orchestration.tags.catalogue_tables import write_tag_catalogue
from orchestration.tags.model_tags import MODEL_TAGS, NO_AS_OF, facts_as_of, run_as_of, write_model_table
from orchestration.tags.tag_watch import markdown_table, previous_distribution, total_variation, value_shares
from orchestration.warehouse import read_frame, tables
from orchestration.warehouse.resource import WAREHOUSE_POOL, DuckDBWarehouse
from orchestration.warehouse.tables import CHURN_SCORING, FACT_TAGS, RULE_TAG_CATALOGUE

GROUP = "model_tags"


def model_tag_key(name: str) -> AssetKey:
    return tables.model_tags(name).key


def _build_model_asset(name: str, config: TagConfig, models_dir: Path) -> AssetsDefinition:
    model = MODEL_TAGS[name]
    tag_key = model.tag_key
    params = asdict(config.params(name))
    tag = config.tag(tag_key)
    specs = [AssetSpec(model_tag_key(name), group_name=GROUP, deps=[t.key for t in model.inputs],
                       kinds={"python", "duckdb"}, skippable=True,
                       description=f"Model tag `{tag_key}` ({tag.name_zh}): {tag.description} "
                                   f"Parameters: {json.dumps(params, ensure_ascii=False)}.")]
    specs += [AssetSpec(model_tag_key(extra), group_name=GROUP, kinds={"python", "duckdb"}, skippable=True,
                        description=f"Written with model_tags.{name}.")
              for extra in model.extra_tables]

    @multi_asset(name=f"model_tag_{name}", specs=specs, pool=WAREHOUSE_POOL)
    def model_tag_asset(context: AssetExecutionContext, warehouse: DuckDBWarehouse):
        with warehouse.connect() as con:
            if run_as_of(con) is None:
                context.log.warning(NO_AS_OF)
                return
            as_of = facts_as_of(con)
            frames = (model.compute(con, config, ModelStore(models_dir)) if model.uses_model_store
                      else model.compute(con, config))
            for table, df in frames.items():
                order = "customer_id" if "customer_id" in df else "dimension" if "dimension" in df else "1"
                write_model_table(con, table, df, order_by=order)
        main = frames[name]
        metadata = {
            "as_of_date": as_of,
            "customers": len(main),
            "parameters": MetadataValue.json(params),
            "distribution": MetadataValue.json(value_shares(model.watched(main[model.column]))),
        }
        if name == "rfm":
            th = frames["rfm_thresholds"]
            metadata["thresholds"] = MetadataValue.md(markdown_table(th.drop(columns=["as_of_date"])))
            metadata["scored"] = int(main["scored"].sum())
        if name == "clv":
            fit = json.loads(frames["clv_fit"]["fit"].iloc[0])
            metadata["model_version"] = fit.get("version", "")
            metadata["fit"] = MetadataValue.json(fit)
            metadata["scored"] = int(main["p_alive"].notna().sum())
        if name == "churn":
            used = frames["churn_scoring"].iloc[0]
            metadata.update({"model_version": used["model_version"], "model": used["how"],
                             "trained_as_of": str(used["trained_as_of"])[:10],
                             "model_age_days": str(used["model_age_days"]), "scored": int(used["scored"])})
            if not pd.isna(used["file"]):
                metadata["artefact"] = MetadataValue.path(str(models_dir / used["file"]))
        context.log.info("%s as of %s: %d customers", name, as_of, len(main))
        yield MaterializeResult(asset_key=model_tag_key(name), metadata=metadata)
        for extra in model.extra_tables:
            yield MaterializeResult(asset_key=model_tag_key(extra),
                                    metadata={"as_of_date": as_of, "rows": len(frames[extra])})

    return model_tag_asset


def _build_checks(name: str, config: TagConfig) -> list[AssetChecksDefinition]:
    model = MODEL_TAGS[name]
    column, tag_key = model.column, model.tag_key
    table = tables.model_tags(name)
    key = table.key
    bound = config.max_distribution_shift

    @asset_check(asset=key, name="coverage", pool=WAREHOUSE_POOL,
                 description=f"Every customer known on the as-of date has exactly one `{tag_key}` value.")
    def coverage(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            n_facts, = con.execute(f"select count(*) from {FACT_TAGS}").fetchall()[0]
            n, n_ids, missing, nulls = con.execute(f"""
                select count(*), count(distinct t.customer_id),
                       (select count(*) from {FACT_TAGS} f where not exists (
                            select 1 from {table} t2 where t2.customer_id = f.customer_id)),
                       count(*) - count(t.{column})
                from {table} t""").fetchall()[0]
        passed = n == n_ids == n_facts and missing == 0 and (nulls == 0 or model.nullable)
        return AssetCheckResult(
            passed=passed, severity=AssetCheckSeverity.ERROR,
            metadata={"customers": n_facts, "rows": n, "missing_customers": missing, "null_values": nulls,
                      "coverage": MetadataValue.float(round((n_facts - missing) / max(1, n_facts), 6))},
            description=None if passed else
            f"{missing} customers without a {tag_key}, {nulls} null values, {n - n_ids} duplicate rows"
            + (" (null values are allowed for this tag)" if model.nullable else ""))

    @asset_check(asset=key, name="distribution", pool=WAREHOUSE_POOL,
                 description=f"Shares of each `{tag_key}` value; fails (warn) when they moved more than "
                             f"{bound} (total variation) from the previous snapshot in the history.")
    def distribution(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            as_of = facts_as_of(con)
            current = value_shares(model.watched(read_frame(con, f"select {column} from {table}")[column]))
            prev_date, previous = previous_distribution(con, model, as_of)
        metadata = {"as_of_date": as_of, "distribution": MetadataValue.json(current),
                    "max_shift": MetadataValue.float(bound)}
        if prev_date is None:
            metadata["previous_snapshot"] = "none before this as-of date"
            return AssetCheckResult(passed=True, metadata=metadata,
                                    description="first snapshot: nothing to compare with")
        shift = total_variation(current, previous)
        metadata.update({"previous_snapshot": prev_date, "previous_distribution": MetadataValue.json(previous),
                         "shift": MetadataValue.float(shift)})
        return AssetCheckResult(
            passed=shift <= bound, severity=AssetCheckSeverity.WARN, metadata=metadata,
            description=f"{tag_key} moved {shift:.3f} (total variation) since {prev_date}; bound {bound}")

    return [coverage, distribution]


def _build_model_age_check(config: TagConfig) -> AssetChecksDefinition:
    """The churn tag's own check: how old the classifier it was scored with is."""
    limit = config.churn.max_model_age_days

    @asset_check(asset=model_tag_key("churn"), name="model_age", pool=WAREHOUSE_POOL,
                 description=f"The churn classifier used for scoring was trained at most {limit} days before the "
                             "as-of date (warn): the weekly training job keeps it fresh.")
    def model_age(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            used = read_frame(con, f"select * from {CHURN_SCORING}").iloc[0]
        age = None if pd.isna(used["model_age_days"]) else int(used["model_age_days"])
        metadata = {"model_version": str(used["model_version"]), "trained_as_of": str(used["trained_as_of"]),
                    "model_age_days": str(age), "max_model_age_days": limit, "how": str(used["how"])}
        if age is None:
            return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN, metadata=metadata,
                                    description=f"no churn classifier: {used['how']}")
        return AssetCheckResult(
            passed=age <= limit, severity=AssetCheckSeverity.WARN, metadata=metadata,
            description=None if age <= limit else
            f"the churn classifier {used['model_version']} was trained on the data of {used['trained_as_of']}, "
            f"{age} days before the as-of date (limit {limit}): run the weekly_churn_training job")

    return model_age


def _build_catalogue_asset(config: TagConfig, dbt_project_dir: Path) -> AssetsDefinition:
    rule_catalogue_key = RULE_TAG_CATALOGUE.key
    specs = [
        AssetSpec(model_tag_key("tag_catalogue"), group_name=GROUP, deps=[FACT_TAGS.key, rule_catalogue_key],
                  kinds={"python", "duckdb"},
                  description=f"The tag catalogue: the tags of {config.path.name} and the rule tags that built, "
                              "with the version hash of each tag's rule."),
        AssetSpec(model_tag_key("tag_value_labels"), group_name=GROUP, kinds={"python", "duckdb"},
                  description="The Chinese label of each value of each enumerated tag."),
    ]

    @multi_asset(name="tag_catalogue", specs=specs, pool=WAREHOUSE_POOL)
    def tag_catalogue(context: AssetExecutionContext, warehouse: DuckDBWarehouse):
        versions = rule_versions(config, dbt_project_dir)
        with warehouse.connect() as con:
            defs, labels = write_tag_catalogue(con, config, versions)
        yield MaterializeResult(asset_key=model_tag_key("tag_catalogue"), metadata={
            "tags": len(defs), "by_layer": MetadataValue.json(defs["layer"].value_counts().to_dict()),
            "catalogue": MetadataValue.path(str(config.path))})
        yield MaterializeResult(asset_key=model_tag_key("tag_value_labels"), metadata={"labels": len(labels)})

    return tag_catalogue


def build_model_tag_assets(config: TagConfig, dbt_project_dir: Path, models_dir: Path
                           ) -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    assets = [_build_catalogue_asset(config, dbt_project_dir)]
    checks: list[AssetChecksDefinition] = []
    for name in MODEL_TAGS:
        assets.append(_build_model_asset(name, config, models_dir))
        checks += _build_checks(name, config)
    checks.append(_build_model_age_check(config))
    return assets, checks
