{#- One row per customer with a paid order by the as-of date: the inputs of the probabilistic
    customer-base models (BG/NBD, Gamma-Gamma; models/bgnbd.py), in days and purchase days
    (several orders on one day are one purchase, as the models assume):
      * frequency: repeat purchase days (purchase days - 1);
      * recency: days from the first to the last purchase day;
      * t_days: days from the first purchase day to the as-of date (the model's T);
      * monetary_repeat: mean net amount of the repeat purchase days (NULL without a repeat);
        the first day is left out, as the Gamma-Gamma model asks. -#}
with days as (
    select
        customer_id,
        as_of_date,
        days_ago,
        net_amount,
        max(days_ago) over (partition by customer_id) as first_days_ago
    from {{ ref('int_customer_order_days') }}
)

select
    customer_id,
    min(as_of_date) as as_of_date,
    cast(count(*) - 1 as bigint) as frequency,
    cast(max(days_ago) - min(days_ago) as bigint) as recency,
    cast(max(days_ago) as bigint) as t_days,
    cast(sum(net_amount) as {{ type_double() }}) as net_amount_total,
    cast(sum(case when days_ago < first_days_ago then net_amount end) as {{ type_double() }})
        / nullif(count(*) - 1, 0) as monetary_repeat
from days
group by customer_id
