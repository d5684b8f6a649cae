{#- Behaviour fact tags per customer with at least one event on or before the as-of date:
    views, favourites and add-to-carts over the last 30 and 90 days, referrals over the last
    365 days, and active days (days with any event or any order) over the last 30 and 90
    days. Anonymous events (no customer) count for nobody. -#}
with as_of as (
    select as_of_date from {{ ref('int_data_window') }}
),

events as (
    select
        events.customer_id,
        events.event_type,
        events.event_date,
        {{ dbt.datediff('events.event_date', 'as_of.as_of_date', 'day') }} as days_ago
    from {{ ref('fct_customer_events') }} as events
    cross join as_of
    where events.customer_id is not null
      and events.event_date <= as_of.as_of_date
),

active_days as (
    select customer_id, days_ago from events
    union
    select customer_id, days_ago from {{ ref('int_customer_orders_as_of') }}
),

active as (
    select
        customer_id,
        sum(case when days_ago < 30 then 1 else 0 end) as active_days_30d,
        sum(case when days_ago < 90 then 1 else 0 end) as active_days_90d
    from active_days
    group by customer_id
),

counts as (
    select
        customer_id,
        count(*) as events_total,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        {%- for type, label in [('view', 'views'), ('favourite', 'favourites'), ('add_to_cart', 'add_to_cart')] %}
        {%- for days in [30, 90] %}
        sum(case when event_type = '{{ type }}' and days_ago < {{ days }} then 1 else 0 end) as {{ label }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        sum(case when event_type = 'referral' and days_ago < 365 then 1 else 0 end) as referrals_365d
    from events
    group by customer_id
)

select
    coalesce(counts.customer_id, active.customer_id) as customer_id,
    coalesce(counts.events_total, 0) as events_total,
    counts.first_event_date,
    counts.last_event_date,
    coalesce(counts.views_30d, 0) as views_30d,
    coalesce(counts.views_90d, 0) as views_90d,
    coalesce(counts.favourites_30d, 0) as favourites_30d,
    coalesce(counts.favourites_90d, 0) as favourites_90d,
    coalesce(counts.add_to_cart_30d, 0) as add_to_cart_30d,
    coalesce(counts.add_to_cart_90d, 0) as add_to_cart_90d,
    coalesce(counts.referrals_365d, 0) as referrals_365d,
    coalesce(active.active_days_30d, 0) as active_days_30d,
    coalesce(active.active_days_90d, 0) as active_days_90d
from counts
full outer join active on active.customer_id = counts.customer_id
