"""Value class: ABC by the Pareto rule over net revenue in a window.

Customers are ranked by net revenue, highest first. A customer's class depends on the share of
total revenue brought by customers with *strictly more* revenue than theirs: below `a_share`
(default 0.8) A, below `b_share` (0.95) B, else C. So the A customers are the ones making the
first 80% of revenue, equal revenues always get the same class, and the result does not depend
on row order. Customers without revenue in the window are `none`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CLASSES = ("A", "B", "C", "none")


@dataclass(frozen=True)
class ValueClassParams:
    window_days: int = 365
    a_share: float = 0.8
    b_share: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.a_share < self.b_share <= 1:
            raise ValueError("value_class shares must satisfy 0 < a_share < b_share <= 1")


def value_classes(revenue: pd.DataFrame, params: ValueClassParams = ValueClassParams()) -> pd.DataFrame:
    """customer_id, value_class, revenue, revenue_share_before from (customer_id, revenue)."""
    r = revenue["revenue"].fillna(0).to_numpy(dtype=float)
    total = r[r > 0].sum()
    uniq, inverse, counts = np.unique(-r, return_inverse=True, return_counts=True)
    # revenue of everyone strictly above each distinct value (uniq is sorted by -revenue)
    above = np.concatenate(([0.0], np.cumsum(-uniq * counts)[:-1]))
    share_before = above[inverse.reshape(-1)] / total if total > 0 else np.zeros(len(r))
    cls = np.select([r <= 0, share_before < params.a_share, share_before < params.b_share],
                    ["none", "A", "B"], default="C")
    return pd.DataFrame({"customer_id": revenue["customer_id"].to_numpy(), "value_class": cls,
                         "revenue": r, "revenue_share_before": np.round(share_before, 6)})
