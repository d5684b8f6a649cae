{#- Staging for the other kinds of source table. Same rules as customers: one row per raw row,
    cleaned and parsed values with the raw text beside them; judgement (reject or keep) is made
    in the intermediate *_validated models. Each starts through staging_select. -#}

{% macro stage_accounts(source_name, table_name, extra_columns=[], relation=none) %}
{%- call staging_select(source_name, table_name, extra_columns, relation) %}
    {{ clean_text('source_record_id') }} as source_record_id,
    concat('{{ source_name }}', ':', {{ clean_text('source_record_id') }}) as account_key,
    {{ clean_person_text('company_name') }} as company_name,
    upper({{ clean_text('credit_code') }}) as credit_code,
    {{ clean_text('industry') }} as industry,
    {{ clean_city('city') }} as city,
    {{ clean_province('province') }} as province,
    {{ clean_text('size') }} as size,
    {{ parse_local_timestamp('created_at') }} as created_at,
    created_at as created_at_raw,
{%- endcall %}
{% endmacro %}

{% macro stage_relations(source_name, table_name, extra_columns=[], relation=none) %}
{%- call staging_select(source_name, table_name, extra_columns, relation) %}
    {{ clean_text('household_ref') }} as household_ref,
    concat('{{ source_name }}', ':', {{ clean_text('household_ref') }}) as household_key,
    lower({{ clean_text('member_source') }}) as member_source,
    {{ clean_text('member_ref') }} as member_ref,
    concat(lower({{ clean_text('member_source') }}), ':', {{ clean_text('member_ref') }}) as member_record_key,
    case
        when lower(trim(role)) in ('registrant', 'register', '注册人', '注册') then 'registrant'
        when lower(trim(role)) in ('decision_maker', 'decision-maker', 'payer', '决策人', '付款人') then 'decision_maker'
        when lower(trim(role)) in ('user', 'student', 'child', '使用者', '学员') then 'user'
        else 'unknown'
    end as role,
    role as role_raw,
{%- endcall %}
{% endmacro %}

{% macro stage_orders(source_name, table_name, extra_columns=[], relation=none) %}
{%- call staging_select(source_name, table_name, extra_columns, relation) %}
    {{ clean_text('order_id') }} as order_id,
    lower({{ clean_text('customer_source') }}) as customer_source,
    {{ clean_text('source_customer_ref') }} as source_customer_ref,
    concat(lower({{ clean_text('customer_source') }}), ':', {{ clean_text('source_customer_ref') }}) as customer_record_key,
    {{ parse_local_timestamp('ordered_at') }} as ordered_at,
    ordered_at as ordered_at_raw,
    {{ normalize_order_status('status') }} as status,
    status as status_raw,
    {{ parse_amount_cny('amount') }} as amount,
    amount as amount_raw,
    {{ clean_text('channel') }} as channel,
    {{ clean_text('store_id') }} as store_id,
{%- endcall %}
{% endmacro %}

{% macro stage_order_items(source_name, table_name, extra_columns=[], relation=none) %}
{%- call staging_select(source_name, table_name, extra_columns, relation) %}
    {{ clean_text('order_id') }} as order_id,
    {{ parse_integer('line_no') }} as line_no,
    line_no as line_no_raw,
    {{ clean_text('sku') }} as sku,
    {{ clean_text('category') }} as category,
    {{ parse_integer('quantity') }} as quantity,
    quantity as quantity_raw,
    {{ parse_amount_cny('unit_price') }} as unit_price,
    unit_price as unit_price_raw,
{%- endcall %}
{% endmacro %}

{% macro stage_events(source_name, table_name, extra_columns=[], relation=none) %}
{%- call staging_select(source_name, table_name, extra_columns, relation) %}
    {{ clean_text('event_id') }} as event_id,
    lower({{ clean_text('customer_source') }}) as customer_source,
    {{ clean_text('source_customer_ref') }} as source_customer_ref,
    case when {{ clean_text('source_customer_ref') }} is not null
         then concat(lower({{ clean_text('customer_source') }}), ':', {{ clean_text('source_customer_ref') }})
    end as customer_record_key,
    {{ clean_text('device_id') }} as device_id,
    {{ normalize_event_type('event_type') }} as event_type,
    event_type as event_type_raw,
    {{ parse_local_timestamp('occurred_at') }} as occurred_at,
    occurred_at as occurred_at_raw,
    {{ clean_text('sku') }} as sku,
    {{ clean_text('category') }} as category,
    {{ clean_text('store_id') }} as store_id,
{%- endcall %}
{% endmacro %}
