{#- Every staged order, judged. An order must have an id, a parseable time no later than the
    end of the loaded data, a non-negative amount and a customer reference. An order id seen
    twice with different content keeps the later row. Orders whose customer reference matches
    no customer record are kept: identity resolution counts them. Incremental (configured
    for the folder in dbt_project.yml): see macros/incremental.sql. -#}
with staged as {{ cte_not_stored() }} (
    {{ union_staged('orders') }}
),

data_window as (
    select data_end_date from {{ ref('int_activity_window') }}
),

{{ judged_scope('orders', key='order_id', ts='ordered_at') }}

checked as (
    select
        staged.*,
        case
            when order_id is null then 'missing order_id'
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
            when ordered_at_raw is null or trim(ordered_at_raw) = '' then 'missing ordered_at'
            when ordered_at is null then concat('ordered_at ''', ordered_at_raw, ''' is not a valid date-time')
            when cast(ordered_at as date) > data_window.data_end_date then concat(
                'ordered_at ', cast(ordered_at as {{ type_text() }}),
                ' is after the end of the loaded data (', cast(data_window.data_end_date as {{ type_text() }}), ')')
            when amount is null then concat('amount ''', coalesce(amount_raw, ''), ''' is not a number')
            when amount < 0 then concat('amount ', cast(amount as {{ type_text() }}), ' is negative')
            when source_customer_ref is null or customer_source is null then 'missing customer reference'
            when status = 'unknown' then concat('unknown status ''', coalesce(status_raw, ''), '''')
        end as _issue
    from {{ with_exact_duplicates('scope') }} as staged
    cross join data_window
),

versioned as (
    select * from {{ with_versions('checked', 'order_id', '_source_file desc, _row_number desc') }} as checked
)

select
    {{ judged_columns('orders', "coalesce(_issue, " ~ superseded_reason('order_id', 'order_id') ~ ")") }},
    {{ run_stamp() }} as _validated_at
from versioned
