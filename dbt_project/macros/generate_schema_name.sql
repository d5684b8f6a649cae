{#- Schemas are named exactly raw / staging / intermediate / marts, not dbt's
    "<target schema>_<custom schema>": BI tools and the ingestion code address them by name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
