{#- Timestamps and dates as the sources write them: "2025-03-04 13:22:05", "2025/03/04 13:22",
    ISO 8601 with an offset, epoch seconds or milliseconds, "19850312". Result: a timestamp in
    the business's local time zone (var local_timezone), NULL when the text does not parse —
    staging keeps the raw text beside it so the reason can be shown. Conversions go through
    absolute instants, so the session's time zone never changes a result. -#}

{% macro parse_local_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_local_timestamp', 'huaxiang')(expr)) }}
{%- endmacro %}

{% macro duckdb__parse_local_timestamp(expr) -%}
    {%- set s = "trim(" ~ expr ~ ")" -%}
    {%- set tz = "'" ~ var('local_timezone') ~ "'" -%}
    case
        when {{ s }} is null or {{ s }} = '' then null
        when regexp_full_match({{ s }}, '[0-9]{13}')
            then timezone({{ tz }}, to_timestamp(cast({{ s }} as bigint) / 1000.0))
        when regexp_full_match({{ s }}, '[0-9]{10}')
            then timezone({{ tz }}, to_timestamp(cast({{ s }} as bigint)))
        -- with an offset; DuckDB's %z parsing rolls 30 February over to March, so the date
        -- part is checked on its own first
        when regexp_matches({{ s }}, '([+-][0-9]{2}:?[0-9]{2}|Z)$')
             and try_strptime(substr({{ s }}, 1, 10), '%Y-%m-%d') is not null
            then timezone({{ tz }}, try_strptime(regexp_replace({{ s }}, 'Z$', '+00:00'),
                ['%Y-%m-%dT%H:%M:%S.%g%z', '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z',
                 '%Y-%m-%dT%H:%M:%S.%f%z']))
        when regexp_matches({{ s }}, '([+-][0-9]{2}:?[0-9]{2}|Z)$') then null
        -- try the formats only on text shaped like a date: a failing try costs every format
        when not regexp_matches({{ s }}, '^[0-9]{4}[-/.]?[0-9]{1,2}[-/.]?[0-9]{1,2}') then null
        else try_strptime({{ s }},
                ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y/%m/%d %H:%M:%S', '%Y-%m-%d %H:%M',
                 '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M:%S.%g', '%Y-%m-%dT%H:%M:%S.%g', '%Y-%m-%d',
                 '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d'])
    end
{%- endmacro %}

{#- A calendar date (birthdays, join dates); a bare year is not a date (see birth_year). -#}
{% macro parse_date(expr) -%}
    cast({{ parse_local_timestamp(expr) }} as date)
{%- endmacro %}

{#- A birth date: a calendar date in the years 1900 to 2100. Outside them (9999-12-31, 0001-01-01:
    a system's "unknown") it is no birth date: NULL, the raw text kept beside it in staging. -#}
{% macro parse_birth_date(expr) -%}
    case when year({{ parse_date(expr) }}) between 1900 and 2100 then {{ parse_date(expr) }} end
{%- endmacro %}

{#- The birth year: from a birth date, or from a bare 4-digit year, 1900 to 2100. -#}
{% macro parse_birth_year(expr) -%}
    case
        when {{ regexp_full_match("trim(" ~ expr ~ ")", "'(19[0-9]{2}|20[0-9]{2}|2100)'") }}
            then cast(trim({{ expr }}) as integer)
        else year({{ parse_birth_date(expr) }})
    end
{%- endmacro %}
