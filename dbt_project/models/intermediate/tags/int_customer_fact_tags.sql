{#- Fact tags: one wide row per customer known on the as-of date.

    A customer is known on the as-of date when one of their records was created by then (or
    carries no creation time) or they had an order or an event by then. Demographic tags come
    from the golden record (records keep no history of their fields, so a past as-of date sees
    today's city); age is in whole years on the as-of date, from the birth date, else from the
    birth year alone (an age outside 0-120 is no age). Behavioural tags come from
    int_customer_order_facts and int_customer_event_facts.

    Customers without orders (documented rule): counts and amounts are 0; average order value,
    first and last order date, days since the last order, top category, preferred channel and
    refund ratio are NULL (there is no such thing yet, which is not the same as zero). The
    same for behaviour: counts 0, dates NULL.

    Without an as-of date (no --as-of and no date anywhere in the data, see int_data_window)
    no customer is known on it: no row, and the tag steps after this model skip. -#}
with as_of as (
    select as_of_date from {{ ref('int_data_window') }}
    where as_of_date is not null
),

golden as (
    select golden.*, as_of.as_of_date
    from {{ ref('int_customer_golden') }} as golden
    cross join as_of
),

orders as (
    select * from {{ ref('int_customer_order_facts') }}
),

events as (
    select * from {{ ref('int_customer_event_facts') }}
),

known as (
    select golden.*
    from golden
    left join orders on orders.customer_id = golden.customer_id
    left join events on events.customer_id = golden.customer_id
    where golden.first_seen_at is null
       or cast(golden.first_seen_at as date) <= golden.as_of_date
       or orders.customer_id is not null
       or events.customer_id is not null
),

demographics as (
    select
        customer_id,
        as_of_date,
        gender,
        case
            when birth_date is not null then
                extract(year from as_of_date) - extract(year from birth_date)
                - case when extract(month from as_of_date) * 100 + extract(day from as_of_date)
                            < extract(month from birth_date) * 100 + extract(day from birth_date)
                       then 1 else 0 end
            when birth_year is not null then extract(year from as_of_date) - birth_year
        end as raw_age,
        extract(month from birth_date) as birth_month,
        city,
        province,
        source_systems,
        mobile is not null or email is not null as has_contact,
        {{ regexp_contains('source_systems', "'(^|,)(app|store)(,|$)'") }} as is_member
    from known
),

ages as (
    select
        demographics.*,
        case when raw_age between 0 and 120 then cast(raw_age as integer) end as age
    from demographics
)

select
    ages.customer_id,
    ages.as_of_date,
    ages.gender,
    ages.age,
    case
        when ages.age is null then null
        when ages.age < 18 then '<18'
        when ages.age < 25 then '18-24'
        when ages.age < 35 then '25-34'
        when ages.age < 45 then '35-44'
        when ages.age < 55 then '45-54'
        when ages.age < 65 then '55-64'
        else '65+'
    end as age_band,
    cast(ages.birth_month as integer) as birth_month,
    ages.city,
    coalesce(ages.province, tiers.province) as province,
    case when ages.city is null then null else coalesce(tiers.city_tier, '其他') end as city_tier,
    ages.has_contact,
    ages.is_member,
    cast(coalesce(orders.orders_total, 0) as bigint) as orders_total,
    cast(coalesce(orders.paid_orders_total, 0) as bigint) as paid_orders_total,
    cast(coalesce(orders.paid_orders_30d, 0) as bigint) as paid_orders_30d,
    cast(coalesce(orders.paid_orders_90d, 0) as bigint) as paid_orders_90d,
    cast(coalesce(orders.paid_orders_365d, 0) as bigint) as paid_orders_365d,
    coalesce(orders.net_amount_total, 0) as net_amount_total,
    coalesce(orders.net_amount_30d, 0) as net_amount_30d,
    coalesce(orders.net_amount_90d, 0) as net_amount_90d,
    coalesce(orders.net_amount_365d, 0) as net_amount_365d,
    case when orders.paid_orders_total > 0
         then cast({{ rounded_quotient('orders.net_amount_total', 'orders.paid_orders_total', 2) }} as decimal(18, 2))
    end as avg_order_value,
    orders.first_order_date,
    orders.last_order_date,
    {{ dbt.datediff('orders.last_order_date', 'ages.as_of_date', 'day') }} as days_since_last_order,
    {{ dbt.datediff('orders.first_order_date', 'ages.as_of_date', 'day') }} as days_since_first_order,
    cast(coalesce(orders.paid_order_days, 0) as bigint) as paid_order_days,
    cast(coalesce(orders.distinct_categories, 0) as bigint) as distinct_categories,
    orders.top_category,
    orders.preferred_channel,
    case when orders.net_amount_total + orders.refunded_amount_total > 0
         then cast({{ rounded_quotient('orders.refunded_amount_total',
                                       'orders.net_amount_total + orders.refunded_amount_total', 4) }}
                   as {{ type_double() }}) end
        as refund_ratio,
    cast(coalesce(events.events_total, 0) as bigint) as events_total,
    events.last_event_date,
    cast(coalesce(events.views_30d, 0) as bigint) as views_30d,
    cast(coalesce(events.views_90d, 0) as bigint) as views_90d,
    cast(coalesce(events.favourites_30d, 0) as bigint) as favourites_30d,
    cast(coalesce(events.favourites_90d, 0) as bigint) as favourites_90d,
    cast(coalesce(events.add_to_cart_30d, 0) as bigint) as add_to_cart_30d,
    cast(coalesce(events.add_to_cart_90d, 0) as bigint) as add_to_cart_90d,
    cast(coalesce(events.referrals_365d, 0) as bigint) as referrals_365d,
    cast(coalesce(events.active_days_30d, 0) as bigint) as active_days_30d,
    cast(coalesce(events.active_days_90d, 0) as bigint) as active_days_90d
from ages
left join {{ ref('city_tiers') }} as tiers on tiers.city = ages.city
left join orders on orders.customer_id = ages.customer_id
left join events on events.customer_id = ages.customer_id
