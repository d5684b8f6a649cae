"""The portrait report's data, read from the portrait marts (aggregates only: no customer rows)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from orchestration.reports.portrait_html import PortraitData

FUNNEL = ("stranger", "visitor", "prospect", "customer", "member", "advocate")


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).fetch_df()


def load_portrait_data(con: duckdb.DuckDBPyConnection, generated_at: datetime | None = None) -> PortraitData:
    """Everything the report draws, from marts.portrait_* and segment_definitions.

    `generated_at` is passed in (default: now, UTC) so a test can make the output byte-stable."""
    head = con.execute("select max(as_of_date), count(*) from marts.customer_360").fetchall()[0]
    as_of, customers = head
    distributions = _df(con, """
        select dimension, value, value_label, customers, share from marts.portrait_distribution
        order by dimension, case when dimension in ('age_band', 'level', 'value_class', 'gender', 'city_tier')
                                 then coalesce(value, '~') end, customers desc, value""")
    funnel = _df(con, """select value as stage, value_label as stage_label, customers
                         from marts.portrait_distribution where dimension = 'lifecycle_stage'""")
    order = {s: i for i, s in enumerate(FUNNEL)}
    funnel = funnel.assign(_o=funnel["stage"].map(lambda s: order.get(s, 99))).sort_values("_o").drop(columns="_o")
    # the stages are exclusive (a member is not counted as a customer); a funnel shows how many
    # reached each stage, so each bar counts the customers at that stage or a later one
    funnel["customers"] = funnel["customers"][::-1].cumsum()[::-1].to_numpy()
    rfm = _df(con, """
        select c.rfm_segment as segment, coalesce(min(c.rfm_segment_name), c.rfm_segment) as segment_label,
               count(*) as customers, cast(coalesce(sum(r.monetary), 0) as double) as revenue
        from marts.customer_360 as c
        left join model_tags.rfm as r on r.customer_id = c.customer_id and r.as_of_date = c.as_of_date
        group by c.rfm_segment order by customers desc, segment""")
    pareto = _df(con, "select customer_share, revenue_share from marts.portrait_spend_pareto order by percentile")
    pareto = pd.concat([pd.DataFrame({"customer_share": [0.0], "revenue_share": [0.0]}), pareto], ignore_index=True)
    state_history = _df(con, """
        select cast(as_of_date as varchar) as as_of_date, value as state, value_label as state_label, customers
        from marts.portrait_tag_trend where tag_key = 'customer_state' order by as_of_date, value""")
    segments = _df(con, """select segment_key, name_zh, members as customers, entered, exited
                           from marts.segment_definitions order by members desc, segment_key""")
    cross = _df(con, """
        select dimension_a as dim_a, value_a, dimension_b as dim_b, value_b, customers
        from marts.portrait_cross where dimension_a = 'rfm_segment' and dimension_b = 'customer_state'
        order by value_a, value_b""")
    labels = dict(con.execute("select distinct dimension, dimension_name from marts.portrait_distribution").fetchall())
    stamp = (generated_at or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return PortraitData(
        as_of_date=as_of.isoformat() if as_of else "", customers=int(customers), generated_at=stamp,
        distributions=distributions, lifecycle_funnel=funnel, rfm_segments=rfm, pareto=pareto,
        state_history=state_history, segments=segments, cross=cross, dimension_labels=labels)
