{#- The tag history, stored as what changed: one row per customer, tag and run of snapshots
    with the same value (and label, numeric value, rule version, inputs), valid from the
    first snapshot date of the run until valid_to, the first snapshot date at which it no
    longer holds (NULL: it holds on the newest snapshot). customer_tag_history (any date's
    snapshot), customer_tags (the newest) and tag_changes read it with tag_snapshot_dates.

    A daily run writes only the values that changed since the snapshot before (new intervals,
    and the closed ends of the old ones), not every tag of every customer again: its date
    follows every stored snapshot, so it meets only the intervals still open, in one join
    (`appends`). Any other date may be run too, in any order: the run's snapshot is merged
    with the snapshots before and after it (the window), so a re-run replaces its date and a
    backfill splits the intervals that span it; intervals that a merge removes are written
    empty and dropped by the post-hook. Both ways give the same intervals (dbt unit tests).
    Never rebuilt by --full-refresh: the history is the one thing a rerun cannot recreate
    when the sources no longer hold the past. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['customer_id', 'tag_key', 'valid_from'],
    full_refresh=false,
    on_schema_change='fail',
    meta={'test_rows_of_this_run': '_built_at'},
    post_hook="{{ drop_empty_tag_intervals() }}",
) }}
{%- set payload = tag_value_columns() -%}
{%- set legacy = none if is_incremental() else legacy_tag_history() %}

with snapshot as (
    select * from {{ ref('int_customer_tag_snapshot') }}
),

run as (
    select {{ tag_run_date() }} as as_of_date
),

-- this run's snapshot, as window rows: no stored interval reaching beyond the window
snapshot_rows as (
    select
        s.customer_id, s.tag_key, {% for c in payload %}s.{{ c }}, {% endfor %}
        s.as_of_date,
        cast(null as date) as reaches_from,
        0 as at_next_date,
        cast(null as date) as reaches_to
    from snapshot as s
),

{%- if is_incremental() %}

-- the daily run: a date after every stored snapshot that no stored interval reaches (a
-- re-run of the newest date may find intervals that end or start on it: the window then)
mode as (
    select coalesce(
        run.as_of_date >= (select max(as_of_date) from {{ ref('tag_snapshot_dates') }})
        and not exists (
            select 1 from {{ this }} as stored
            where stored.valid_from >= run.as_of_date or stored.valid_to >= run.as_of_date
        ), false) as appends
    from run
),

-- appending: the open intervals whose value the snapshot changes or no longer has end on
-- the run's date; the snapshot's changed and new values start there
open_intervals as (
    select stored.*
    from {{ this }} as stored
    cross join mode
    where mode.appends and stored.valid_to is null
),

appended_snapshot as (
    select s.*
    from snapshot as s
    cross join mode
    where mode.appends
),

-- the two sides met by (customer, tag) and a hash of the values: narrow rows, so that the
-- join of every open interval with every snapshot value fits in memory at millions of
-- customers; the values themselves are fetched for the differences only
snapshot_hashes as (
    select customer_id, tag_key, {{ comparison_hash(payload) }} as values_hash
    from appended_snapshot
),

open_hashes as (
    select customer_id, tag_key, {{ comparison_hash(payload) }} as values_hash
    from open_intervals
),

differences as (
    select
        coalesce(s.customer_id, o.customer_id) as customer_id,
        coalesce(s.tag_key, o.tag_key) as tag_key,
        o.customer_id is not null as closes,
        s.customer_id is not null as opens
    from snapshot_hashes as s
    full outer join open_hashes as o on o.customer_id = s.customer_id and o.tag_key = s.tag_key
    where s.customer_id is null or o.customer_id is null or s.values_hash <> o.values_hash
),

closed as (
    select
        o.customer_id, o.tag_key, {% for c in payload %}o.{{ c }}, {% endfor %}
        o.valid_from,
        run.as_of_date as valid_to
    from open_intervals as o
    inner join differences as d on d.customer_id = o.customer_id and d.tag_key = o.tag_key
    cross join run
    where d.closes
),

opened as (
    select
        s.customer_id, s.tag_key, {% for c in payload %}s.{{ c }}, {% endfor %}
        s.as_of_date as valid_from,
        cast(null as date) as valid_to
    from appended_snapshot as s
    inner join differences as d on d.customer_id = s.customer_id and d.tag_key = s.tag_key
    where d.opens
),

-- any other run: this run's date and the snapshot dates on either side of it, the only
-- ones whose intervals it can change
bounds as (
    select
        run.as_of_date,
        max(case when dates.as_of_date < run.as_of_date then dates.as_of_date end) as prev_date,
        min(case when dates.as_of_date > run.as_of_date then dates.as_of_date end) as next_date
    from run
    cross join mode
    cross join {{ ref('tag_snapshot_dates') }} as dates
    where run.as_of_date is not null and not mode.appends
    group by run.as_of_date
),

