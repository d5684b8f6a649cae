{#- One row per distinct name text (legal names and nicknames of kept customer records): the
    name turned family-name first, its pinyin, and the comparison key that hanzi, pinyin in
    either order and homophone typos share: the family and given pinyin, sorted
    (王小明, 王晓明, 'Wang Xiaoming', 'xiaoming wang', '小明 王' -> 'wang xiaoming').
    Characters come from the hanzi_pinyin seed (GB 2312), family names from cn_surnames. -#}
{%- set max_given_chars = 4 -%}

with names as (
    select full_name as name_text from {{ ref('int_customer_records_validated') }}
    where is_valid and full_name is not null
    union
    select nickname as name_text from {{ ref('int_customer_records_validated') }}
    where is_valid and nickname is not null
),

surnames as (
    select surname, pinyin, is_compound from {{ ref('cn_surnames') }}
),

shaped as (
    select
        name_text,
        {{ regexp_contains('name_text', "'[一-鿿]'") }} as is_hanzi,
        split_part(name_text, ' ', 1) as part_1,
        nullif(trim(substr(name_text, length(split_part(name_text, ' ', 1)) + 1)), '') as part_rest
    from names
),

-- hanzi: '小明 王' (given name first, a space, a family name) is turned round
hanzi_ordered as (
    select
        shaped.name_text,
        case when shaped.part_rest is not null and last_sn.surname is not null and first_sn.surname is null
             then concat(last_sn.surname, replace(shaped.part_1, ' ', ''))
             else replace(shaped.name_text, ' ', '') end as name_hanzi
    from shaped
    left join surnames as last_sn on last_sn.surname = shaped.part_rest
    left join surnames as first_sn on first_sn.surname = substr(shaped.part_1, 1, 1) and not first_sn.is_compound
    where shaped.is_hanzi
),

hanzi_split as (
    select
        h.name_text,
        h.name_hanzi,
        coalesce(compound.surname, single.surname, substr(h.name_hanzi, 1, 1)) as family_hanzi,
        coalesce(compound.pinyin, single.pinyin) as family_pinyin,
        (compound.surname is not null or single.surname is not null) as has_known_surname
    from hanzi_ordered as h
    left join surnames as compound
        on compound.is_compound and compound.surname = substr(h.name_hanzi, 1, 2) and length(h.name_hanzi) >= 3
    left join surnames as single
        on not single.is_compound and single.surname = substr(h.name_hanzi, 1, 1)
),

hanzi_given as (
    select
        s.name_text,
        s.name_hanzi,
        s.family_hanzi,
        s.has_known_surname,
        substr(s.name_hanzi, length(s.family_hanzi) + 1) as given_hanzi,
        coalesce(s.family_pinyin, fp.pinyin, s.family_hanzi) as family_pinyin,
        concat(
            {%- for i in range(1, max_given_chars + 1) %}
            coalesce(g{{ i }}.pinyin, substr(s.name_hanzi, length(s.family_hanzi) + {{ i }}, 1)){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as given_pinyin
    from hanzi_split as s
    left join {{ ref('hanzi_pinyin') }} as fp on fp.hanzi = s.family_hanzi
    {%- for i in range(1, max_given_chars + 1) %}
    left join {{ ref('hanzi_pinyin') }} as g{{ i }} on g{{ i }}.hanzi = substr(s.name_hanzi, length(s.family_hanzi) + {{ i }}, 1)
    {%- endfor %}
),

-- pinyin or other latin script: lower case, the first word and the rest
latin as (
    select
        shaped.name_text,
        lower(shaped.part_1) as token_1,
        lower(replace(shaped.part_rest, ' ', '')) as token_2,
        sn1.pinyin is not null as token_1_is_surname,
        sn2.pinyin is not null as token_2_is_surname
    from shaped
    left join (select distinct pinyin from surnames) as sn1 on sn1.pinyin = lower(shaped.part_1)
    left join (select distinct pinyin from surnames) as sn2 on sn2.pinyin = lower(replace(shaped.part_rest, ' ', ''))
    where not shaped.is_hanzi
)

select
    name_text,
    'hanzi' as script,
    name_hanzi,
    family_pinyin,
    nullif(given_pinyin, '') as given_pinyin,
    case when given_pinyin = '' then family_pinyin
         else concat(least(family_pinyin, given_pinyin), ' ', greatest(family_pinyin, given_pinyin)) end as name_key,
    -- a legal-looking name: a known family name and one or two given characters
    has_known_surname and length(given_hanzi) between 1 and 2 as looks_like_person
from hanzi_given
union all
select
    name_text,
    'latin' as script,
    cast(null as {{ type_text() }}) as name_hanzi,
    case when token_2_is_surname and not token_1_is_surname then token_2 else token_1 end as family_pinyin,
    case when token_2_is_surname and not token_1_is_surname then token_1 else token_2 end as given_pinyin,
    case when token_2 is null then token_1
         else concat(least(token_1, token_2), ' ', greatest(token_1, token_2)) end as name_key,
    token_2 is not null and (token_1_is_surname or token_2_is_surname)
        and {{ regexp_full_match('token_1', "'[a-z]+'") }} and {{ regexp_full_match('token_2', "'[a-z]+'") }}
        as looks_like_person
from latin
