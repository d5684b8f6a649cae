{#- Customer records known only from references: orders and events that name a customer of a
    system that exports no customer table. Identity resolution reads them from here, not
    from the facts, so that a day of new orders and events leaves identity alone unless it
    brings such a reference (orchestration/incremental.py). -#}
{%- set customer_sources = [] %}
{%- for src, tbl in huaxiang_tables('customers') %}{% do customer_sources.append(src) %}{% endfor %}
select distinct customer_record_key as record_key, customer_source as source_system,
       source_customer_ref as source_record_id
from (
    select customer_record_key, customer_source, source_customer_ref
    from {{ ref('int_orders_validated') }} where is_valid
    union all
    select customer_record_key, customer_source, source_customer_ref
    from {{ ref('int_events_validated') }} where is_valid
) as refs
where customer_record_key is not null
  {%- if customer_sources %}
  and customer_source not in ({% for s in customer_sources | unique %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %})
  {%- endif %}
