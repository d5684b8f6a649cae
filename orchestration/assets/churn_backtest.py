"""The churn backtest: how well each churn score would have done, on the data we already have.

Cutoff = as-of date minus H days (`parameters.clv.backtest_horizon_days`, default 90). The
population is every customer who had bought by the cutoff; a customer *churned* when they
made no paid order in the H days after it. Each model sees only what was known at the cutoff:

* `mbgnbd_p_alive`: the MBG/NBD (or BG/NBD) fitted on the purchase days up to the cutoff;
  churn probability = 1 - P(alive);
* `hgb_classifier`: histogram gradient boosting (models/churn_classifier.py) trained at as-of
  minus 2H on who bought in the H days after that (all before the evaluation cutoff), applied
  at the cutoff to what was known then;
* `rule:<baseline>`: the baseline rule tag (the canonical predicted-churn rule) evaluated as
  of the cutoff over the events up to it. A rule that names tags or golden fields is not
  backtested: those hold today's values, which would leak the future.

ROC AUC, PR AUC, top-decile lift and Brier score (models/backtest.py) land in
`model_tags.churn_backtest` (kept per as-of date in `marts.churn_backtests`) and in the
asset's metadata, side by side.
"""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from models.backtest import evaluate
from models.churn_classifier import train_churn_classifier
from orchestration.assets.ingest import WAREHOUSE_POOL
from orchestration.assets.model_tags import (
    FACTS_KEY,
    GROUP,
    ORDER_DAYS_KEY,
    _as_of,
    markdown_table,
    model_tag_key,
    write_table,
)
from orchestration.assets.rule_tags import load_rules
from orchestration.tags.churn_features import features_with_p_alive
from orchestration.resources import DuckDBWarehouse
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.rule_engine import EVENTS_VIEW, ORDERS_VIEW, VALUES_TABLE, prepare_relations
from orchestration.tags.rules import RuleTag, compile_rule_tag

POPULATION = "_backtest_population"


def rule_at_cutoff(con: duckdb.DuckDBPyConnection, rule: RuleTag, cutoff) -> pd.Series:
    """The baseline rule's verdict per customer of the population, as of the cutoff."""
    prepare_relations(con, cutoff)
    sql, params = compile_rule_tag(rule, cutoff, POPULATION, EVENTS_VIEW, VALUES_TABLE, ORDERS_VIEW)
    rows = con.execute(sql, params).fetchall()
    return pd.Series({c: v == "true" for c, v, _ in rows}, dtype=bool)


def run_backtest(con: duckdb.DuckDBPyConnection, config: TagConfig, rule_tags_dir: Path) -> tuple[pd.DataFrame, dict]:
    p = config.clv
    h = p.backtest_horizon_days
    as_of = pd.Timestamp(_as_of(con)).date()
    cutoff = as_of - timedelta(days=h)
    history, fit = features_with_p_alive(con, h, h, cutoff, p)
    y = history["churned"].to_numpy(dtype=bool)
    base = {"as_of_date": as_of, "cutoff_date": cutoff, "horizon_days": h}
    rows = []
    if fit.fit.get("status") == "fitted":
        churn = 1.0 - fit.customers["p_alive"].to_numpy()
        rows.append({**base, "model": f"{p.model}_p_alive", "model_version": fit.version,
                     **evaluate(y, churn, is_probability=True), "note": "churn probability = 1 - P(alive)"})
    else:
        rows.append({**base, "model": f"{p.model}_p_alive", "model_version": fit.version, "note": fit.fit["status"]})
    rows.append({**base, **_classifier_row(con, p, h, as_of, history, y)})
    rules, _ = load_rules(config, rule_tags_dir)
    rule = next((t for t in rules if t.key == p.baseline_rule), None)
    if rule is None:
        rows.append({**base, "model": f"rule:{p.baseline_rule}", "note": f"no sound rule tag {p.baseline_rule!r}"})
    elif rule.fields_used or rule.sql is not None or rule.depends_on:
        rows.append({**base, "model": f"rule:{rule.key}", "model_version": rule.rule_version,
                     "note": "not backtested: the rule reads tags or fields of today (only event rules can be "
                             "evaluated at a past cutoff)"})
    else:
        con.register("backtest_history", history[["customer_id"]])
        try:
            con.execute(f"create or replace temp table {POPULATION} as select customer_id from backtest_history")
        finally:
            con.unregister("backtest_history")
        verdict = rule_at_cutoff(con, rule, cutoff).reindex(history["customer_id"]).fillna(False).to_numpy()
        rows.append({**base, "model": f"rule:{rule.key}", "model_version": rule.rule_version,
                     **evaluate(y, verdict.astype(float), is_probability=True),
                     "note": f"{int(verdict.sum())} customers flagged at the cutoff"})
    columns = ["as_of_date", "cutoff_date", "horizon_days", "model", "model_version", "customers", "churned",
               "churn_rate", "roc_auc", "pr_auc", "top_decile_lift", "brier", "note"]
    return pd.DataFrame(rows).reindex(columns=columns), fit.fit


def _classifier_row(con: duckdb.DuckDBPyConnection, p, h: int, as_of, evaluation: pd.DataFrame,
                    y: np.ndarray) -> dict:
    """Train at as-of minus 2h (labels: the h days after it, all before the evaluation cutoff),
    score at as-of minus h."""
    train_cutoff = as_of - timedelta(days=2 * h)
    train, train_fit = features_with_p_alive(con, 2 * h, h, train_cutoff, p)
    name = "hgb_classifier"
    try:
        classifier = train_churn_classifier(train, train["churned"].to_numpy(dtype=bool))
    except ValueError as exc:
        return {"model": name, "note": f"not trained at {train_cutoff}: {exc}"}
    version = hashlib.sha256(json.dumps([str(train_cutoff), h, list(classifier.features), classifier.n_train,
                                         train_fit.version]).encode()).hexdigest()[:12]
    return {"model": name, "model_version": version,
            **evaluate(y, classifier.predict_proba(evaluation), is_probability=True),
            "note": f"trained at {train_cutoff} on {classifier.n_train} customers "
                    f"(churn rate {classifier.train_churn_rate:.3f}); isotonic calibration"}


def build_churn_backtest_asset(config: TagConfig, rule_tags_dir: Path):
    @asset(key=model_tag_key("churn_backtest"), group_name=GROUP, pool=WAREHOUSE_POOL, kinds={"python", "duckdb"},
           deps=[FACTS_KEY, ORDER_DAYS_KEY, AssetKey(["marts", "fct_customer_events"])],
           description="The churn backtest: each churn score (MBG/NBD P(alive), the baseline rule) fitted or "
                       f"evaluated {config.clv.backtest_horizon_days} days before the as-of date and judged on who "
                       "bought since: ROC AUC, PR AUC, top-decile lift, Brier score.")
    def churn_backtest(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect() as con:
            results, fit = run_backtest(con, config, rule_tags_dir)
            write_table(con, "churn_backtest", results, order_by="model")
        shown = results.drop(columns=["as_of_date", "model_version"])
        return MaterializeResult(metadata={
            "cutoff_date": str(results["cutoff_date"].iloc[0]),
            "results": MetadataValue.md(markdown_table(shown)),
            "fit_at_cutoff": MetadataValue.json(json.loads(json.dumps(fit, default=str))),
            **{f"roc_auc {m}": MetadataValue.float(float(a)) for m, a in zip(results["model"], results["roc_auc"])
               if a == a},
        })

    return churn_backtest
