{#- The tags of every customer on the newest as-of date in the history (long format): what BI
    and the operators read as "the current tags", the intervals still open. A backfill of a
    past date adds to the history and leaves this on the newest date. A view of the store. -#}
{{ config(materialized='view') }}

select
    newest.as_of_date,
    intervals.customer_id,
    intervals.tag_key,
    intervals.value,
    intervals.value_label,
    intervals.numeric_value,
    intervals.rule_version,
    intervals.inputs
from {{ ref('customer_tag_intervals') }} as intervals
cross join (select max(as_of_date) as as_of_date from {{ ref('tag_snapshot_dates') }}) as newest
where intervals.valid_to is null
