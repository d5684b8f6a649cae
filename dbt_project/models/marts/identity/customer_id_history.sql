{{ config(materialized='incremental', full_refresh=false, on_schema_change='fail') }}
{#- Every change of a record's customer id, appended by the run that made it: 'new' (first
    id), 'merged' (its customer merged into an older one), 'split' (split off its customer).
    Re-running on the same data appends nothing. -#}
select
    assigned.assigned_run as run_no,
    assigned.record_key,
    assigned.previous_customer_id,
    assigned.customer_id,
    assigned.change_type,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as _recorded_at
from {{ ref('int_customer_ids_assigned') }} as assigned
{% if is_incremental() %}
left join {{ this }} as seen
    on seen.record_key = assigned.record_key and seen.run_no = assigned.assigned_run
where seen.record_key is null
{% endif %}
