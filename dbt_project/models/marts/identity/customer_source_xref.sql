{#- Every kept customer record of every source -> its customer id, with the strongest rule that
    linked it to another record of the customer ('only_record' for a customer of one record). -#}
with assigned as (
    select * from {{ ref('int_customer_ids_assigned') }}
),

records as (
    select record_key, source_system, source_table, source_record_id from {{ ref('int_identity_records') }}
),

edges as (
    select record_key_a as record_key, rule, rule_rank from {{ ref('identity_edges') }}
    union all
    select record_key_b as record_key, rule, rule_rank from {{ ref('identity_edges') }}
),

best_rule as (
    select record_key, rule
    from (
        select record_key, rule, row_number() over (partition by record_key order by rule_rank, rule) as rk
        from edges
    ) as ranked
    where rk = 1
),

clusters as (
    select record_key, cluster_size from {{ ref('int_identity_clusters') }}
)

select
    records.source_system,
    records.source_record_id,
    assigned.customer_id,
    case when clusters.cluster_size = 1 then 'only_record' else coalesce(best_rule.rule, 'only_record') end as match_rule,
    records.source_table,
    records.record_key,
    -- the facts rebuild their customer ids whole when this is newer than they are
    {{ run_stamp() }} as _built_at
from records
inner join assigned on assigned.record_key = records.record_key
inner join clusters on clusters.record_key = records.record_key
left join best_rule on best_rule.record_key = records.record_key
