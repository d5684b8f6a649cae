{#- Building blocks of the intermediate *_validated models, which judge every staged row:
    kept (is_valid) or rejected with a reason naming the file, the row and the problem. -#}

{#- "oms/orders/orders_2025.parquet row 17": where a row came from, for reasons. -#}
{% macro row_ref(prefix='') -%}
    concat({{ prefix }}_source_file, ' row ', cast({{ prefix }}_row_number as {{ type_text() }}))
{%- endmacro %}

{#- _copy_no (1 for the first copy of an exact duplicate) and _first_copy (where it is). -#}
{% macro exact_duplicate_columns() -%}
    row_number() over (
        partition by source_system, source_table, _row_hash
        order by _source_file, _row_number) as _copy_no,
    first_value({{ row_ref() }}) over (
        partition by source_system, source_table, _row_hash
        order by _source_file, _row_number) as _first_copy
{%- endmacro %}

{#- Among the rows that passed every other check, the latest version of each key wins:
    _version_rank (1 = kept) and _kept_version (where the kept row is). -#}
{% macro version_columns(key, order_by) -%}
    row_number() over (
        partition by source_system, case when _issue is null then {{ key }} end
        order by {{ order_by }}) as _version_rank,
    first_value({{ row_ref() }}) over (
        partition by source_system, case when _issue is null then {{ key }} end
        order by {{ order_by }}) as _kept_version
{%- endmacro %}

{#- The reason a row superseded by a later version of its key is rejected. -#}
{% macro superseded_reason(key_name, key) -%}
    case when _issue is null and _version_rank > 1 then concat(
        '{{ key_name }} ', {{ key }}, ' appears again in ', _kept_version, ', which is kept') end
{%- endmacro %}

{#- The validated model's columns: the kind's staged columns, is_valid, reject_reason. -#}
{% macro judged_columns(kind, reason) -%}
    {{ staged_columns(kind) | join(',\n    ') }},
    ({{ reason }}) is null as is_valid,
    {{ reason }} as reject_reason
{%- endmacro %}

{#- kind → the model that judges its rows. -#}
{% macro validated_models() -%}
    {{ return({
        'customers': 'int_customer_records_validated',
        'accounts': 'int_accounts_validated',
        'relations': 'int_household_relations_validated',
        'orders': 'int_orders_validated',
        'order_items': 'int_order_items_validated',
        'events': 'int_events_validated',
    }) }}
{%- endmacro %}

{#- Judge records identified by source_record_id (customer records, accounts): missing id,
    exact duplicate, or an older version of an id that appears again (`newest_first` orders
    the versions, the first is kept). -#}
{% macro judge_identified_records(kind, newest_first) %}
with staged as (
    {{ union_staged(kind) }}
),

checked as (
    select
        staged.*,
        case
            when source_record_id is null then 'missing source_record_id'
            when _copy_no > 1 then concat('exact duplicate of ', _first_copy)
        end as _issue
    from (select staged.*, {{ exact_duplicate_columns() }} from staged) as staged
),

versioned as (
    select
        checked.*,
        {{ version_columns('source_record_id', newest_first) }}
    from checked
)

select
    {{ judged_columns(kind,
        "coalesce(_issue, " ~ superseded_reason('source_record_id', 'source_record_id') ~ ")") }}
from versioned
{% endmacro %}
