"""models/backtest.py against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from models.backtest import average_precision, brier, evaluate, roc_auc, top_decile_lift


def test_roc_auc_counts_pairs_and_halves_ties():
    y = [1, 0, 1, 0]
    assert roc_auc(y, [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert roc_auc(y, [0.1, 0.9, 0.2, 0.8]) == 0.0
    assert roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5
    # pairs (pos, neg): (0.9,0.1) win, (0.9,0.95) lose, (0.3,0.1) win, (0.3,0.95) lose -> 2/4
    assert roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.3, 0.95]) == 0.5
    assert np.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_average_precision_is_the_step_area():
    # ranking: pos (p=1, r=.5), neg, pos (p=2/3, r=1) -> 0.5*1 + 0.5*2/3
    assert average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 + 1 / 3)
    # one tie block holding everything: precision = base rate
    assert average_precision([1, 0, 0, 0], [1, 1, 1, 1]) == pytest.approx(0.25)


def test_top_decile_lift_shares_ties_at_the_cut():
    y = np.array([1] * 10 + [0] * 90)
    perfect = np.r_[np.ones(10), np.zeros(90)]
    assert top_decile_lift(y, perfect) == pytest.approx(10.0)
    assert top_decile_lift(y, np.zeros(100)) == pytest.approx(1.0)  # all tied: the base rate


def test_brier_and_evaluate():
    assert brier([1, 0], [1.0, 0.0]) == 0.0 and brier([1, 0], [0.5, 0.5]) == 0.25
    with pytest.raises(ValueError, match="probabilities"):
        brier([1], [1.5])
    out = evaluate([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], is_probability=True)
    assert out["customers"] == 4 and out["churned"] == 2 and out["roc_auc"] == 1.0 and out["brier"] == 0.025
    assert np.isnan(evaluate([1, 0], [3.0, 1.0], is_probability=False)["brier"])
