{#- Customers entering and leaving each segment between consecutive snapshots of
    segment_members (the first snapshot has no events; macro snapshot_changes). Only for a
    segment computed on both dates (segment_snapshots): nobody "entered" a segment that did
    not exist before. -#}
with {{ snapshot_changes(ref('segment_members'), ref('segment_snapshots'),
                         keys=['segment_key', 'customer_id']) }}

select changes.*
from changes
inner join {{ ref('segment_snapshots') }} as existed
    on existed.segment_key = changes.segment_key and existed.as_of_date = changes.previous_as_of_date
inner join {{ ref('segment_snapshots') }} as exists_now
    on exists_now.segment_key = changes.segment_key and exists_now.as_of_date = changes.as_of_date
