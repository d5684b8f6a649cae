{#- Customers entering and leaving each segment between consecutive snapshots of
    segment_members (the first snapshot has no events). Only for a segment computed on both
    dates (segment_snapshots): nobody "entered" a segment that did not exist before. -#}
with members as (
    select as_of_date, segment_key, customer_id from {{ ref('segment_members') }}
),

snapshots as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from (select distinct as_of_date from {{ ref('segment_snapshots') }}) as dates
),

paired as (
    select
        coalesce(c.as_of_date, p.next_as_of_date) as as_of_date,
        coalesce(c.previous_as_of_date, p.as_of_date) as previous_as_of_date,
        coalesce(c.segment_key, p.segment_key) as segment_key,
        coalesce(c.customer_id, p.customer_id) as customer_id,
        c.customer_id is not null as is_member_now,
        p.customer_id is not null as was_member
    from (
        select members.*, snapshots.previous_as_of_date
        from members inner join snapshots on snapshots.as_of_date = members.as_of_date
        where snapshots.previous_as_of_date is not null
    ) as c
    full outer join (
        select members.*, snapshots.as_of_date as next_as_of_date
        from members inner join snapshots on snapshots.previous_as_of_date = members.as_of_date
    ) as p
        on p.next_as_of_date = c.as_of_date and p.segment_key = c.segment_key and p.customer_id = c.customer_id
)

select
    paired.as_of_date,
    paired.previous_as_of_date,
    paired.segment_key,
    paired.customer_id,
    case when paired.is_member_now then 'entered' else 'exited' end as change
from paired
inner join {{ ref('segment_snapshots') }} as existed
    on existed.segment_key = paired.segment_key and existed.as_of_date = paired.previous_as_of_date
inner join {{ ref('segment_snapshots') }} as exists_now
    on exists_now.segment_key = paired.segment_key and exists_now.as_of_date = paired.as_of_date
where paired.is_member_now <> paired.was_member
