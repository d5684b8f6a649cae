{#- u: how often each agreement level occurs between two records of *different* people,
    estimated from pseudo-random pairs (records in md5 order, each paired with the ones a
    few fixed steps further on): almost all such pairs are non-matches. Linear, deterministic,
    and independent of the blocking. Up to 8 steps, fewer on a large data set: about
    identity_u_random_pairs pairs are enough (the rarest level, one birth date in 20,000, is
    still met a few hundred times) and the comparisons are the costliest part. Add-one
    smoothing keeps every level possible. -#}
{%- set offsets = [1, 3, 7, 17, 41, 97, 211, 503] -%}

with records as (
    select *, row_number() over (order by {{ md5_text('record_key') }}, record_key) as rn
    from {{ ref('int_identity_records') }}
),

all_offsets as (
    {%- for k in offsets %}
    select {{ loop.index }} as step_no, {{ k }} as step{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

offsets as (
    select all_offsets.step
    from all_offsets
    cross join (select count(*) as n from records) as n_records
    where all_offsets.step_no = 1
        or all_offsets.step_no * n_records.n <= {{ var('identity_u_random_pairs') }}
),

-- each record with the row numbers of its partners, so that the pairs are one equi-join on a
-- column (joined in one step, Spark reordered it into records x records, filtered after)
partners as (
    select records.*, records.rn + offsets.step as partner_rn
    from records
    cross join offsets
),

pairs as (
    select {{ identity_gamma_columns('a', 'b') }}
    from partners as a
    inner join records as b on b.rn = a.partner_rn
),

-- one pass over the pairs: each comparison's counts are read off the patterns
patterns as (
    select {% for c in identity_comparisons() %}g_{{ c.name }}, {% endfor %}count(*) as n
    from pairs
    group by {% for c in identity_comparisons() %}g_{{ c.name }}{% if not loop.last %}, {% endif %}{% endfor %}
),

levels as (
    {%- for c in identity_comparisons() %}
    {%- set outer = loop %}
    {%- for level in c.levels %}
    select '{{ c.name }}' as comparison, {{ level[0] }} as level, '{{ level[1] }}' as level_description
    {% if not (outer.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

counts as (
    {%- for c in identity_comparisons() %}
    select '{{ c.name }}' as comparison, g_{{ c.name }} as level, sum(n) as n
    from patterns where g_{{ c.name }} is not null group by g_{{ c.name }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

totals as (
    select comparison, sum(n) as n_compared from counts group by comparison
),

n_levels as (
    select comparison, count(*) as n_levels from levels group by comparison
)

select
    levels.comparison,
    levels.level,
    levels.level_description,
    coalesce(counts.n, 0) as n_random_pairs,
    (cast(coalesce(counts.n, 0) as double) + 1) / (coalesce(totals.n_compared, 0) + n_levels.n_levels) as u_probability
from levels
inner join n_levels on n_levels.comparison = levels.comparison
left join counts on counts.comparison = levels.comparison and counts.level = levels.level
left join totals on totals.comparison = levels.comparison
