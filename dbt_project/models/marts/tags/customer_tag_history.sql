{#- One snapshot per as-of date of every tag of every customer (long format), as it was on
    that date: each snapshot date of tag_snapshot_dates with the intervals of
    customer_tag_intervals that hold on it. A view: the store keeps only what changed, and
    any date's snapshot is this one query (`where as_of_date = ...`). -#}
{{ config(materialized='view', post_hook="{{ mark_portable_view() }}") }}

select
    dates.as_of_date,
    intervals.customer_id,
    intervals.tag_key,
    intervals.value,
    intervals.value_label,
    intervals.numeric_value,
    intervals.rule_version,
    intervals.inputs
from {{ ref('tag_snapshot_dates') }} as dates
inner join {{ ref('customer_tag_intervals') }} as intervals
    on intervals.valid_from <= dates.as_of_date
   and dates.as_of_date < coalesce(intervals.valid_to, {{ open_end() }})
