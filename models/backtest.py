"""How right a churn score is, on customers whose future is known: the backtest metrics.

Pure numpy (no scikit-learn needed for four numbers), so the same functions serve the
pipeline's backtest asset and the tests:

* ROC AUC: the chance a churner is scored above a non-churner (ties count half), from ranks;
* PR AUC: average precision, what a retention team sees working down the list;
* top-decile lift: the churn rate among the 10 % scored highest over the overall rate;
* Brier score: mean squared error of a probability (only for scores that are probabilities).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _arrays(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=bool)
    s = np.asarray(score, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape} vs {s.shape}")
    if np.isnan(s).any():
        raise ValueError("scores hold NaN: score every customer of the backtest")
    return y, s


def roc_auc(y, score) -> float:
    """Mann-Whitney U / (positives x negatives), ties averaged; NaN with one class only."""
    y, s = _arrays(y, score)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y, score) -> float:
    """Area under the precision-recall curve as a step function (ties broken as one block)."""
    y, s = _arrays(y, score)
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # one threshold per distinct score: precision and recall at the end of each tie block
    ends = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), len(s_sorted) - 1]
    tp = np.cumsum(y_sorted)[ends]
    precision = tp / (ends + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def top_decile_lift(y, score, share: float = 0.1) -> float:
    """Churn rate of the `share` scored highest over the overall rate (ties at the cut shared)."""
    y, s = _arrays(y, score)
    base = y.mean() if len(y) else float("nan")
    if not len(y) or base == 0:
        return float("nan")
    k = max(1, int(round(share * len(y))))
    order = np.argsort(-s, kind="stable")
    cut = s[order][k - 1]
    above = s > cut
    at = s == cut
    # customers tied at the cut count in proportion, so the order of rows does not matter
    take_at = (k - above.sum()) / at.sum()
    rate = (y[above].sum() + take_at * y[at].sum()) / k
    return float(rate / base)


def brier(y, probability) -> float:
    y, p = _arrays(y, probability)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("a Brier score needs probabilities in [0, 1]")
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def evaluate(y, score, *, is_probability: bool) -> dict[str, float]:
    """All four metrics (Brier only when the score is a probability), rounded for reports."""
    y_arr = np.asarray(y, dtype=bool)
    out = {"customers": int(len(y_arr)), "churned": int(y_arr.sum()),
           "churn_rate": round(float(y_arr.mean()), 6) if len(y_arr) else float("nan"),
           "roc_auc": roc_auc(y, score), "pr_auc": average_precision(y, score),
           "top_decile_lift": top_decile_lift(y, score),
           "brier": brier(y, score) if is_probability else float("nan")}
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}
