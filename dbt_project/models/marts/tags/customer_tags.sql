{#- The tags of every customer on the newest as-of date in the history (long format): what BI
    and the operators read as "the current tags". A backfill of a past date adds to the history
    and leaves this table on the newest date. -#}
with history as (
    select * from {{ ref('customer_tag_history') }}
)

select history.*
from history
where history.as_of_date = (select max(as_of_date) from history)
