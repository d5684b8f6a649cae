{#- Entered / exited events of the enumerated and boolean tags between consecutive snapshots
    of the history: a customer whose customer_state went from active (2026-05-31) to silent
    (2026-06-30) has 'exited active' and 'entered silent' on 2026-06-30. A customer who first
    appears in a snapshot enters their values; one who is gone from it exits them. The first
    snapshot has no events (nothing to compare with). Macro snapshot_changes.

    Incremental: a run compares only the pairs of snapshots its date belongs to (the one
    before it and it, it and the one after it: a backfill changes both), after its pre-hook
    removed those pairs' rows; the others stay. A full build compares every pair. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changes_of_this_run() }}",
) }}
-- depends_on: {{ ref('int_customer_fact_tags') }}, {{ ref('tag_snapshot_dates') }}

with
{%- if is_incremental() %}
compared_dates as (
    {{ run_date_and_neighbours() }}
),
{%- else %}
compared_dates as (
    select as_of_date from {{ ref('tag_snapshot_dates') }}
),
{%- endif %}

history as (
    select h.*
    from {{ ref('customer_tag_history') }} as h
    inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue
        on catalogue.tag_key = h.tag_key and catalogue.tracks_changes
    where h.as_of_date in (select as_of_date from compared_dates)
),

{{ snapshot_changes('history', 'compared_dates', keys=['customer_id', 'tag_key'],
                    value='value', carried=['value_label']) }}

select * from changes
