"""RFM: recency, frequency and monetary value scored 1-5, and the 8 segments of domain.md.

As of date D, for the customers with at least one paid order in the look-back window:
R = days since the last paid order, F = paid orders in the window, M = net paid amount in the
window. Each is scored 1-5 by quantile (models.scoring.quantile_scores; R reversed, so recent
is 5). A dimension is *high* when its score is strictly above the threshold: the mean score of
the scored population (default, "compared with the average"), the median score (both rounded
to `threshold_decimals`), or a fixed score per dimension. High/low on R, F and M gives the segment. Customers without a paid order
in the window are not scored and the status says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.scoring import quantile_scores, score_report

# (R high, F high, M high) -> (code, Chinese name as in domain.md)
SEGMENTS: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (True, True, True): ("important_value", "重要价值"),
    (False, True, True): ("important_keep", "重要保持"),
    (True, False, True): ("important_develop", "重要发展"),
    (False, False, True): ("important_winback", "重要挽留"),
    (True, True, False): ("general_value", "一般价值"),
    (False, True, False): ("general_keep", "一般保持"),
    (True, False, False): ("general_develop", "一般发展"),
    (False, False, False): ("general_winback", "一般挽留"),
}
NOT_SCORED = ("not_scored", "未评分")
# the segment of high-flag bits r*4 + f*2 + m
_SEGMENT_CODES = np.array([SEGMENTS[(bool(k & 4), bool(k & 2), bool(k & 1))][0] for k in range(8)], dtype=object)
_SEGMENT_NAMES = np.array([SEGMENTS[(bool(k & 4), bool(k & 2), bool(k & 1))][1] for k in range(8)], dtype=object)
THRESHOLD_METHODS = ("mean", "median", "fixed")


@dataclass(frozen=True)
class RFMParams:
    window_days: int = 365
    threshold_method: str = "mean"
    fixed_thresholds: dict[str, float] = field(default_factory=lambda: {"r": 3.0, "f": 3.0, "m": 3.0})
    threshold_decimals: int = 1
    """The mean / median score is rounded to this many decimals before comparing: a mean of
    2.9947 (ties pulled it below 3) must not make the middle quintile 'high' in one run and
    'low' in the next."""

    def __post_init__(self) -> None:
        if self.threshold_method not in THRESHOLD_METHODS:
            raise ValueError(f"rfm.threshold_method must be one of {THRESHOLD_METHODS}, "
                             f"not {self.threshold_method!r}")
        if self.window_days < 1:
            raise ValueError(f"rfm.window_days must be >= 1, not {self.window_days}")
        if self.threshold_method == "fixed" and set(self.fixed_thresholds) != {"r", "f", "m"}:
            raise ValueError("rfm.fixed_thresholds needs exactly the keys r, f and m")


@dataclass(frozen=True)
class RFMResult:
    customers: pd.DataFrame
    """customer_id, scored, status, recency_days, frequency, monetary, r/f/m_score, r/f/m_high,
    segment_code, segment_name: one row per input customer."""
    thresholds: pd.DataFrame
    """One row per dimension: method, threshold, mean/median score, what the scoring did."""


def score_rfm(inputs: pd.DataFrame, params: RFMParams = RFMParams()) -> RFMResult:
    """Score every customer of `inputs` (columns customer_id, recency_days, frequency, monetary).

    frequency 0 (or missing) means no paid order in the window: not scored. recency_days is
    the days since the last paid order, any time (NULL: never bought).
    """
    df = inputs[["customer_id", "recency_days", "frequency", "monetary"]].copy()
    df["frequency"] = df["frequency"].fillna(0).astype("int64")
    df["monetary"] = df["monetary"].fillna(0).astype(float)
    scored = (df["frequency"] > 0).to_numpy()
    out = df.assign(scored=scored)
    out["status"] = np.where(
        scored, "scored",
        np.where(df["recency_days"].isna(), "not scored: no paid order ever",
                 f"not scored: no paid order in the last {params.window_days} days"))

    rows = []
    bits = np.zeros(int(scored.sum()), dtype=np.int64)
    dimensions = (("r", "recency_days", True, 4), ("f", "frequency", False, 2), ("m", "monetary", False, 1))
    for dim, column, reverse, weight in dimensions:
        values = df.loc[scored, column].to_numpy(dtype=float)
        scores = quantile_scores(values, reverse=reverse)
        full = np.full(len(df), np.nan)
        full[scored] = scores
        out[f"{dim}_score"] = pd.Series(full, index=out.index).astype("Int8")
        mean_score = float(scores.mean()) if len(scores) else float("nan")
        median_score = float(np.median(scores)) if len(scores) else float("nan")
        threshold = {"mean": round(mean_score, params.threshold_decimals),
                     "median": round(median_score, params.threshold_decimals),
                     "fixed": float(params.fixed_thresholds.get(dim, 3.0))}[params.threshold_method]
        high = scores > threshold
        bits += weight * high
        flags = pd.array([pd.NA] * len(df), dtype="boolean")
        flags[scored] = high
        out[f"{dim}_high"] = flags
        report = score_report(values, scores)
        ranges = {int(s): (float(values[scores == s].min()), float(values[scores == s].max()))
                  for s in report.scores_used}
        rows.append({
            "dimension": dim.upper(), "column": column, "method": params.threshold_method,
            "threshold": threshold, "mean_score": mean_score, "median_score": median_score,
            "n_scored": report.n_scored, "n_distinct_values": report.n_distinct_values,
            "scores_used": ",".join(str(s) for s in report.scores_used),
            "score_ranges": ", ".join(f"{s}: {lo:g}..{hi:g}" for s, (lo, hi) in sorted(ranges.items())),
            "note": report.note, "window_days": params.window_days,
        })

    codes = np.full(len(df), NOT_SCORED[0], dtype=object)
    names = np.full(len(df), NOT_SCORED[1], dtype=object)
    codes[scored] = _SEGMENT_CODES[bits]
    names[scored] = _SEGMENT_NAMES[bits]
    out["segment_code"] = codes
    out["segment_name"] = names
    columns = ["customer_id", "scored", "status", "recency_days", "frequency", "monetary",
               "r_score", "f_score", "m_score", "r_high", "f_high", "m_high",
               "segment_code", "segment_name"]
    return RFMResult(customers=out[columns].reset_index(drop=True), thresholds=pd.DataFrame(rows))
