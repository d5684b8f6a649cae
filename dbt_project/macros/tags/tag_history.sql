{#- The tag history before it was stored as intervals: a table marts.customer_tag_history
    holding one long snapshot per as-of date. Its first build after the upgrade, the interval
    store reads every snapshot from it (then the view of the same name replaces it), so that
    no history is lost. None when there is no such table (a new warehouse, or already moved). -#}
{% macro legacy_tag_history() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set relation = adapter.get_relation(database=this.database, schema=this.schema,
                                            identifier='customer_tag_history') -%}
    {{ return(relation if relation is not none and relation.type == 'table' else none) }}
{%- endmacro %}

{#- The columns that make a stored tag value: two snapshots whose rows agree on all of them
    share one interval. -#}
{% macro tag_value_columns() -%}
    {{ return(['value', 'value_label', 'numeric_value', 'rule_version', 'inputs']) }}
{%- endmacro %}

{#- An interval's open end as a date that follows every snapshot (valid_to is NULL while the
    value holds at the newest snapshot). -#}
{% macro open_end() -%}
    cast('9999-12-31' as date)
{%- endmacro %}

{#- Post-hook of customer_tag_intervals: a run that merges or removes intervals (a re-run or a
    backfill) writes the intervals it removes as empty ones (valid_to = valid_from, holding on
    no date); they are dropped here. -#}
{% macro drop_empty_tag_intervals() -%}
{%- if is_incremental() -%}
delete from {{ this }} where valid_to = valid_from
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
