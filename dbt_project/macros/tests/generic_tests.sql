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
