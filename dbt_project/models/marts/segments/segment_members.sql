{#- The members of every segment, one snapshot per as-of date, with the values of the tags
    that put each member in (reasons, JSON text). Incremental, delete+insert by as_of_date
    like the tag history: a run replaces its own date and keeps the others; never rebuilt by
    --full-refresh. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    full_refresh=false,
    on_schema_change='fail',
) }}
select
    cast(m.as_of_date as date) as as_of_date,
    m.segment_key,
    m.customer_id,
    m.reasons,
    catalogue.rule_version
from {{ source('model_tags', 'segment_membership') }} as m
inner join {{ source('model_tags', 'segment_catalogue') }} as catalogue on catalogue.segment_key = m.segment_key
