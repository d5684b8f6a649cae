{#- Chinese phone numbers. Exports write them every way: "+86 138 1234 5678", "0086-13812345678",
    "138-1234-5678", full-width digits, landlines with area codes. We reduce to digits, strip the
    country prefix, and classify; E.164 ("+8613812345678") only for a number we trust, with its
    status beside it, never a silent guess. -#}

{#- Digits only, full-width digits included; NULL for NULL. -#}
{% macro cn_phone_digits(expr) -%}
    {{ regexp_replace_all(fullwidth_to_halfwidth(expr), "'[^0-9]'", "''") }}
{%- endmacro %}

{#- The national number: the digits without a 0086 / 86 country prefix. -#}
{% macro cn_national_digits(digits) -%}
    case
        when {{ digits }} like '0086%' then substr({{ digits }}, 5)
        when length({{ digits }}) = 13 and {{ digits }} like '861%' then substr({{ digits }}, 3)
        when length({{ digits }}) between 11 and 13 and {{ digits }} like '86%'
             and substr({{ digits }}, 3, 1) <> '1' then concat('0', substr({{ digits }}, 3))
        else {{ digits }}
    end
{%- endmacro %}

{#- Placeholders people type when they will not give a number. -#}
{% macro cn_phone_is_junk(national) -%}
    (
        {{ national }} = repeat(substr({{ national }}, 1, 1), length({{ national }}))
        or {{ regexp_full_match(national, "'1[3-9][0-9]0{8}'") }}
        or {{ national }} in ('12345678901', '01234567890', '13912345678', '18888888888')
    )
{%- endmacro %}

{#- missing | junk | mobile | landline | invalid -#}
{% macro cn_phone_status(raw, national) -%}
    case
        when {{ raw }} is null or trim({{ raw }}) = '' then 'missing'
        when {{ national }} is null or {{ national }} = '' then 'invalid'
        when {{ cn_phone_is_junk(national) }} then 'junk'
        when {{ regexp_full_match(national, "'1[3-9][0-9]{9}'") }} then 'mobile'
        when {{ regexp_full_match(national, "'0[1-9][0-9]{8,10}'") }} then 'landline'
        else 'invalid'
    end
{%- endmacro %}

{#- E.164 for a valid mobile or landline, else NULL. -#}
{% macro cn_phone_e164(status, national) -%}
    case
        when {{ status }} = 'mobile' then concat('+86', {{ national }})
        when {{ status }} = 'landline' then concat('+86', substr({{ national }}, 2))
    end
{%- endmacro %}

{#- For BI: 138****5678. -#}
{% macro mask_mobile(e164) -%}
    case when {{ e164 }} is not null
         then concat(substr({{ e164 }}, 4, 3), '****', substr({{ e164 }}, length({{ e164 }}) - 3, 4))
    end
{%- endmacro %}
