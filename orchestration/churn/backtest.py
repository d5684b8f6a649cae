"""The churn backtest: how right each churn score would have been, on the data we already have;
and the registry of stored classifiers.

`churn_model`: the classifier trained on the data of the as-of date (features at the as-of
date minus H = `parameters.churn.horizon_days`, labels: no paid order since), stored by
orchestration/churn/store.py with the backtest below as its validation metrics. The daily
scoring (model tag `churn`) loads the newest stored model; the weekly job retrains.

`churn_backtest`: cutoff = as-of date minus H. The population is every customer who had
bought by the cutoff; a customer *churned* when they made no paid order in the H days after
it. Each model sees only what was known at the cutoff:

* `mbgnbd_p_alive`: the MBG/NBD (or BG/NBD) fitted on the purchase days up to the cutoff;
  churn probability = 1 - P(alive);
* `hgb_classifier`: the same recipe as `churn_model`, trained at as-of minus 2H on who bought
  in the H days after that (all before the evaluation cutoff), applied at the cutoff;
* `rule:<baseline>`: the baseline rule tag (the canonical predicted-churn rule) evaluated as
  of the cutoff over the events up to it. A rule that names tags or golden fields is not
  backtested: those hold today's values, which would leak the future.

ROC AUC, PR AUC, top-decile lift and Brier score (models/backtest.py) land in
`model_tags.churn_backtest` (kept per as-of date in `marts.churn_backtests`), in the
asset's metadata, side by side, and in the model's manifest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from models.backtest import evaluate
from models.churn_classifier import train_churn_classifier
from models.clv import CLVResult
from orchestration.churn.features import features_with_p_alive
from orchestration.churn.model import MODEL_NAME
from orchestration.churn.store import ModelStore
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.model_tags import facts_as_of
from orchestration.tags.rule_engine import EVENTS_VIEW, ORDERS_VIEW, VALUES_TABLE, prepare_relations
from orchestration.tags.rule_tags import load_rules
from orchestration.tags.rules.compiling import compile_rule_tag
from orchestration.tags.rules.schema import RuleTag
from orchestration.warehouse import Connection, registered

POPULATION = "_backtest_population"


def rule_at_cutoff(con: Connection, rule: RuleTag, cutoff) -> pd.Series:
    """The baseline rule's verdict per customer of the population, as of the cutoff."""
    prepare_relations(con, cutoff)
    sql, params = compile_rule_tag(rule, cutoff, POPULATION, EVENTS_VIEW, VALUES_TABLE, ORDERS_VIEW)
    rows = con.execute(sql, params).fetchall()
    return pd.Series({c: v == "true" for c, v, _ in rows}, dtype=bool)


def backtest_cutoff(con: Connection, config: TagConfig) -> tuple[date, date]:
    """(as-of date, cutoff = as-of date minus the horizon)."""
    as_of = pd.Timestamp(facts_as_of(con)).date()
    return as_of, as_of - timedelta(days=config.churn.horizon_days)


