{#- Dialect differences that give wrong data silently (see shared/portable-sql.md) live here,
    dispatched per adapter, so that models stay one SQL for DuckDB and Spark. Arguments are
    SQL expressions (quote literals yourself: "'[0-9]+'"). -#}

{#- Replace every match (DuckDB replaces the first one unless told 'g'). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'huaxiang')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- True when the whole string matches. -#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'huaxiang')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regexp_full_match(expr, pattern) -%}
    ({{ expr }} rlike concat('^(', {{ pattern }}, ')$'))
{%- endmacro %}
{% macro duckdb__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ pattern }})
{%- endmacro %}

{#- True when the pattern matches somewhere in the string. -#}
{% macro regexp_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'huaxiang')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regexp_contains(expr, pattern) -%}
    ({{ expr }} rlike {{ pattern }})
{%- endmacro %}
{% macro duckdb__regexp_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}

{#- A string literal holding `text` as it is. Spark reads a backslash in a literal as an escape
    ('\x{41}' is 'x{41}'; a regular expression loses its escapes silently), DuckDB as a
    backslash: Spark's gets each one doubled. Both read '' as one quote. -#}
{% macro text_literal(text) -%}
    {{ return(adapter.dispatch('text_literal', 'huaxiang')(text)) }}
{%- endmacro %}
{% macro default__text_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}
{% macro duckdb__text_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{#- The text type. -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'huaxiang')()) }}
{%- endmacro %}
{% macro default__type_text() %}string{% endmacro %}
{% macro duckdb__type_text() %}varchar{% endmacro %}

{#- Any value as text, a double written the same on every engine: the shortest digits that
    read back as the same double, plain from 0.0001 up to 1e16 and in exponent form outside
    ('0.000372', '3.0', '12345678.9', '1e-05', '1.5e+16'), which is DuckDB's cast. Spark's
    cast writes Java's form, in exponents below 0.001 and from 1e7 up ('3.72E-4', '1.0E7'):
    a tag value would read differently on the two engines. Other types: the engine's cast. -#}
{% macro value_text(expr) -%}
    {{ return(adapter.dispatch('value_text', 'huaxiang')(expr)) }}
{%- endmacro %}
{% macro duckdb__value_text(expr) -%}
    cast({{ expr }} as varchar)
{%- endmacro %}
{#- `json`: a double as DuckDB's JSON writer writes it instead (json_object_text). -#}
{#- Spark: the SQL function created by portable_functions() (an expression this size, once
    per value, made a view's text too long for the metastore and its planning slow). -#}
{% macro default__value_text(expr, json=false) -%}
    {{ target.schema }}.huaxiang_value_text(typeof({{ expr }}), cast({{ expr }} as string), {{ 'true' if json else 'false' }})
{%- endmacro %}

{#- md5 of a canonical string: the same on every engine (never hash()). -#}
{% macro md5_text(expr) -%}
    md5(cast({{ expr }} as {{ type_text() }}))
{%- endmacro %}

{#- A 64-bit hash of several columns, to compare wide rows within one query by a narrow key
    (never stored, never compared across engines: md5_text is for that). Spark's xxhash64
    skips NULL arguments, so each column's is-null flag goes in beside it. -#}
{% macro comparison_hash(columns) -%}
    {{ return(adapter.dispatch('comparison_hash', 'huaxiang')(columns)) }}
{%- endmacro %}
{% macro default__comparison_hash(columns) -%}
    xxhash64({% for c in columns %}{{ c }}, {{ c }} is null{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
{% macro duckdb__comparison_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- numerator / denominator rounded half away from zero to `places` decimals, a DECIMAL, the
    same on every engine. DuckDB divides decimals in doubles (1218.86 / 4 = 304.71499..., which
    casts to 304.71) where Spark divides them exactly (304.715, cast: 304.72): so both are made
    whole numbers of 1/`units` (exact for values of at most log10(units) decimals: money, counts)
    and divided as integers. NULL when the denominator is 0 or either side is NULL. -#}
{% macro rounded_quotient(numerator, denominator, places, units=100) -%}
    {%- set n = 'cast(round((' ~ numerator ~ ') * ' ~ units ~ ') as bigint)' -%}
    {%- set d = 'cast(round((' ~ denominator ~ ') * ' ~ units ~ ') as bigint)' -%}
    {%- set whole = integer_divide('2 * abs(' ~ n ~ ') * ' ~ (10 ** places) ~ ' + abs(' ~ d ~ ')', '2 * abs(' ~ d ~ ')') -%}
    cast(case when {{ d }} <> 0
              then cast(case when ({{ n }} < 0) <> ({{ d }} < 0) then -1 else 1 end * {{ whole }} as decimal(38, 0))
                   * {{ '1' if places == 0 else '0.' ~ '0' * (places - 1) ~ '1' }}
         end as decimal(38, {{ places }}))
{%- endmacro %}

{#- Integer division, truncating toward zero, of two integers. -#}
{% macro integer_divide(a, b) -%}
    {{ return(adapter.dispatch('integer_divide', 'huaxiang')(a, b)) }}
{%- endmacro %}
{% macro default__integer_divide(a, b) -%}
    (({{ a }}) div ({{ b }}))
{%- endmacro %}
{% macro duckdb__integer_divide(a, b) -%}
    (({{ a }}) // ({{ b }}))
{%- endmacro %}

{#- 64-bit floating point (dbt.type_float() is 32-bit FLOAT on DuckDB: amounts would lose cents). -#}
{% macro type_double() -%}
{{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}
{% macro default__type_double() %}double{% endmacro %}

{#- Written between `name as` and the CTE's query: compute the CTE where it is read instead of
    storing it first. DuckDB stores a CTE read more than once, every column of every row, even
    when each reader needs a few columns or a few rows: the staged events at 1M customers
    (35.6M rows) took 39 s to store before int_events_validated read them three times (the
    query 46 s; 21 s read in place, the same rows). Spark computes a CTE where it is read
    anyway: nothing there. -#}
{% macro cte_not_stored() -%}
    {{ return(adapter.dispatch('cte_not_stored', 'huaxiang')()) }}
{%- endmacro %}
{% macro default__cte_not_stored() %}{% endmacro %}
{% macro duckdb__cte_not_stored() %}not materialized{% endmacro %}
