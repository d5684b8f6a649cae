{#- Every staged enterprise account, judged like customer records. -#}
with staged as (
    {{ union_staged('accounts') }}
),

checked as (
    select
        staged.*,
        case
            when source_record_id is null then 'missing source_record_id'
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
        end as _issue
    from (select staged.*, {{ exact_duplicate_columns() }} from staged) as staged
),

versioned as (
    select
        checked.*,
        {{ version_columns('source_record_id',
            'created_at desc nulls last, _source_file desc, _row_number desc') }}
    from checked
)

select
    {{ judged_columns('accounts',
        "coalesce(_issue, " ~ superseded_reason('source_record_id', 'source_record_id') ~ ")") }}
from versioned
