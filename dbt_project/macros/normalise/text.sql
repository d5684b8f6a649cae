{#- Text clean-up shared by every staging model. -#}

{#- Full-width ASCII letters, digits and the punctuation found in phone numbers and emails, and
    the ideographic space, to their half-width forms: Chinese input methods type both. -#}
{% macro fullwidth_to_halfwidth(expr) -%}
    {#- translate() walks its whole character list for every character: only call it on the
        rare strings that hold a full-width character at all. -#}
    case when {{ regexp_contains(expr, "'[！-～　]'") }} then translate({{ expr }}, '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＠．－＋（）＿＃／：，　', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@.-+()_#/:, ')
         else {{ expr }} end
{%- endmacro %}

{#- Trimmed, half-width, inner runs of white space collapsed to one; '' becomes NULL. -#}
{% macro clean_text(expr) -%}
    nullif(trim({{ regexp_replace_all(fullwidth_to_halfwidth(expr), "'[ \t\r\n]+'", "' '") }}), '')
{%- endmacro %}
