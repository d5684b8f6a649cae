{#- One row per household: its size, its registrant and decision maker where known, and how it
    was found. household_id is HH + the smallest member's customer number. -#}
select
    household_id,
    count(*) as n_members,
    min(case when role = 'registrant' then customer_id end) as registrant_customer_id,
    min(case when role = 'decision_maker' then customer_id end) as decision_maker_customer_id,
    sum(case when role = 'user' then 1 else 0 end) as n_users,
    max(case when source_household_key is not null then 1 else 0 end) = 1 as from_family_relations,
    max(case when evidence like '%shared_phone%' then 1 else 0 end) = 1 as shares_a_phone,
    max(case when evidence like '%same_flat%' then 1 else 0 end) = 1 as shares_a_flat
from {{ ref('int_households_linked') }}
group by household_id
