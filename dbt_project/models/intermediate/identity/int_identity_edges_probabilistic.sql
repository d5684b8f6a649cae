{#- Candidate pairs scored with the estimated weights: match weight = prior + the weight of
    each comparison's level (bits), match probability = 1 / (1 + 2^-weight). Agreement on
    the name is weighted by how rare the name is ('wang wei' is weaker evidence than 'ouyang
    xinze'): by the weight measured for names on as many records
    (int_identity_name_frequency_weights), else by term frequency (u = the share of records
    with that name key). A pair
    at or above identity_match_probability is a link, if it also agrees on something personal:
    the name, the id number or the e-mail, a similar name with the birth date (or, in latin
    script, where a similar spelling is a typo, with the address or the postcode), or the
    birth date together with the flat, the postcode or the phone; and two different legal names
    never link without an id number or an e-mail (a couple shares a flat, a phone and sometimes
    nearly a birthday). A shared phone, flat and city say 'household', and a birth date in
    the same city is shared by strangers in a big population; the comparisons, assumed
    independent, would otherwise add them up into a person. Pairs a steward said cannot link are dropped. -#}
{%- set comparisons = identity_comparisons() -%}

-- only the pairs that can pass the test of personal agreement below (the same test with the
-- latin-script condition left open): the others need no score, and scoring joins each pair to
-- its two records
with pairs as (
    select * from {{ ref('int_identity_candidate_pairs') }}
    where {{ identity_personal_agreement('', 'true') }}
),

name_frequency as (
    select
        name_key,
        cast(count(*) as double) / sum(count(*)) over () as frequency,
        {{ identity_name_count_band('count(*)') }} as band
    from {{ ref('int_identity_records') }}
    where name_key is not null
    group by name_key
),

name_bands as (
    select name_level, band, weight_bits
    from {{ ref('int_identity_name_frequency_weights') }}
    where is_estimated
),

m as (
    {{ identity_pivot_levels(ref('int_identity_match_weights'), 'm_probability', 'm') }}
),

w as (
    {{ identity_pivot_levels(ref('int_identity_match_weights'), 'weight_bits', 'w') }}
),

prior as (
    select weight_bits as prior_bits from {{ ref('int_identity_match_weights') }} where comparison = 'prior'
),

cannot as (
    select least(record_key_a, record_key_b) as record_key_a, greatest(record_key_a, record_key_b) as record_key_b
    from {{ ref('int_identity_manual_links') }}
    where decision = 'cannot_link'
),

scored as (
    select
        pairs.*,
        -- both names in latin script: a similar spelling is a typo of one name, where two
        -- hanzi names of similar pinyin (王伟, 王文) are two names, siblings' perhaps
        ra.name_hanzi is null and rb.name_hanzi is null as both_latin,
        prior.prior_bits
        {%- for c in comparisons %}
        + case pairs.g_{{ c.name }}
            {%- for level in c.levels %}
            {%- if c.name == 'name' and level[0] >= 3 %}
            when {{ level[0] }} then coalesce(nb.weight_bits, ln(m.m_name_{{ level[0] }} / nf.frequency) / ln(2.0))
            {%- else %}
            when {{ level[0] }} then w.w_{{ c.name }}_{{ level[0] }}
            {%- endif %}
            {%- endfor %}
            else 0 end
        {%- endfor %} as match_weight
    from pairs
    inner join {{ ref('int_identity_records') }} as ra on ra.record_key = pairs.record_key_a
    inner join {{ ref('int_identity_records') }} as rb on rb.record_key = pairs.record_key_b
    left join name_frequency as nf on nf.name_key = ra.name_key
    -- two hanzi names of one pinyin (王伟, 王炜) are two names more often than one: their
    -- agreement is not the band's, it keeps the term-frequency weight
    left join name_bands as nb
        on nb.name_level = pairs.g_name and nb.band = nf.band
        and (pairs.g_name = 4 or ra.name_hanzi is null or rb.name_hanzi is null)
    cross join w
    cross join m
    cross join prior
)

select
    scored.record_key_a,
    scored.record_key_b,
    'probabilistic' as rule,
    7 as rule_rank,
    scored.match_weight,
    1.0 / (1.0 + pow(2.0, -least(scored.match_weight, 60.0))) as match_probability,
    scored.first_blocking_rule,
    {%- for c in comparisons %}
    scored.g_{{ c.name }},
    {%- endfor %}
    concat('pattern'
        {%- for c in comparisons %}, ' {{ c.name }}=', coalesce(cast(scored.g_{{ c.name }} as {{ type_text() }}), '-'){% endfor %}
    ) as evidence
from scored
left join cannot on cannot.record_key_a = scored.record_key_a and cannot.record_key_b = scored.record_key_b
where cannot.record_key_a is null
    -- two different legal names are two people (a couple sharing a flat, a phone and nearly a
    -- birthday), unless an id number or an e-mail says otherwise
    and {{ identity_personal_agreement('scored.', 'scored.both_latin') }}
    and 1.0 / (1.0 + pow(2.0, -least(scored.match_weight, 60.0))) >= {{ var('identity_match_probability') }}
