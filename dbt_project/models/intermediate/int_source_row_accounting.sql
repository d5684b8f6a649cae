{#- Per landing file: rows in raw, rows kept, rows rejected at validation. The reconciliation
    test on this model proves that every loaded row was either kept or rejected with a reason
    (rows that failed to load are reconciled by the ingestion asset checks). -#}
{%- set raw_parts = [] -%}
{%- set judged_parts = [] -%}
{%- for kind, model in validated_models().items() -%}
    {%- for src, tbl in huaxiang_tables(kind) -%}
        {%- do raw_parts.append(
            "select '" ~ src ~ "' as source_system, '" ~ tbl ~ "' as source_table, "
            ~ "_source_file as source_file, count(*) as raw_rows from " ~ source(src, tbl)
            ~ " group by _source_file") -%}
    {%- endfor -%}
    {%- do judged_parts.append(
        "select source_system, source_table, _source_file as source_file, is_valid from " ~ ref(model)) -%}
{%- endfor %}
with raw_rows as (
    {{ raw_parts | join('\n    union all\n    ') if raw_parts else
       "select cast(null as " ~ type_text() ~ ") as source_system, cast(null as " ~ type_text()
       ~ ") as source_table, cast(null as " ~ type_text() ~ ") as source_file, 0 as raw_rows where 1 = 0" }}
),

judged as (
    {{ judged_parts | join('\n    union all\n    ') }}
),

judged_counts as (
    select
        source_system,
        source_table,
        source_file,
        sum(case when is_valid then 1 else 0 end) as kept_rows,
        sum(case when is_valid then 0 else 1 end) as rejected_rows
    from judged
    group by source_system, source_table, source_file
)

select
    raw_rows.source_system,
    raw_rows.source_table,
    raw_rows.source_file,
    raw_rows.raw_rows,
    coalesce(judged_counts.kept_rows, 0) as kept_rows,
    coalesce(judged_counts.rejected_rows, 0) as rejected_rows
from raw_rows
left join judged_counts
    on judged_counts.source_system = raw_rows.source_system
    and judged_counts.source_table = raw_rows.source_table
    and judged_counts.source_file = raw_rows.source_file
