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

{#- Spark: the same formats in Spark's patterns. Single letters for month, day, hour, minute
    and second read one or two digits, as DuckDB's %m, %d, %H, %M and %S do ('MM' would drop
    "1996/5/18" silently); 'SSS' reads one to three digits of a fraction (DuckDB's %g), 'SSSSSS'
    one to six (%g or %f, which DuckDB tries with an offset). Spark's TIMESTAMP is
    an instant shown in the session's zone, so the result is a TIMESTAMP_NTZ (a wall-clock
    time, as DuckDB's TIMESTAMP), and an instant becomes the wall clock of local_timezone
    through from_utc_timestamp, which reads the instant in the session's zone: the generated
    profile pins spark.sql.session.timeZone to UTC (orchestration/warehouse/dbt_profile.py). -#}
{% macro default__parse_local_timestamp(expr) -%}
    {%- set s = "trim(" ~ expr ~ ")" -%}
    {%- set tz = "'" ~ var('local_timezone') ~ "'" -%}
    case
        when {{ s }} is null or {{ s }} = '' then null
        when {{ s }} rlike '^[0-9]{13}$'
            then cast(from_utc_timestamp(timestamp_millis(cast({{ s }} as bigint)), {{ tz }}) as timestamp_ntz)
        when {{ s }} rlike '^[0-9]{10}$'
            then cast(from_utc_timestamp(timestamp_seconds(cast({{ s }} as bigint)), {{ tz }}) as timestamp_ntz)
        when {{ s }} rlike '([+-][0-9]{2}:?[0-9]{2}|Z)$'
             and try_to_timestamp(substr({{ s }}, 1, 10), 'yyyy-MM-dd') is not null
            then cast(from_utc_timestamp(coalesce(
                {%- for f in ["yyyy-M-d'T'H:m:s.SSSSSSXXX", "yyyy-M-d'T'H:m:sXXX", "yyyy-M-d H:m:sXXX",
                              "yyyy-M-d'T'H:m:s.SSSSSSXX", "yyyy-M-d'T'H:m:sXX", "yyyy-M-d H:m:sXX"] %}
                try_to_timestamp({{ s }}, "{{ f }}"){{ ',' if not loop.last }}
                {%- endfor %}), {{ tz }}) as timestamp_ntz)
        when {{ s }} rlike '([+-][0-9]{2}:?[0-9]{2}|Z)$' then null
        when not {{ s }} rlike '^[0-9]{4}[-/.]?[0-9]{1,2}[-/.]?[0-9]{1,2}' then null
        else cast(coalesce(
            {%- for f in ["yyyy-M-d H:m:s", "yyyy-M-d'T'H:m:s", "yyyy/M/d H:m:s", "yyyy-M-d H:m",
                          "yyyy/M/d H:m", "yyyy-M-d H:m:s.SSS", "yyyy-M-d'T'H:m:s.SSS", "yyyy-M-d",
                          "yyyy/M/d", "yyyyMMdd", "yyyy.M.d"] %}
            try_to_timestamp({{ s }}, "{{ f }}"){{ ',' if not loop.last }}
            {%- endfor %}) as timestamp_ntz)
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
