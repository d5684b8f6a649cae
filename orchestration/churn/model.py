"""Training and loading the churn classifier as a versioned artefact (orchestration/churn/store.py).

Training on the data of as-of date D: features at the cutoff D - H, labels = no paid order in
(D - H, D]. The artefact is then applied on D and on the following days (the weekly training,
the daily scoring) to what is known on the scoring date. Nothing after a cutoff enters its
own features; a model trained on data after the scoring date is never used (no leak into a
backfill of an earlier date).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pandas as pd

from models.churn_classifier import FEATURES, ChurnClassifier, train_churn_classifier
from models.clv import CLVResult
from orchestration.churn.store import Artefact, ModelStore
from orchestration.tags.catalogue import TagConfig
from orchestration.churn.features import features_with_p_alive
from orchestration.warehouse import Connection

MODEL_NAME = "churn_classifier"


def identity(config: TagConfig) -> dict:
    """What a stored model must agree on to be used for scoring with this configuration."""
    return {"horizon_days": config.churn.horizon_days,
            "features": list(FEATURES)}


def train_and_save(con: Connection, config: TagConfig, as_of: date, store: ModelStore,
                   validation: dict | None = None, trained_by: str = "weekly training",
                   at_cutoff: tuple[pd.DataFrame, CLVResult] | None = None) -> Artefact:
    """Train on the data of `as_of` (cutoff as_of - H) and store the artefact with its manifest.
    `at_cutoff`: the features and P(alive) fit at that cutoff when the caller already has them
    (the weekly training backtests on the same cutoff). Raises ValueError when the cutoff has
    too few buyers or one class only."""
    h = config.churn.horizon_days
    cutoff = as_of - timedelta(days=h)
    train, fit = at_cutoff or features_with_p_alive(con, h, h, cutoff, config.clv)
    classifier = train_churn_classifier(train, train["churned"].to_numpy(dtype=bool),
                                        max_rows=config.churn.max_train_customers)
    manifest = {
        **identity(config),
        "trained_as_of": as_of.isoformat(),
        "training_cutoff": cutoff.isoformat(),
        "label": f"no paid order in the {h} days after the cutoff",
        "n_train": classifier.n_train,
        "train_churn_rate": round(classifier.train_churn_rate, 6),
        "p_alive_feature": {"model": config.clv.model, "version": fit.version},
        "params": asdict(config.churn),
        "validation": validation or {"note": f"none: trained by the {trained_by}; the weekly training job "
                                             "also backtests"},
        "trained_by": trained_by,
    }
    return store.save(MODEL_NAME, classifier, manifest)


def load_or_train(con: Connection, config: TagConfig, as_of: date, store: ModelStore
                  ) -> tuple[ChurnClassifier, Artefact, str]:
    """The newest usable stored model for scoring on `as_of`, or (none yet, e.g. the first run
    or a changed horizon) one trained now and stored. Returns the model, its artefact, and how
    it was obtained: 'loaded' or 'trained now'."""
    artefact = store.latest(MODEL_NAME, as_of, identity(config))
    if artefact is not None:
        model = store.load(artefact)
        if not isinstance(model, ChurnClassifier):
            raise TypeError(f"{artefact.path}: holds a {type(model).__name__}, not a churn classifier")
        return model, artefact, "loaded"
    artefact = train_and_save(con, config, as_of, store, trained_by="scoring step (no usable stored model)")
    return store.load(artefact), artefact, "trained now"
