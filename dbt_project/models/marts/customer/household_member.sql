{#- Who belongs to which household, in which role (registrant, decision_maker, user where a
    source's family relations say it; 'member' when the household was inferred from shared
    contact details), and why. -#}
select household_id, customer_id, role, source_household_key, evidence
from {{ ref('int_households_linked') }}
