{#- The data stewards' decisions (seeds identity_must_link and identity_cannot_link) as record
    keys. A decision naming a record that is not (or no longer) kept is listed with
    is_applicable = false, so a stale decision is visible instead of silently ignored. -#}
with decisions as (
    select 'must_link' as decision, source_system_a, source_record_id_a, source_system_b, source_record_id_b,
           reason, decided_by
    from {{ ref('identity_must_link') }}
    union all
    select 'cannot_link', source_system_a, source_record_id_a, source_system_b, source_record_id_b,
           reason, decided_by
    from {{ ref('identity_cannot_link') }}
),

records as (
    select record_key from {{ ref('int_identity_records') }}
)

select
    decisions.decision,
    concat(lower(trim(decisions.source_system_a)), ':', trim(decisions.source_record_id_a)) as record_key_a,
    concat(lower(trim(decisions.source_system_b)), ':', trim(decisions.source_record_id_b)) as record_key_b,
    decisions.reason,
    decisions.decided_by,
    a.record_key is not null and b.record_key is not null as is_applicable
from decisions
left join records as a
    on a.record_key = concat(lower(trim(decisions.source_system_a)), ':', trim(decisions.source_record_id_a))
left join records as b
    on b.record_key = concat(lower(trim(decisions.source_system_b)), ':', trim(decisions.source_record_id_b))
