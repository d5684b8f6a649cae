{#- The spend Pareto curve on the newest snapshot: paying customers (net amount over 365 days
    above 0) ranked by that amount, and at each percentile of them the share of the revenue
    they bring (customer_share 0.01 .. 1.00). -#}
with paying as (
    select customer_id, net_amount_365d as amount
    from {{ ref('int_customer_portrait_dimensions') }}
    where net_amount_365d > 0
),

ranked as (
    select
        amount,
        row_number() over (order by amount desc, customer_id) as rank_no,
        count(*) over () as n_customers,
        sum(amount) over () as total_amount
    from paying
),

cumulative as (
    select
        rank_no,
        cast(ceil(100.0 * rank_no / n_customers) as integer) as percentile,
        total_amount,
        sum(amount) over (order by rank_no rows between unbounded preceding and current row) as cumulative_amount
    from ranked
)

select
    percentile,
    cast(percentile as {{ type_double() }}) / 100 as customer_share,
    max(rank_no) as customers,
    cast(max(cumulative_amount) as {{ type_double() }}) / max(total_amount) as revenue_share
from cumulative
group by percentile
