{#- Fellegi-Sunter parameters, trained the way Splink recommends:
    * u (how often a level occurs between records of different people) from pseudo-random
      pairs (int_identity_u_probabilities);
    * m (how often it occurs between records of the same person) by expectation-maximisation
      in training sessions, one per blocking rule of identity_training_sessions(): on the
      pairs that rule found, with u fixed and the comparisons the rule forces to agree left
      out; each m is the mean over the sessions that estimate it. identity_em_iterations
      rounds per session are unrolled into one query, each round reading the previous once;
    * the prior (the probability that two random records match) from the deterministic links,
      divided by identity_deterministic_recall (the share of true pairs they are assumed to
      find), over all record pairs.
    Sums of posteriors are exact (decimal), so the result does not depend on the order the
    engine adds rows in: the same data gives the same weights to the last bit.
    One row per comparison level with m, u and the weight log2(m/u) in bits, and a row
    'prior' with the prior and its weight log2(p/(1-p)). A level no session could estimate
    (too few pairs, as in a tiny data set) keeps its starting value; n_sessions = 0 says so. -#}
{%- set comparisons = identity_comparisons() -%}
{%- set sessions = identity_training_sessions() -%}
{%- set iterations = var('identity_em_iterations') | int -%}

with patterns as (
    select * from {{ ref('int_identity_comparison_patterns') }}
),

u_row as (
    {{ identity_pivot_levels(ref('int_identity_u_probabilities'), 'u_probability', 'u') }}
),
{%- for session, covered in sessions.items() %}

{{ session }}_p0 as (
    select
        cast(0.5 as double) as match_share
        {%- for c in comparisons if c.name not in covered %}
        {%- set n = c.levels | length %}
        {%- for level in c.levels %}
        , cast({{ identity_m_start(loop.index0, n) }} as double) as m_{{ c.name }}_{{ level[0] }}
        {%- endfor %}
        {%- endfor %}
),
{%- for i in range(1, iterations + 1) %}

{{ session }}_e{{ i }} as (
    select
        patterns.*,
        1.0 / (1.0 + (1.0 - p.match_share) / p.match_share * exp(least(700.0, greatest(-700.0,
            (0 {{ identity_log_probability('u', 'u_row', covered) }})
            - (0 {{ identity_log_probability('m', 'p', covered) }})
        )))) as match_posterior
    from patterns
    cross join {{ session }}_p{{ i - 1 }} as p
    cross join u_row
    where patterns.found_by_{{ session }}
),

{{ session }}_p{{ i }} as (
    select
        least(0.999, greatest(0.001, cast({{ exact_sum('n_pairs * match_posterior') }} as double) / sum(n_pairs))) as match_share
        {%- for c in comparisons if c.name not in covered %}
        {%- set n = c.levels | length %}
        {%- for level in c.levels %}
        , (cast({{ exact_sum('case when g_' ~ c.name ~ ' = ' ~ level[0] ~ ' then n_pairs * match_posterior else 0 end') }} as double) + 0.01)
          / (cast({{ exact_sum('case when g_' ~ c.name ~ ' is not null then n_pairs * match_posterior else 0 end') }} as double) + {{ 0.01 * n }})
          as m_{{ c.name }}_{{ level[0] }}
        {%- endfor %}
        {%- endfor %}
    from {{ session }}_e{{ i }}
),
{%- endfor %}
{%- endfor %}

m_estimates as (
    {%- set ns = namespace(first=true) %}
    {%- for session, covered in sessions.items() %}
    {%- for c in comparisons if c.name not in covered %}
    {%- for level in c.levels %}
    {% if not ns.first %}union all {% endif %}select '{{ session }}' as session, '{{ c.name }}' as comparison,
        {{ level[0] }} as level, m_{{ c.name }}_{{ level[0] }} as m_probability from {{ session }}_p{{ iterations }}
    {%- set ns.first = false %}
    {%- endfor %}
    {%- endfor %}
    {%- endfor %}
),

m_final as (
    select comparison, level, avg(m_probability) as m_probability, count(*) as n_sessions
    from m_estimates
    where m_probability is not null
    group by comparison, level
),

-- where no session had pairs to learn from (a tiny data set), the starting values stand
m_default as (
    {%- set ns2 = namespace(first=true) %}
    {%- for c in comparisons %}
    {%- set n = c.levels | length %}
    {%- for level in c.levels %}
    {% if not ns2.first %}union all {% endif %}select '{{ c.name }}' as comparison, {{ level[0] }} as level,
        cast({{ identity_m_start(loop.index0, n) }} as double) as m_probability
    {%- set ns2.first = false %}
    {%- endfor %}
    {%- endfor %}
),

prior as (
    select
        least(0.5, greatest(1e-12,
            (select count(*) from {{ ref('int_identity_edges_deterministic') }}) / {{ var('identity_deterministic_recall') }}
            / greatest(1.0, n_records * (n_records - 1) / 2.0)
        )) as probability
    from (select cast(count(*) as double) as n_records from {{ ref('int_identity_records') }}) as counted
)

select
    u.comparison,
    u.level,
    u.level_description,
    coalesce(m.m_probability, d.m_probability) as m_probability,
    u.u_probability,
    coalesce(m.n_sessions, 0) as n_sessions,
    ln(coalesce(m.m_probability, d.m_probability) / u.u_probability) / ln(2.0) as weight_bits
from {{ ref('int_identity_u_probabilities') }} as u
left join m_final as m on m.comparison = u.comparison and m.level = u.level
inner join m_default as d on d.comparison = u.comparison and d.level = u.level
union all
select
    'prior' as comparison,
    cast(null as integer) as level,
    'probability that two records picked at random are the same person' as level_description,
    probability as m_probability,
    cast(null as double) as u_probability,
    cast(null as bigint) as n_sessions,
    ln(probability / (1.0 - probability)) / ln(2.0) as weight_bits
from prior
