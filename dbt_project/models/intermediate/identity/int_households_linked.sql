{#- Customers grouped into households: connected components over customers linked by a
    source's family relations (app families) or by contact details that are not a person's
    own - a mobile shared by people of different names, genders or ages (int_identity_keys
    not_person_key_reason), a landline (a home phone) of a few customers, or the same flat (an address key with street, number, building,
    unit and room) given by different customers. One row per customer in a household of two
    or more, with the evidence that put them there and their role where a source says it. -#}
{%- set passes = var('identity_cluster_passes') | int -%}

with xref as (
    select record_key, customer_id from {{ ref('customer_source_xref') }}
),

relations as (
    select rel.household_key, rel.role, xref.customer_id
    from {{ ref('int_household_relations_validated') }} as rel
    inner join xref on xref.record_key = rel.member_record_key
    where rel.is_valid
),

shared_phones as (
    select keys.key_value, xref.customer_id
    from {{ ref('int_identity_keys') }} as keys
    inner join xref on xref.record_key = keys.record_key
    where keys.identifier_type = 'mobile' and not keys.is_person_key
),

-- a landline shared by customers is a home phone; one shared by more than
-- identity_max_household_size customers is a switchboard, not a home
landlines as (
    select records.landline, xref.customer_id
    from {{ ref('int_identity_records') }} as records
    inner join xref on xref.record_key = records.record_key
    where records.landline is not null
),

flats as (
    select records.address_key, xref.customer_id
    from {{ ref('int_identity_records') }} as records
    inner join xref on xref.record_key = records.record_key
    where {{ regexp_contains('records.address_key', "'[|][0-9]+-[0-9]+-[0-9]+-[0-9]+$'") }}
),

memberships as (
    select 'family_relation' as evidence, household_key as group_key, customer_id from relations
    union all
    select 'shared_phone', concat('phone:', key_value), customer_id from shared_phones
    union all
    select 'same_flat', concat('flat:', address_key), customer_id from flats
    union all
    select 'shared_phone', concat('landline:', landline), customer_id from landlines
),

groups as (
    select evidence, group_key, min(customer_id) as hub
    from memberships
    group by evidence, group_key
    having count(distinct customer_id) >= 2
        and (group_key not like 'landline:%' or count(distinct customer_id) <= {{ var('identity_max_household_size') }})
),

cc_nodes as (
    select distinct customer_id as node from memberships
),

cc_edges as (
    select groups.hub as node_a, memberships.customer_id as node_b
    from memberships
    inner join groups on groups.evidence = memberships.evidence and groups.group_key = memberships.group_key
    where memberships.customer_id <> groups.hub
),

{{ connected_components_ctes(passes) }},

sized as (
    select node as customer_id, label as household_anchor, label = label_before as is_converged,
           count(*) over (partition by label) as household_size
    from cc_result
),

evidence as (
    select memberships.customer_id, {{ string_agg_sorted('memberships.evidence') }} as evidence
    from memberships
    inner join groups on groups.evidence = memberships.evidence and groups.group_key = memberships.group_key
    group by memberships.customer_id
),

roles as (
    select customer_id, min(role) as role, min(household_key) as source_household_key
    from relations
    group by customer_id
)

select
    concat('HH', substr(sized.household_anchor, 3)) as household_id,
    sized.customer_id,
    coalesce(roles.role, 'member') as role,
    roles.source_household_key,
    evidence.evidence,
    sized.household_size,
    sized.is_converged
from sized
left join evidence on evidence.customer_id = sized.customer_id
left join roles on roles.customer_id = sized.customer_id
where sized.household_size >= 2
