{#- One row per enterprise (B2B) account of every accounts source, with its unified social
    credit code checked (GB 32100 check character) and a company-name key that CRM company
    names are matched on. account_id is the source's account key (ent:EA000123). -#}
select
    account_key as account_id,
    source_system,
    source_record_id as account_code,
    accounts.company_name,
    keys.company_name_key,
    credit_code,
    {{ cn_credit_code_status('credit_code') }} as credit_code_status,
    industry,
    accounts.city,
    province,
    size,
    created_at
from {{ ref('int_accounts_validated') }} as accounts
left join {{ ref('int_company_name_keys') }} as keys on keys.company_name = accounts.company_name
where accounts.is_valid
