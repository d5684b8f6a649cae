{#- The as-of dates the tag history holds a snapshot of, one row each: a run adds its own
    date, a backfill a past one. With customer_tag_intervals, the history: a tag value holds
    on every snapshot date of its interval. Never rebuilt by --full-refresh. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    full_refresh=false,
    on_schema_change='fail',
) }}
{%- set legacy = none if is_incremental() else legacy_tag_history() %}

select distinct cast(as_of_date as date) as as_of_date
from (
    select {{ tag_run_date() }} as as_of_date
    {%- if legacy %}
    union all
    select distinct as_of_date from {{ legacy }}
    {%- endif %}
) as dates
where as_of_date is not null
