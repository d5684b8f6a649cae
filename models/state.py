"""Customer state: how close the customer is to the brand now.

prospect  no paid order yet (on the as-of date);
new       first paid order less than `new_days` ago;
then, by the days since the last paid order divided by the customer's purchase cycle:
active    <= active_multiple cycles;  silent <= silent_multiple;  sleeping <= sleeping_multiple;
churned   beyond that.

The purchase cycle is the customer's own mean gap between paid-order days when they have at
least `min_intervals` gaps (so one lucky repeat does not define a rhythm), clamped to
[min_cycle_days, max_cycle_days]; otherwise the configured default cycle. A weekly buyer is
silent after a few weeks; a yearly buyer is still active after ten months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STATES = ("prospect", "new", "active", "silent", "sleeping", "churned")
STATE_NAMES = {"prospect": "潜在", "new": "新客", "active": "活跃", "silent": "沉默",
               "sleeping": "沉睡", "churned": "流失"}


@dataclass(frozen=True)
class StateParams:
    new_days: int = 30
    default_cycle_days: float = 60.0
    min_intervals: int = 2
    min_cycle_days: float = 7.0
    max_cycle_days: float = 365.0
    active_multiple: float = 1.5
    silent_multiple: float = 3.0
    sleeping_multiple: float = 6.0

    def __post_init__(self) -> None:
        if not 0 < self.active_multiple < self.silent_multiple < self.sleeping_multiple:
            raise ValueError("customer_state multiples must satisfy 0 < active < silent < sleeping")
        if not 0 < self.min_cycle_days <= self.default_cycle_days <= self.max_cycle_days:
            raise ValueError("customer_state cycles must satisfy 0 < min <= default <= max")


def customer_states(facts: pd.DataFrame, params: StateParams = StateParams()) -> pd.DataFrame:
    """customer_id, state, cycle_days, cycle_source, cycle_ratio from fact columns
    paid_orders_total, days_since_first_order, days_since_last_order, paid_order_days."""
    paid = facts["paid_orders_total"].fillna(0).to_numpy() > 0
    first = facts["days_since_first_order"].to_numpy(dtype=float, na_value=np.nan)
    last = facts["days_since_last_order"].to_numpy(dtype=float, na_value=np.nan)
    gaps = facts["paid_order_days"].fillna(0).to_numpy(dtype=float) - 1
    own = paid & (gaps >= params.min_intervals)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_cycle = np.clip((first - last) / gaps, params.min_cycle_days, params.max_cycle_days)
    cycle = np.where(own, own_cycle, params.default_cycle_days)
    ratio = np.where(paid, last / cycle, np.nan)
    state = np.select(
        [~paid, first < params.new_days, ratio <= params.active_multiple,
         ratio <= params.silent_multiple, ratio <= params.sleeping_multiple],
        ["prospect", "new", "active", "silent", "sleeping"], default="churned")
    return pd.DataFrame({
        "customer_id": facts["customer_id"].to_numpy(),
        "state": state,
        "cycle_days": np.where(paid, np.round(cycle, 2), np.nan),
        "cycle_source": np.where(~paid, None, np.where(own, "own", "default")),
        "cycle_ratio": np.round(ratio, 4),
    })
