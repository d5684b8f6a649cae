{#- One row per kept customer record with everything identity resolution compares, normalised
    once: the name key (legal name; a nickname only when it looks like a legal name), birth
    date, gender, place, address key, and the strong identifiers that survive the blocklist
    (identity_blocklist seed) and validation (an id number needs its check character).

    A customer reference in orders or events of a source that has no customers table of its
    own (an orders-only marketplace, say) is a record too, with nothing but its key: it becomes
    a customer of its own unless a rule links it. A reference into a source that has a
    customers table but names no kept record stays unresolved (counted, see identity_quality). -#}
with records as (
    select
        *,
        -- a resident id number is checked by its country's rule: GB 11643 in China; elsewhere
        -- (a social security or passport number) it is kept as letters and digits, unchecked
        case when coalesce(country, 'CN') = 'CN' then {{ cn_id_number_status('id_number') }}
             when id_number is null then 'missing'
             when {{ regexp_full_match(regexp_replace_all('upper(id_number)', "'[ ./-]'", "''"), "'[0-9A-Z]{5,20}'") }}
             then 'unchecked'
             else 'malformed' end as id_number_status,
        case when coalesce(country, 'CN') = 'CN' then id_number
             else {{ regexp_replace_all('upper(id_number)', "'[ ./-]'", "''") }} end as id_number_key,
        -- a mobile is a mobile in whichever column it came: a source whose one number column
        -- is called phone holds mobiles too
        coalesce(mobile, case when phone_status = 'mobile' then phone end) as mobile_number,
        case when phone_status = 'landline' then phone end as landline
    from {{ ref('int_customer_records_validated') }}
    where is_valid
),

blocklist as (
    select identifier_type, match_type, value from {{ ref('identity_blocklist') }}
),

identifiers as (
    select record_key, 'mobile' as identifier_type, mobile_number as value from records where mobile_number is not null
    union all
    select record_key, 'email', email from records where email is not null
    union all
    select record_key, 'id_number', id_number_key from records where id_number_key is not null
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

-- a source that knows only birth years and writes them as 1 January (1987-01-01): among
-- people, 1 January is one birthday in 365; when it is at least identity_year_only_share of a
-- source table's dates, those dates say a year, not a day
birth_precision as (
    select
        source_system,
        source_table,
        count(birth_date) >= {{ var('identity_year_only_min_records') }}
            and sum(case when month(birth_date) = 1 and day(birth_date) = 1 then 1 else 0 end)
                >= {{ var('identity_year_only_share') }} * count(birth_date) as is_year_only
    from records
    group by source_system, source_table
),

{%- set priorities = huaxiang_source_priorities() %}
{#- a legal name: one that looks like a person's; where the source's country writes names in
    latin script, two words need not hold a Chinese family name ('Michaela Neumann') -#}
{%- set legal_full = "(not full_n.is_screen_name and (full_n.looks_like_person or (coalesce(r.country, 'CN') <> 'CN' and full_n.looks_like_latin_person)))" %}
{%- set legal_split = "(split_n.looks_like_person or (coalesce(r.country, 'CN') <> 'CN' and split_n.looks_like_latin_person))" %}
chosen as (
    select
        r.*,
        coalesce(bp.is_year_only, false) and month(r.birth_date) = 1 and day(r.birth_date) = 1 as birth_is_year_only,
        -- the legal name: the full name when it looks like one, else the two name columns
        case when {{ legal_full }} then full_n.name_ref
             when {{ legal_split }} then split_n.name_ref end as legal_ref,
        full_n.name_kind as full_name_kind,
        -- 王先生, 刘老师: the family name of someone addressed, not named
        case when full_n.name_kind = 'honorific' then full_n.family_pinyin end as addressed_family_key,
        -- the name people read (golden record): the legal one, else what the record has
        {%- set composed = "case when " ~ regexp_contains("concat(coalesce(r.family_name, ''), coalesce(r.given_name, ''))", "'[一-鿿]'")
            ~ " then concat(coalesce(r.family_name, ''), coalesce(r.given_name, ''))"
            ~ " else trim(concat(coalesce(r.given_name, ''), ' ', coalesce(r.family_name, ''))) end" %}
        case when {{ legal_full }} then r.full_name
             when {{ legal_split }} then {{ composed }}
             else coalesce(r.full_name, nullif({{ composed }}, ''), r.nickname) end as display_name
    from records as r
    left join birth_precision as bp on bp.source_system = r.source_system and bp.source_table = r.source_table
    left join names as full_n on full_n.name_ref = r.full_name
    left join names as split_n on split_n.name_ref = {{ split_name_ref('r.family_name', 'r.given_name') }}
),

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
        r.display_name,
        r.full_name_kind,
        r.addressed_family_key,
        legal.name_key as legal_name_key,
        -- a name that is not a legal one (a screen name that looks like a name, 安然) is
        -- evidence when it agrees, never against
        coalesce(legal.name_key, case when other.looks_like_person then other.name_key end) as name_key,
        coalesce(legal.name_hanzi, case when other.looks_like_person then other.name_hanzi end) as name_hanzi,
        coalesce(legal.family_pinyin, case when other.looks_like_person then other.family_pinyin end) as family_key,
        coalesce(legal.given_pinyin, case when other.looks_like_person then other.given_pinyin end) as given_key,
        r.gender,
        case when not r.birth_is_year_only then r.birth_date end as birth_date,
        coalesce(r.birth_year, year(r.birth_date)) as birth_year,
        r.city,
        r.province,
        {{ address_key('r.address') }} as address_key,
        {{ normal_postcode('r.postcode', 'r.country') }} as postcode,
        case when not coalesce(f.mobile_blocked, false) then r.mobile_number end as mobile,
        r.landline,
        case when not coalesce(f.email_blocked, false) then r.email end as email,
        r.id_number_status,
        case when r.id_number_status in ('valid', 'unchecked') and not coalesce(f.id_number_blocked, false)
             then r.id_number_key end as id_number,
        case when not coalesce(f.wechat_unionid_blocked, false) then r.wechat_unionid end as wechat_unionid,
        coalesce(f.mobile_blocked, false) as mobile_blocked,
        coalesce(f.email_blocked, false) as email_blocked,
        case when r.xref_source is not null and r.xref_record_id is not null
             then concat(r.xref_source, ':', r.xref_record_id) end as xref_record_key,
        r.account_key,
        r.created_at,
        r.updated_at
    from chosen as r
    left join flags as f on f.record_key = r.record_key
    left join names as legal on legal.name_ref = r.legal_ref
    left join names as other on other.name_ref = coalesce(r.nickname, r.full_name)
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
    {%- for col in ['full_name', 'nickname', 'display_name', 'full_name_kind', 'addressed_family_key', 'legal_name_key', 'name_key', 'name_hanzi', 'family_key', 'given_key', 'gender'] %}
    cast(null as {{ type_text() }}) as {{ col }},
    {%- endfor %}
    cast(null as date) as birth_date,
    cast(null as integer) as birth_year,
    {%- for col in ['city', 'province', 'address_key', 'postcode', 'mobile', 'landline', 'email'] %}
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
