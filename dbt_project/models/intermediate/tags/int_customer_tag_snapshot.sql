{#- Every tag of every customer on this run's as-of date (long format): the fact tags of
    int_customer_fact_tags, the model tags of the model_tags tables and the rule tags of
    model_tags.rule_tag_values (config/rule_tags), with the rule version of each tag and the
    inputs that explain model-tag values. A view: read once, by customer_tag_intervals,
    which keeps of it only what changed. -#}
{{ config(materialized='view', tags=['tag_store']) }}
{%- set facts = fact_tag_columns() -%}
{%- set models = model_tag_columns() -%}

with facts as (
    select * from {{ ref('int_customer_fact_tags') }}
),

as_of as (
    select min(as_of_date) as as_of_date from facts
),

long as (
    {%- for kind, columns in facts.items() %}
    {%- for column in columns %}
    select
        customer_id,
        as_of_date,
        '{{ column }}' as tag_key,
        {%- if kind == 'date' %}
        cast(cast({{ column }} as date) as {{ type_text() }}) as value,
        cast(null as {{ type_double() }}) as numeric_value,
        {%- elif kind == 'text' %}
        cast({{ column }} as {{ type_text() }}) as value,
        cast(null as {{ type_double() }}) as numeric_value,
        {%- else %}
        {{ value_text(column) }} as value,
        cast({{ column }} as {{ type_double() }}) as numeric_value,
        {%- endif %}
        cast(null as {{ type_text() }}) as inputs
    from facts
    union all
    {%- endfor %}
    {%- endfor %}
    {%- for key, spec in models.items() %}
    {%- set table, value_expr, numeric_expr, inputs = spec %}
    select
        m.customer_id,
        m.as_of_date,
        '{{ key }}' as tag_key,
        {{ value_text(value_expr) }} as value,
        cast({{ numeric_expr }} as {{ type_double() }}) as numeric_value,
        {{ json_object_text(inputs) }} as inputs
    from {{ source('model_tags', table) }} as m
    inner join as_of on as_of.as_of_date = m.as_of_date
    union all
    {%- endfor %}
    select
        r.customer_id,
        r.as_of_date,
        r.tag_key,
        cast(r.value as {{ type_text() }}) as value,
        cast(r.numeric_value as {{ type_double() }}) as numeric_value,
        cast(null as {{ type_text() }}) as inputs
    from {{ source('model_tags', 'rule_tag_values') }} as r
    inner join as_of on as_of.as_of_date = r.as_of_date
)

select
    long.as_of_date,
    long.customer_id,
    long.tag_key,
    long.value,
    labels.value_label,
    long.numeric_value,
    catalogue.rule_version,
    long.inputs
from long
inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue on catalogue.tag_key = long.tag_key
left join {{ source('model_tags', 'tag_value_labels') }} as labels
    on labels.tag_key = long.tag_key and labels.value = long.value
