{#- The store and channel portraits (models/marts/portraits/portrait_store*.sql,
    portrait_channel*.sql). Relations are arguments so that a test can run the same SQL over a
    hand-made fixture (tests/test_outlet_portraits.py). -#}

{#- One row per order (from its lines) and per store visit at an outlet. -#}
{% macro outlet_activity(orders, events) -%}
with order_heads as (
    select
        order_id,
        max(customer_id) as customer_id,
        max(order_date) as activity_date,
        max(case when is_paid then 1 else 0 end) as paid,
        sum(net_amount) as net_amount,
        max(channel) as channel,
        max(store_id) as store_id
    from {{ orders }}
    group by order_id
)

select
    'store' as outlet_type, store_id as outlet_id, customer_id, activity_date,
    'order' as activity, order_id, paid = 1 as is_paid, net_amount
from order_heads
where store_id is not null
union all
select
    'channel' as outlet_type, coalesce(channel, '未知') as outlet_id, customer_id, activity_date,
    'order' as activity, order_id, paid = 1 as is_paid, net_amount
from order_heads
union all
select
    'store' as outlet_type, store_id as outlet_id, customer_id, event_date as activity_date,
    'visit' as activity, cast(null as {{ type_text() }}) as order_id, false as is_paid,
    cast(0 as decimal(18, 2)) as net_amount
from {{ events }}
where event_type = 'store_visit' and store_id is not null
{%- endmacro %}


{#- The date the portraits are for: the newest tag snapshot (customer_360). -#}
{% macro outlet_as_of(customers) -%}
(select max(as_of_date) as as_of_date from {{ customers }})
{%- endmacro %}


{#- One row per outlet of `outlet_type` over the 365 days up to the as-of date:
    customers (any activity), visitors / visits (stores), buyers, visitors who bought, the
    conversion from visit to purchase, new (first paid order at this outlet inside the window)
    and returning buyers, paid orders, net amount, average order value, share of all
    outlets' revenue, the 90-day repurchase rate (of the buyers whose first paid order in the
    window is at least 90 days before the as-of date: the share who paid again at this outlet
    within 90 days of it), and the category with the most revenue. -#}
{% macro outlet_portrait(activity, orders, customers, outlet_type) -%}
with as_of as {{ outlet_as_of(customers) }},

scoped as (
    select a.*, as_of.as_of_date,
           {{ dbt.datediff('a.activity_date', 'as_of.as_of_date', 'day') }} as days_ago
    from {{ activity }} as a
    cross join as_of
    where a.outlet_type = '{{ outlet_type }}' and a.activity_date <= as_of.as_of_date
),

windowed as (
    select * from scoped where days_ago < 365
),

first_paid as (
    select outlet_id, customer_id, min(activity_date) as first_paid_date
    from scoped
    where activity = 'order' and is_paid and customer_id is not null
    group by outlet_id, customer_id
),

paid_in_window as (
    select outlet_id, customer_id, activity_date, as_of_date, order_id
    from windowed
    where activity = 'order' and is_paid and customer_id is not null
),

first_in_window as (
    select outlet_id, customer_id, min(activity_date) as first_date, min(as_of_date) as as_of_date
    from paid_in_window
    group by outlet_id, customer_id
),

repurchase as (
    select
        f.outlet_id,
        f.customer_id,
        max(case when p.activity_date > f.first_date
                  and {{ dbt.datediff('f.first_date', 'p.activity_date', 'day') }} <= 90 then 1 else 0 end) as repurchased
    from first_in_window as f
    inner join paid_in_window as p on p.outlet_id = f.outlet_id and p.customer_id = f.customer_id
    where {{ dbt.datediff('f.first_date', 'f.as_of_date', 'day') }} >= 90
    group by f.outlet_id, f.customer_id
),

repurchase_rates as (
    select outlet_id, count(*) as cohort, cast(sum(repurchased) as bigint) as repurchased
    from repurchase
    group by outlet_id
),

per_customer as (
    select
        outlet_id,
        customer_id,
        max(case when activity = 'visit' then 1 else 0 end) as visited,
        max(case when activity = 'order' and is_paid then 1 else 0 end) as bought
    from windowed
    where customer_id is not null
    group by outlet_id, customer_id
),

customer_counts as (
    select
        c.outlet_id,
        count(*) as customers,
        cast(sum(c.visited) as bigint) as visitors,
        cast(sum(c.bought) as bigint) as buyers,
        cast(sum(c.visited * c.bought) as bigint) as visitor_buyers,
        cast(sum(case when c.bought = 1 and {{ dbt.datediff('f.first_paid_date', 'as_of.as_of_date', 'day') }} < 365
                      then 1 else 0 end) as bigint) as new_buyers
    from per_customer as c
    cross join as_of
    left join first_paid as f on f.outlet_id = c.outlet_id and f.customer_id = c.customer_id
    group by c.outlet_id
),

volumes as (
    select
        outlet_id,
        cast(sum(case when activity = 'visit' then 1 else 0 end) as bigint) as visits,
        cast(sum(case when activity = 'order' and is_paid then 1 else 0 end) as bigint) as paid_orders,
        sum(case when activity = 'order' then net_amount else 0 end) as net_amount
    from windowed
    group by outlet_id
),

categories as (
    select
        {{ outlet_column(outlet_type, 'o') }} as outlet_id,
        o.category,
        sum(o.net_amount) as net_amount
    from {{ orders }} as o
    cross join as_of
    where o.is_paid and o.category is not null and o.order_date <= as_of.as_of_date
      and {{ dbt.datediff('o.order_date', 'as_of.as_of_date', 'day') }} < 365
      and {{ outlet_column(outlet_type, 'o') }} is not null
    group by {{ outlet_column(outlet_type, 'o') }}, o.category
),

top_category as (
    select outlet_id, category
    from (
        select outlet_id, category,
               row_number() over (partition by outlet_id order by net_amount desc, category) as rank_no
        from categories
    ) as ranked
    where rank_no = 1
)

select
    v.outlet_id as {{ outlet_key(outlet_type) }},
    as_of.as_of_date,
    {{ outlet_people_columns(outlet_type) }},
    coalesce(c.buyers, 0) - coalesce(c.new_buyers, 0) as returning_buyers,
    {{ outlet_order_columns() }},
    cast(v.net_amount as {{ type_double() }}) / nullif(sum(v.net_amount) over (), 0) as revenue_share,
    coalesce(r.cohort, 0) as repurchase_cohort,
    cast(r.repurchased as {{ type_double() }}) / nullif(r.cohort, 0) as repurchase_rate_90d,
    t.category as top_category
from volumes as v
cross join as_of
left join customer_counts as c on c.outlet_id = v.outlet_id
left join repurchase_rates as r on r.outlet_id = v.outlet_id
left join top_category as t on t.outlet_id = v.outlet_id
{%- endmacro %}


{#- The outlet's column in the marts: store_id, channel, or scope (the whole business). -#}
{% macro outlet_key(outlet_type) -%}
{{ {'store': 'store_id', 'channel': 'channel'}.get(outlet_type, 'scope') }}
{%- endmacro %}


{#- The whole business as one outlet, outlet_type 'all' and outlet_id 'all': every order once
    (the channel rows of `activity` hold every order, a missing channel as 未知). Store visits
    are left out: a visit is an outlet's footfall, not the business's. A subquery, so that the
    outlet macros read it as they read int_outlet_activity. -#}
{% macro whole_business_activity(activity) -%}
(select 'all' as outlet_type, 'all' as outlet_id, customer_id, activity_date, activity, order_id,
        is_paid, net_amount
 from {{ activity }}
 where outlet_type = 'channel')
{%- endmacro %}


{#- The outlet of an order line: its store, its channel ('未知' when missing), or 'all'. -#}
{% macro outlet_column(outlet_type, alias) -%}
{%- if outlet_type == 'store' -%}{{ alias }}.store_id{%- elif outlet_type == 'channel' -%}coalesce({{ alias }}.channel, '未知'){%- else -%}'all'{%- endif -%}
{%- endmacro %}


{#- The make-up of each outlet over the same 365 days: its customers by RFM segment and by
    customer state (customer_360 on the as-of date, with the Chinese labels), and its revenue
    by category. `share` is of the outlet's customers, or of its revenue for categories. -#}
{% macro outlet_mix(activity, orders, customers, labels, outlet_type) -%}
with as_of as {{ outlet_as_of(customers) }},

outlet_customers as (
    select distinct a.outlet_id, a.customer_id
    from {{ activity }} as a
    cross join as_of
    where a.outlet_type = '{{ outlet_type }}' and a.customer_id is not null
      and a.activity_date <= as_of.as_of_date
      and {{ dbt.datediff('a.activity_date', 'as_of.as_of_date', 'day') }} < 365
),

{%- for dim in ['rfm_segment', 'customer_state'] %}
by_{{ dim }} as (
    select
        oc.outlet_id,
        '{{ dim }}' as dimension,
        coalesce(cast(c.{{ dim }} as {{ type_text() }}), '未知') as value,
        count(*) as customers,
        cast(null as decimal(18, 2)) as net_amount
    from outlet_customers as oc
    cross join as_of
    left join {{ customers }} as c on c.customer_id = oc.customer_id and c.as_of_date = as_of.as_of_date
    group by oc.outlet_id, coalesce(cast(c.{{ dim }} as {{ type_text() }}), '未知')
),
{%- endfor %}

by_category as (
    select
        {{ outlet_column(outlet_type, 'o') }} as outlet_id,
        'category' as dimension,
        coalesce(o.category, '未知') as value,
        count(distinct o.customer_id) as customers,
        sum(o.net_amount) as net_amount
    from {{ orders }} as o
    cross join as_of
    where o.is_paid and o.order_date <= as_of.as_of_date
      and {{ dbt.datediff('o.order_date', 'as_of.as_of_date', 'day') }} < 365
      and {{ outlet_column(outlet_type, 'o') }} is not null
    group by {{ outlet_column(outlet_type, 'o') }}, coalesce(o.category, '未知')
),

combined as (
    select * from by_rfm_segment
    union all
    select * from by_customer_state
    union all
    select * from by_category
)

select
    m.outlet_id as {{ outlet_key(outlet_type) }},
    as_of.as_of_date,
    m.dimension,
    m.value,
    coalesce(l.value_label, m.value) as value_label,
    m.customers,
    cast(m.net_amount as decimal(18, 2)) as net_amount,
    case when m.dimension = 'category'
         then cast(m.net_amount as {{ type_double() }}) / nullif(sum(m.net_amount) over (partition by m.outlet_id, m.dimension), 0)
         else cast(m.customers as {{ type_double() }}) / sum(m.customers) over (partition by m.outlet_id, m.dimension)
    end as share
from combined as m
cross join as_of
left join {{ labels }} as l on l.tag_key = m.dimension and l.value = m.value
{%- endmacro %}


{#- One row per outlet and calendar month up to the as-of date: customers, visitors and visits
    (stores), buyers, visitors who bought and the conversion, new buyers (first paid order at
    the outlet in that month), paid orders, net amount, average order value. -#}
{% macro outlet_monthly(activity, customers, outlet_type) -%}
with as_of as {{ outlet_as_of(customers) }},

scoped as (
    select a.*, cast({{ dbt.date_trunc('month', 'a.activity_date') }} as date) as month
    from {{ activity }} as a
    cross join as_of
    where a.outlet_type = '{{ outlet_type }}' and a.activity_date <= as_of.as_of_date
),

first_paid as (
    select outlet_id, customer_id, cast({{ dbt.date_trunc('month', 'min(activity_date)') }} as date) as first_month
    from scoped
    where activity = 'order' and is_paid and customer_id is not null
    group by outlet_id, customer_id
),

per_customer as (
    select
        outlet_id, month, customer_id,
        max(case when activity = 'visit' then 1 else 0 end) as visited,
        max(case when activity = 'order' and is_paid then 1 else 0 end) as bought
    from scoped
    where customer_id is not null
    group by outlet_id, month, customer_id
),

customer_counts as (
    select
        c.outlet_id, c.month,
        count(*) as customers,
        cast(sum(c.visited) as bigint) as visitors,
        cast(sum(c.bought) as bigint) as buyers,
        cast(sum(c.visited * c.bought) as bigint) as visitor_buyers,
        cast(sum(case when c.bought = 1 and f.first_month = c.month then 1 else 0 end) as bigint) as new_buyers
    from per_customer as c
    left join first_paid as f on f.outlet_id = c.outlet_id and f.customer_id = c.customer_id
    group by c.outlet_id, c.month
),

volumes as (
    select
        outlet_id, month,
        cast(sum(case when activity = 'visit' then 1 else 0 end) as bigint) as visits,
        cast(sum(case when activity = 'order' and is_paid then 1 else 0 end) as bigint) as paid_orders,
        sum(case when activity = 'order' then net_amount else 0 end) as net_amount
    from scoped
    group by outlet_id, month
)

select
    v.outlet_id as {{ outlet_key(outlet_type) }},
    v.month,
    {{ outlet_people_columns(outlet_type) }},
    {{ outlet_order_columns() }}
from volumes as v
left join customer_counts as c on c.outlet_id = v.outlet_id and c.month = v.month
{%- endmacro %}


{#- The people counted at an outlet (c: customer counts, v: volumes), as the marts show them. -#}
{% macro outlet_people_columns(outlet_type) -%}
coalesce(c.customers, 0) as customers,
    {%- if outlet_type == 'store' %}
    coalesce(c.visitors, 0) as visitors,
    v.visits,
    coalesce(c.visitor_buyers, 0) as visitor_buyers,
    cast(c.visitor_buyers as {{ type_double() }}) / nullif(c.visitors, 0) as visit_conversion,
    {%- endif %}
    coalesce(c.buyers, 0) as buyers,
    coalesce(c.new_buyers, 0) as new_buyers
{%- endmacro %}


{#- Paid orders, net amount and average order value (v: volumes). -#}
{% macro outlet_order_columns() -%}
v.paid_orders,
    cast(v.net_amount as decimal(18, 2)) as net_amount,
    cast(v.net_amount as {{ type_double() }}) / nullif(v.paid_orders, 0) as avg_order_value
{%- endmacro %}
