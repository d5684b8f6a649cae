{#- One row per kept customer record with everything identity resolution compares, normalised
    once: the name key (legal name; a nickname only when it looks like a legal name), birth
    date, gender, place, address key, and the strong identifiers that survive the blocklist
    (identity_blocklist seed) and validation (an id number needs its check character).

    A customer reference in orders or events of a source that has no customers table of its
    own (an orders-only marketplace, say) is a record too, with nothing but its key: it becomes
    a customer of its own unless a rule links it. A reference into a source that has a
    customers table but names no kept record stays unresolved (counted, see identity_quality). -#}
with records as (
    select *, {{ cn_id_number_status('id_number') }} as id_number_status
    from {{ ref('int_customer_records_validated') }}
    where is_valid
),

blocklist as (
    select identifier_type, match_type, value from {{ ref('identity_blocklist') }}
),

identifiers as (
    select record_key, 'mobile' as identifier_type, mobile as value from records where mobile is not null
    union all
    select record_key, 'email', email from records where email is not null
    union all
    select record_key, 'id_number', id_number from records where id_number is not null
    union all
    select record_key, 'wechat_unionid', wechat_unionid from records where wechat_unionid is not null
),

exact_blocklist as (
    select distinct identifier_type, lower(value) as value
    from blocklist
    where match_type = 'exact'
),

blocked as (
    select identifiers.record_key, identifiers.identifier_type
    from identifiers
    inner join exact_blocklist
        on exact_blocklist.value = lower(identifiers.value)
        and exact_blocklist.identifier_type in (identifiers.identifier_type, 'any')
    union
    select record_key, identifier_type
    from identifiers
    where
        {%- for t in ['mobile', 'email', 'id_number', 'wechat_unionid'] %}
        (identifier_type = '{{ t }}' and coalesce({{ regexp_full_match('value', identity_blocklist_regex(t)) }}, false)){% if not loop.last %} or{% endif %}
        {%- endfor %}
),

flags as (
    select
        record_key,
        max(case when identifier_type = 'mobile' then 1 else 0 end) = 1 as mobile_blocked,
        max(case when identifier_type = 'email' then 1 else 0 end) = 1 as email_blocked,
        max(case when identifier_type = 'id_number' then 1 else 0 end) = 1 as id_number_blocked,
        max(case when identifier_type = 'wechat_unionid' then 1 else 0 end) = 1 as wechat_unionid_blocked
    from blocked
    group by record_key
),

names as (
    select * from {{ ref('int_identity_name_keys') }}
),

{%- set priorities = huaxiang_source_priorities() %}
keyed as (
    select
        r.record_key,
        r.source_system,
        r.source_table,
        r.source_record_id,
        {%- set ranked = priorities.items() | selectattr(1, 'ne', none) | list %}
        {%- if ranked %}
        case r.source_system
            {%- for src, prio in ranked %}
            when '{{ src }}' then {{ prio }}
            {%- endfor %}
            else 99 end as source_priority,
        {%- else %}
        99 as source_priority,
        {%- endif %}
        r.full_name,
        r.nickname,
        legal.name_key as legal_name_key,
        coalesce(legal.name_key, case when nick.looks_like_person then nick.name_key end) as name_key,
        coalesce(legal.name_hanzi, case when nick.looks_like_person then nick.name_hanzi end) as name_hanzi,
        coalesce(legal.family_pinyin, case when nick.looks_like_person then nick.family_pinyin end) as family_key,
        coalesce(legal.given_pinyin, case when nick.looks_like_person then nick.given_pinyin end) as given_key,
        r.gender,
        r.birth_date,
        coalesce(r.birth_year, year(r.birth_date)) as birth_year,
        r.city,
        r.province,
        {{ address_key('r.address') }} as address_key,
        case when {{ regexp_full_match('r.postcode', "'[0-9]{6}'") }} then r.postcode end as postcode,
        case when not coalesce(f.mobile_blocked, false) then r.mobile end as mobile,
        case when not coalesce(f.email_blocked, false) then r.email end as email,
        r.id_number_status,
        case when r.id_number_status = 'valid' and not coalesce(f.id_number_blocked, false)
             then r.id_number end as id_number,
        case when not coalesce(f.wechat_unionid_blocked, false) then r.wechat_unionid end as wechat_unionid,
        coalesce(f.mobile_blocked, false) as mobile_blocked,
        coalesce(f.email_blocked, false) as email_blocked,
        case when r.xref_source is not null and r.xref_record_id is not null
             then concat(r.xref_source, ':', r.xref_record_id) end as xref_record_key,
        r.account_key,
        r.created_at,
        r.updated_at
    from records as r
    left join flags as f on f.record_key = r.record_key
    left join names as legal on legal.name_text = r.full_name
    left join names as nick on nick.name_text = r.nickname
),

reference_only as (
    select record_key, source_system, source_record_id from {{ ref('int_customer_references') }}
)

select *, false as is_reference_only from keyed
union all
select
    record_key,
    source_system,
    'customer_reference' as source_table,
    source_record_id,
    99 as source_priority,
    {%- for col in ['full_name', 'nickname', 'legal_name_key', 'name_key', 'name_hanzi', 'family_key', 'given_key', 'gender'] %}
    cast(null as {{ type_text() }}) as {{ col }},
    {%- endfor %}
    cast(null as date) as birth_date,
    cast(null as integer) as birth_year,
    {%- for col in ['city', 'province', 'address_key', 'postcode', 'mobile', 'email'] %}
    cast(null as {{ type_text() }}) as {{ col }},
    {%- endfor %}
    'missing' as id_number_status,
    cast(null as {{ type_text() }}) as id_number,
    cast(null as {{ type_text() }}) as wechat_unionid,
    false as mobile_blocked,
    false as email_blocked,
    cast(null as {{ type_text() }}) as xref_record_key,
    cast(null as {{ type_text() }}) as account_key,
    cast(null as timestamp) as created_at,
    cast(null as timestamp) as updated_at,
    true as is_reference_only
from reference_only
