"""A learned churn classifier: histogram gradient boosting on what is known at a cutoff, calibrated.

Trained at an earlier cutoff (labels: who bought in the horizon after it, all before the
evaluation cutoff) and applied at a later one, so nothing after a cutoff ever enters its own
features. Features are the customer's purchase history up to the cutoff (frequency, recency,
age, spend, recent purchase days), behaviour before it (views, carts, favourites, logins,
active days, days since the last event) and the MBG/NBD P(alive) fitted at the same cutoff.
Isotonic calibration (3-fold) turns the boosted scores into probabilities a Brier score can
judge. Deterministic: fixed random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

FEATURES = ("frequency", "recency", "t_days", "days_since_last_purchase", "net_amount", "monetary_repeat",
            "purchase_days_90d", "purchase_days_365d", "views_30d", "views_90d", "add_to_cart_30d",
            "favourites_90d", "logins_30d", "event_days_30d", "days_since_last_event", "p_alive")


RISK_BANDS = ("high", "medium", "low", "none")
MIN_PER_CLASS = 10  # fewer churned (or kept) customers at the training cutoff: no model is trained


@dataclass(frozen=True)
class ChurnParams:
    horizon_days: int = 90  # churned = no paid order in this many days after the cutoff
    high_cut: float = 0.7  # churn probability >= high_cut: high risk
    medium_cut: float = 0.4  # >= medium_cut: medium; below: low
    baseline_rule: str = "predicted_churn"  # the rule tag every churn model must beat in the backtest
    max_model_age_days: int = 14  # a model trained longer before the as-of date than this is stale (warn)
    max_train_customers: int = 200_000  # a larger training cutoff is sampled (fixed seed) to this many

    def __post_init__(self) -> None:
        if self.horizon_days <= 0:
            raise ValueError("churn.horizon_days must be a positive number of days")
        if not 0 < self.medium_cut < self.high_cut < 1:
            raise ValueError("churn cut points must satisfy 0 < medium_cut < high_cut < 1")
        if self.max_model_age_days <= 0:
            raise ValueError("churn.max_model_age_days must be a positive number of days")
        if self.max_train_customers < 2 * MIN_PER_CLASS:
            raise ValueError(f"churn.max_train_customers must be at least {2 * MIN_PER_CLASS}")


def risk_band(probability: np.ndarray, params: ChurnParams) -> np.ndarray:
    """high / medium / low by the configured cut points; none where there is no probability."""
    p = np.asarray(probability, dtype=float)
    return np.select([np.isnan(p), p >= params.high_cut, p >= params.medium_cut], ["none", "high", "medium"],
                     default="low")


@dataclass(frozen=True)
class ChurnClassifier:
    model: CalibratedClassifierCV
    features: tuple[str, ...]
    n_train: int
    train_churn_rate: float

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(churn) per row of `frame` (the FEATURES columns; NaN allowed: the trees route them)."""
        return self.model.predict_proba(frame[list(self.features)].to_numpy(dtype=float))[:, 1]


def train_churn_classifier(frame: pd.DataFrame, churned: np.ndarray, seed: int = 0,
                           max_rows: int | None = None) -> ChurnClassifier:
    """Fit on `frame` (the FEATURES columns) and its labels. Beyond `max_rows` customers a
    uniform sample (fixed seed, so the same data give the same model) is used: at a million
    buyers the boosted trees learn no more from the rest, and training time stays bounded."""
    x = frame[list(FEATURES)].to_numpy(dtype=float)
    y = np.asarray(churned, dtype=bool)
    if max_rows is not None and len(y) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), size=max_rows, replace=False))
        x, y = x[keep], y[keep]
    churned_n, kept_n = int(y.sum()), int((~y).sum())
    if min(churned_n, kept_n) < MIN_PER_CLASS:
        raise ValueError(f"too few customers to learn from at the training cutoff: {churned_n} churned and "
                         f"{kept_n} kept buying (at least {MIN_PER_CLASS} of each are needed)")
    base = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=31,
                                          l2_regularization=1.0, random_state=seed)
    model = CalibratedClassifierCV(base, method="isotonic", cv=3)
    model.fit(x, y)
    return ChurnClassifier(model, FEATURES, int(len(y)), float(y.mean()))
