{#- Emails: trimmed, inner spaces removed, lower case. No provider-specific rewriting
    (dots in Gmail local parts and the like): that is a business decision, not normalisation. -#}
{% macro normalize_email(expr) -%}
    nullif(lower({{ regexp_replace_all(fullwidth_to_halfwidth(expr), "'[ \t\r\n]'", "''") }}), '')
{%- endmacro %}

{#- missing | junk | valid | invalid -#}
{% macro email_status(raw, email) -%}
    case
        when {{ email }} is null then 'missing'
        when {{ email }} in ('无', 'none', 'null', 'n/a', 'na', '-', 'test@test.com', 'test@example.com',
                            'a@a.com', 'xxx@xxx.com', '123@qq.com')
             or {{ email }} like 'test@%' or {{ email }} like '%@example.com' then 'junk'
        when {{ regexp_full_match(email, "'[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}'") }} then 'valid'
        else 'invalid'
    end
{%- endmacro %}
