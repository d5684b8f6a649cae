{#- One wide row per customer for BI: every tag on the newest as-of date (typed: counts as
    integers, amounts as decimals, dates as dates, rule tags by their value type; enumerated
    model tags also with their Chinese label) beside the masked golden record of dim_customer. No raw contact data:
    mobile masked, e-mail hashed, name masked. -#}
{%- set facts = fact_tag_columns() -%}
{%- set models = model_tag_columns() -%}
{%- set labelled = ['rfm_segment', 'customer_state', 'lifecycle_stage', 'value_class'] -%}
{#- The rule tags (config/rule_tags) are known only when the catalogue is built: read it at run time. -#}
{%- set rule_tags = [] -%}
{%- if execute -%}
{%- set rule_tags = run_query("select tag_key, value_type from " ~ source('model_tags', 'tag_catalogue')
                              ~ " where source = 'rule_tags' order by position").rows -%}
{%- endif %}

with tags as (
    select * from {{ ref('customer_tags') }}
),

wide as (
    select
        customer_id,
        min(as_of_date) as as_of_date,
        {%- for column in facts['text'] %}
        max(case when tag_key = '{{ column }}' then value end) as {{ column }},
        {%- endfor %}
        {%- for column in facts['integer'] %}
        cast(max(case when tag_key = '{{ column }}' then numeric_value end) as bigint) as {{ column }},
        {%- endfor %}
        {%- for column in facts['amount'] %}
        cast(max(case when tag_key = '{{ column }}' then numeric_value end) as decimal(18, 2)) as {{ column }},
        {%- endfor %}
        {%- for column in facts['ratio'] %}
        max(case when tag_key = '{{ column }}' then numeric_value end) as {{ column }},
        {%- endfor %}
        {%- for column in facts['date'] %}
        cast(max(case when tag_key = '{{ column }}' then value end) as date) as {{ column }},
        {%- endfor %}
        {%- for key, spec in models.items() %}
        {%- if spec[2] == 'null' %}
        max(case when tag_key = '{{ key }}' then value end) as {{ key }},
        {%- else %}
        max(case when tag_key = '{{ key }}' then numeric_value end) as {{ key }},
        {%- endif %}
        {%- endfor %}
        {%- for key, value_type in rule_tags %}
        {%- if value_type == 'boolean' %}
        max(case when tag_key = '{{ key }}' then value end) = 'true' as {{ key }},
        {%- elif value_type == 'number' %}
        max(case when tag_key = '{{ key }}' then numeric_value end) as {{ key }},
        {%- else %}
        max(case when tag_key = '{{ key }}' then value end) as {{ key }},
        {%- endif %}
        {%- endfor %}
        {%- for key in labelled %}
        max(case when tag_key = '{{ key }}' then value_label end) as {{ key }}_name{% if not loop.last %},{% endif %}
        {%- endfor %}
    from tags
    group by customer_id
)

select
    wide.*,
    customer.name_masked,
    customer.mobile_masked,
    customer.email_hash,
    customer.has_mobile,
    customer.has_email,
    customer.marketing_consent,
    customer.birth_year,
    customer.company_name,
    customer.level,
    customer.lead_source,
    customer.household_id,
    customer.household_role,
    customer.account_id,
    customer.source_systems,
    customer.n_records,
    customer.first_seen_at
from wide
left join {{ ref('dim_customer') }} as customer on customer.customer_id = wide.customer_id
