"""Loyalty: how steadily a customer keeps buying, 0-100.

Look at the n most recent periods of t days each, ending on the as-of date (period 0 holds
days_ago 0..t-1, period 1 the t days before, ...). s_i is the customer's activity count in
period i (paid-order days by default). With recency weights w_i = decay**i,

    loyalty = 100 * sum_i w_i * min(1, s_i / target) / sum_i w_i

so a customer active in every period (at least `target` times) scores 100, one active in none
0, and a period missed recently costs more than one missed long ago. It rewards regularity
(Reichheld & Sasser's retention), not volume: ten orders in one month count as one period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LoyaltyParams:
    n_periods: int = 12
    period_days: int = 30
    decay: float = 0.9
    target_per_period: float = 1.0

    def __post_init__(self) -> None:
        if self.n_periods < 1 or self.period_days < 1:
            raise ValueError("loyalty.n_periods and loyalty.period_days must be >= 1")
        if not 0 < self.decay <= 1:
            raise ValueError(f"loyalty.decay must be in (0, 1], not {self.decay}")
        if self.target_per_period <= 0:
            raise ValueError("loyalty.target_per_period must be > 0")

    @property
    def horizon_days(self) -> int:
        return self.n_periods * self.period_days


def loyalty_scores(customer_ids: pd.Series, activity: pd.DataFrame,
                   params: LoyaltyParams = LoyaltyParams()) -> pd.DataFrame:
    """customer_id, loyalty_score, active_periods for every id in `customer_ids`.

    `activity` holds (customer_id, days_ago, count): one row per customer and active day
    (rows beyond the horizon are ignored; customers absent from it score 0).
    """
    ids = pd.Index(customer_ids.astype(str), name="customer_id")
    act = activity[activity["days_ago"].between(0, params.horizon_days - 1)]
    period = (act["days_ago"].to_numpy() // params.period_days).astype(np.int64)
    per = (pd.DataFrame({"customer_id": act["customer_id"].astype(str).to_numpy(), "period": period,
                         "count": act["count"].to_numpy(dtype=float)})
           .groupby(["customer_id", "period"], sort=False)["count"].sum().reset_index())
    weights = params.decay ** np.arange(params.n_periods, dtype=float)
    per["credit"] = np.minimum(1.0, per["count"] / params.target_per_period) * weights[per["period"]]
    agg = per.groupby("customer_id").agg(credit=("credit", "sum"), active_periods=("period", "nunique"))
    agg = agg.reindex(ids, fill_value=0)
    score = np.round(100.0 * agg["credit"].to_numpy(dtype=float) / weights.sum(), 2)
    return pd.DataFrame({"customer_id": ids.to_numpy(), "loyalty_score": score,
                         "active_periods": agg["active_periods"].to_numpy(dtype=np.int64),
                         "n_periods": params.n_periods})
