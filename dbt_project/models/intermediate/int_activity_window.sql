{#- The span of the loaded activity (orders and events): what the *_validated models judge
    timestamps against, and what int_data_window takes the as-of date from.

    The end of the data is the last day with a normal amount of activity (orders and events):
    a day counts when the seven days ending (or starting) on it hold at least
    var('data_end_min_share_of_median_week') of the median seven-day count, and the data is the
    longest run of such days without a gap of more than var('data_max_gap_days'). A handful of
    rows dated months or years later is future-dated junk, not the end of the data, and is
    rejected in the *_validated models. One row; NULL dates when there is no order or event
    with a time. -#}
with stamps as (
    select cast(ordered_at as date) as activity_date
    from ({{ union_staged('orders') }}) as orders
    where ordered_at is not null
    union all
    select cast(occurred_at as date) as activity_date
    from ({{ union_staged('events') }}) as events
    where occurred_at is not null
),

daily as (
    select activity_date, count(*) as n_rows
    from stamps
    group by activity_date
),

weekly as (
    select
        activity_date,
        n_rows,
        sum(n_rows) over (
            order by day_no range between 6 preceding and current row) as n_rows_7d,
        sum(n_rows) over (
            order by day_no range between current row and 6 following) as n_rows_7d_ahead
    from (
        select
            activity_date,
            n_rows,
            {{ dbt.datediff("cast('2000-01-01' as date)", 'activity_date', 'day') }} as day_no
        from daily
    ) as numbered
),

threshold as (
    select greatest(1, {{ var('data_end_min_share_of_median_week') }}
                       * percentile_cont(0.5) within group (order by n_rows_7d)) as min_rows
    from weekly
),

qualifying as (
    select weekly.activity_date, weekly.n_rows
    from weekly
    cross join threshold
    -- the week before or the week after is normal: the first and last days of the data count
    where greatest(weekly.n_rows_7d, weekly.n_rows_7d_ahead) >= threshold.min_rows
),

with_previous as (
    select
        activity_date,
        n_rows,
        lag(activity_date) over (order by activity_date) as previous_date
    from qualifying
),

islands as (
    select
        activity_date,
        n_rows,
        sum(case when previous_date is not null
                  and {{ dbt.datediff('previous_date', 'activity_date', 'day') }} > {{ var('data_max_gap_days') }}
                 then 1 else 0 end)
            over (order by activity_date rows between unbounded preceding and current row) as island
    from with_previous
),

-- the run of days without a long gap that holds most of the activity
bounds as (
    select min(activity_date) as data_start_date, max(activity_date) as data_end_date
    from islands
    where island = (
        select island from (
            select island, sum(n_rows) as n, max(activity_date) as last_day
            from islands group by island
        ) as sized
        order by n desc, last_day desc
        limit 1
    )
)

select
    data_start_date,
    data_end_date
from bounds
