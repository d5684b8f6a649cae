{#- Customers per value of every enumerated and boolean tag on every snapshot of the history:
    the customer state, lifecycle stage, RFM segment ... over time. Incremental by as_of_date:
    a run counts its own snapshot; the others stay (a full build counts them all). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_customer_fact_tags') }}, {{ ref('tag_snapshot_dates') }}
select
    history.as_of_date,
    history.tag_key,
    history.value,
    coalesce(history.value_label, history.value, '未知') as value_label,
    count(*) as customers
from {{ ref('customer_tag_history') }} as history
inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue
    on catalogue.tag_key = history.tag_key and catalogue.tracks_changes
{%- if is_incremental() %}
where history.as_of_date = {{ tag_run_date() }}
{%- endif %}
group by history.as_of_date, history.tag_key, history.value, coalesce(history.value_label, history.value, '未知')
