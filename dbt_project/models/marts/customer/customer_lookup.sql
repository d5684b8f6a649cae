{#- What a person may type to find a customer (`huaxiang serve`), one row per customer and key:
    the mobile (E.164) and the e-mail of every source record, hashed like dim_customer's
    email_hash; the name as written (lower case, without spaces), hashed; and the source record
    id as the source system wrote it (a member or card number: not personal data). The web
    page hashes what is typed the same way, so no raw contact data leaves the warehouse. -#}
with records as (
    select xref.customer_id, r.mobile, r.email, r.display_name, r.source_system, r.source_record_id
    from {{ ref('int_identity_records') }} as r
    inner join {{ ref('customer_source_xref') }} as xref on xref.record_key = r.record_key
),

keys as (
    select customer_id, 'mobile' as key_type, {{ md5_text('mobile') }} as key_value
    from records where mobile is not null
    union all
    select customer_id, 'email' as key_type, {{ hash_email('email') }} as key_value
    from records where email is not null
    union all
    select customer_id, 'name' as key_type, {{ md5_text("lower(replace(display_name, ' ', ''))") }} as key_value
    from records where display_name is not null
    union all
    select customer_id, 'record' as key_type, source_record_id as key_value
    from records where source_record_id is not null
)

select distinct customer_id, key_type, key_value from keys
