{#- One row per segment and as-of date it was computed on, even when it had no member: the
    segment's rule version then and its number of members (the segments over time). Tells
    segment_changes which segments existed on a date. Incremental by as_of_date like
    segment_members. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    full_refresh=false,
    on_schema_change='fail',
) }}
select
    cast(catalogue.as_of_date as date) as as_of_date,
    catalogue.segment_key,
    catalogue.rule_version,
    count(m.customer_id) as members
from {{ source('model_tags', 'segment_catalogue') }} as catalogue
left join {{ source('model_tags', 'segment_membership') }} as m on m.segment_key = catalogue.segment_key
group by cast(catalogue.as_of_date as date), catalogue.segment_key, catalogue.rule_version
