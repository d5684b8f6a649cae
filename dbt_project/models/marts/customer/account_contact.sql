{#- Customers who are contacts of an enterprise account: from a contact record that names the
    account ('account_record'), or from a CRM record whose company name has the account's
    company-name key ('company_name'). One row per (account, customer), the strongest link
    first in link_type. -#}
with xref as (
    select record_key, customer_id from {{ ref('customer_source_xref') }}
),

accounts as (
    select account_id, company_name_key from {{ ref('dim_account') }}
),

by_record as (
    select accounts.account_id, xref.customer_id, 'account_record' as link_type, 1 as link_rank
    from {{ ref('int_customer_records_validated') }} as v
    inner join xref on xref.record_key = v.record_key
    inner join accounts on accounts.account_id = v.account_key
    where v.is_valid
),

by_name as (
    select accounts.account_id, xref.customer_id, 'company_name' as link_type, 2 as link_rank
    from {{ ref('int_customer_records_validated') }} as v
    inner join xref on xref.record_key = v.record_key
    inner join {{ ref('int_company_name_keys') }} as keys on keys.company_name = v.company_name
    inner join accounts on accounts.company_name_key = keys.company_name_key
    where v.is_valid and v.company_name is not null
),

links as (
    select * from by_record
    union all
    select * from by_name
)

select account_id, customer_id, link_type
from (
    select links.*, row_number() over (partition by account_id, customer_id order by link_rank) as rk
    from links
) as ranked
where rk = 1
