"""What is known about a buyer at a cutoff date, and whether they churned after it: the
features and labels of the churn models (backtest and scoring), in SQL over the aggregated
purchase days and the events, so the work stays in the warehouse."""

from __future__ import annotations

import pandas as pd

from models.clv import CLVParams, CLVResult, clv_scores
from orchestration.warehouse import Connection
from orchestration.warehouse.tables import ORDER_DAYS



def cutoff_features(con: Connection, at_days_ago: int, horizon: int, cutoff) -> pd.DataFrame:
    """Per customer who had bought by the cutoff (`at_days_ago` days before the as-of date):
    what was known then (purchase history in days at the cutoff, behaviour before it), and
    whether they churned: no paid order in the `horizon` days after the cutoff."""
    return con.execute(f"""
        with days as (
            select customer_id, days_ago, net_amount,
                   max(days_ago) over (partition by customer_id) as first_days_ago
            from {ORDER_DAYS}
            where days_ago >= $at - $h
        ),
        history as (
            select customer_id,
                   count(*) filter (where days_ago >= $at) - 1 as frequency,
                   max(days_ago) - min(days_ago) filter (where days_ago >= $at) as recency,
                   max(days_ago) - $at as t_days,
                   min(days_ago) filter (where days_ago >= $at) - $at as days_since_last_purchase,
                   cast(sum(net_amount) filter (where days_ago >= $at) as double) as net_amount,
                   cast(sum(net_amount) filter (where days_ago >= $at and days_ago < first_days_ago) as double)
                       / nullif(count(*) filter (where days_ago >= $at) - 1, 0) as monetary_repeat,
                   count(*) filter (where days_ago >= $at and days_ago < $at + 90) as purchase_days_90d,
                   count(*) filter (where days_ago >= $at and days_ago < $at + 365) as purchase_days_365d,
                   count(*) filter (where days_ago < $at) = 0 as churned
            from days
            group by customer_id
            having max(days_ago) >= $at
        ),
        behaviour as (
            select customer_id,
                   count(*) filter (where event_type = 'view' and event_date > $cutoff - 30) as views_30d,
                   count(*) filter (where event_type = 'view' and event_date > $cutoff - 90) as views_90d,
                   count(*) filter (where event_type = 'add_to_cart' and event_date > $cutoff - 30) as add_to_cart_30d,
                   count(*) filter (where event_type = 'favourite' and event_date > $cutoff - 90) as favourites_90d,
                   count(*) filter (where event_type = 'login' and event_date > $cutoff - 30) as logins_30d,
                   count(distinct event_date) filter (where event_date > $cutoff - 30) as event_days_30d,
                   $cutoff - max(event_date) as days_since_last_event
            from marts.fct_customer_events
            where customer_id is not null and event_date <= $cutoff
            group by customer_id
        )
        select history.*,
               coalesce(b.views_30d, 0) as views_30d, coalesce(b.views_90d, 0) as views_90d,
               coalesce(b.add_to_cart_30d, 0) as add_to_cart_30d, coalesce(b.favourites_90d, 0) as favourites_90d,
               coalesce(b.logins_30d, 0) as logins_30d, coalesce(b.event_days_30d, 0) as event_days_30d,
               b.days_since_last_event
        from history left join behaviour as b on b.customer_id = history.customer_id
        order by history.customer_id""", {"at": at_days_ago, "h": horizon, "cutoff": cutoff}).fetch_df()


def features_with_p_alive(con: Connection, at_days_ago: int, horizon: int, cutoff,
                          clv: CLVParams) -> tuple[pd.DataFrame, CLVResult]:
    """`cutoff_features` plus the MBG/NBD P(alive) fitted on the same cutoff (a feature of the
    classifier), and that fit."""
    features = cutoff_features(con, at_days_ago, horizon, cutoff)
    fit = clv_scores(features, clv)
    features["p_alive"] = fit.customers["p_alive"].to_numpy()
    return features, fit
