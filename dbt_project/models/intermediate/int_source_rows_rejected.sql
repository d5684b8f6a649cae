{#- Every staged row that was not kept, from every source table, with the reason. Together with
    raw.rejects (rows that could not even be read) this is the complete list of what the
    pipeline did not use, and why. -#}
{%- set parts = [] -%}
{%- for kind, model in validated_models().items() -%}
    {%- do parts.append(
        "select '" ~ kind ~ "' as kind, source_system, source_table, _source_file as source_file, "
        ~ "_row_number as row_number, reject_reason from " ~ ref(model) ~ " where not is_valid") -%}
{%- endfor %}
{{ parts | join('\nunion all\n') }}
