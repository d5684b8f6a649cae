{#- The tags of every customer on the newest as-of date in the history (long format): what BI
    and the operators read as "the current tags" (the intervals still open). A backfill of a
    past date adds to the history and leaves this on the newest date. A view. -#}
{{ config(materialized='view', post_hook="{{ mark_portable_view() }}") }}

select history.*
from {{ ref('customer_tag_history') }} as history
where history.as_of_date = (select max(as_of_date) from {{ ref('tag_snapshot_dates') }})
