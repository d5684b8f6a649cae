{#- One row per customer of the newest tag snapshot with the portrait dimensions (text):
    customer_360's tags and golden fields, plus the industry of the customer's enterprise
    account. The input of every portrait mart. -#}
{{ config(tags=['tag_store']) }}
select
    c.customer_id,
    c.as_of_date,
    c.city,
    c.province,
    c.city_tier,
    a.industry,
    c.level,
    c.lead_source,
    c.rfm_segment,
    c.customer_state,
    c.lifecycle_stage,
    c.age_band,
    c.gender,
    c.value_class,
    c.churn_risk,
    c.top_category,
    c.preferred_channel,
    c.net_amount_365d
from {{ ref('customer_360') }} as c
left join {{ ref('dim_account') }} as a on a.account_id = c.account_id
