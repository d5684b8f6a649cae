{#- A view whose SQL means the same on DuckDB as on the engine that built it: plain joins,
    filters and aggregates, no function whose meaning differs between engines (concat, round,
    casts to text: docs/spark.md). A post-hook of such a view. On Spark it marks the view so
    that the copy back into the DuckDB file (orchestration/warehouse/spark_copy.py) defines it
    there as a view over the copied tables, from the text Spark keeps, rather than copying its
    rows on every run (customer_tag_history: every snapshot date's tags of every customer).
    test-spark compares the two. Nothing on DuckDB. -#}
{% macro mark_portable_view() -%}
    {{ return(adapter.dispatch('mark_portable_view', 'huaxiang')()) }}
{%- endmacro %}

{% macro default__mark_portable_view() %}{% endmacro %}

{% macro spark__mark_portable_view() -%}
alter view {{ this }} set tblproperties ('huaxiang.portable_view' = 'true')
{%- endmacro %}
