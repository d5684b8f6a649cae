{#- Pairs of records worth comparing, found by several blocking keys so that a pair whose one
    field is wrong (a typo in the name, a transposed birth date, a missing address) still
    shares another. A block larger than identity_max_block_size is skipped (it would be a
    common name, not evidence), which keeps the work near-linear in the number of records.
    Each pair carries its comparison vector (see identity_gamma_columns). -#}
{%- set blocking_rules = identity_blocking_rules() -%}
{#- each rule one bit, in the order of the rule names, so that the lowest bit a pair carries
    is its first blocking rule (the alphabetically first of the rules that found it) -#}
{%- set rule_names = blocking_rules.keys() | list | sort %}

{#- the blocks are joined and grouped on integers (the record's rank by key, the rule's bit):
    hashing two text keys per pair was a fifth of the model's time -#}
with records as (
    select *, row_number() over (order by record_key) as record_no
    from {{ ref('int_identity_records') }}
),

block_keys as (
    {%- for rule, expr in blocking_rules.items() %}
    select {{ 2 ** rule_names.index(rule) }} as rule_bit, {{ expr }} as block_key, record_no from records
    where {{ expr }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

block_sizes as (
    select rule_bit, block_key, count(*) as block_size
    from block_keys
    group by rule_bit, block_key
),

usable as (
    select block_keys.rule_bit, block_keys.block_key, block_keys.record_no
    from block_keys
    inner join block_sizes
        on block_sizes.rule_bit = block_keys.rule_bit and block_sizes.block_key = block_keys.block_key
    where block_sizes.block_size between 2 and case block_sizes.rule_bit
        -- a name alone is evidence only while it is rare: a pair that shares nothing but a name
        -- held by more records than this never reaches the threshold, and the other rules find
        -- the pairs that share more
        when {{ 2 ** rule_names.index('name') }} then {{ var('identity_max_name_block_size') }}
        else {{ var('identity_max_block_size') }} end
),

-- one aggregate (a bit mask of the rules that found the pair) rather than one per rule
found as (
    select
        a.record_no as record_no_a,
        b.record_no as record_no_b,
        bit_or(a.rule_bit) as rule_mask
    from usable as a
    inner join usable as b
        on b.rule_bit = a.rule_bit and b.block_key = a.block_key and b.record_no > a.record_no
    group by a.record_no, b.record_no
),

pairs as (
    select
        record_no_a,
        record_no_b,
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
    a.record_key as record_key_a,
    b.record_key as record_key_b,
    pairs.first_blocking_rule,
    {%- for rule in blocking_rules %}
    pairs.found_by_{{ rule }},
    {%- endfor %}
    {{ identity_gamma_columns('a', 'b') }}
from pairs
inner join records as a on a.record_no = pairs.record_no_a
inner join records as b on b.record_no = pairs.record_no_b
