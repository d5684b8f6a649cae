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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb
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

from models.churn_classifier import risk_band
from models.clv import clv_scores
from models.lifecycle import lifecycle_stages
from models.loyalty import loyalty_scores
from models.rfm import score_rfm
from models.state import customer_states
from models.value_class import value_classes
from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.resources import DuckDBWarehouse
from orchestration.tags.catalogue import FACTS, TagConfig, rule_versions
from orchestration.model_store import ModelStore
from orchestration.tags.churn_features import features_with_p_alive
from orchestration.tags.churn_model import load_or_train
from orchestration.warehouse_schema import table_columns, table_exists

SCHEMA = "model_tags"
GROUP = "model_tags"
FACT_TAGS = "intermediate.int_customer_fact_tags"
ORDER_DAYS = "intermediate.int_customer_order_days"
FACTS_KEY = AssetKey(["intermediate", "int_customer_fact_tags"])
ORDER_DAYS_KEY = AssetKey(["intermediate", "int_customer_order_days"])
PURCHASE_HISTORY = "intermediate.int_customer_purchase_history"
PURCHASE_HISTORY_KEY = AssetKey(["intermediate", "int_customer_purchase_history"])
CHURN_MODEL_KEY = AssetKey([SCHEMA, "churn_model"])
HISTORY_TABLE = "marts.customer_tag_history"
LOYALTY_BINS = [(0, 0), (0, 25), (25, 50), (50, 75), (75, 100)]
PROBABILITY_BINS = [(0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0)]


def model_tag_key(name: str) -> AssetKey:
    return AssetKey([SCHEMA, name])


DATA_WINDOW = "intermediate.int_data_window"
NO_AS_OF = ("no as-of date: the data holds no date (no order or event time, no customer record "
            "created_at / updated_at) and none was given: the tags are not computed; identity "
            "resolution is built. Run with --as-of YYYY-MM-DD (HUAXIANG_AS_OF) to tag as of a date.")


def run_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of this run (int_data_window), None when there is none to compute for:
    the tag steps then skip (their outputs are skippable) and so does everything after them."""
    if not table_exists(con, DATA_WINDOW):
        return None
    rows = con.execute(f"select as_of_date from {DATA_WINDOW}").fetchall()
    return rows[0][0] if rows else None


def _as_of(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(f"select min(as_of_date), max(as_of_date) from {FACT_TAGS}").fetchall()
    low, high = rows[0]
    if low != high:
        raise RuntimeError(f"{FACT_TAGS} mixes as-of dates {low} and {high}: rebuild it")
    if low is None:
        raise RuntimeError(f"{FACT_TAGS} is empty: no customer is known on the as-of date")
    return low.isoformat()


DATE_COLUMNS = ("as_of_date", "trained_as_of", "training_cutoff", "cutoff_date")


def write_table(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame,
                order_by: str = "customer_id") -> None:
    """Replace model_tags.<table> with `df`, rows in a fixed order (byte-identical reruns);
    the date columns typed DATE whatever pandas made of them."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("frame_to_write", df)
    dates = [c for c in DATE_COLUMNS if c in df.columns]
    star = ("* replace (" + ", ".join(f"cast({c} as date) as {c}" for c in dates) + ")") if dates else "*"
    try:
        con.execute(f"create or replace table {SCHEMA}.{table} as "
                    f"select {star} from frame_to_write order by {order_by}")
    finally:
        con.unregister("frame_to_write")


def _distribution(values: pd.Series) -> dict[str, float]:
    counts = values.fillna("(null)").astype(str).value_counts()
    return {k: round(float(v) / max(1, len(values)), 6) for k, v in sorted(counts.items())}


def markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(str(v) for v in row) + " |\n" for row in df.itertuples(index=False))


def loyalty_bin(score: float) -> str:
    for lo, hi in LOYALTY_BINS:
        if (lo == hi == 0 and score == 0) or lo < score <= hi:
            return "0" if lo == hi else f"({lo},{hi}]"
    return "(null)"


def probability_bin(p: float) -> str:
    if p is None or p != p:  # NaN: not scored
        return "(null)"
    for lo, hi in PROBABILITY_BINS:
        if lo <= p < hi or (hi == 1.0 and p == 1.0):
            return f"[{lo},{hi})" if hi < 1.0 else f"[{lo},{hi}]"
    return "(out of range)"


