{#- One row per order of a resolved customer placed on or before the as-of date: the order
    level of fct_orders (its lines summed), with how many days before the as-of date it was
    placed (0 = on the as-of date). Everything the order-based tags need, read once; nothing
    after the as-of date enters, so a past as-of date sees exactly what that day saw. -#}
with as_of as (
    select as_of_date from {{ ref('int_data_window') }}
),

lines as (
    select fct_orders.*, as_of.as_of_date
    from {{ ref('fct_orders') }} as fct_orders
    cross join as_of
    where fct_orders.customer_id is not null
      and fct_orders.order_date <= as_of.as_of_date
)

select
    customer_id,
    order_id,
    min(as_of_date) as as_of_date,
    min(order_date) as order_date,
    {{ dbt.datediff('min(order_date)', 'min(as_of_date)', 'day') }} as days_ago,
    max(case when is_paid then 1 else 0 end) = 1 as is_paid,
    max(case when is_refunded then 1 else 0 end) = 1 as is_refunded,
    min(channel) as channel,
    sum(net_amount) as net_amount,
    sum(refunded_amount) as refunded_amount
from lines
group by customer_id, order_id
