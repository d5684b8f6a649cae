{{ config(
    materialized='incremental',
    unique_key='record_key',
    incremental_strategy='delete+insert',
    full_refresh=false,
    on_schema_change='fail'
) }}
{#- The persisted anchor of customer ids: every record ever seen -> its customer id. It is
    never rebuilt from scratch (full_refresh=false): this table is what keeps ids stable.

    Each run, per cluster of int_identity_clusters:
      * an old id whose records are now spread over several clusters stays with the cluster
        holding most of them (ties: the smallest cluster key) - on a split the largest part
        keeps the id;
      * a cluster keeps the oldest (smallest) id it holds - on a merge the older id survives;
      * a cluster keeping no id gets a new one, numbered after every id ever issued, in
        cluster-key order (deterministic).
    Records no longer in the sources keep their last id. assigned_run counts the runs that
    changed something; a row keeps the run of its last change, so re-running on the same
    data rewrites identical rows. -#}

with clusters as (
    select record_key, cluster_key from {{ ref('int_identity_clusters') }}
),

{% if is_incremental() %}
previous as (
    select record_key, customer_seq, customer_id, first_customer_seq, assigned_run from {{ this }}
),
{% else %}
previous as (
    select
        cast(null as {{ type_text() }}) as record_key,
        cast(null as bigint) as customer_seq,
        cast(null as {{ type_text() }}) as customer_id,
        cast(null as bigint) as first_customer_seq,
        cast(null as integer) as assigned_run
    from clusters
    where 1 = 0
),
{% endif %}

current_state as (
    select clusters.record_key, clusters.cluster_key, previous.customer_seq as previous_seq
    from clusters
    left join previous on previous.record_key = clusters.record_key
),

id_parts as (
    select previous_seq, cluster_key, count(*) as n_records
    from current_state
    where previous_seq is not null
    group by previous_seq, cluster_key
),

id_keepers as (
    select previous_seq, cluster_key
    from (
        select
            previous_seq,
            cluster_key,
            row_number() over (partition by previous_seq order by n_records desc, cluster_key) as part_rank
        from id_parts
    ) as ranked
    where part_rank = 1
),

kept as (
    select cluster_key, min(previous_seq) as customer_seq
    from id_keepers
    group by cluster_key
),

issued as (
    select coalesce(max(greatest(customer_seq, first_customer_seq)), 0) as max_seq from previous
),

fresh as (
    select
        unkept.cluster_key,
        issued.max_seq + row_number() over (order by unkept.cluster_key) as customer_seq
    from (
        select distinct current_state.cluster_key
        from current_state
        left join kept on kept.cluster_key = current_state.cluster_key
        where kept.cluster_key is null
    ) as unkept
    cross join issued
),

assigned as (
    select cluster_key, customer_seq from kept
    union all
    select cluster_key, customer_seq from fresh
),

this_run as (
    select coalesce(max(assigned_run), 0) + 1 as run_no from previous
)

select
    current_state.record_key,
    current_state.cluster_key,
    assigned.customer_seq,
    {{ customer_id_from_seq('assigned.customer_seq') }} as customer_id,
    coalesce(prior_row.first_customer_seq, assigned.customer_seq) as first_customer_seq,
    case when prior_row.customer_seq = assigned.customer_seq then prior_row.assigned_run
         else this_run.run_no end as assigned_run,
    case when prior_row.customer_seq = assigned.customer_seq then prior_row.previous_customer_id
         else prior_row.customer_id end as previous_customer_id,
    case
        when prior_row.customer_seq is null then 'new'
        when prior_row.customer_seq = assigned.customer_seq then prior_row.change_type
        when keeper.cluster_key = current_state.cluster_key then 'merged'
        else 'split'
    end as change_type
from current_state
inner join assigned on assigned.cluster_key = current_state.cluster_key
cross join this_run
left join (
    {% if is_incremental() %}
    select record_key, customer_seq, customer_id, first_customer_seq, assigned_run, previous_customer_id, change_type
    from {{ this }}
    {% else %}
    select *, cast(null as {{ type_text() }}) as previous_customer_id, cast(null as {{ type_text() }}) as change_type
    from previous
    {% endif %}
) as prior_row on prior_row.record_key = current_state.record_key
left join id_keepers as keeper on keeper.previous_seq = prior_row.customer_seq
