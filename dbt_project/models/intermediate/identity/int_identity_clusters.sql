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

cc_nodes as (
    select record_key as node from records
),

cc_edges as (
    select record_key_a as node_a, record_key_b as node_b from edges
),

{{ connected_components_ctes(passes) }}

select
    node as record_key,
    label as cluster_key,
    count(*) over (partition by label) as cluster_size,
    label = label_before as is_converged
from cc_result
