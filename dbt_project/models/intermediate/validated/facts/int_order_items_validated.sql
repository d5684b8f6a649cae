{#- Every staged order line, judged. A line must belong to a kept order and have a quantity
    and a unit price that are non-negative numbers. Incremental (configured for the folder in
    dbt_project.yml): see macros/incremental.sql; the lines of a re-judged order are re-judged
    with it. -#}
with staged as {{ cte_not_stored() }} (
    {{ union_staged('order_items') }}
),

{{ judged_scope('order_items', key='order_id', also_keys=(
    "select order_id as _scope_key from " ~ ref('int_orders_validated') ~ " where _validated_at > ("
    ~ "select coalesce(max(_validated_at), cast('1900-01-01' as timestamp)) from " ~ this ~ ")")) }}

kept_orders as (
    select distinct order_id from {{ ref('int_orders_validated') }} where is_valid
),

checked as (
    select
        staged.*,
        case
            when staged.order_id is null then 'missing order_id'
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
            when kept_orders.order_id is null then concat(
                'order ', staged.order_id, ' is not a kept order (rejected or absent)')
            when line_no is null then concat('line_no ''', coalesce(line_no_raw, ''), ''' is not a whole number')
            when quantity is null or quantity < 0 then concat(
                'quantity ''', coalesce(quantity_raw, ''), ''' is not a non-negative whole number')
            when unit_price is null or unit_price < 0 then concat(
                'unit_price ''', coalesce(unit_price_raw, ''), ''' is not a non-negative amount')
        end as _issue
    from {{ with_exact_duplicates('scope') }} as staged
    left join kept_orders on kept_orders.order_id = staged.order_id
),

versioned as (
    select * from {{ with_versions('checked', "concat(order_id, '#', cast(line_no as " ~ type_text() ~ "))",
                                   '_source_file desc, _row_number desc') }} as checked
)

select
    {{ judged_columns('order_items', "coalesce(_issue, " ~ superseded_reason(
        'order line', "concat(order_id, '#', cast(line_no as " ~ type_text() ~ "))") ~ ")") }},
    {{ run_stamp() }} as _validated_at
from versioned
