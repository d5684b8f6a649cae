{#- Order-based fact tags per customer with at least one order on or before the as-of date.
    Windows are "the last N days including the as-of date" (days_ago < N). Paid orders are
    orders whose status is paid; a refunded or cancelled order is not a paid order and adds
    nothing to the net amount. Refund ratio = refunded amount / (net + refunded amount).
    The top category is the one with the most net amount over paid lines (ties: name); the
    preferred channel the one with the most paid orders (ties: the latest order, then name). -#}
with orders as (
    select * from {{ ref('int_customer_orders_as_of') }}
),

paid_lines as (
    -- the lines of the paid orders of int_customer_orders_as_of (same filter, line level)
    select lines.customer_id, lines.category, sum(lines.net_amount) as net_amount
    from {{ ref('fct_orders') }} as lines
    cross join (select as_of_date from {{ ref('int_data_window') }}) as as_of
    where lines.customer_id is not null
      and lines.order_date <= as_of.as_of_date
      and lines.is_paid
      and lines.category is not null
    group by lines.customer_id, lines.category
),

top_category as (
    select customer_id, category as top_category, n_categories
    from (
        select
            customer_id,
            category,
            count(*) over (partition by customer_id) as n_categories,
            row_number() over (partition by customer_id order by net_amount desc, category) as rn
        from paid_lines
    ) as ranked
    where rn = 1
),

channels as (
    select customer_id, channel, count(*) as n_orders, max(order_date) as last_order_date
    from orders
    where is_paid and channel is not null
    group by customer_id, channel
),

preferred_channel as (
    select customer_id, channel as preferred_channel
    from (
        select
            customer_id,
            channel,
            row_number() over (
                partition by customer_id order by n_orders desc, last_order_date desc, channel) as rn
        from channels
    ) as ranked
    where rn = 1
),

totals as (
    select
        customer_id,
        min(as_of_date) as as_of_date,
        count(*) as orders_total,
        sum(case when is_paid then 1 else 0 end) as paid_orders_total,
        sum(case when is_paid and days_ago < 30 then 1 else 0 end) as paid_orders_30d,
        sum(case when is_paid and days_ago < 90 then 1 else 0 end) as paid_orders_90d,
        sum(case when is_paid and days_ago < 365 then 1 else 0 end) as paid_orders_365d,
        sum(net_amount) as net_amount_total,
        sum(case when days_ago < 30 then net_amount else 0 end) as net_amount_30d,
        sum(case when days_ago < 90 then net_amount else 0 end) as net_amount_90d,
        sum(case when days_ago < 365 then net_amount else 0 end) as net_amount_365d,
        sum(refunded_amount) as refunded_amount_total,
        min(case when is_paid then order_date end) as first_order_date,
        max(case when is_paid then order_date end) as last_order_date,
        count(distinct case when is_paid then order_date end) as paid_order_days
    from orders
    group by customer_id
)

select
    totals.*,
    top_category.top_category,
    coalesce(top_category.n_categories, 0) as distinct_categories,
    preferred_channel.preferred_channel
from totals
left join top_category on top_category.customer_id = totals.customer_id
left join preferred_channel on preferred_channel.customer_id = totals.customer_id
