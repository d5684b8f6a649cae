{#- Every source record of every customer, masked for BI and the customer card: which system
    and table, its id there, the rule that linked it (customer_source_xref.match_rule), the
    name and mobile masked as in dim_customer, whether it has an e-mail, city, birth year,
    and when the source created and last changed it. -#}
select
    xref.customer_id,
    xref.source_system,
    xref.source_table,
    xref.source_record_id,
    xref.record_key,
    xref.match_rule,
    {{ mask_person_name('r.display_name') }} as name_masked,
    {{ mask_mobile('r.mobile') }} as mobile_masked,
    r.email is not null as has_email,
    r.city,
    r.birth_year,
    r.created_at,
    r.updated_at
from {{ ref('customer_source_xref') }} as xref
left join {{ ref('int_identity_records') }} as r on r.record_key = xref.record_key
