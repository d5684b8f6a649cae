{#- Text clean-up shared by every staging model. -#}

{#- Full-width ASCII letters, digits and the punctuation found in phone numbers and emails, and
    the ideographic space, to their half-width forms: Chinese input methods type both. -#}
{% macro fullwidth_to_halfwidth(expr) -%}
    translate({{ expr }}, '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＠．－＋（）＿＃／：，　', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@.-+()_#/:, ')
{%- endmacro %}

{#- Trimmed, half-width, inner runs of white space collapsed to one; '' becomes NULL. -#}
{% macro clean_text(expr) -%}
    nullif(trim({{ regexp_replace_all(fullwidth_to_halfwidth(expr), "'[ \t\r\n]+'", "' '") }}), '')
{%- endmacro %}
