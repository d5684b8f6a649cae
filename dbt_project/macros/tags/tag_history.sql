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

{#- A condition: the tag values (tag_value_columns) of rows `left` and `right` differ, NULL
    equal to NULL. After an outer join, test the missing side's key first. -#}
{% macro tag_values_differ(left, right) -%}
    ({%- for c in tag_value_columns() %}{{ left }}.{{ c }} is distinct from {{ right }}.{{ c }}{{ ' or ' if not loop.last }}{% endfor -%})
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
{{ delete_rows(this, 'valid_to = valid_from') }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{#- This run's snapshot date: the as-of date of int_customer_fact_tags (NULL without
    customers), as a scalar subquery. -#}
{% macro tag_run_date() -%}
    (select min(as_of_date) from {{ ref('int_customer_fact_tags') }})
{%- endmacro %}

{#- This run's snapshot date (tag_run_date) and the snapshot
    dates just before and after it in tag_snapshot_dates: the dates whose comparisons a run
    can change. A select of as_of_date. -#}
{% macro run_date_and_neighbours() -%}
    select dates.as_of_date
    from {{ ref('tag_snapshot_dates') }} as dates
    cross join (select {{ tag_run_date() }} as as_of_date) as run
    where dates.as_of_date = run.as_of_date
       or dates.as_of_date = (select max(d.as_of_date) from {{ ref('tag_snapshot_dates') }} as d
                              where d.as_of_date < run.as_of_date)
       or dates.as_of_date = (select min(d.as_of_date) from {{ ref('tag_snapshot_dates') }} as d
                              where d.as_of_date > run.as_of_date)
{%- endmacro %}

{#- Pre-hook of tag_changes: remove the comparisons this run makes again, those of its date
    with the snapshot before and of the snapshot after with its date (as_of_date is the later
    date of a pair). Explicit, because a pair that now has no changes writes no row to
    replace the old ones with. -#}
{% macro delete_changes_of_this_run() -%}
{%- if is_incremental() -%}
{%- set condition -%}
as_of_date in (
    select dates.as_of_date
    from ({{ run_date_and_neighbours() }}) as dates
    where dates.as_of_date >= {{ tag_run_date() }}
)
{%- endset -%}
{{ delete_rows(this, condition) }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
