"""Quantile scores that stay honest on awkward data: ties, few distinct values, one customer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScoreReport:
    """What happened when a column was scored, kept with the run (rfm_thresholds)."""

    n_scored: int
    n_distinct_values: int
    scores_used: tuple[int, ...]
    note: str


def quantile_scores(values: np.ndarray, n_scores: int = 5, reverse: bool = False) -> np.ndarray:
    """Scores 1..n_scores by the mid-rank percentile of each value.

    A value's percentile is (values below it + half the values equal to it) / N, and its score
    1 + floor(n_scores * percentile). Equal values therefore always share a score (no
    arbitrary tie-breaking by row order), the score never decreases as the value grows, and a
    column of one repeated value scores the middle (3 of 5) instead of crashing or inventing
    spread. `reverse` scores small values high (recency: fewer days = more recent = 5).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return np.zeros(0, dtype=np.int8)
    if np.isnan(x).any():
        raise ValueError("quantile_scores: values contain NaN; score only the scored population")
    if reverse:
        x = -x
    uniq, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    below = np.concatenate(([0], np.cumsum(counts)[:-1]))
    percentile = (below + 0.5 * counts) / x.size
    score_of_unique = np.minimum(n_scores, 1 + np.floor(n_scores * percentile)).astype(np.int8)
    return score_of_unique[inverse.reshape(-1)]


def score_report(values: np.ndarray, scores: np.ndarray, n_scores: int = 5) -> ScoreReport:
    """Which scores were used and, when fewer than all, why (few distinct values, big ties)."""
    n_distinct = int(np.unique(values).size) if len(values) else 0
    used = tuple(int(s) for s in np.unique(scores))
    if not len(values):
        note = "nobody to score"
    elif len(used) == n_scores:
        note = "all scores used"
    else:
        empty = [s for s in range(1, n_scores + 1) if s not in used]
        note = (f"{n_distinct} distinct value(s) over {len(values)} customers: scores "
                f"{list(used)} used, {empty} empty (ties share a score)")
    return ScoreReport(n_scored=int(len(values)), n_distinct_values=n_distinct,
                       scores_used=used, note=note)
