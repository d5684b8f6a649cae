{#- One row per customer for BI: the golden record (int_customer_golden) with personal data
    masked - the name as its family name and stars, the mobile as 138****5678, the e-mail only
    as an md5 hash, birth date as year and month, no address or id number - plus the
    household and the enterprise account the customer belongs to, and whether we may market to
    them (marketing_consent: an opt-out in any record wins). <field>_source names the
    source record of each chosen value (provenance; record keys are not personal data). -#}
with golden as (
    select * from {{ ref('int_customer_golden') }}
),

households as (
    select customer_id, household_id, role from {{ ref('household_member') }}
),

accounts as (
    select customer_id, min(account_id) as account_id from {{ ref('account_contact') }} group by customer_id
)

select
    golden.customer_id,
    {{ mask_person_name('golden.full_name') }} as name_masked,
    golden.gender,
    golden.birth_year,
    month(golden.birth_date) as birth_month,
    golden.city,
    golden.province,
    {{ mask_mobile('golden.mobile') }} as mobile_masked,
    {{ hash_email('golden.email') }} as email_hash,
    golden.mobile is not null as has_mobile,
    golden.email is not null as has_email,
    golden.company_name,
    golden.level,
    golden.lead_source,
    golden.marketing_consent,
    households.household_id,
    households.role as household_role,
    accounts.account_id,
    golden.n_records,
    golden.source_systems,
    golden.first_seen_at,
    golden.last_updated_at,
    golden.full_name_source as name_source,
    golden.gender_source,
    golden.birth_year_source,
    golden.city_source,
    golden.mobile_source,
    golden.email_source,
    golden.company_name_source,
    golden.level_source,
    golden.marketing_consent_source
from golden
left join households on households.customer_id = golden.customer_id
left join accounts on accounts.customer_id = golden.customer_id
