{#- Every link between two customer records, kept as evidence: which rule linked them, its
    rank, and for probabilistic links the match weight and probability. No personal data:
    record keys and the rule only. -#}
select
    record_key_a,
    record_key_b,
    rule,
    rule_rank,
    cast(null as double) as match_weight,
    cast(null as double) as match_probability,
    evidence
from {{ ref('int_identity_edges_deterministic') }}
union all
select
    record_key_a,
    record_key_b,
    rule,
    rule_rank,
    match_weight,
    match_probability,
    evidence
from {{ ref('int_identity_edges_probabilistic') }}
