"""The portrait report's data, read from the portrait marts (aggregates only: no customer rows)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from orchestration.reports.portrait_html import PortraitData
from orchestration.warehouse import Connection

# The report is read in China: its clock time is Beijing time, whatever the server's zone.
REPORT_TIMEZONE = ZoneInfo("Asia/Shanghai")
FUNNEL = ("stranger", "visitor", "prospect", "customer", "member", "advocate")


def _df(con: Connection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).fetch_df()


def load_portrait_data(con: Connection, generated_at: datetime | None = None) -> PortraitData:
    """Everything the report draws, from marts.portrait_* and segment_definitions.

    `generated_at` is passed in (default: now) so a test can make the output byte-stable; it is
    shown in Beijing time."""
    head = con.execute("select max(as_of_date), count(*) from marts.customer_360").fetchall()[0]
    as_of, customers = head
    # enumerated values in the catalogue's order (一线, 新一线, 二线 …; <18, 18-24 …), levels in
    # text order, the rest by size
    distributions = _df(con, """
        select d.dimension, d.value, d.value_label, d.customers, d.share
        from marts.portrait_distribution as d
        left join model_tags.tag_value_labels as l on l.tag_key = d.dimension and l.value = d.value
        order by d.dimension, l.value_position nulls last,
                 case when d.dimension = 'level' then coalesce(d.value, '~') end, d.customers desc, d.value""")
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
    # the state mix by month: the last snapshot of each month in the tag history
    state_history = _df(con, """
        with snapshots as (
            select as_of_date, max(as_of_date) over (partition by date_trunc('month', as_of_date)) as month_last
            from (select distinct as_of_date from marts.portrait_tag_trend where tag_key = 'customer_state')
        )
        select cast(t.as_of_date as varchar) as as_of_date, t.value as state, t.value_label as state_label, t.customers
        from marts.portrait_tag_trend as t
        inner join snapshots as s on s.as_of_date = t.as_of_date and s.as_of_date = s.month_last
        where t.tag_key = 'customer_state' order by t.as_of_date, t.value""")
    segments = _df(con, """select segment_key, name_zh, members as customers, entered, exited
                           from marts.segment_definitions order by members desc, segment_key""")
    cross = _df(con, """
        select dimension_a as dim_a, value_a, dimension_b as dim_b, value_b, customers
        from marts.portrait_cross where dimension_a = 'rfm_segment' and dimension_b = 'customer_state'
        order by value_a, value_b""")
    labels = dict(con.execute("select distinct dimension, dimension_name from marts.portrait_distribution").fetchall())
    overview = _df(con, "select * from marts.portrait_overview")
    monthly = _df(con, "select * from marts.portrait_monthly order by month")
    rfm_matrix = _df(con, "select r_score, f_score, customers, avg_monetary from marts.portrait_rfm_matrix")
    scores = _df(con, """select score, score_name, band, band_label, customers, share, score_total
                         from marts.portrait_score_distribution order by score, band""")
    segment_portraits = _df(con, """
        select s.segment_key, d.name_zh, d.members, s.dimension, s.dimension_name, s.value, s.value_label,
               s.customers, s.share, s.share_of_all_customers, s.lift
        from marts.portrait_segment_distribution as s
        inner join marts.segment_definitions as d on d.segment_key = s.segment_key
        order by d.members desc, s.segment_key, s.lift desc nulls last, s.dimension, s.value""")
    channels = _df(con, """select channel, customers, buyers, paid_orders, net_amount, revenue_share,
                                  avg_order_value, repurchase_rate_90d, top_category
                           from marts.portrait_channel order by net_amount desc, channel""")
    categories = _df(con, """
        select value as category, sum(net_amount) as net_amount
        from marts.portrait_channel_mix where dimension = 'category'
        group by value order by net_amount desc, category""")
    categories["share"] = categories["net_amount"] / categories["net_amount"].sum() if len(categories) else []
    stamp = (generated_at or datetime.now(timezone.utc)).astimezone(REPORT_TIMEZONE)
    return PortraitData(
        as_of_date=as_of.isoformat() if as_of else "", customers=int(customers),
        generated_at=stamp.strftime("%Y-%m-%d %H:%M") + "（北京时间）",
        distributions=distributions, lifecycle_funnel=funnel, rfm_segments=rfm, pareto=pareto,
        state_history=state_history, segments=segments, cross=cross, dimension_labels=labels,
        overview=overview.to_dict("records")[0] if len(overview) else {}, monthly=monthly,
        rfm_matrix=rfm_matrix, scores=scores, segment_portraits=segment_portraits, channels=channels,
        categories=categories)
