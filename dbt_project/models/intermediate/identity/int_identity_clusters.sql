{#- Connected components of the identity graph by label propagation: every record starts with
    its own key as label and takes the smallest label among itself and its neighbours, for
    identity_cluster_passes passes unrolled into one query (each pass reads the previous one
    once). Links are every deterministic and probabilistic edge, except that a steward's
    cannot-link (a, b) detaches record b from every automatic link, so the next run splits
    them; must-links always hold. is_converged says the last pass changed nothing for this
    record (tested: a failing test means more passes are needed). -#}
{%- set passes = var('identity_cluster_passes') | int -%}

with records as (
    select record_key from {{ ref('int_identity_records') }}
),

detached as (
    select distinct record_key_b as record_key
    from {{ ref('int_identity_manual_links') }}
    where decision = 'cannot_link' and is_applicable
),

automatic as (
    select record_key_a, record_key_b from {{ ref('int_identity_edges_deterministic') }} where rule <> 'must_link'
    union all
    select record_key_a, record_key_b from {{ ref('int_identity_edges_probabilistic') }}
),

edges as (
    select automatic.record_key_a, automatic.record_key_b
    from automatic
    left join detached as da on da.record_key = automatic.record_key_a
    left join detached as db on db.record_key = automatic.record_key_b
    where da.record_key is null and db.record_key is null
    union all
    select record_key_a, record_key_b from {{ ref('int_identity_edges_deterministic') }} where rule = 'must_link'
),

-- the records with a link, numbered in record-key order: label propagation then groups and
-- joins integers, not text keys, and the smallest number of a component is its smallest
-- record key; a record without a link is a cluster of its own
linked as (
    select record_key_a as record_key from edges
    union
    select record_key_b from edges
),

node_ids as (
    select records.record_key, row_number() over (order by records.record_key) as node
    from records
    inner join linked on linked.record_key = records.record_key
),

cc_nodes as (
    select node from node_ids
),

cc_edges as (
    select a.node as node_a, b.node as node_b
    from edges
    inner join node_ids as a on a.record_key = edges.record_key_a
    inner join node_ids as b on b.record_key = edges.record_key_b
),

{{ connected_components_ctes(passes) }},

labelled as (
    select
        records.record_key,
        coalesce(label_key.record_key, records.record_key) as cluster_key,
        coalesce(cc_result.label = cc_result.label_before, true) as is_converged
    from records
    left join node_ids on node_ids.record_key = records.record_key
    left join cc_result on cc_result.node = node_ids.node
    left join node_ids as label_key on label_key.node = cc_result.label
)

select
    record_key,
    cluster_key,
    count(*) over (partition by cluster_key) as cluster_size,
    is_converged
from labelled
