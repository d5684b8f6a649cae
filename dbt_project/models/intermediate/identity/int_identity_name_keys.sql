{#- One row per distinct name of kept customer records: a full name, a nickname, or a family
    name and a given name from two columns (name_ref 'split:<family>|<given>', see
    split_name_ref). Each is judged (does it look like a person's legal name, or is it a
    screen name, an honorific such as 曹女士 / Mr Smith, a placeholder such as 客户 or
    用户5053) and turned into the comparison key that hanzi, pinyin in either order,
    homophone typos and traditional characters share: the family and given pinyin, sorted
    (王小明, 王晓明, 王曉明, 'Wang Xiaoming', 'xiaoming wang', '小明 王' -> 'wang xiaoming').
    Characters come from the name_hanzi_pinyin seed (GB 2312), traditional ones are made
    simplified first (macro hanzi_traditional_table), family names come from name_cn_surnames.
    Latin-script names that are not pinyin ('Michaela Neumann') keep their words: the family
    name is the last word, or the declared family-name column. -#}
{%- set max_given_chars = 4 -%}
{#- what follows a family name when a person is addressed, not named -#}
{%- set honorifics = ['先生', '女士', '小姐', '太太', '夫人', '老师', '总', '经理', '老板', '师傅',
                      '阿姨', '叔叔', '大哥', '大姐', '哥', '姐', '同学', '医生', '律师', '主任', '总监', '工'] -%}
{#- what people type when they will not give a name -#}
{%- set placeholder_pattern = "'(客户|顾客|会员|用户|微信用户|游客|匿名|匿名用户|先生|女士|小姐|未知|不详|无|空|测试|test|unknown|none|null|na|n/a|guest|customer|user|member)[0-9_a-z]*'" -%}
{%- set latin_titles = "'^(mr|mrs|ms|miss|dr|prof|sir|madam) '" -%}

with validated as (
    select full_name, nickname, family_name, given_name
    from {{ ref('int_customer_records_validated') }}
    where is_valid
),

names as (
    select full_name as name_ref, full_name as name_text,
           cast(null as {{ type_text() }}) as family_text, cast(null as {{ type_text() }}) as given_text
    from validated where full_name is not null
    union
    select nickname, nickname, cast(null as {{ type_text() }}), cast(null as {{ type_text() }})
    from validated where nickname is not null
    union
    select
        {{ split_name_ref('family_name', 'given_name') }},
        case when {{ regexp_contains("concat(coalesce(family_name, ''), coalesce(given_name, ''))", "'[一-鿿]'") }}
             then concat(coalesce(family_name, ''), coalesce(given_name, ''))
             else trim(concat(coalesce(family_name, ''), ' ', coalesce(given_name, ''))) end,
        family_name,
        given_name
    from validated where family_name is not null or given_name is not null
),

surnames as (
    select surname, pinyin, is_compound from {{ ref('name_cn_surnames') }}
),

-- how often each name is written in a nickname column and in a name column (see screen_names)
usage as (
    select
        name_text,
        sum(case when is_nickname then 1 else 0 end) as n_as_nickname,
        sum(case when is_nickname then 0 else 1 end) as n_as_name
    from (
        select full_name as name_text, false as is_nickname from validated where full_name is not null
        union all
        select nickname, true from validated where nickname is not null
    ) as uses
    group by name_text
),

-- two name columns as exports fill them: the whole name typed into one of them ('张泽国' as
-- family name, 'Cai Danna' as given name) is a name in one field, and hanzi parts the wrong
-- way round (family '亮彬', given '袁') are turned back when only the given part is a family name
simplified as (
    select
        names.name_ref,
        {{ to_simplified('names.name_text') }} as name_s,
        nullif(trim({{ to_simplified('names.family_text') }}), '') as family_t,
        nullif(trim({{ to_simplified('names.given_text') }}), '') as given_t
    from names
),

split_read as (
    select
        simplified.*,
        (family_t is null) <> (given_t is null)
            and ({{ regexp_contains("coalesce(family_t, given_t)", "' '") }}
                 or ({{ regexp_full_match("coalesce(family_t, given_t)", "'[一-鿿]{2,4}'") }}
                     and known_whole.surname is null))
            as is_whole_in_one,
        {{ regexp_contains("concat(coalesce(family_t, ''), coalesce(given_t, ''))", "'[一-鿿]'") }}
            and fam.surname is null and giv.surname is not null as is_swapped
    from simplified
    left join surnames as fam on fam.surname = simplified.family_t
    left join surnames as giv on giv.surname = simplified.given_t
    left join surnames as known_whole on known_whole.surname = coalesce(simplified.family_t, simplified.given_t)
),

shaped as (
    select
        name_ref,
        name_s,
        family_s,
        given_s,
        (family_s is not null or given_s is not null) as is_split,
        {{ regexp_contains('name_s', "'[一-鿿]'") }} as is_hanzi,
        {{ regexp_full_match('lower(name_s)', placeholder_pattern) }} as is_placeholder,
        split_part(name_s, ' ', 1) as part_1,
        nullif(trim(substr(name_s, length(split_part(name_s, ' ', 1)) + 1)), '') as part_rest
    from (
        select
            name_ref,
            case when is_whole_in_one then coalesce(family_t, given_t) else name_s end as name_s,
            case when is_whole_in_one then null
                 else nullif(replace(case when is_swapped then given_t else family_t end, ' ', ''), '') end as family_s,
            case when is_whole_in_one then null
                 else nullif(replace(case when is_swapped then family_t else given_t end, ' ', ''), '') end as given_s
        from split_read
    ) as read
),

-- hanzi: '小明 王' (given name first, a space, a family name) is turned round
hanzi_ordered as (
    select
        shaped.name_ref,
        shaped.is_split,
        shaped.is_placeholder,
        shaped.family_s,
        case when shaped.is_split then concat(coalesce(shaped.family_s, ''), coalesce(shaped.given_s, ''))
             when shaped.part_rest is not null and last_sn.surname is not null and first_sn.surname is null
             then concat(last_sn.surname, replace(shaped.part_1, ' ', ''))
             else replace(shaped.name_s, ' ', '') end as name_hanzi
    from shaped
    left join surnames as last_sn on last_sn.surname = shaped.part_rest
    left join surnames as first_sn on first_sn.surname = substr(shaped.part_1, 1, 1) and not first_sn.is_compound
    where shaped.is_hanzi
),

hanzi_split as (
    select
        h.name_ref,
        h.is_split,
        h.is_placeholder,
        h.name_hanzi,
        case when h.is_split then coalesce(h.family_s, '')
             else coalesce(compound.surname, single.surname, substr(h.name_hanzi, 1, 1)) end as family_hanzi,
        case when h.is_split then declared.pinyin else coalesce(compound.pinyin, single.pinyin) end as family_pinyin,
        case when h.is_split then declared.surname is not null
             else compound.surname is not null or single.surname is not null end as has_known_surname
    from hanzi_ordered as h
    left join surnames as declared on declared.surname = h.family_s
    left join surnames as compound
        on compound.is_compound and compound.surname = substr(h.name_hanzi, 1, 2) and length(h.name_hanzi) >= 3
    left join surnames as single
        on not single.is_compound and single.surname = substr(h.name_hanzi, 1, 1)
),

hanzi_given as (
    select
        s.name_ref,
        s.is_split,
        s.is_placeholder,
        s.name_hanzi,
        s.family_hanzi,
        s.has_known_surname,
        substr(s.name_hanzi, length(s.family_hanzi) + 1) as given_hanzi,
        nullif(coalesce(s.family_pinyin, fp.pinyin, s.family_hanzi), '') as family_pinyin,
        concat(
            {%- for i in range(1, max_given_chars + 1) %}
            coalesce(g{{ i }}.pinyin, substr(s.name_hanzi, length(s.family_hanzi) + {{ i }}, 1)){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as given_pinyin
    from hanzi_split as s
    left join {{ ref('name_hanzi_pinyin') }} as fp on fp.hanzi = s.family_hanzi
    {%- for i in range(1, max_given_chars + 1) %}
    left join {{ ref('name_hanzi_pinyin') }} as g{{ i }} on g{{ i }}.hanzi = substr(s.name_hanzi, length(s.family_hanzi) + {{ i }}, 1)
    {%- endfor %}
),

hanzi_judged as (
    select
        hanzi_given.*,
        case
            when is_placeholder then 'placeholder'
            when has_known_surname and given_hanzi in ('{{ honorifics | join("', '") }}') then 'honorific'
            -- a doubled character (磊磊, 宁宁, 立立) is what family and friends call someone
            when length(name_hanzi) = 2 and substr(name_hanzi, 1, 1) = substr(name_hanzi, 2, 1) then 'other'
            when has_known_surname and {{ regexp_full_match('name_hanzi', "'[一-鿿]+'") }}
                 and length(given_hanzi) between 1 and (case when is_split then 3 else 2 end) then 'person'
            else 'other'
        end as name_kind
    from hanzi_given
),

-- pinyin or other latin script: lower case, titles (Mr, Dr) dropped, letters only
latin_words as (
    select
        name_ref,
        is_split,
        is_placeholder,
        {{ regexp_contains('name_s', "'[0-9]'") }} as has_digit,
        {{ regexp_contains('lower(name_s)', latin_titles) }} as has_title,
        nullif(trim({{ regexp_replace_all(regexp_replace_all(regexp_replace_all('lower(name_s)', latin_titles, "''"), "'[^a-z ]'", "''"), "' +'", "' '") }}), '') as words,
        nullif(lower({{ regexp_replace_all('family_s', "'[^A-Za-z]'", "''") }}), '') as family_word,
        nullif(lower({{ regexp_replace_all('given_s', "'[^A-Za-z]'", "''") }}), '') as given_word
    from shaped
    where not shaped.is_hanzi
),

latin as (
    select
        w.*,
        split_part(w.words, ' ', 1) as token_1,
        nullif(replace(trim(substr(w.words, length(split_part(w.words, ' ', 1)) + 1)), ' ', ''), '') as token_rest,
        {{ regexp_replace_all('w.words', "'^.* '", "''") }} as token_last,
        sn1.pinyin is not null as token_1_is_surname,
        sn2.pinyin is not null as token_rest_is_surname
    from latin_words as w
    left join (select distinct pinyin from surnames) as sn1 on sn1.pinyin = split_part(w.words, ' ', 1)
    left join (select distinct pinyin from surnames) as sn2
        on sn2.pinyin = replace(trim(substr(w.words, length(split_part(w.words, ' ', 1)) + 1)), ' ', '')
),

latin_parts as (
    select
        name_ref,
        is_split,
        is_placeholder,
        has_digit,
        has_title,
        token_1_is_surname or token_rest_is_surname as has_known_surname,
        case
            when is_split then coalesce(family_word, given_word)
            -- pinyin, family name first or last
            when token_rest_is_surname and not token_1_is_surname then token_rest
            when token_1_is_surname or token_rest is null then token_1
            -- other latin names: the family name is the last word
            else token_last
        end as family_pinyin,
        case
            when is_split then case when family_word is not null then given_word end
            when token_rest_is_surname and not token_1_is_surname then token_1
            when token_1_is_surname then token_rest
            when token_rest is null then cast(null as {{ type_text() }})
            else token_1
        end as given_pinyin
    from latin
),

judged as (
select
    name_ref,
    'hanzi' as script,
    name_kind,
    name_hanzi,
    family_pinyin,
    nullif(given_pinyin, '') as given_pinyin,
    case when name_kind = 'honorific' then family_pinyin
         when given_pinyin = '' then family_pinyin
         else concat(least(family_pinyin, given_pinyin), ' ', greatest(family_pinyin, given_pinyin)) end as name_key,
    -- a legal-looking name: a known family name and one or two given characters (three from a
    -- declared given-name column), hanzi only, not an honorific or a placeholder
    name_kind = 'person' as looks_like_person,
    false as looks_like_latin_person
from hanzi_judged
union all
select
    name_ref,
    'latin' as script,
    case
        when is_placeholder or family_pinyin is null then 'placeholder'
        when has_title and given_pinyin is null then 'honorific'
        when has_digit then 'other'
        when given_pinyin is not null and (has_known_surname or is_split) then 'person'
        else 'other'
    end as name_kind,
    cast(null as {{ type_text() }}) as name_hanzi,
    family_pinyin,
    given_pinyin,
    case when family_pinyin is null then cast(null as {{ type_text() }})
         when given_pinyin is null then family_pinyin
         else concat(least(family_pinyin, given_pinyin), ' ', greatest(family_pinyin, given_pinyin)) end as name_key,
    -- pinyin with a known family name, or two declared name columns
    not is_placeholder and not has_digit and given_pinyin is not null and family_pinyin is not null
        and (has_known_surname or is_split) as looks_like_person,
    -- two latin words, neither a Chinese family name ('Michaela Neumann'): a legal name where
    -- the source's country writes names so (see int_identity_records)
    not is_placeholder and not has_digit
        and given_pinyin is not null and family_pinyin is not null and length(given_pinyin) >= 2
        and length(family_pinyin) >= 2 as looks_like_latin_person
from latin_parts
),

-- People pick screen names from a common stock (简单, 安然, 向日葵), and one of them written far
-- more often in nickname columns than a legal name is, is a screen name in a name column too
-- (a service desk's 客户称呼), however much it looks like a legal name. "Than a legal name is":
-- real names are nicknames too (an app where people sign up with their own name), so the
-- yardstick is the data's own: p0, the share of the uses of person-shaped names that are in
-- nickname columns. A name is a screen name when its nickname uses exceed n * p0 by at least
-- identity_screen_name_min_z standard deviations (n its uses, binomial), and number at least
-- identity_screen_name_min_nicknames; a common real name's uses stay near its share p0, however
-- many. p0 is measured per script (names in pinyin are nicknames far more often than names in
-- hanzi, and a common pinyin name is not a screen name for that) and without the name itself.
-- Where every other such name is a nickname (p0 = 1), or there is none, nothing is told apart.
usage_shape as (
    select usage.*, judged.script, judged.name_kind = 'person' or judged.looks_like_person as is_person_shaped
    from usage
    inner join judged on judged.name_ref = usage.name_text
),

script_uses as (
    select script, sum(n_as_nickname) as n_nickname, sum(n_as_nickname) + sum(n_as_name) as n_uses
    from usage_shape
    where is_person_shaped
    group by script
),

-- p0 leaves the name itself out: it is the yardstick of the other names
nickname_share as (
    select
        usage_shape.name_text,
        usage_shape.n_as_nickname as x,
        usage_shape.n_as_nickname + usage_shape.n_as_name as n,
        cast(script_uses.n_nickname - case when usage_shape.is_person_shaped then usage_shape.n_as_nickname else 0 end
             as double)
            / nullif(script_uses.n_uses
                     - case when usage_shape.is_person_shaped then usage_shape.n_as_nickname + usage_shape.n_as_name
                            else 0 end, 0) as p0
    from usage_shape
    inner join script_uses on script_uses.script = usage_shape.script
    where usage_shape.n_as_nickname >= {{ var('identity_screen_name_min_nicknames') }}
),

screen_names as (
    select name_text as name_ref
    from nickname_share
    where p0 < 1
        and x - n * p0 >= {{ var('identity_screen_name_min_z') }} * sqrt(n * p0 * (1 - p0))
)

select
    judged.name_ref,
    judged.script,
    judged.name_kind,
    judged.name_hanzi,
    judged.family_pinyin,
    judged.given_pinyin,
    judged.name_key,
    judged.looks_like_person,
    judged.looks_like_latin_person,
    -- never a legal name, however it looks; still evidence when two records agree on it
    screen_names.name_ref is not null as is_screen_name
from judged
left join screen_names on screen_names.name_ref = judged.name_ref
