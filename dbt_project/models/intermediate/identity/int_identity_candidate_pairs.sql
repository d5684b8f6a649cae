{#- Pairs of records worth comparing, found by several blocking keys so that a pair whose one
    field is wrong (a typo in the name, a transposed birth date, a missing address) still
    shares another. A block larger than identity_max_block_size is skipped (it would be a
    common name, not evidence), which keeps the work near-linear in the number of records.
    Each pair carries its comparison vector (see identity_gamma_columns). -#}
{%- set blocking_rules = identity_blocking_rules() -%}

with records as (
    select * from {{ ref('int_identity_records') }}
),

block_keys as (
    {%- for rule, expr in blocking_rules.items() %}
    select '{{ rule }}' as blocking_rule, {{ expr }} as block_key, record_key from records
    where {{ expr }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

block_sizes as (
    select blocking_rule, block_key, count(*) as block_size
    from block_keys
    group by blocking_rule, block_key
),

{#- each rule one bit, in the order of the rule names, so that the lowest bit a pair carries
    is its first blocking rule (the alphabetically first of the rules that found it) -#}
{%- set rule_names = blocking_rules.keys() | list | sort %}
usable as (
    select
        block_keys.blocking_rule,
        block_keys.block_key,
        block_keys.record_key,
        case block_keys.blocking_rule
            {%- for rule in rule_names %}
            when '{{ rule }}' then {{ 2 ** loop.index0 }}
            {%- endfor %}
        end as rule_bit
    from block_keys
    inner join block_sizes
        on block_sizes.blocking_rule = block_keys.blocking_rule and block_sizes.block_key = block_keys.block_key
    where block_sizes.block_size between 2 and case block_sizes.blocking_rule
        -- a name alone is evidence only while it is rare: a pair that shares nothing but a name
        -- held by more records than this never reaches the threshold, and the other rules find
        -- the pairs that share more
        when 'name' then {{ var('identity_max_name_block_size') }}
        else {{ var('identity_max_block_size') }} end
),

-- one aggregate (a bit mask of the rules that found the pair) rather than one per rule
found as (
    select
        a.record_key as record_key_a,
        b.record_key as record_key_b,
        bit_or(a.rule_bit) as rule_mask
    from usable as a
    inner join usable as b
        on b.blocking_rule = a.blocking_rule and b.block_key = a.block_key and b.record_key > a.record_key
    group by a.record_key, b.record_key
),

pairs as (
    select
        record_key_a,
        record_key_b,
        {%- for rule in blocking_rules %}
        (rule_mask & {{ 2 ** rule_names.index(rule) }}) <> 0 as found_by_{{ rule }},
        {%- endfor %}
        case
            {%- for rule in rule_names %}
            when (rule_mask & {{ 2 ** loop.index0 }}) <> 0 then '{{ rule }}'
            {%- endfor %}
        end as first_blocking_rule
    from found
)

select
    pairs.record_key_a,
    pairs.record_key_b,
    pairs.first_blocking_rule,
    {%- for rule in blocking_rules %}
    pairs.found_by_{{ rule }},
    {%- endfor %}
    {{ identity_gamma_columns('a', 'b') }}
from pairs
inner join records as a on a.record_key = pairs.record_key_a
inner join records as b on b.record_key = pairs.record_key_b
