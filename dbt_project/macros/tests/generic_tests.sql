{#- Generic tests we would otherwise take from dbt_utils (dbt Hub is out of reach here). -#}

{#- No two rows share these columns' values. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- The model has exactly as many rows as another relation: nothing dropped, nothing doubled.
    `compare_to` is a relation expression, e.g. "source('crm', 'contacts')" or "ref('x')". -#}
{% test row_count_matches(model, compare_to) %}
with a as (select count(*) as n from {{ model }}),
     b as (select count(*) as n from {{ compare_to }})
select a.n as model_rows, b.n as compared_rows
from a cross join b
where a.n <> b.n
{% endtest %}

{#- Every row satisfies a SQL condition. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}

{#- The column is >= 0 where it is not NULL (amounts, counts, day distances). -#}
{% test non_negative(model, column_name) %}
select {{ column_name }} from {{ model }} where {{ column_name }} < 0
{% endtest %}

{#- The column is > 0 where it is not NULL. -#}
{% test positive(model, column_name) %}
select {{ column_name }} from {{ model }} where {{ column_name }} <= 0
{% endtest %}

{#- The column lies in [min_value, max_value] where it is not NULL. -#}
{% test in_range(model, column_name, min_value, max_value) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- Every customer of the model carries every tag of the catalogue exactly once (per as-of
    date): the tag store is complete, and the SQL and the catalogue agree. Equal counts of
    rows and of distinct tag keys also mean no tag twice and no NULL tag key: a uniqueness
    test of (as_of_date, customer_id, tag_key) beside it adds nothing. -#}
{% test every_customer_has_every_tag(model, catalogue) %}
with expected as (select count(*) as n from {{ catalogue }}),
per_customer as (
    select as_of_date, customer_id, count(*) as n_rows, count(distinct tag_key) as n_tags
    from {{ model }}
    group by as_of_date, customer_id
)
select per_customer.*, expected.n as expected_tags
from per_customer cross join expected
where per_customer.n_rows <> expected.n or per_customer.n_tags <> expected.n
{% endtest %}

{#- The column sums to 1 (within 1e-6) within each group: shares of a whole. -#}
{% test sums_to_one(model, column_name, group_by) %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > 0.000001
{% endtest %}

{#- None of these columns holds a NULL: one scan of the model for all of them, where a
    `not_null` per column scans it once per column (at 1M customers and 17M order lines those
    scans add up, and each test is a node dbt compiles and runs). One row per column that has
    NULLs, naming it; the failure count is the number of NULL values. -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_values), 0)') }}
with nulls as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as n_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in columns %}
select '{{ column }}' as column_name, n_{{ loop.index }} as null_values from nulls where n_{{ loop.index }} > 0
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
