{#- The whole business per calendar month up to the newest tag snapshot: the customers known at
    the month's end (first seen by then), and the months' ordering customers, buyers, new buyers
    (first paid order ever in that month), paid orders, net amount and average order value,
    measured the way each store and channel is (macros/portraits/outlets.sql). -#}
with monthly as (
    {{ outlet_monthly(whole_business_activity(ref('int_outlet_activity')), ref('customer_360'), 'all') }}
),

joined as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'coalesce(cast(first_seen_at as date), first_order_date)') }} as date) as first_month
    from {{ ref('customer_360') }}
),

first_months as (
    select first_month, count(*) as customers
    from joined
    where first_month is not null
    group by first_month
),

known as (
    select m.month, coalesce(sum(f.customers), 0) as customers_known
    from monthly as m
    left join first_months as f on f.first_month <= m.month
    group by m.month
)

select
    m.month,
    cast(k.customers_known as bigint) as customers_known,
    m.customers as ordering_customers,
    m.buyers,
    m.new_buyers,
    m.buyers - m.new_buyers as returning_buyers,
    m.paid_orders,
    m.net_amount,
    m.avg_order_value
from monthly as m
inner join known as k on k.month = m.month
