{#- Identifiers of people: resident id numbers, addresses, names as comparison keys. -#}

{#- GB 11643 resident id number: 'valid' only with 18 characters, a real birth date in
    characters 7-14 and the ISO 7064 MOD 11-2 check character; else the reason. -#}
{% macro cn_id_number_status(expr) -%}
    {%- set weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] -%}
    case
        when {{ expr }} is null then 'missing'
        when not {{ regexp_full_match(expr, "'[0-9]{17}[0-9X]'") }} then 'malformed'
        when {{ parse_date("substr(" ~ expr ~ ", 7, 8)") }} is null then 'bad_birth_date'
        when substr('10X98765432', cast((
            {%- for w in weights %}coalesce(try_cast(substr({{ expr }}, {{ loop.index }}, 1) as integer), 0) * {{ w }}{% if not loop.last %} + {% endif %}{% endfor -%}
            ) % 11 as integer) + 1, 1) <> substr({{ expr }}, 18, 1) then 'bad_check_character'
        else 'valid'
    end
{%- endmacro %}

{#- GB 32100 unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z,
    the last one a MOD 31 check character. -#}
{% macro cn_credit_code_status(expr) -%}
    {%- set alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY' -%}
    {%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] -%}
    case
        when {{ expr }} is null then 'missing'
        when not {{ regexp_full_match(expr, "'[0-9A-HJ-NPQRTUWXY]{18}'") }} then 'malformed'
        when substr('{{ alphabet }}', cast((31 - (
            {%- for w in weights %}(instr('{{ alphabet }}', substr({{ expr }}, {{ loop.index }}, 1)) - 1) * {{ w }}{% if not loop.last %} + {% endif %}{% endfor -%}
            ) % 31) % 31 as integer) + 1, 1) <> substr({{ expr }}, 18, 1) then 'bad_check_character'
        else 'valid'
    end
{%- endmacro %}

{#- A company name without brackets, spaces and its legal-form suffix (有限公司, 股份有限公司,
    集团); int_company_name_keys also drops a leading city name. -#}
{% macro company_name_stem(expr) -%}
    nullif({{ regexp_replace_all(regexp_replace_all(expr, "'[ ()（）]'", "''"),
        "'(股份有限公司|有限责任公司|有限公司|集团有限公司|集团|公司)$'", "''") }}, '')
{%- endmacro %}

{#- An address reduced to the street and the numbers after it, for comparing addresses.
    Chinese (traditional characters made simplified first): province, city and district
    dropped, every run of non-digits after the street one '-' (人民路8号3栋2单元502室,
    人民路8号3-2-502 -> 人民路|8-3-2-502); the street is the text before the first digit once
    everything up to the district (区/县) or, failing that, the city (市) is gone.
    Latin script: lower case, the first two words of letters as the street and the numbers in
    their order ('7 Wallaby Place, Delmar', 'wallaby place 7' -> 'wallabyplace|7').
    NULL without a number: a street alone does not place a home. -#}
{% macro address_key(expr) -%}
    {%- set zh = to_simplified(expr) -%}
    {#- greedy: up to the last 区/县 before the first digit (新疆维吾尔自治区…西湖区 drops both) -#}
    {%- set local = regexp_replace_all(regexp_replace_all(zh, "'^[^0-9]*[区县]'", "''"), "'^[^0-9]*市'", "''") -%}
    {%- set words = "trim(" ~ regexp_replace_all(regexp_replace_all("lower(" ~ expr ~ ")", "'[^a-z]+'", "' '"), "' +'", "' '") ~ ")" -%}
    case
        when {{ expr }} is null or not {{ regexp_contains(expr, "'[0-9]'") }} then null
        when {{ regexp_contains(expr, "'[一-鿿]'") }} then
        concat(
            trim({{ regexp_replace_all(local, "'[0-9].*$'", "''") }}),
            '|',
            trim({{ regexp_replace_all(regexp_replace_all(regexp_replace_all(local, "'^[^0-9]*'", "''"), "'[^0-9]+'", "'-'"), "'-$'", "''") }})
        )
        when {{ words }} = '' then null
        else
        concat(
            concat(split_part({{ words }}, ' ', 1), split_part({{ words }}, ' ', 2)),
            '|',
            {{ regexp_replace_all(regexp_replace_all(regexp_replace_all(expr, "'^[^0-9]*'", "''"), "'[^0-9]+'", "'-'"), "'-$'", "''") }}
        )
    end
{%- endmacro %}

{#- A postcode as compared: six digits in China (anything else is a typo or junk); elsewhere
    letters and digits, upper case, without spaces and hyphens, 3 to 10 of them with a digit
    among them (2000, SW1A 1AA, 10115, 100-0001). -#}
{% macro normal_postcode(expr, country="'CN'") -%}
    {%- set compact = regexp_replace_all('upper(' ~ expr ~ ')', "'[ -]'", "''") -%}
    case when coalesce({{ country }}, 'CN') = 'CN'
         then case when {{ regexp_full_match(expr, "'[0-9]{6}'") }} then {{ expr }} end
         when {{ regexp_full_match(compact, "'[0-9A-Z]{3,10}'") }} and {{ regexp_contains(expr, "'[0-9]'") }}
         then {{ compact }}
    end
{%- endmacro %}

{#- Similarity of two strings in [0, 1] (1 = equal). -#}
{% macro string_similarity(a, b) -%}
    {{ return(adapter.dispatch('string_similarity', 'huaxiang')(a, b)) }}
{%- endmacro %}
{#- Spark has no Jaro-Winkler: the project's compiled function, DuckDB's to the last bit
    (orchestration/warehouse/spark_jar_src), or where a cluster cannot take the jar
    (var spark_jar_functions: false), the form in SQL below. -#}
{% macro spark__string_similarity(a, b) -%}
    {%- if var('spark_jar_functions', true) -%}
    {{ target.schema }}.huaxiang_jaro_winkler({{ a }}, {{ b }})
    {%- else -%}
    {{ default__string_similarity(a, b) }}
    {%- endif -%}
{%- endmacro %}
{#- DuckDB's Jaro-Winkler (jaro_winkler_similarity, after rapidfuzz) in SQL with higher-order
    functions (about 8 ms a pair on Spark), equal to it to 1e-9 on 26,600 test pairs with hanzi
    and accented letters among them (docs/spark.md; DuckDB fuses the Winkler step's
    multiply-add, which SQL cannot, so the last bit may differ). DuckDB compares UTF-8 bytes, not characters,
    so the strings are compared here as their bytes too (utf8_bytes_as_text).
    Jaro: each character of a is matched to the first unmatched equal character of b within
    max(len) / 2 - 1 places (an aggregate over a's positions, carrying b's matched flags and a's
    matched characters); t is half the matched characters out of order. Winkler: a common prefix
    of up to 4 characters adds 0.1 each of what is missing, when Jaro is above 0.7. An empty
    string is similar to nothing, itself included. -#}
{% macro default__string_similarity(a, b) -%}
    {%- set a = utf8_bytes_as_text(a) | trim -%}
    {%- set b = utf8_bytes_as_text(b) | trim -%}
    {#- s: each string once, as the array of its bytes; j: the match of a's i-th byte, once -#}
    {%- set l1 = 'size(s.ca)' -%}
    {%- set l2 = 'size(s.cb)' -%}
    {%- set window = 'greatest(cast(floor(greatest(' ~ l1 ~ ', ' ~ l2 ~ ') / 2) as int) - 1, 0)' -%}
    {%- set m = 'size(acc.chars)' -%}
    {%- set t = 'floor(size(filter(sequence(1, ' ~ m ~ '), p -> acc.chars[p - 1] != element_at(filter(s.cb, (c, k) -> acc.used[k]), p))) / 2)' -%}
    {%- set jaro = '(case when ' ~ m ~ ' = 0 then 0d else (' ~ m ~ ' / ' ~ l1 ~ ' + ' ~ m ~ ' / ' ~ l2 ~ ' + (' ~ m ~ ' - ' ~ t ~ ') / ' ~ m ~ ') / 3d end)' -%}
    {%- set n = 'least(4, ' ~ l1 ~ ', ' ~ l2 ~ ')' -%}
    (case when {{ a }} is null or {{ b }} is null then null
          when length({{ a }}) = 0 or length({{ b }}) = 0 then 0d
          else element_at(transform(
              array(named_struct('ca', transform(sequence(1, length({{ a }})), p -> substr({{ a }}, p, 1)),
                                 'cb', transform(sequence(1, length({{ b }})), p -> substr({{ b }}, p, 1)))),
              s -> aggregate(
                  sequence(1, {{ l1 }}),
                  named_struct('used', array_repeat(false, {{ l2 }}), 'chars', cast(array() as array<string>)),
                  (acc, i) -> element_at(transform(
                      array(try_element_at(filter(sequence(1, {{ l2 }}), k -> abs(k - i) <= {{ window }}
                                                  and not acc.used[k - 1] and s.cb[k - 1] = s.ca[i - 1]), 1)),
                      j -> named_struct(
                          'used', transform(acc.used, (f, q) -> f or coalesce(q + 1 = j, false)),
                          'chars', case when j is null then acc.chars else concat(acc.chars, array(s.ca[i - 1])) end)), 1),
                  acc -> element_at(transform(array({{ jaro }}), jr -> case when jr > 0.7d
                      then jr + coalesce(try_element_at(filter(sequence(1, {{ n }}), p -> s.ca[p - 1] != s.cb[p - 1]), 1) - 1,
                                         {{ n }}) * 0.1d * (1d - jr)
                      else jr end), 1))), 1)
     end)
{%- endmacro %}
{% macro duckdb__string_similarity(a, b) -%}
    jaro_winkler_similarity({{ a }}, {{ b }})
{%- endmacro %}

{#- Edit distance counting a swap of two neighbouring characters as one edit. -#}
{% macro transposition_distance(a, b) -%}
    {{ return(adapter.dispatch('transposition_distance', 'huaxiang')(a, b)) }}
{%- endmacro %}
{#- Spark has no Damerau-Levenshtein: the project's compiled function, DuckDB's exactly, or the
    form in SQL below (var spark_jar_functions). -#}
{% macro spark__transposition_distance(a, b) -%}
    {%- if var('spark_jar_functions', true) -%}
    {{ target.schema }}.huaxiang_damerau_levenshtein({{ a }}, {{ b }})
    {%- else -%}
    {{ default__transposition_distance(a, b) }}
    {%- endif -%}
{%- endmacro %}
{#- In SQL: exact up to 1 (equal, one edit, or one swap of neighbouring
    characters), which is all the project asks of it (`<= 1`); above 1, Levenshtein's distance,
    which is never smaller. Over UTF-8 bytes, as DuckDB's damerau_levenshtein counts. -#}
{% macro default__transposition_distance(a, b) -%}
    {%- set a = utf8_bytes_as_text(a) | trim -%}
    {%- set b = utf8_bytes_as_text(b) | trim -%}
    (case when {{ a }} = {{ b }} then 0
          when levenshtein({{ a }}, {{ b }}) = 1 then 1
          when length({{ a }}) >= 2 and length({{ a }}) = length({{ b }})
               and exists(sequence(1, length({{ a }}) - 1),
                          i -> concat(substr({{ a }}, 1, i - 1), substr({{ a }}, i + 1, 1), substr({{ a }}, i, 1),
                                      substr({{ a }}, i + 2)) = {{ b }}) then 1
          else levenshtein({{ a }}, {{ b }})
     end)
{%- endmacro %}
{% macro duckdb__transposition_distance(a, b) -%}
    damerau_levenshtein({{ a }}, {{ b }})
{%- endmacro %}

{#- Spark: a string's UTF-8 bytes as text, one character per byte (each byte read as Latin-1),
    for the functions DuckDB applies to bytes. -#}
{% macro utf8_bytes_as_text(expr) -%}
    decode(encode({{ expr }}, 'UTF-8'), 'ISO-8859-1')
{%- endmacro %}

{#- A customer id from its sequence number: HX000000042. -#}
{% macro customer_id_from_seq(seq) -%}
    concat('HX', lpad(cast({{ seq }} as {{ type_text() }}), 9, '0'))
{%- endmacro %}

{#- An unsalted, engine-independent e-mail hash for BI joins (md5 of the normalised address). -#}
{% macro hash_email(expr) -%}
    case when {{ expr }} is not null then {{ md5_text(expr) }} end
{%- endmacro %}

{#- A person's name for BI: the first character (the family name, usually) and a star for each
    other character (王**); a latin name keeps only its first letter, spaces stay (W*** ********). -#}
{% macro mask_person_name(expr) -%}
    case when {{ expr }} is not null
         then concat(substr({{ expr }}, 1, 1), {{ regexp_replace_all('substr(' ~ expr ~ ', 2)', "'[^ ]'", "'*'") }}) end
{%- endmacro %}

{#- The blocklist's patterns for one identifier type (and 'any') as one regular expression
    literal, read from the seed when the model runs: a constant pattern is compiled once,
    where a pattern taken from a joined column is compiled again for every row (30 s instead
    of 0.1 s per million values). NULL when there is none. -#}
{% macro identity_blocklist_regex(identifier_type) -%}
    {%- if execute -%}
        {%- set rows = run_query("select value from " ~ ref('identity_blocklist') ~ " where match_type = 'pattern' and identifier_type in ('" ~ identifier_type ~ "', 'any') order by value") -%}
        {%- set parts = [] -%}
        {%- for row in rows -%}{%- do parts.append('(' ~ row[0] ~ ')') -%}{%- endfor -%}
        {%- if parts -%}{{ text_literal(parts | join('|')) }}{%- else -%}cast(null as {{ type_text() }}){%- endif -%}
    {%- else -%}
        cast(null as {{ type_text() }})
    {%- endif -%}
{%- endmacro %}

{#- Traditional (and variant) characters turned simplified, one to one (陳娜 -> 陈娜), with the
    table of macro hanzi_traditional_table (3,563 characters, from OpenCC): compiled into the
    SQL as constants, so the character class and translation table are built once, not per
    row, and translate() runs only on the rare text that holds a traditional character. -#}
{% macro to_simplified(expr) -%}
    {{ return(adapter.dispatch('to_simplified', 'huaxiang')(expr)) }}
{%- endmacro %}
{% macro default__to_simplified(expr) -%}
    {%- set table = hanzi_traditional_table() -%}
    case when {{ regexp_contains(expr, "'[" ~ table.traditional ~ "]'") }}
         then translate({{ expr }}, '{{ table.traditional }}', '{{ table.simplified }}') else {{ expr }} end
{%- endmacro %}
{#- DuckDB's translate() builds its character map from the whole from-string on every call
    (about 0.2 ms for the 3,563 characters: 14 s for 62,541 addresses of the 1M sample), so
    it is given only the traditional characters the text holds, each with its simplified form
    looked up by position in the table: the same result for every character of the table. -#}
{% macro duckdb__to_simplified(expr) -%}
    {%- set table = hanzi_traditional_table() -%}
    {%- set found = "regexp_extract_all(" ~ expr ~ ", '[" ~ table.traditional ~ "]')" -%}
    case when {{ regexp_contains(expr, "'[" ~ table.traditional ~ "]'") }}
         then translate({{ expr }}, array_to_string({{ found }}, ''),
              array_to_string(list_transform({{ found }},
                  lambda c: substr('{{ table.simplified }}', instr('{{ table.traditional }}', c), 1)), ''))
         else {{ expr }} end
{%- endmacro %}

{#- The key of a name given in two columns (family name, given name) in int_identity_name_keys:
    'split:<family>|<given>', never equal to a name written in one column. -#}
{% macro split_name_ref(family, given) -%}
    case when {{ family }} is not null or {{ given }} is not null
         then concat('split:', coalesce({{ family }}, ''), '|', coalesce({{ given }}, '')) end
{%- endmacro %}
