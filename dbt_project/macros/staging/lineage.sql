{#- Columns every staged row keeps from its raw row, so any value can be traced to a file and
    line: the loader writes them (orchestration/ingest/loader.py). -#}
{% macro lineage_columns() -%}
    _source_file,
    _row_number,
    _row_hash,
    _loaded_at
{%- endmacro %}

{#- The tail of every staging model: the source's extra columns (cleaned), then lineage. -#}
{% macro extras_and_lineage(extra_columns) -%}
    {%- for col in extra_columns %}
    {{ clean_text(col) }} as {{ col }},
    {%- endfor %}
    {{ lineage_columns() }}
{%- endmacro %}

{% macro clean_city(expr) -%}
    nullif(regexp_replace({{ clean_text(expr) }}, '市$', ''), '')
{%- endmacro %}

{% macro clean_province(expr) -%}
    nullif(regexp_replace({{ clean_text(expr) }},
        '(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$', ''), '')
{%- endmacro %}

{#- The columns each kind of staging model has, in order: the unions above staging select
    exactly these, so a source's extra columns stay in its own staging model. -#}
{% macro staged_columns(kind) -%}
    {%- set common = ['source_system', 'source_table'] -%}
    {%- set lineage = ['_source_file', '_row_number', '_row_hash', '_loaded_at'] -%}
    {%- set by_kind = {
        'customers': ['source_record_id', 'record_key', 'country', 'full_name', 'given_name', 'family_name',
                      'nickname', 'gender', 'gender_raw', 'birth_date', 'birth_year', 'birth_date_precision',
                      'birth_date_raw',
                      'mobile', 'mobile_status', 'mobile_raw', 'phone', 'phone_status', 'phone_raw',
                      'email', 'email_status', 'email_raw', 'wechat_unionid', 'id_number', 'address',
                      'city', 'province', 'postcode', 'company_name', 'credit_code', 'level',
                      'lead_source', 'created_at', 'created_at_raw', 'updated_at', 'updated_at_raw',
                      'account_ref', 'account_key', 'xref_source', 'xref_record_id',
                      'marketing_consent', 'marketing_consent_raw'],
        'accounts': ['source_record_id', 'account_key', 'company_name', 'credit_code', 'industry',
                     'city', 'province', 'size', 'created_at', 'created_at_raw'],
        'relations': ['household_ref', 'household_key', 'member_source', 'member_ref',
                      'member_record_key', 'role', 'role_raw'],
        'orders': ['order_id', 'customer_source', 'source_customer_ref', 'customer_record_key',
                   'ordered_at', 'ordered_at_raw', 'status', 'status_raw', 'amount', 'amount_raw',
                   'channel', 'store_id'],
        'order_items': ['order_id', 'line_no', 'line_no_raw', 'sku', 'category', 'quantity',
                        'quantity_raw', 'unit_price', 'unit_price_raw'],
        'events': ['event_id', 'customer_source', 'source_customer_ref', 'customer_record_key',
                   'device_id', 'event_type', 'event_type_raw', 'occurred_at', 'occurred_at_raw',
                   'sku', 'category', 'store_id'],
    } -%}
    {{ return(common + by_kind[kind] + lineage) }}
{%- endmacro %}

{#- A raw table of `kind` with no row: every canonical field as text, and the lineage. -#}
{% macro empty_raw_relation(kind) -%}
    (select
        {%- for c in huaxiang_canonical_fields(kind) %}
        cast(null as {{ type_text() }}) as {{ c }},
        {%- endfor %}
        cast(null as {{ type_text() }}) as _source_file,
        cast(null as bigint) as _row_number,
        cast(null as timestamp) as _loaded_at,
        cast(null as {{ type_text() }}) as _row_hash,
        cast(null as {{ type_text() }}) as _unmapped
     where 1 = 0)
{%- endmacro %}

{#- The staging macro of each kind. -#}
{% macro stage_macro(kind) -%}
    {{ return({
        'customers': stage_customers, 'accounts': stage_accounts, 'relations': stage_relations,
        'orders': stage_orders, 'order_items': stage_order_items, 'events': stage_events,
    }[kind]) }}
{%- endmacro %}

{#- UNION ALL of every staging model of a kind (from the generated inventory). A kind that no
    source has (a sources file without customers, or without orders) is the kind's staging
    macro over an empty raw table: no row, and every column typed as staging types it, so that
    the models above bind as they do with data (an untyped NULL column does not: year(NULL)). -#}
{% macro union_staged(kind) -%}
    {%- set cols = staged_columns(kind) -%}
    {%- set tables = huaxiang_tables(kind) -%}
    {%- if tables | length == 0 %}
    select {{ cols | join(', ') }}
    from ({{ stage_macro(kind)('none', 'none', relation=empty_raw_relation(kind)) }}) as _no_source
    {%- endif %}
    {%- for src, tbl in tables %}
    select {{ cols | join(', ') }} from {{ ref('stg_' ~ src ~ '__' ~ tbl) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
