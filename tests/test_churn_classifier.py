"""models/churn_classifier.py on synthetic customers whose churn depends on their history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.backtest import brier, roc_auc
from models.churn_classifier import FEATURES, train_churn_classifier


def customers(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f: rng.gamma(2.0, 3.0, n) for f in FEATURES})
    frame["p_alive"] = rng.uniform(0, 1, n)
    frame.loc[rng.uniform(size=n) < 0.1, "days_since_last_event"] = np.nan  # never browsed
    logit = 2.5 * (0.5 - frame["p_alive"]) + 0.15 * (frame["days_since_last_purchase"] - 6) \
        - 0.2 * (frame["views_30d"] - 6)
    churned = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return frame, churned.to_numpy()


def test_it_learns_the_signal_and_is_calibrated():
    train, y_train = customers(6000, 1)
    test, y_test = customers(3000, 2)
    model = train_churn_classifier(train, y_train)
    p = model.predict_proba(test)
    assert roc_auc(y_test, p) > 0.75
    assert brier(y_test, p) < brier(y_test, np.full(len(y_test), y_train.mean()))
    assert abs(p.mean() - y_test.mean()) < 0.03
    assert np.array_equal(p, train_churn_classifier(train, y_train).predict_proba(test))  # deterministic


def test_one_class_or_too_few_of_a_class_is_refused():
    train, _ = customers(100, 3)
    with pytest.raises(ValueError, match="0 churned and 100 kept buying"):
        train_churn_classifier(train, np.zeros(100, dtype=bool))
    few = np.zeros(100, dtype=bool)
    few[:9] = True
    with pytest.raises(ValueError, match="at least 10 of each"):
        train_churn_classifier(train, few)


def test_a_large_training_set_is_sampled_the_same_way_each_time():
    train, y = customers(3000, 4)
    small = train_churn_classifier(train, y, max_rows=1000)
    assert small.n_train == 1000
    again = train_churn_classifier(train, y, max_rows=1000)
    assert np.array_equal(small.predict_proba(train), again.predict_proba(train))
    assert train_churn_classifier(train, y, max_rows=5000).n_train == 3000
