{#- Every staged behaviour event, judged. An event needs a type, a parseable time no later
    than the end of the loaded data, and a member or a device to belong to. Incremental
    (configured for the folder in dbt_project.yml): see macros/incremental.sql. -#}
with staged as {{ cte_not_stored() }} (
    {{ union_staged('events') }}
),

data_window as (
    select data_end_date from {{ ref('int_activity_window') }}
),

{{ judged_scope('events', ts='occurred_at') }}

checked as (
    select
        staged.*,
        case
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
            when event_type is null then 'missing event type'
            when occurred_at_raw is null or trim(occurred_at_raw) = '' then 'missing occurred_at'
            when occurred_at is null then concat('occurred_at ''', occurred_at_raw, ''' is not a valid date-time')
            when cast(occurred_at as date) > data_window.data_end_date then concat(
                'occurred_at ', cast(occurred_at as {{ type_text() }}),
                ' is after the end of the loaded data (', cast(data_window.data_end_date as {{ type_text() }}), ')')
            when customer_record_key is null and device_id is null then 'neither a member nor a device'
        end as _issue
    from {{ with_exact_duplicates('scope') }} as staged
    cross join data_window
)

select
    {{ judged_columns('events', '_issue') }},
    {{ run_stamp() }} as _validated_at
from checked
