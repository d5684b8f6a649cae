{#- Every distinct company name (accounts and customer records) -> a key that the registered
    name and the short forms people type share: legal-form suffix and a leading city name
    dropped (上海华信科技有限公司, 华信科技 -> 华信科技). Cities are the ones the data itself names. -#}
with names as (
    select company_name from {{ ref('int_accounts_validated') }} where is_valid and company_name is not null
    union
    select company_name from {{ ref('int_customer_records_validated') }} where is_valid and company_name is not null
),

cities as (
    select city from {{ ref('int_accounts_validated') }} where city is not null
    union
    select city from {{ ref('int_customer_records_validated') }} where city is not null
),

stems as (
    select company_name, {{ company_name_stem('company_name') }} as stem from names
),

city_prefix as (
    select stems.company_name, max(length(cities.city)) as prefix_length
    from stems
    inner join cities on substr(stems.stem, 1, length(cities.city)) = cities.city
        and length(stems.stem) > length(cities.city) + 1
    group by stems.company_name
)

select
    stems.company_name,
    substr(stems.stem, coalesce(city_prefix.prefix_length, 0) + 1) as company_name_key
from stems
left join city_prefix on city_prefix.company_name = stems.company_name
