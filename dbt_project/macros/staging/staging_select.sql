{#- The start (and end) of every staging model: each stage_<kind> macro is a call of this.

    CTE `src`: the rows to stage. The source table's, on an incremental run only those of the
    files loaded since the model last ran (only_new_files; a table model takes every row); or
    `relation` instead (the typed empty table of a kind no source has: union_staged). `ctes`:
    more CTEs over src that the kind's columns read, `rows_from` the one they are selected
    from. Every staged row then has source_system and source_table, the kind's columns (the
    body of the call, each followed by a comma), the source's extra columns and the lineage
    columns (extras_and_lineage). -#}
{% macro staging_select(source_name, table_name, extra_columns=[], relation=none, ctes=none,
                        rows_from='src') -%}
with src as (
    {%- if relation is none %}
    select * from {{ source(source_name, table_name) }}
    {{- only_new_files(source(source_name, table_name)) }}
    {%- else %}
    select * from {{ relation }} as _relation
    {%- endif %}
)
{%- if ctes %},

{{ ctes }}
{%- endif %}

select
    '{{ source_name }}' as source_system,
    '{{ table_name }}' as source_table,
    {{ caller() }}
    {{ extras_and_lineage(extra_columns) }}
from {{ rows_from }}
{%- endmacro %}
