{#- The segments (config/segments) for operators and BI: names, description, owner, where
    each is defined, its rule version, and on the newest snapshot its members, share of
    customers, and the customers who entered and left since the snapshot before. -#}
with newest as (
    select max(as_of_date) as as_of_date from {{ ref('segment_snapshots') }}
),

members as (
    select segment_key, count(*) as members
    from {{ ref('segment_members') }}
    where as_of_date = (select as_of_date from newest)
    group by segment_key
),

changes as (
    select
        segment_key,
        count(case when change = 'entered' then 1 end) as entered,
        count(case when change = 'exited' then 1 end) as exited
    from {{ ref('segment_changes') }}
    where as_of_date = (select as_of_date from newest)
    group by segment_key
),

customers as (
    select count(*) as customers from {{ ref('customer_360') }}
)

select
    catalogue.segment_key,
    catalogue.name_zh,
    catalogue.name_en,
    catalogue.description,
    catalogue.owner,
    catalogue.fields_used,
    catalogue.defined_in,
    catalogue.definition,
    catalogue.rule_version,
    (select as_of_date from newest) as as_of_date,
    coalesce(members.members, 0) as members,
    cast(coalesce(members.members, 0) as {{ type_double() }}) / nullif(customers.customers, 0) as share_of_customers,
    coalesce(changes.entered, 0) as entered,
    coalesce(changes.exited, 0) as exited
from {{ source('model_tags', 'segment_catalogue') }} as catalogue
cross join customers
left join members on members.segment_key = catalogue.segment_key
left join changes on changes.segment_key = catalogue.segment_key
