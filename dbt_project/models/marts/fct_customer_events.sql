{#- One row per kept behaviour event, with the customer it belongs to: NULL for anonymous
    devices and for a member reference that names no kept customer record (kept and
    counted, never dropped). Incremental (macros/incremental.sql): only the events re-judged
    since the last build, all of them when the customer ids were rebuilt. -#}
{{ config(materialized='incremental', incremental_strategy='append',
          meta={'test_rows_of_this_run': '_built_at'},
          pre_hook="{{ delete_rebuilt_events() }}") }}
{%- set watermark = facts_watermark() %}
select
    events.event_id,
    xref.customer_id,
    events.event_type,
    events.occurred_at,
    cast(events.occurred_at as date) as event_date,
    events.sku,
    events.category,
    events.store_id,
    events.customer_source,
    events.source_customer_ref,
    events.customer_record_key,
    events.source_system,
    events._source_file,
    events._row_number,
    {{ run_stamp() }} as _built_at
from {{ ref('int_events_validated') }} as events
left join {{ ref('customer_source_xref') }} as xref on xref.record_key = events.customer_record_key
where events.is_valid
{%- if watermark %} and events._validated_at > {{ watermark }}{% endif %}
