{#- Chinese phone numbers. Exports write them every way: "+86 138 1234 5678", "0086-13812345678",
    "138-1234-5678", full-width digits, landlines with area codes. We reduce to digits, strip the
    country prefix, and classify; E.164 ("+8613812345678") only for a number we trust, with its
    status beside it, never a silent guess. -#}

{#- Digits only, full-width digits included; NULL for NULL. -#}
{% macro cn_phone_digits(expr) -%}
    {{ regexp_replace_all(fullwidth_to_halfwidth(expr), "'[^0-9]'", "''") }}
{%- endmacro %}

{#- The national number: the digits without a 0086 / 86 country prefix, and without the trunk
    '0' a switchboard or a long-distance call puts before a mobile (019159754951: twelve
    digits, and no area code is 01 followed by 3-9, Beijing's 010 being followed by 8). -#}
{% macro cn_national_digits(digits) -%}
    case
        when length({{ digits }}) = 12 and {{ digits }} like '01%' and substr({{ digits }}, 3, 1) between '3' and '9'
            then substr({{ digits }}, 2)
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

{#- The mobile numbers China has issued: libphonenumber's national pattern for CN mobiles
    (phonenumbers 9.0.43, 2026-11). A 1[3-9] number outside it (140-144, 146, 148, 149, 154,
    160, 163, 164, 168, 169, 179, 194; most of 161 and 174) was never issued to a person: it
    is 'invalid', not a mobile. tests/test_phone_property.py compares the two. -#}
{% macro cn_mobile_pattern() -%}
    '1(610[0-9]|740[0-5])[0-9]{6}|1([38][0-9]|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])[0-9]{8}'
{%- endmacro %}

{#- missing | junk | mobile | landline | invalid -#}
{% macro cn_phone_status(raw, national) -%}
    case
        when {{ raw }} is null or trim({{ raw }}) = '' then 'missing'
        when {{ national }} is null or {{ national }} = '' then 'invalid'
        when {{ cn_phone_is_junk(national) }} then 'junk'
        when {{ regexp_full_match(national, cn_mobile_pattern()) }} then 'mobile'
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

{#- Phone numbers of a source in another country than China (the sources file's `country`).
    Without a numbering plan per country we do not guess: a number written with its own
    country code ("+61 412 345 678", "(+1) 415-555-0100") is kept in E.164 as written, any
    other is 'unverified' (its digits stay in the raw column) and gets no E.164. Never +86. -#}

{#- missing | junk | international | unverified | invalid; `digits`: the number's digits. -#}
{% macro intl_phone_status(raw, digits) -%}
    case
        when {{ raw }} is null or trim({{ raw }}) = '' then 'missing'
        when {{ digits }} is null or {{ digits }} = '' then 'invalid'
        when {{ digits }} = repeat(substr({{ digits }}, 1, 1), length({{ digits }})) then 'junk'
        when {{ regexp_contains("trim(" ~ fullwidth_to_halfwidth(raw) ~ ")", "'^[(]?[+]'") }}
            then case when length({{ digits }}) between 8 and 15 and substr({{ digits }}, 1, 1) <> '0'
                      then 'international' else 'invalid' end
        when length({{ digits }}) between 5 and 15 then 'unverified'
        else 'invalid'
    end
{%- endmacro %}

{#- E.164 for a number that carries its own country code, else NULL. -#}
{% macro intl_phone_e164(status, digits) -%}
    case when {{ status }} = 'international' then concat('+', {{ digits }}) end
{%- endmacro %}

{#- For BI: 138****5678 (a Chinese number); +61****5678 (another country's: the first two
    digits and the last four; only the last four when the number is short). -#}
{% macro mask_mobile(e164) -%}
    case
        when {{ e164 }} like '+86%'
            then concat(substr({{ e164 }}, 4, 3), '****', substr({{ e164 }}, length({{ e164 }}) - 3, 4))
        when length({{ e164 }}) >= 12
            then concat(substr({{ e164 }}, 1, 3), '****', substr({{ e164 }}, length({{ e164 }}) - 3, 4))
        when {{ e164 }} is not null
            then concat('****', substr({{ e164 }}, length({{ e164 }}) - 3, 4))
    end
{%- endmacro %}

{#- The shapes mask_mobile writes (a regular expression, for tests). -#}
{% macro masked_mobile_pattern() -%}
    '1[0-9]{2}[*]{4}[0-9]{4}|([+][0-9]{2})?[*]{4}[0-9]{4}'
{%- endmacro %}