def run_backtest(con: Connection, config: TagConfig, rule_tags_dir: Path,
                 at_cutoff: tuple[pd.DataFrame, CLVResult] | None = None) -> tuple[pd.DataFrame, dict]:
    """The backtest rows; `at_cutoff`: the features and P(alive) fit at the cutoff, when the
    caller already has them (the weekly training also trains the stored model on them)."""
    p = config.clv
    h = config.churn.horizon_days
    as_of, cutoff = backtest_cutoff(con, config)
    history, fit = at_cutoff or features_with_p_alive(con, h, h, cutoff, p)
    y = history["churned"].to_numpy(dtype=bool)
    base = {"as_of_date": as_of, "cutoff_date": cutoff, "horizon_days": h}
    rows = []
    if fit.fit.get("status") == "fitted":
        churn = 1.0 - fit.customers["p_alive"].to_numpy()
        rows.append({**base, "model": f"{p.model}_p_alive", "model_version": fit.version,
                     **evaluate(y, churn, is_probability=True), "note": "churn probability = 1 - P(alive)"})
    else:
        rows.append({**base, "model": f"{p.model}_p_alive", "model_version": fit.version, "note": fit.fit["status"]})
    rows.append({**base, **_classifier_row(con, p, h, as_of, history, y, config.churn.max_train_customers)})
    rules, _ = load_rules(config, rule_tags_dir)
    baseline = config.churn.baseline_rule
    rule = next((t for t in rules if t.key == baseline), None)
    if rule is None:
        rows.append({**base, "model": f"rule:{baseline}", "note": f"no sound rule tag {baseline!r}"})
    elif rule.fields_used or rule.sql is not None or rule.depends_on:
        rows.append({**base, "model": f"rule:{rule.key}", "model_version": rule.rule_version,
                     "note": "not backtested: the rule reads tags or fields of today (only event rules can be "
                             "evaluated at a past cutoff)"})
    else:
        with registered(con, "backtest_history", history[["customer_id"]]):
            con.execute(f"create or replace temp table {POPULATION} as select customer_id from backtest_history")
        verdict = rule_at_cutoff(con, rule, cutoff).reindex(history["customer_id"]).fillna(False).to_numpy()
        rows.append({**base, "model": f"rule:{rule.key}", "model_version": rule.rule_version,
                     **evaluate(y, verdict.astype(float), is_probability=True),
                     "note": f"{int(verdict.sum())} customers flagged at the cutoff"})
    columns = ["as_of_date", "cutoff_date", "horizon_days", "model", "model_version", "customers", "churned",
               "churn_rate", "roc_auc", "pr_auc", "top_decile_lift", "brier", "note"]
    return pd.DataFrame(rows).reindex(columns=columns), fit.fit


def _classifier_row(con: Connection, p, h: int, as_of, evaluation: pd.DataFrame,
                    y: np.ndarray, max_rows: int) -> dict:
    """Train at as-of minus 2h (labels: the h days after it, all before the evaluation cutoff),
    score at as-of minus h."""
    train_cutoff = as_of - timedelta(days=2 * h)
    train, train_fit = features_with_p_alive(con, 2 * h, h, train_cutoff, p)
    name = "hgb_classifier"
    try:
        classifier = train_churn_classifier(train, train["churned"].to_numpy(dtype=bool),
                                            max_rows=max_rows)
    except ValueError as exc:
        return {"model": name, "note": f"not trained at {train_cutoff}: {exc}"}
    version = hashlib.sha256(json.dumps([str(train_cutoff), h, list(classifier.features), classifier.n_train,
                                         train_fit.version]).encode()).hexdigest()[:12]
    return {"model": name, "model_version": version,
            **evaluate(y, classifier.predict_proba(evaluation), is_probability=True),
            "note": f"trained at {train_cutoff} on {classifier.n_train} customers "
                    f"(churn rate {classifier.train_churn_rate:.3f}); isotonic calibration"}


def registry_frame(store: ModelStore) -> pd.DataFrame:
    """One row per stored churn model: the warehouse's view of the artefacts on disk (files
    relative to the models folder, so that the same data give the same table anywhere)."""
    rows = [{"model": a.name, "model_version": a.version, "trained_as_of": a.manifest.get("trained_as_of"),
             "training_cutoff": a.manifest.get("training_cutoff"), "horizon_days": a.manifest.get("horizon_days"),
             "n_train": a.manifest.get("n_train"), "train_churn_rate": a.manifest.get("train_churn_rate"),
             "features": json.dumps(a.manifest.get("features")), "trained_by": a.manifest.get("trained_by"),
             "validation": json.dumps(a.manifest.get("validation"), sort_keys=True, default=str),
             "sklearn_version": a.manifest.get("sklearn_version"), "sha256": a.manifest.get("sha256"),
             "file": f"{a.name}/{a.path.name}"} for a in store.artefacts(MODEL_NAME)]
    columns = ["model", "model_version", "trained_as_of", "training_cutoff", "horizon_days", "n_train",
               "train_churn_rate", "features", "trained_by", "validation", "sklearn_version", "sha256", "file"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("trained_as_of", "training_cutoff"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame
