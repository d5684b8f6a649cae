"""Lifecycle stage on the AARRR funnel: stranger, visitor, prospect, customer, member, advocate.

The first rule that holds, from the top:
advocate  has a paid order and made at least `advocate_min_referrals` referrals in the last
          365 days (the sources record who shared a referral, not whom it brought, so a
          referral stands in for "referred a buyer");
member    has a paid order and a membership record (app member or store member);
customer  has a paid order;
prospect  no paid order, but a way to reach them (mobile or e-mail);
visitor   no paid order and no contact, but behaviour (events);
stranger  none of these: a record and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STAGES = ("stranger", "visitor", "prospect", "customer", "member", "advocate")
STAGE_NAMES = {"stranger": "陌生人", "visitor": "访客", "prospect": "潜在客户", "customer": "客户",
               "member": "会员", "advocate": "推荐者"}


@dataclass(frozen=True)
class LifecycleParams:
    advocate_min_referrals: int = 1

    def __post_init__(self) -> None:
        if self.advocate_min_referrals < 1:
            raise ValueError("lifecycle_stage.advocate_min_referrals must be >= 1")


def lifecycle_stages(facts: pd.DataFrame, params: LifecycleParams = LifecycleParams()) -> pd.DataFrame:
    """customer_id, stage from fact columns paid_orders_total, is_member, referrals_365d,
    has_contact, events_total."""
    paid = facts["paid_orders_total"].fillna(0).to_numpy() > 0
    member = facts["is_member"].fillna(False).to_numpy(dtype=bool)
    referrals = facts["referrals_365d"].fillna(0).to_numpy()
    contact = facts["has_contact"].fillna(False).to_numpy(dtype=bool)
    events = facts["events_total"].fillna(0).to_numpy() > 0
    stage = np.select(
        [paid & (referrals >= params.advocate_min_referrals), paid & member, paid, contact, events],
        ["advocate", "member", "customer", "prospect", "visitor"], default="stranger")
    return pd.DataFrame({"customer_id": facts["customer_id"].to_numpy(), "stage": stage})
