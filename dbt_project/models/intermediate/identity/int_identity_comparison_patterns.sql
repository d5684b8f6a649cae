{#- The candidate pairs grouped by comparison vector and by the blocking rules that found
    them: a few thousand rows at most, on which expectation-maximisation estimates the m
    probabilities (int_identity_match_weights). -#}
select
    {%- for rule in identity_blocking_rules() %}
    found_by_{{ rule }},
    {%- endfor %}
    {%- for c in identity_comparisons() %}
    g_{{ c.name }},
    {%- endfor %}
    count(*) as n_pairs
from {{ ref('int_identity_candidate_pairs') }}
group by
    {%- for rule in identity_blocking_rules() %}
    found_by_{{ rule }},
    {%- endfor %}
    {%- for c in identity_comparisons() %}
    g_{{ c.name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