window_dates as (
    select prev_date as as_of_date from bounds where prev_date is not null
    union all
    select as_of_date from bounds
    union all
    select next_date from bounds where next_date is not null
),

-- the stored intervals that hold on a window date (or on none: empty ones are left alone)
affected as (
    select stored.*
    from {{ this }} as stored
    cross join bounds
    where stored.valid_from <= coalesce(bounds.next_date, bounds.as_of_date)
      and coalesce(stored.valid_to, {{ open_end() }}) > coalesce(bounds.prev_date, bounds.as_of_date)
      and coalesce(stored.valid_to, {{ open_end() }}) > stored.valid_from
),

-- the values on the window dates: the stored ones on the dates before and after (with how
-- far their interval reaches beyond the window), this run's snapshot on its own date
window_rows as (
    select
        a.customer_id, a.tag_key, {% for c in payload %}a.{{ c }}, {% endfor %}
        w.as_of_date,
        case when w.as_of_date = b.prev_date then a.valid_from end as reaches_from,
        case when w.as_of_date = b.next_date then 1 else 0 end as at_next_date,
        case when w.as_of_date = b.next_date then a.valid_to end as reaches_to
    from affected as a
    cross join bounds as b
    inner join window_dates as w
        on w.as_of_date <> b.as_of_date
       and a.valid_from <= w.as_of_date
       and w.as_of_date < coalesce(a.valid_to, {{ open_end() }})
    union all
    -- (bounds is empty when the run appends: so are affected and window_rows)
    select snapshot_rows.* from snapshot_rows cross join bounds
),

{%- else %}

-- first build: this run's snapshot, and the snapshots of a table-stored history if there is one
window_dates as (
    select as_of_date from {{ ref('tag_snapshot_dates') }}
),

window_rows as (
    select * from snapshot_rows
    {%- if legacy %}
    union all
    -- the same shape as snapshot_rows
    select
        h.customer_id, h.tag_key, {% for c in payload %}h.{{ c }}, {% endfor %}
        h.as_of_date, cast(null as date), 0, cast(null as date)
    from {{ legacy }} as h
    where h.as_of_date is distinct from (select as_of_date from run)
    {%- endif %}
),

{%- endif %}

ordered_dates as (
    select
        as_of_date,
        row_number() over (order by as_of_date) as date_number,
        lead(as_of_date) over (order by as_of_date) as following_date
    from window_dates
),

numbered as (
    select r.*, d.date_number, d.following_date
    from window_rows as r
    inner join ordered_dates as d on d.as_of_date = r.as_of_date
),

-- a row starts a new interval unless the same customer and tag had the same value on the
-- snapshot date just before
marked as (
    select
        numbered.*,
        case
            when lag(date_number) over by_key = date_number - 1
            {%- for c in payload %}
             and not (lag({{ c }}) over by_key is distinct from {{ c }})
            {%- endfor %}
            then 0 else 1
        end as starts_interval
    from numbered
    window by_key as (partition by customer_id, tag_key order by date_number)
),

runs as (
    select
        marked.*,
        sum(starts_interval) over (partition by customer_id, tag_key order by date_number
                                   rows between unbounded preceding and current row) as interval_number
    from marked
),

merged as (
    select
        customer_id,
        tag_key,
        {%- for c in payload %}
        max({{ c }}) as {{ c }},
        {%- endfor %}
        coalesce(min(reaches_from), min(as_of_date)) as valid_from,
        -- its end: where the stored interval of the date after the window ended, else the
        -- snapshot date after its last one (none after the newest: open; max() skips NULLs)
        case
            when max(at_next_date) = 1 then max(reaches_to)
            when count(*) > count(following_date) then cast(null as date)
            else max(following_date)
        end as valid_to
    from runs
    group by customer_id, tag_key, interval_number
)

{%- if is_incremental() %},

-- written: the intervals that are new or changed, and the affected ones that no longer
-- start where they did, as empty intervals (the post-hook drops them)
changed as (
    select m.*
    from merged as m
    where not exists (
        select 1 from affected as a
        where a.customer_id = m.customer_id and a.tag_key = m.tag_key and a.valid_from = m.valid_from
          and not (a.valid_to is distinct from m.valid_to)
          and not {{ tag_values_differ('a', 'm') }}
    )
),

removed as (
    select
        a.customer_id, a.tag_key, {% for c in payload %}a.{{ c }}, {% endfor %}
        a.valid_from,
        a.valid_from as valid_to
    from affected as a
    where not exists (
        select 1 from merged as m
        where m.customer_id = a.customer_id and m.tag_key = a.tag_key and m.valid_from = a.valid_from
    )
),

written as (
    select * from closed
    union all
    select * from opened
    union all
    select * from changed
    union all
    select * from removed
)

{%- endif %}

select *, {{ run_stamp() }} as _built_at
from {{ 'written' if is_incremental() else 'merged' }}
