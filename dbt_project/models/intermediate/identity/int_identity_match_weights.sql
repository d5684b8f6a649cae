{#- Fellegi-Sunter parameters, trained the way Splink recommends:
    * u (how often a level occurs between records of different people) from pseudo-random
      pairs (int_identity_u_probabilities);
    * m (how often it occurs between records of the same person) by expectation-maximisation
      in training sessions, one per blocking rule of identity_training_sessions(): on the
      pairs that rule found, with u fixed and the comparisons the rule forces to agree left
      out; each m is the mean over the sessions that estimate it, weighted by the number of
      matching pairs each session found. identity_em_iterations
      rounds per session are unrolled into one query, each round reading the previous once;
    * the prior (the probability that two random records match) by EM over every candidate
      pair with m and u fixed, starting from the deterministic links (divided by
      identity_deterministic_recall, over all record pairs) where there are any.
    Sums of posteriors are exact (decimal), so the result does not depend on the order the
    engine adds rows in: the same data gives the same weights to the last bit.
    One row per comparison level with m, u and the weight log2(m/u) in bits, and a row
    'prior' with the prior and its weight log2(p/(1-p)). A level no session could estimate
    (too few pairs, as in a tiny data set) keeps its starting value; n_sessions = 0 says so. -#}
{%- set comparisons = identity_comparisons() -%}
{%- set sessions = identity_training_sessions() -%}
{%- set iterations = var('identity_em_iterations') | int -%}
{{ config(post_hook="{{ drop_stored_ctes() }}") }}
{%- set ctes = [] -%}

{%- set sql %}
    select * from {{ ref('int_identity_comparison_patterns') }}
{%- endset %}
{%- do cte(ctes, 'patterns', sql) %}

{%- set sql %}
    {{ identity_pivot_levels(ref('int_identity_u_probabilities'), 'u_probability', 'u') }}
{%- endset %}
{%- do cte(ctes, 'u_row', sql) %}

{#- every training session at once: its pairs (those its blocking rule found) grouped by
    comparison vector, one row per session and vector -#}
{%- set sql %}
    select session{% for c in comparisons %}, g_{{ c.name }}{% endfor %}, sum(n_pairs) as n_pairs
    from (
        {%- for session in sessions %}
        select '{{ session }}' as session, patterns.* from patterns where found_by_{{ session }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as found
    group by session{% for c in comparisons %}, g_{{ c.name }}{% endfor %}
{%- endset %}
{%- do cte(ctes, 'session_patterns', sql) %}

{#- the log-probability of each session's vector among non-matches does not change from round
    to round (u is fixed): summed once here, not in every round's query (whose planning cost
    grows with its expressions); the same sum, so the same double -#}
{%- set sql %}
    select
        session_patterns.*,
        (0 {{ identity_session_log_probability('u', 'u_row', sessions, 'session_patterns.session') }}) as log_u
    from session_patterns
    cross join u_row
{%- endset %}
{%- do cte(ctes, 'session_vectors', sql, stored=true) %}

{%- set sql %}
    {%- for session in sessions %}
    select
        '{{ session }}' as session,
        cast(0.5 as double) as match_share,
        cast(0 as double) as expected_matches
        {%- for c in comparisons %}
        {%- set n = c.levels | length %}
        {%- for level in c.levels %}
        , cast({{ identity_m_start(loop.index0, n) }} as double) as m_{{ c.name }}_{{ level[0] }}
        {%- endfor %}
        {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endset %}
{%- do cte(ctes, 'p0', sql) %}
{%- for i in range(1, iterations + 1) %}

{%- set sql %}
    select
        sp.session{% for c in comparisons %}, sp.g_{{ c.name }}{% endfor %}, sp.n_pairs,
        1.0 / (1.0 + (1.0 - p.match_share) / p.match_share * exp(least(700.0, greatest(-700.0,
            sp.log_u - (0 {{ identity_session_log_probability('m', 'p', sessions, 'sp.session') }})
        )))) as match_posterior
    from session_vectors as sp
    inner join p{{ i - 1 }} as p on p.session = sp.session
{%- endset %}
{%- do cte(ctes, 'e' ~ i, sql) %}

{%- set sql %}
    select
        session,
        least(0.999, greatest(0.001, cast({{ exact_sum('n_pairs * match_posterior') }} as double) / sum(n_pairs))) as match_share,
        cast({{ exact_sum('n_pairs * match_posterior') }} as double) as expected_matches
        {%- for c in comparisons %}
        {%- set n = c.levels | length %}
        {%- for level in c.levels %}
        , (cast({{ exact_sum('case when g_' ~ c.name ~ ' = ' ~ level[0] ~ ' then n_pairs * match_posterior else 0 end') }} as double) + 0.01)
          / (cast({{ exact_sum('case when g_' ~ c.name ~ ' is not null then n_pairs * match_posterior else 0 end') }} as double) + {{ 0.01 * n }})
          as m_{{ c.name }}_{{ level[0] }}
        {%- endfor %}
        {%- endfor %}
    from e{{ i }}
    group by session
{%- endset %}
{%- do cte(ctes, 'p' ~ i, sql, stored=true) %}
{%- endfor %}

{#- each session estimates the comparisons its rule does not force to agree -#}
{%- set sql %}
    {%- set ns = namespace(first=true) %}
    {%- for c in comparisons %}
    {%- set covering = [] %}
    {%- for session, covered in sessions.items() if c.name in covered %}{% do covering.append(session) %}{% endfor %}
    {%- for level in c.levels %}
    {% if not ns.first %}union all {% endif %}select session, '{{ c.name }}' as comparison, {{ level[0] }} as level,
        m_{{ c.name }}_{{ level[0] }} as m_probability, expected_matches
        from p{{ iterations }}
        {%- if covering %} where session not in ('{{ covering | join("', '") }}'){% endif %}
    {%- set ns.first = false %}
    {%- endfor %}
    {%- endfor %}
{%- endset %}
{%- do cte(ctes, 'm_estimates', sql) %}

{#- each session's estimate weighted by the matching pairs it saw: a rule that found a handful
    of pairs in this data set says little -#}
{%- set sql %}
    select
        comparison,
        level,
        -- exact sums: the same data gives the same weights to the last bit, in any row order
        cast({{ exact_sum('m_probability * expected_matches') }} as double)
            / cast({{ exact_sum('expected_matches') }} as double) as m_probability,
        count(*) as n_sessions
    from m_estimates
    where m_probability is not null and expected_matches > 0
    group by comparison, level
{%- endset %}
{%- do cte(ctes, 'm_final', sql) %}

{#- where no session had pairs to learn from (a tiny data set), the starting values stand -#}
{%- set sql %}
    {%- set ns2 = namespace(first=true) %}
    {%- for c in comparisons %}
    {%- set n = c.levels | length %}
    {%- for level in c.levels %}
    {% if not ns2.first %}union all {% endif %}select '{{ c.name }}' as comparison, {{ level[0] }} as level,
        cast({{ identity_m_start(loop.index0, n) }} as double) as m_probability
    {%- set ns2.first = false %}
    {%- endfor %}
    {%- endfor %}
{%- endset %}
{%- do cte(ctes, 'm_default', sql) %}

{%- set sql %}
    select
        n_records,
        greatest(1.0, n_records * (n_records - 1) / 2.0) as n_record_pairs,
        (select count(*) from {{ ref('int_identity_edges_deterministic') }}) as n_deterministic_links,
        (select coalesce(sum(n_pairs), 0) from patterns) as n_candidate_pairs
    from (select cast(count(*) as double) as n_records from {{ ref('int_identity_records') }}) as counted
{%- endset %}
{%- do cte(ctes, 'counts', sql) %}

{#- the prior's starting value: from the deterministic links where there are any (divided by
    the share of true pairs they are assumed to find), else one duplicate per record -#}
{%- set sql %}
    select least(0.5, greatest(1e-12,
        case when n_deterministic_links > 0
             then n_deterministic_links / {{ var('identity_deterministic_recall') }} / n_record_pairs
             else n_records / 2.0 / n_record_pairs end)) as probability
    from counts
{%- endset %}
{%- do cte(ctes, 'prior_0', sql) %}

{#- the m of every level: the sessions' estimate, or the starting value where none could estimate it -#}
{%- set sql %}
    select
        u.comparison,
        u.level,
        u.level_description,
        coalesce(m.m_probability, d.m_probability) as m_probability,
        u.u_probability,
        coalesce(m.n_sessions, 0) as n_sessions
    from {{ ref('int_identity_u_probabilities') }} as u
    left join m_final as m on m.comparison = u.comparison and m.level = u.level
    inner join m_default as d on d.comparison = u.comparison and d.level = u.level
{%- endset %}
{%- do cte(ctes, 'm_used', sql) %}

{%- set sql %}
    {{ identity_pivot_levels('m_used', 'm_probability', 'm') }}
{%- endset %}
{%- do cte(ctes, 'm_row', sql) %}

{#- with m and u fixed, each vector's likelihood ratio is the same in every round of the
    prior's EM: computed once (the same expression, so the same double) -#}
{%- set sql %}
    select
        patterns.n_pairs,
        exp(least(700.0, greatest(-700.0,
            (0 {{ identity_log_probability('u', 'u_row') }})
            - (0 {{ identity_log_probability('m', 'm_row') }})
        ))) as likelihood_ratio
    from patterns
    cross join u_row
    cross join m_row
{%- endset %}
{%- do cte(ctes, 'pattern_ratios', sql, stored=true) %}
{#- The prior by expectation-maximisation over every candidate pair, m and u fixed: the
    expected number of matching pairs among the candidates (the sum of their posteriors),
    divided by the share of true pairs the blocking is assumed to find
    (identity_candidate_recall), over all record pairs. Pairs that are not candidates are
    taken as non-matches. Without a single strong identifier in the data (paper cards, an old
    CRM) the names, birth dates and addresses alone set it. -#}
{%- for i in range(1, iterations + 1) %}

{%- set sql %}
    select least(0.5, greatest(1e-12,
        cast({{ exact_sum('n_pairs * match_posterior') }} as double)
        / {{ var('identity_candidate_recall') }} / max(counts.n_record_pairs))) as probability
    from (
        select
            r.n_pairs,
            1.0 / (1.0 + (1.0 - p.probability) / p.probability * r.likelihood_ratio) as match_posterior
        from pattern_ratios as r
        cross join prior_{{ i - 1 }} as p
    ) as e
    cross join counts
{%- endset %}
{%- do cte(ctes, 'prior_' ~ i, sql, stored=true) %}
{%- endfor %}

{%- set sql %}
    select
        prior_{{ iterations }}.probability,
        prior_0.probability as start_probability,
        counts.n_candidate_pairs,
        counts.n_deterministic_links
    from prior_{{ iterations }}
    cross join prior_0
    cross join counts
{%- endset %}
{%- do cte(ctes, 'prior', sql) %}

{{ with_ctes(ctes) }}

select
    comparison,
    level,
    level_description,
    m_probability,
    u_probability,
    n_sessions,
    ln(m_probability / u_probability) / ln(2.0) as weight_bits
from m_used
union all
select
    'prior' as comparison,
    cast(null as integer) as level,
    concat('probability that two records picked at random are the same person: EM over ',
           cast(cast(n_candidate_pairs as bigint) as {{ type_text() }}), ' candidate pairs from ',
           {{ value_text('start_probability') }},
           case when n_deterministic_links > 0
                then concat(' (', cast(cast(n_deterministic_links as bigint) as {{ type_text() }}), ' deterministic links)')
                else ' (no deterministic links: one duplicate per record)' end) as level_description,
    probability as m_probability,
    cast(null as double) as u_probability,
    cast(null as bigint) as n_sessions,
    ln(probability / (1.0 - probability)) / ln(2.0) as weight_bits
from prior
