{#- Every staged family relation, judged. -#}
with staged as (
    {{ union_staged('relations') }}
),

checked as (
    select
        staged.*,
        case
            when household_ref is null then 'missing household reference'
            when member_ref is null then 'missing member reference'
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
            when role = 'unknown' then concat('unknown role ''', coalesce(role_raw, ''),
                ''' (expected registrant, decision_maker or user)')
        end as _issue
    from {{ with_exact_duplicates('staged') }} as staged
)

select
    {{ judged_columns('relations', '_issue') }}
from checked
