{#- A customer-record source, staged: one row per raw row, names cleaned, phones classified and
    in E.164, emails lower-cased, dates parsed, marketing consent read as true / false; the raw
    text kept beside every parsed value.

    `country` (ISO 3166-1 alpha-2, from the sources file) is the country of the records: phones
    of a CN source are read by the Chinese rules (cn_phone_status); those of any other country
    are never made Chinese: a number written with its own +country code is kept in E.164
    ('international'), any other is 'unverified' and gets no E.164 (intl_phone_status).
    `precision`: {'birth_date': 'year'} when the source knows only the year of birth (a value
    like 1987-01-01 is then the year 1987, not the first of January). `relation`: read this
    instead of the source (the typed empty union of a kind no source has, see union_staged). -#}
{% macro stage_customers(source_name, table_name, extra_columns=[], country='CN', precision={},
                         relation=none) %}
{%- set is_cn = country == 'CN' -%}
{%- set birth_year_only = precision.get('birth_date') == 'year' -%}
{%- set ctes %}
prepared as (
    select
        src.*,
        {%- if is_cn %}
        {{ cn_national_digits(cn_phone_digits('mobile')) }} as _mobile_national,
        {{ cn_national_digits(cn_phone_digits('phone')) }} as _phone_national,
        {%- else %}
        {{ cn_phone_digits('mobile') }} as _mobile_national,
        {{ cn_phone_digits('phone') }} as _phone_national,
        {%- endif %}
        {{ normalize_email('email') }} as _email,
        {{ clean_text('source_record_id') }} as _record_id,
        {{ parse_birth_date('birth_date') }} as _birth_date,
        {{ parse_birth_year('birth_date') }} as _birth_year
    from src
),

classified as (
    select
        prepared.*,
        {%- if is_cn %}
        {{ cn_phone_status('mobile', '_mobile_national') }} as _mobile_status,
        {{ cn_phone_status('phone', '_phone_national') }} as _phone_status,
        {%- else %}
        {{ intl_phone_status('mobile', '_mobile_national') }} as _mobile_status,
        {{ intl_phone_status('phone', '_phone_national') }} as _phone_status,
        {%- endif %}
        {{ email_status('email', '_email') }} as _email_status
    from prepared
)
{%- endset %}
{%- call staging_select(source_name, table_name, extra_columns, relation, ctes=ctes, rows_from='classified') %}
    _record_id as source_record_id,
    concat('{{ source_name }}', ':', _record_id) as record_key,
    '{{ country }}' as country,
    {{ clean_person_text('full_name') }} as full_name,
    {{ clean_person_text('given_name') }} as given_name,
    {{ clean_person_text('family_name') }} as family_name,
    {{ clean_person_text('nickname') }} as nickname,
    {{ normalize_gender('gender') }} as gender,
    gender as gender_raw,
    {%- if birth_year_only %}
    -- the source knows only the year of birth
    cast(null as date) as birth_date,
    _birth_year as birth_year,
    case when _birth_year is not null then 'year' end as birth_date_precision,
    {%- else %}
    _birth_date as birth_date,
    _birth_year as birth_year,
    case when _birth_date is not null then 'day'
         when _birth_year is not null then 'year' end as birth_date_precision,
    {%- endif %}
    birth_date as birth_date_raw,
    {%- if is_cn %}
    case when _mobile_status = 'mobile'
         then {{ cn_phone_e164('_mobile_status', '_mobile_national') }} end as mobile,
    _mobile_status as mobile_status,
    mobile as mobile_raw,
    -- a landline typed into the mobile field is a phone number, not a mobile
    coalesce(
        {{ cn_phone_e164('_phone_status', '_phone_national') }},
        case when _mobile_status = 'landline'
             then {{ cn_phone_e164('_mobile_status', '_mobile_national') }} end
    ) as phone,
    case when _phone_status = 'missing' and _mobile_status = 'landline' then 'landline'
         else _phone_status end as phone_status,
    {%- else %}
    {{ intl_phone_e164('_mobile_status', '_mobile_national') }} as mobile,
    _mobile_status as mobile_status,
    mobile as mobile_raw,
    {{ intl_phone_e164('_phone_status', '_phone_national') }} as phone,
    _phone_status as phone_status,
    {%- endif %}
    phone as phone_raw,
    case when _email_status = 'valid' then _email end as email,
    _email_status as email_status,
    email as email_raw,
    {{ clean_text('wechat_unionid') }} as wechat_unionid,
    upper({{ clean_text('id_number') }}) as id_number,
    {{ clean_person_text('address') }} as address,
    {{ clean_city('city') }} as city,
    {{ clean_province('province') }} as province,
    {{ clean_text('postcode') }} as postcode,
    {{ clean_person_text('company_name') }} as company_name,
    upper({{ clean_text('credit_code') }}) as credit_code,
    {{ clean_text('level') }} as level,
    {{ clean_text('lead_source') }} as lead_source,
    {{ parse_local_timestamp('created_at') }} as created_at,
    created_at as created_at_raw,
    {{ parse_local_timestamp('updated_at') }} as updated_at,
    updated_at as updated_at_raw,
    {{ clean_text('account_ref') }} as account_ref,
    -- an account reference points at the accounts table of the same source system
    case when {{ clean_text('account_ref') }} is not null
         then concat('{{ source_name }}', ':', {{ clean_text('account_ref') }}) end as account_key,
    lower({{ clean_text('xref_source') }}) as xref_source,
    {{ clean_text('xref_record_id') }} as xref_record_id,
    {{ normalize_marketing_consent('marketing_consent') }} as marketing_consent,
    marketing_consent as marketing_consent_raw,
{%- endcall %}
{% endmacro %}
