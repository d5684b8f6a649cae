{#- The dimensions of the portrait marts: [key, Chinese heading]. A key that is a tag of the
    catalogue gets its values' Chinese labels from tag_value_labels. -#}
{% macro portrait_dimensions() -%}
{{ return([
    ['city', '城市'], ['province', '省份'], ['city_tier', '城市等级'], ['industry', '行业'],
    ['level', '客户级别'], ['lead_source', '来源渠道'], ['rfm_segment', 'RFM客户分群'],
    ['customer_state', '客户状态'], ['lifecycle_stage', '生命周期阶段'], ['age_band', '年龄段'],
    ['gender', '性别'], ['value_class', '价值等级'], ['churn_risk', '流失风险'],
    ['top_category', '偏好品类'], ['preferred_channel', '偏好渠道'],
]) }}
{%- endmacro %}

{#- Customers counted by every dimension (long): dimension, value, customers; `by` adds
    grouping columns (for example the segment) present in `relation`. -#}
{% macro portrait_counts(relation, by=[]) -%}
{%- for dim, heading in portrait_dimensions() %}
select
    {%- for col in by %} {{ col }},{% endfor %}
    '{{ dim }}' as dimension,
    '{{ heading }}' as dimension_name,
    cast({{ dim }} as {{ type_text() }}) as value,
    count(*) as customers
from {{ relation }}
group by {% for col in by %}{{ col }}, {% endfor %}cast({{ dim }} as {{ type_text() }})
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endmacro %}

{#- Customers counted by every pair of dimensions (long): dimension_a, value_a, dimension_b,
    value_b, customers; each unordered pair once, in the order of portrait_dimensions(). -#}
{% macro portrait_cross_counts(relation, by=[]) -%}
{%- set dims = portrait_dimensions() -%}
{%- for i in range(dims | length) %}
{%- for j in range(i + 1, dims | length) %}
select
    {%- for col in by %} {{ col }},{% endfor %}
    '{{ dims[i][0] }}' as dimension_a,
    cast({{ dims[i][0] }} as {{ type_text() }}) as value_a,
    '{{ dims[j][0] }}' as dimension_b,
    cast({{ dims[j][0] }} as {{ type_text() }}) as value_b,
    count(*) as customers
from {{ relation }}
group by {% for col in by %}{{ col }}, {% endfor %}cast({{ dims[i][0] }} as {{ type_text() }}), cast({{ dims[j][0] }} as {{ type_text() }})
{%- if not (loop.last and i == (dims | length) - 2) %}
union all
{%- endif %}
{%- endfor %}
{%- endfor %}
{%- endmacro %}
