{#- SQL functions the portable macros call on Spark, created at the start of every dbt command
    (on-run-start) in the target's schema; nothing on DuckDB, whose built-ins do the work. The
    hook's statements run here: a hook is one statement, and Spark takes one at a time. -#}
{% macro portable_functions() -%}
    {{ return(adapter.dispatch('portable_functions', 'huaxiang')()) }}
{%- endmacro %}

{% macro default__portable_functions() %}{% endmacro %}

{#- huaxiang_value_text(type, text, json): a value's text as DuckDB writes it, in a cast
    (value_text()) or in JSON (json_object_text()). Anything but a double comes back as it went
    in. A double gets DuckDB's digits, the shortest that read back as the same double, where
    Spark writes Java's (Java 17 sometimes adds a digit: 9.9984151200000013E17), and DuckDB's
    form, where Spark writes an exponent below 0.001 and from 1e7 up (3.72E-4):
      * a cast: plain from 1e-4 up to 1e16, else d.ddde±nn ('1e-05', '1.5e+16');
      * JSON: plain from 1e-6 up to 1e21, else d.ddde±n without a plus ('2.5e-7', '1e21').
    The shortest digits: 15 significant digits when they read back as the same double (any
    double with a shorter form does), else 16, else 17 (always enough). -#}
{% macro spark__portable_functions() -%}
{%- set schema = target.schema -%}
{%- set shortest -%}
create or replace function {{ schema }}.huaxiang_shortest_exponent(x double)
returns string
return case
    when cast(format_string('%.14e', x) as double) = x then format_string('%.14e', x)
    when cast(format_string('%.15e', x) as double) = x then format_string('%.15e', x)
    else format_string('%.16e', x)
end
{%- endset -%}
{%- set double_text -%}
create or replace function {{ schema }}.huaxiang_double_text(neg boolean, d string, e int, json boolean)
returns string
return concat(
    case when neg then '-' else '' end,
    case
        when (json and (e < -6 or e > 20)) or (not json and (e < -4 or e > 15)) then concat(
            substring(d, 1, 1), case when length(d) > 1 then concat('.', substring(d, 2)) else '' end,
            'e', case when e < 0 then '-' when json then '' else '+' end,
            case when not json and abs(e) < 10 then '0' else '' end, cast(abs(e) as string))
        when e < 0 then concat('0.', repeat('0', -e - 1), d)
        when length(d) <= e + 1 then concat(d, repeat('0', e + 1 - length(d)), '.0')
        else concat(substring(d, 1, e + 1), '.', substring(d, e + 2))
    end)
{%- endset -%}
{%- set exponent_text -%}
create or replace function {{ schema }}.huaxiang_exponent_text(m string, json boolean)
returns string
return {{ schema }}.huaxiang_double_text(
    m like '-%',
    coalesce(nullif(regexp_replace(replace(replace(substring_index(m, 'e', 1), '-', ''), '.', ''), '0+$', ''), ''), '0'),
    cast(substring_index(m, 'e', -1) as int),
    json)
{%- endset -%}
{%- set value_text -%}
create or replace function {{ schema }}.huaxiang_value_text(kind string, s string, json boolean)
returns string
return case
    when s is null or kind not in ('double', 'float') or s in ('NaN', 'Infinity', '-Infinity') then s
    else {{ schema }}.huaxiang_exponent_text({{ schema }}.huaxiang_shortest_exponent(cast(s as double)), json)
end
{%- endset -%}
{#- the compiled string functions (orchestration/warehouse/spark_jar.py), when the session has
    their jar -#}
{%- set jar_functions = [] -%}
{%- if var('spark_jar_functions', true) -%}
    {%- for name, class in [['huaxiang_jaro_winkler', 'huaxiang.spark.JaroWinkler'],
                            ['huaxiang_damerau_levenshtein', 'huaxiang.spark.DamerauLevenshtein']] -%}
        {%- do jar_functions.append("create or replace function " ~ schema ~ "." ~ name ~ " as '" ~ class ~ "'") -%}
    {%- endfor -%}
{%- endif -%}
{%- if execute -%}
    {%- do run_query("create database if not exists " ~ schema) -%}
    {%- for statement in [shortest, double_text, exponent_text, value_text] + jar_functions -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{%- endif -%}
{%- endmacro %}