# ----------------------------------------------------------------------------- computations
def _window_totals(con: duckdb.DuckDBPyConnection, window_days: int) -> pd.DataFrame:
    """Every customer with the paid orders and net amount of the last `window_days` days (0
    without) and the days since their last paid order: the input of RFM and value class."""
    return con.execute(f"""
        select f.customer_id, f.as_of_date, f.days_since_last_order,
               coalesce(w.paid_orders, 0) as paid_orders, coalesce(w.net_amount, 0) as net_amount
        from {FACT_TAGS} as f
        left join (
            select customer_id, sum(paid_orders) as paid_orders, cast(sum(net_amount) as double) as net_amount
            from {ORDER_DAYS} where days_ago < ? group by customer_id
        ) as w on w.customer_id = f.customer_id
        order by f.customer_id""", [window_days]).fetch_df()


def compute_rfm(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.rfm
    inputs = _window_totals(con, p.window_days).rename(columns={
        "days_since_last_order": "recency_days", "paid_orders": "frequency", "net_amount": "monetary"})
    result = score_rfm(inputs, p)
    out = result.customers.copy()
    out.insert(1, "as_of_date", inputs["as_of_date"].to_numpy())
    thresholds = result.thresholds.copy()
    thresholds.insert(0, "as_of_date", inputs["as_of_date"].iloc[0] if len(inputs) else None)
    for dim in ("r", "f", "m"):
        row = thresholds[thresholds["dimension"] == dim.upper()].iloc[0]
        out[f"{dim}_threshold"] = row["threshold"]
    return {"rfm": out, "rfm_thresholds": thresholds}


def compute_loyalty(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.loyalty
    customers = con.execute(f"select customer_id, as_of_date from {FACT_TAGS} order by customer_id").fetch_df()
    activity = con.execute(
        f"select customer_id, days_ago, paid_orders as count from {ORDER_DAYS} where days_ago < ?",
        [p.horizon_days]).fetch_df()
    out = loyalty_scores(customers["customer_id"], activity, p)
    out.insert(1, "as_of_date", customers["as_of_date"].to_numpy())
    out["period_days"] = p.period_days
    return {"loyalty": out}


def _facts(con: duckdb.DuckDBPyConnection, columns: list[str]) -> pd.DataFrame:
    cols = ", ".join(["customer_id", "as_of_date", *columns])
    return con.execute(f"select {cols} from {FACT_TAGS} order by customer_id").fetch_df()


def compute_state(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    facts = _facts(con, ["paid_orders_total", "days_since_first_order", "days_since_last_order",
                         "paid_order_days"])
    out = customer_states(facts, config.customer_state)
    out.insert(1, "as_of_date", facts["as_of_date"].to_numpy())
    out["days_since_last_order"] = facts["days_since_last_order"].to_numpy()
    return {"customer_state": out}


def compute_lifecycle(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    cols = ["paid_orders_total", "is_member", "referrals_365d", "has_contact", "events_total"]
    facts = _facts(con, cols)
    out = lifecycle_stages(facts, config.lifecycle_stage)
    out.insert(1, "as_of_date", facts["as_of_date"].to_numpy())
    for c in cols:
        out[c] = facts[c].to_numpy()
    return {"lifecycle_stage": out}


def compute_value_class(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.value_class
    revenue = _window_totals(con, p.window_days).rename(columns={"net_amount": "revenue"})
    out = value_classes(revenue, p)
    out.insert(1, "as_of_date", revenue["as_of_date"].to_numpy())
    out["window_days"] = p.window_days
    return {"value_class": out}


def compute_clv(con: duckdb.DuckDBPyConnection, config: TagConfig) -> dict[str, pd.DataFrame]:
    """P(alive), expected purchases and spend for the buyers; NULL for customers who never bought."""
    customers = con.execute(f"select customer_id, as_of_date from {FACT_TAGS} order by customer_id").fetch_df()
    history = con.execute(f"select customer_id, frequency, recency, t_days, monetary_repeat from {PURCHASE_HISTORY} "
                          "order by customer_id").fetch_df()
    result = clv_scores(history, config.clv)
    out = customers.merge(result.customers, on="customer_id", how="left")
    missing = [t.key for t in config.of_source("clv") if t.key not in out.columns]
    if missing:
        raise ValueError(f"{config.path}: clv tag(s) {missing} are not computed with parameters.clv "
                         f"(horizons_days {list(config.clv.horizons_days)})")
    out["model_version"] = result.version
    fit = pd.DataFrame([{"as_of_date": customers["as_of_date"].iloc[0] if len(customers) else None,
                         "model_version": result.version,
                         "fit": json.dumps(result.fit, sort_keys=True, default=str)}])
    return {"clv": out, "clv_fit": fit}


def compute_churn(con: duckdb.DuckDBPyConnection, config: TagConfig, store: ModelStore) -> dict[str, pd.DataFrame]:
    """Churn probability and risk band of every buyer on the as-of date, from the newest stored
    classifier trained on data up to the as-of date (the weekly training), applied to what is
    known now; without one (the first run, a changed horizon) a model is trained now and stored."""
    p = config.churn
    customers = con.execute(f"select customer_id, as_of_date from {FACT_TAGS} order by customer_id").fetch_df()
    as_of = pd.Timestamp(customers["as_of_date"].iloc[0]).date()
    now, _ = features_with_p_alive(con, 0, 0, as_of, config.clv)
    try:
        classifier, artefact, how = load_or_train(con, config, as_of, store)
    except ValueError as exc:  # too few buyers, or one class only: no probability
        now["churn_probability"] = float("nan")
        version, scoring = "not_trained", {"model_version": "not_trained", "trained_as_of": None,
                                           "training_cutoff": None, "how": f"not trained: {exc}", "file": None}
    else:
        now["churn_probability"] = classifier.predict_proba(now)
        version = artefact.version
        scoring = {"model_version": version, "trained_as_of": artefact.trained_as_of,
                   "training_cutoff": date.fromisoformat(artefact.manifest["training_cutoff"]), "how": how,
                   "file": f"{artefact.name}/{artefact.path.name}"}  # relative to the models folder
    out = customers.merge(now[["customer_id", "churn_probability"]], on="customer_id", how="left")
    out["churn_risk"] = risk_band(out["churn_probability"].to_numpy(dtype=float), p)
    out["model_version"] = version
    age = (as_of - scoring["trained_as_of"]).days if scoring["trained_as_of"] else None
    used = pd.DataFrame([{"as_of_date": as_of, **scoring, "model_age_days": age,
                          "max_model_age_days": p.max_model_age_days,
                          "scored": int(out["churn_probability"].notna().sum())}])
    # typed even when no model was trained (all NULL would make an untyped column)
    used = used.astype({"trained_as_of": "datetime64[s]", "training_cutoff": "datetime64[s]", "file": "string",
                        "model_age_days": "Int64"})
    return {"churn": out, "churn_scoring": used}


@dataclass(frozen=True)
class ModelTag:
    compute: Callable[[duckdb.DuckDBPyConnection, TagConfig], dict[str, pd.DataFrame]]
    column: str  # of model_tags.<name>: checked for coverage, its distribution watched
    tag_key: str  # the catalogue tag it becomes
    binner: Callable[[float], str] | None = None  # numbers are watched in bins
    extra_tables: tuple[str, ...] = ()  # written besides model_tags.<name>
    nullable: bool = False  # NULL is a legitimate value (a predictive tag of a customer who never bought)
    inputs: tuple[AssetKey, ...] = (FACTS_KEY, ORDER_DAYS_KEY)
    uses_model_store: bool = False  # compute(con, config, store): scores with a stored model

    def watched(self, values: pd.Series) -> pd.Series:
        return values.map(self.binner) if self.binner else values


MODEL_TAGS: dict[str, ModelTag] = {
    "rfm": ModelTag(compute_rfm, "segment_code", "rfm_segment", extra_tables=("rfm_thresholds",)),
    "loyalty": ModelTag(compute_loyalty, "loyalty_score", "loyalty_score", binner=loyalty_bin),
    "customer_state": ModelTag(compute_state, "state", "customer_state"),
    "lifecycle_stage": ModelTag(compute_lifecycle, "stage", "lifecycle_stage"),
    "value_class": ModelTag(compute_value_class, "value_class", "value_class"),
    "clv": ModelTag(compute_clv, "p_alive", "p_alive", binner=probability_bin, extra_tables=("clv_fit",),
                    nullable=True, inputs=(FACTS_KEY, PURCHASE_HISTORY_KEY)),
    "churn": ModelTag(compute_churn, "churn_risk", "churn_risk", extra_tables=("churn_scoring",),
                      inputs=(FACTS_KEY, ORDER_DAYS_KEY, AssetKey(["marts", "fct_customer_events"]), CHURN_MODEL_KEY),
                      uses_model_store=True),
}


def _build_model_asset(name: str, config: TagConfig, models_dir: Path) -> AssetsDefinition:
    model = MODEL_TAGS[name]
    tag_key = model.tag_key
    params = asdict(config.params(name))
    tag = config.tag(tag_key)
    specs = [AssetSpec(model_tag_key(name), group_name=GROUP, deps=list(model.inputs),
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
            as_of = _as_of(con)
            frames = (model.compute(con, config, ModelStore(models_dir)) if model.uses_model_store
                      else model.compute(con, config))
            for table, df in frames.items():
                order = "customer_id" if "customer_id" in df else "dimension" if "dimension" in df else "1"
                write_table(con, table, df, order_by=order)
        main = frames[name]
        metadata = {
            "as_of_date": as_of,
            "customers": len(main),
            "parameters": MetadataValue.json(params),
            "distribution": MetadataValue.json(_distribution(model.watched(main[model.column]))),
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


def previous_distribution(con: duckdb.DuckDBPyConnection, model: ModelTag, as_of: str
                          ) -> tuple[str | None, dict[str, float]]:
    """The tag's value shares in the newest history snapshot before `as_of` (none: {})."""
    if not table_exists(con, HISTORY_TABLE):
        return None, {}
    prev = con.execute(f"select max(as_of_date) from {HISTORY_TABLE} where tag_key = ? and as_of_date < ?",
                       [model.tag_key, as_of]).fetchall()[0][0]
    if prev is None:
        return None, {}
    df = con.execute(f"select value, numeric_value from {HISTORY_TABLE} where tag_key = ? and as_of_date = ?",
                     [model.tag_key, prev]).fetch_df()
    values = df["numeric_value"] if model.binner else df["value"]
    return prev.isoformat(), _distribution(model.watched(values))


def total_variation(a: dict[str, float], b: dict[str, float]) -> float:
    return round(0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)), 6)


def _build_checks(name: str, config: TagConfig) -> list[AssetChecksDefinition]:
    model = MODEL_TAGS[name]
    column, tag_key = model.column, model.tag_key
    key = model_tag_key(name)
    bound = config.max_distribution_shift

    @asset_check(asset=key, name="coverage", pool=WAREHOUSE_POOL,
                 description=f"Every customer known on the as-of date has exactly one `{tag_key}` value.")
    def coverage(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            n_facts, = con.execute(f"select count(*) from {FACT_TAGS}").fetchall()[0]
            n, n_ids, missing, nulls = con.execute(f"""
                select count(*), count(distinct t.customer_id),
                       (select count(*) from {FACT_TAGS} f where not exists (
                            select 1 from {SCHEMA}.{name} t2 where t2.customer_id = f.customer_id)),
                       count(*) - count(t.{column})
                from {SCHEMA}.{name} t""").fetchall()[0]
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
            as_of = _as_of(con)
            current = _distribution(model.watched(con.execute(
                f"select {column} from {SCHEMA}.{name}").fetch_df()[column]))
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
            used = con.execute(f"select * from {SCHEMA}.churn_scoring").fetch_df().iloc[0]
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
    rule_catalogue_key = model_tag_key("rule_tag_catalogue")
    specs = [
        AssetSpec(model_tag_key("tag_catalogue"), group_name=GROUP, deps=[FACTS_KEY, rule_catalogue_key],
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
            columns = set(table_columns(con, FACT_TAGS))
            missing = [t.key for t in config.tags if t.source == FACTS and t.key not in columns]
            if missing:
                raise ValueError(f"{config.path}: fact tag(s) {missing} are not columns of {FACT_TAGS}")
            defs = pd.DataFrame([{
                "tag_key": t.key, "name_zh": t.name_zh, "name_en": t.name_en, "layer": t.layer,
                "value_type": t.value_type, "source": t.source, "description": t.description,
                "owner": t.owner, "tracks_changes": t.tracks_changes, "rule_version": versions[t.key],
                "position": i, "defined_in": str(config.path),
                "definition": json.dumps(t.entry(), sort_keys=True, ensure_ascii=False),
            } for i, t in enumerate(config.tags, start=1)])
            # value_position: the order the catalogue lists the values in, which is the order a
            # reader expects (一线 before 新一线 before 二线; <18 before 18-24), not the text order
            labels = pd.DataFrame([{"tag_key": t.key, "value": code, "value_label": label, "value_position": i}
                                   for t in config.tags for i, (code, label) in enumerate(t.values, start=1)],
                                  columns=["tag_key", "value", "value_label", "value_position"])
            rules = con.execute("select * from model_tags.rule_tag_catalogue order by position").fetch_df()
            if len(rules):
                labels = pd.concat([labels, pd.DataFrame(
                    [{"tag_key": r.tag_key, "value": code, "value_label": label, "value_position": i}
                     for r in rules.itertuples()
                     for i, (code, label) in enumerate(json.loads(r.value_labels), start=1)],
                    columns=labels.columns)], ignore_index=True)
                defs = pd.concat([defs, rules[defs.columns]], ignore_index=True)
            write_table(con, "tag_catalogue", defs, order_by="position")
            write_table(con, "tag_value_labels", labels, order_by="tag_key, value")
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
