{#- Every strong identifier a kept record carries (id number, WeChat union id, mobile,
    e-mail), with what the records sharing it say about it. An identifier is a person key only
    when the records sharing it give at most identity_max_names_per_key distinct legal names
    (nicknames, screen names and honorifics do not count: 安然, 向日葵, 曹女士 look like names
    and are not; nor does a name that is another's given name alone, 龙强 beside 戴龙强), at
    most one WeChat account, one gender (records of the one legal name that disagree on gender
    are one person with a typo) and birth years at most one apart: a family's shared phone,
    written on the father's and the mother's records, links a household (see dim_household),
    not one person. -#}
with records as (
    select * from {{ ref('int_identity_records') }}
),

keys as (
    select record_key, 'same_id_number' as rule, 2 as rule_rank, 'id_number' as identifier_type, id_number as key_value
    from records where id_number is not null
    union all
    select record_key, 'same_wechat_unionid', 3, 'wechat_unionid', wechat_unionid from records where wechat_unionid is not null
    union all
    select record_key, 'same_mobile', 4, 'mobile', mobile from records where mobile is not null
    union all
    select record_key, 'same_email', 6, 'email', email from records where email is not null
),

-- most identifiers are on one record only: the distinct counts below (a group-by each) run
-- over the shared ones, and a lone record's figures are its own fields
sizes as (
    select identifier_type, key_value, count(*) as n_records, min(record_key) as hub_record_key
    from keys
    group by identifier_type, key_value
),

-- a legal name that is another legal name's given name alone (龙强 beside 戴龙强, as people
-- sign up with their given name) is that person's, not a second person on the identifier
keyed as (
    select keys.identifier_type, keys.key_value, records.record_key, records.legal_name_key, records.family_key,
           records.given_key, records.wechat_unionid, records.gender, records.birth_year
    from keys
    inner join sizes
        on sizes.identifier_type = keys.identifier_type and sizes.key_value = keys.key_value
    inner join records on records.record_key = keys.record_key
    where sizes.n_records > 1
),

named as (
    select distinct identifier_type, key_value, legal_name_key, family_key, given_key
    from keyed
    where legal_name_key is not null
),

given_name_aliases as (
    select alias.identifier_type, alias.key_value, count(distinct alias.legal_name_key) as n_aliases
    from named as alias
    inner join named as full_name
        on full_name.identifier_type = alias.identifier_type
        and full_name.key_value = alias.key_value
        and full_name.legal_name_key <> alias.legal_name_key
        and full_name.given_key = concat(alias.family_key, alias.given_key)
    group by alias.identifier_type, alias.key_value
),

shared_stats as (
    select
        keyed.identifier_type,
        keyed.key_value,
        count(distinct keyed.legal_name_key) - coalesce(min(given_name_aliases.n_aliases), 0) as n_names,
        count(distinct keyed.wechat_unionid) as n_wechat_accounts,
        count(distinct keyed.gender) as n_genders,
        count(distinct case when keyed.legal_name_key is not null then keyed.gender end) as n_genders_named,
        max(keyed.birth_year) - min(keyed.birth_year) as birth_year_spread
    from keyed
    left join given_name_aliases
        on given_name_aliases.identifier_type = keyed.identifier_type and given_name_aliases.key_value = keyed.key_value
    group by keyed.identifier_type, keyed.key_value
),

stats as (
    select
        keys.*,
        sizes.n_records,
        sizes.hub_record_key,
        case when sizes.n_records > 1 then shared_stats.n_names
             when records.legal_name_key is not null then 1 else 0 end as n_names,
        case when sizes.n_records > 1 then shared_stats.n_wechat_accounts
             when records.wechat_unionid is not null then 1 else 0 end as n_wechat_accounts,
        case when sizes.n_records > 1 then shared_stats.n_genders
             when records.gender is not null then 1 else 0 end as n_genders,
        case when sizes.n_records > 1 then shared_stats.n_genders_named
             when records.gender is not null and records.legal_name_key is not null then 1 else 0 end
            as n_genders_named,
        case when sizes.n_records > 1 then shared_stats.birth_year_spread
             when records.birth_year is not null then 0 end as birth_year_spread
    from keys
    inner join sizes
        on sizes.identifier_type = keys.identifier_type and sizes.key_value = keys.key_value
    inner join records on records.record_key = keys.record_key
    left join shared_stats
        on shared_stats.identifier_type = keys.identifier_type and shared_stats.key_value = keys.key_value
)

select
    stats.record_key,
    stats.rule,
    stats.rule_rank,
    stats.identifier_type,
    stats.key_value,
    stats.n_records,
    stats.n_names,
    stats.n_wechat_accounts,
    stats.n_genders,
    stats.birth_year_spread,
    {#- records of one legal name that disagree on gender are one person with a typo; a
        record without a legal name of the other gender may be someone else (a spouse's login) -#}
    {%- set gender_conflict = "(stats.n_genders > 1 and (stats.n_names = 0 or stats.n_genders_named <= 1))" %}
    stats.hub_record_key,
    case
        when stats.n_names > {{ var('identity_max_names_per_key') }}
            then concat('shared by ', cast(stats.n_names as {{ type_text() }}), ' different names')
        when stats.n_wechat_accounts > 1
            then concat('shared by ', cast(stats.n_wechat_accounts as {{ type_text() }}), ' WeChat accounts')
        when {{ gender_conflict }} then 'shared by records of both genders'
        when stats.birth_year_spread > 1
            then concat('shared by records born ', cast(stats.birth_year_spread as {{ type_text() }}), ' years apart')
    end as not_person_key_reason,
    stats.n_names <= {{ var('identity_max_names_per_key') }}
        and stats.n_wechat_accounts <= 1
        and not {{ gender_conflict }}
        and coalesce(stats.birth_year_spread, 0) <= 1 as is_person_key
from stats
