{#- Entered / exited events of the enumerated and boolean tags between consecutive snapshots
    of the history: a customer whose customer_state went from active (2026-05-31) to silent
    (2026-06-30) has 'exited active' and 'entered silent' on 2026-06-30. A customer who first
    appears in a snapshot enters their values; one who is gone from it exits them. The first
    snapshot has no events (nothing to compare with). Macro snapshot_changes. -#}
with history as (
    select h.*
    from {{ ref('customer_tag_history') }} as h
    inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue
        on catalogue.tag_key = h.tag_key and catalogue.tracks_changes
),

{{ snapshot_changes('history', ref('tag_snapshot_dates'), keys=['customer_id', 'tag_key'],
                    value='value', carried=['value_label']) }}

select * from changes
