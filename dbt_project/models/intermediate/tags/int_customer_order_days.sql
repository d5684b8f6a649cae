{#- One row per customer and day with at least one paid order, up to the as-of date: the
    already-aggregated input of the model tags (RFM windows, purchase cycle, loyalty periods),
    so that scoring never rereads the order lines. -#}
select
    customer_id,
    order_date,
    min(days_ago) as days_ago,
    min(as_of_date) as as_of_date,
    count(*) as paid_orders,
    sum(net_amount) as net_amount
from {{ ref('int_customer_orders_as_of') }}
where is_paid
group by customer_id, order_date
