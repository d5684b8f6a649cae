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

{#- clean_text for what people read: names, addresses, company names. Control characters (NUL,
    ESC ...), the direction overrides that make text read backwards on screen (U+202A-202E,
    U+2066-2069) and zero-width characters are removed too: they hide nothing a person typed,
    and '\u202e王伟' must be the name 王伟 (and mask as 王*, not '\u202e**'). Not on every
    field: one more regular expression over each of tens of millions of event ids costs seconds. -#}
{% macro clean_person_text(expr) -%}
    {{ clean_text(regexp_replace_all(expr, invisible_characters_pattern(), "''")) }}
{%- endmacro %}

{#- Characters clean_person_text removes (RE2 and Java regex alike): C0 controls but tab, line feed and
    carriage return (white space, collapsed), DEL and C1 controls, zero-width spaces and joiners,
    direction marks, embeddings, overrides and isolates, the byte-order mark. -#}
{% macro invisible_characters_pattern() -%}
    {{ text_literal('[\\x{0000}-\\x{0008}\\x{000B}\\x{000C}\\x{000E}-\\x{001F}\\x{007F}-\\x{009F}\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}\\x{2060}-\\x{2069}\\x{FEFF}]') }}
{%- endmacro %}
