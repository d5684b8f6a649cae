{#- Entered / exited events of the enumerated and boolean tags between consecutive snapshots
    of the history: a customer whose customer_state went from active (2026-05-31) to silent
    (2026-06-30) has 'exited active' and 'entered silent' on 2026-06-30. A customer who first
    appears in a snapshot enters their values; one who is gone from it exits them. The first
    snapshot has no events (nothing to compare with). -#}
with history as (
    select h.*
    from {{ ref('customer_tag_history') }} as h
    inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue
        on catalogue.tag_key = h.tag_key and catalogue.tracks_changes
),

snapshots as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from (select distinct as_of_date from {{ ref('customer_tag_history') }}) as dates
),

current_side as (
    select history.*, snapshots.previous_as_of_date
    from history
    inner join snapshots on snapshots.as_of_date = history.as_of_date
    where snapshots.previous_as_of_date is not null
),

previous_side as (
    select history.*, snapshots.as_of_date as next_as_of_date
    from history
    inner join snapshots on snapshots.previous_as_of_date = history.as_of_date
),

paired as (
    select
        coalesce(c.as_of_date, p.next_as_of_date) as as_of_date,
        coalesce(c.previous_as_of_date, p.as_of_date) as previous_as_of_date,
        coalesce(c.customer_id, p.customer_id) as customer_id,
        coalesce(c.tag_key, p.tag_key) as tag_key,
        c.value as new_value,
        c.value_label as new_label,
        p.value as old_value,
        p.value_label as old_label
    from current_side as c
    full outer join previous_side as p
        on p.next_as_of_date = c.as_of_date
       and p.customer_id = c.customer_id
       and p.tag_key = c.tag_key
)

select as_of_date, previous_as_of_date, customer_id, tag_key, 'exited' as change,
       old_value as value, old_label as value_label
from paired
where old_value is not null and (new_value is null or new_value <> old_value)
union all
select as_of_date, previous_as_of_date, customer_id, tag_key, 'entered' as change,
       new_value as value, new_label as value_label
from paired
where new_value is not null and (old_value is null or new_value <> old_value)
