{#- Building blocks of the intermediate *_validated models, which judge every staged row:
    kept (is_valid) or rejected with a reason naming the file, the row and the problem. -#}

{#- "oms/orders/orders_2025.parquet row 17": where a row came from, for reasons. -#}
{% macro row_ref(prefix='') -%}
    concat({{ prefix }}_source_file, ' row ', cast({{ prefix }}_row_number as {{ type_text() }}))
{%- endmacro %}

{#- `relation` (a CTE or table of staged rows) with _copy_no (1 for the first copy of an exact
    duplicate, 2, 3 ... for the later ones) and _first_copy (where the first copy is; null for
    first copies). Only the rows whose hash occurs twice are sorted, on their key columns, and
    the later copies joined back: a window over every wide row sorted ten million order lines
    for about a minute (bench/suite.py at 1M customers). -#}
{% macro with_exact_duplicates(relation) -%}
(
    select {{ relation }}.*, coalesce(_dup._copy_no, 1) as _copy_no, _dup._first_copy
    from {{ relation }}
    left join (
        select source_system, source_table, _source_file, _row_number, _copy_no, _first_copy
        from (
            select _r.source_system, _r.source_table, _r._source_file, _r._row_number,
                   row_number() over (
                       partition by _r.source_system, _r.source_table, _r._row_hash
                       order by _r._source_file, _r._row_number) as _copy_no,
                   first_value({{ row_ref('_r.') }}) over (
                       partition by _r.source_system, _r.source_table, _r._row_hash
                       order by _r._source_file, _r._row_number) as _first_copy
            from {{ relation }} as _r
            inner join (
                select source_system, source_table, _row_hash from {{ relation }}
                group by source_system, source_table, _row_hash
                having count(*) > 1
            ) as _twice
                on _twice.source_system = _r.source_system and _twice.source_table = _r.source_table
                and _twice._row_hash = _r._row_hash
        ) as _copies
        where _copy_no > 1
    ) as _dup
        on _dup.source_system = {{ relation }}.source_system and _dup.source_table = {{ relation }}.source_table
        and _dup._source_file = {{ relation }}._source_file and _dup._row_number = {{ relation }}._row_number
)
{%- endmacro %}

{#- Among the rows of `relation` that passed every other check (_issue is null), the latest
    version of each key wins: _version_rank (1 = kept) and _kept_version (where the kept row
    is; null for kept rows). As above, only keys that occur twice are sorted. -#}
{% macro with_versions(relation, key, order_by) -%}
{%- set order_columns = [] -%}
{%- for part in order_by.split(',') -%}
    {%- set column = part.strip().split(' ')[0] -%}
    {%- if column not in ['_source_file', '_row_number'] -%}{%- do order_columns.append(column) -%}{%- endif -%}
{%- endfor %}
(
    select {{ relation }}.*, coalesce(_ver._version_rank, 1) as _version_rank, _ver._kept_version
    from {{ relation }}
    left join (
        select source_system, _source_file, _row_number, _version_rank, _kept_version
        from (
            select _k.source_system, _k._source_file, _k._row_number,
                   row_number() over (partition by _k.source_system, _k._key order by {{ order_by }}) as _version_rank,
                   first_value({{ row_ref('_k.') }}) over (
                       partition by _k.source_system, _k._key order by {{ order_by }}) as _kept_version
            from (
                select source_system, _source_file, _row_number, {{ key }} as _key
                    {%- for column in order_columns %}, {{ column }}{% endfor %}
                from {{ relation }} where _issue is null
            ) as _k
            inner join (
                select source_system, {{ key }} as _key from {{ relation }} where _issue is null
                group by source_system, {{ key }}
                having count(*) > 1
            ) as _twice on _twice.source_system = _k.source_system and _twice._key = _k._key
        ) as _versions
        where _version_rank > 1
    ) as _ver
        on _ver.source_system = {{ relation }}.source_system and _ver._source_file = {{ relation }}._source_file
        and _ver._row_number = {{ relation }}._row_number
)
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

{#- model name → the kind it judges (the post-hook of models/intermediate/validated/facts,
    in dbt_project.yml). -#}
{% macro validated_kind(model_name) -%}
    {%- for kind, name in validated_models().items() -%}
        {%- if name == model_name -%}{{ return(kind) }}{%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(model_name ~ ' is not a *_validated model (validated_models)') }}
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
    from {{ with_exact_duplicates('staged') }} as staged
),

versioned as (
    select * from {{ with_versions('checked', 'source_record_id', newest_first) }} as checked
)

select
    {{ judged_columns(kind,
        "coalesce(_issue, " ~ superseded_reason('source_record_id', 'source_record_id') ~ ")") }}
from versioned
{% endmacro %}
