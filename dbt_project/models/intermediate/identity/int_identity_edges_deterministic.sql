{#- Links on strong identifiers, each named and ranked (lower rank = stronger): must_link (0,
    a steward's decision), source_xref (1, a source's own cross-reference), same_id_number (2),
    same_wechat_unionid (3), same_mobile (4), mobile_owner (5), same_email (6). Records sharing
    a person key are linked to the group's smallest record key (a star), never all pairs, so a
    popular key stays linear.

    mobile_owner: a mobile shared by several legal names (a family's phone) is not a person
    key, but it is still someone's: when one legal name is written on more of its records than
    any other name, that name owns it, and records carrying the phone with no legal name (an
    app login, SMS-verified) join the owner's records, unless their gender or birth year
    contradicts the owner's; and a record that addresses someone by family name (王先生,
    刘老师) joins the records of the one legal name on the phone with that family name. -#}
with detached as (
    select distinct record_key_b as record_key
    from {{ ref('int_identity_manual_links') }}
    where decision = 'cannot_link' and is_applicable
),

-- a record a steward detached (cannot-link) takes part in no automatic link, and is never a hub
all_keys as (
    select keys.*
    from {{ ref('int_identity_keys') }} as keys
    left join detached on detached.record_key = keys.record_key
    where detached.record_key is null
),

keys as (
    select
        record_key, rule, rule_rank, identifier_type, key_value, n_records,
        min(record_key) over (partition by identifier_type, key_value) as hub_record_key
    from all_keys
    where is_person_key
),

records as (
    select record_key, xref_record_key, legal_name_key, family_key, addressed_family_key, gender, birth_year
    from {{ ref('int_identity_records') }}
),

shared_mobiles as (
    select all_keys.key_value, all_keys.record_key, records.legal_name_key, records.family_key,
           records.addressed_family_key, records.gender, records.birth_year
    from all_keys
    inner join records on records.record_key = all_keys.record_key
    where all_keys.identifier_type = 'mobile' and all_keys.n_names > {{ var('identity_max_names_per_key') }}
),

name_counts as (
    select key_value, legal_name_key, min(family_key) as family_key, count(*) as n_records, min(record_key) as hub_record_key,
           min(gender) as gender, max(gender) as gender_max, min(birth_year) as birth_year_min,
           max(birth_year) as birth_year_max
    from shared_mobiles
    where legal_name_key is not null
    group by key_value, legal_name_key
),

owners as (
    select key_value, legal_name_key, hub_record_key, gender, gender_max, birth_year_min, birth_year_max
    from (
        select
            name_counts.*,
            rank() over (partition by key_value order by n_records desc) as name_rank,
            count(*) over (partition by key_value, n_records) as n_tied
        from name_counts
    ) as ranked
    where name_rank = 1 and n_tied = 1
),

-- a record that addresses someone by family name (王先生, 刘老师) on the family's phone is
-- the one person there of that family name, when exactly one of its legal names has it
addressed as (
    select shared_mobiles.record_key, min(name_counts.hub_record_key) as hub_record_key,
           min(name_counts.gender) as gender, max(name_counts.gender_max) as gender_max
    from shared_mobiles
    inner join name_counts
        on name_counts.key_value = shared_mobiles.key_value
        and name_counts.family_key = shared_mobiles.addressed_family_key
    where shared_mobiles.legal_name_key is null
    group by shared_mobiles.record_key
    having count(*) = 1
),

owned as (
    select addressed.hub_record_key, addressed.record_key
    from addressed
    inner join shared_mobiles on shared_mobiles.record_key = addressed.record_key
    where shared_mobiles.gender is null or addressed.gender is null
        or (shared_mobiles.gender = addressed.gender and addressed.gender = addressed.gender_max)
    union all
    select owners.hub_record_key, shared_mobiles.record_key
    from shared_mobiles
    inner join owners on owners.key_value = shared_mobiles.key_value
    where shared_mobiles.legal_name_key is null
        and shared_mobiles.addressed_family_key is null
        and (shared_mobiles.gender is null or owners.gender is null
             or (shared_mobiles.gender = owners.gender and owners.gender = owners.gender_max))
        and (shared_mobiles.birth_year is null or owners.birth_year_min is null
             or abs(shared_mobiles.birth_year - owners.birth_year_min) <= 1
                and abs(shared_mobiles.birth_year - owners.birth_year_max) <= 1)
    union all
    select owners.hub_record_key, shared_mobiles.record_key
    from shared_mobiles
    inner join owners
        on owners.key_value = shared_mobiles.key_value and owners.legal_name_key = shared_mobiles.legal_name_key
),

edges as (
    select
        hub_record_key as record_key_a,
        record_key as record_key_b,
        rule,
        rule_rank,
        concat(identifier_type, ' shared by ', cast(n_records as {{ type_text() }}), ' records') as evidence
    from keys
    where record_key <> hub_record_key
    union all
    select hub_record_key, record_key, 'mobile_owner', 5, 'records of the family phone''s owner, and its logins'
    from owned
    union all
    select
        records.record_key,
        records.xref_record_key,
        'source_xref',
        1,
        'the source record names the other as the same customer'
    from records
    inner join records as target on target.record_key = records.xref_record_key
    left join detached as da on da.record_key = records.record_key
    left join detached as db on db.record_key = target.record_key
    where da.record_key is null and db.record_key is null
    union all
    select record_key_a, record_key_b, 'must_link', 0, concat('steward decision: ', coalesce(reason, 'no reason given'))
    from {{ ref('int_identity_manual_links') }}
    where decision = 'must_link' and is_applicable
)

select
    least(record_key_a, record_key_b) as record_key_a,
    greatest(record_key_a, record_key_b) as record_key_b,
    rule,
    rule_rank,
    evidence
from edges
where record_key_a <> record_key_b
