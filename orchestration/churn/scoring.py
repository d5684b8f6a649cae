"""Daily churn scoring: the probability and risk band of every buyer on the as-of date."""

from __future__ import annotations

from datetime import date

import pandas as pd

from models.churn_classifier import risk_band
from orchestration.churn.features import features_with_p_alive
from orchestration.churn.model import load_or_train
from orchestration.churn.store import ModelStore
from orchestration.tags.catalogue import TagConfig
from orchestration.warehouse import Connection
from orchestration.warehouse.tables import FACT_TAGS

def compute_churn(con: Connection, config: TagConfig, store: ModelStore) -> dict[str, pd.DataFrame]:
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
