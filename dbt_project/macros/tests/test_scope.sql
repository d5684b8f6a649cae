{#- Row tests on an incremental table check the rows this run built, not the whole history.

    A model whose config has `meta: {test_rows_of_this_run: <column>}` stamps every row with
    the build (fct_* `_built_at`, the fact *_validated models `_validated_at`) or the snapshot
    (customer_tag_history `as_of_date`) it belongs to. Its row-level tests (not null, unique,
    accepted values, relationships, expressions, tag completeness) then read only the rows
    whose column holds the newest value: on a full build that is every row, on a daily run
    the rows rebuilt from the new delivery, or today's snapshot. Without this, testing the
    tag history costs a full scan of every snapshot ever taken on every run. Count tests
    (row_count_matches) always see the whole table. Overrides dbt's get_where_subquery,
    through which every generic test reads its model. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set column = none -%}
    {%- set row_tests = ['not_null', 'not_null_columns', 'unique', 'accepted_values', 'relationships', 'expression_is_true',
                         'unique_combination_of_columns', 'every_customer_has_every_tag',
                         'non_negative', 'positive'] -%}
    {%- if execute and model is defined and model.get('attached_node') and graph is defined -%}
        {%- set tested = graph.nodes.get(model.attached_node) -%}
        {%- set test_name = (model.get('test_metadata') or {}).get('name') -%}
        {%- if tested and test_name in row_tests -%}
            {%- set column = (tested.config.meta or {}).get('test_rows_of_this_run') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if column -%}
        {%- set newest = column ~ ' = (select max(' ~ column ~ ') from ' ~ relation ~ ')' -%}
        {%- set where = '(' ~ where ~ ') and ' ~ newest if where else newest -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
