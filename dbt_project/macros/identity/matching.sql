{#- Blocking rules: name -> the key two records must share to be compared. Several rules, so a
    pair whose one field is wrong still shares another, and rules that need no name (the flat,
    the birth date with the city, the identifiers) or no exact birth date (the name alone, with
    the city or the postcode), so that a pair with a screen name or a year-only birth date
    still meets (a name alone is a block only while no more than identity_max_name_block_size
    records hold it: a rare name is how a weak record finds its person). Rules on a postcode or a street with only a name part or a birth year were tried and
    dropped: a postcode covers a district, so at 100,000 customers they made 60 % of all
    candidate pairs and found no true pair the other rules missed (and on FEBRL3 0.3 %). -#}
{% macro identity_blocking_rules() -%}
    {%- set text = type_text() -%}
    {%- set rules = {
        'name': ['name_key'],
        'name_birth_year': ['name_key', 'cast(birth_year as ' ~ text ~ ')'],
        'family_birth_date': ['family_key', 'cast(birth_date as ' ~ text ~ ')'],
        'given_birth_date': ['given_key', 'cast(birth_date as ' ~ text ~ ')'],
        'name_city': ['name_key', 'city'],
        'name_postcode': ['name_key', 'postcode'],
        'birth_date_city': ['cast(birth_date as ' ~ text ~ ')', 'city'],
        'address': ['address_key'],
        'mobile': ['mobile'],
        'email': ['email'],
        'id_number': ['id_number'],
    } -%}
    {%- set keys = {} -%}
    {%- for rule, parts in rules.items() -%}{%- do keys.update({rule: identity_block_key(parts)}) -%}{%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- A blocking key from its parts: NULL when any part is NULL. concat() skips a NULL on DuckDB
    (and gives NULL on Spark), so concat(name_key, '|', postcode) without a postcode would be
    the name alone: a key of another rule, blocks of strangers sharing a name anywhere. -#}
{% macro identity_block_key(parts) -%}
    {%- if parts | length == 1 -%}
    {{ parts[0] }}
    {%- else -%}
    case when {% for part in parts %}{{ part }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
         then concat({{ parts | join(", '|', ") }}) end
    {%- endif -%}
{%- endmacro %}

{#- Training sessions for the m probabilities (as Splink recommends): expectation-maximisation
    on the pairs one blocking rule found, ignoring the comparisons that rule makes agree by
    construction (and those tied to them). Each comparison's m is the mean over the sessions
    that estimate it, weighted by the matching pairs each found, so the data set decides which
    rules teach what (a data set without phones learns from names, dates and addresses); every
    comparison must be estimated by at least one session. -#}
{% macro identity_training_sessions() -%}
    {{ return({
        'name_birth_year': ['name', 'birth'],
        'mobile': ['mobile'],
        'address': ['address', 'postcode', 'city'],
        'birth_date_city': ['birth', 'city'],
        'name_city': ['name', 'city'],
        'id_number': ['id_number'],
    }) }}
{%- endmacro %}

{#- The Fellegi-Sunter comparisons: for every compared field, graded agreement levels (the
    highest level is the strongest agreement; NULL when either record lacks the field, which
    then counts neither for nor against a match). -#}
{% macro identity_comparisons() -%}
    {{ return([
        {'name': 'name', 'levels': [
            [4, 'same name in hanzi'],
            [3, 'same name key: pinyin, either order, homophone typos'],
            [2, 'similar names: the name keys, or the family and given names each, in either order (similarity >= ' ~ var('identity_name_similarity') ~ ')'],
            [1, 'the same family name or the same given name, the other different'],
            [0, 'different names']]},
        {'name': 'birth', 'levels': [
            [3, 'same birth date'],
            [2, 'birth dates one transposition apart, or day and month swapped'],
            [1, 'same birth year only'],
            [0, 'different birth years']]},
        {'name': 'gender', 'levels': [[1, 'same gender'], [0, 'different genders']]},
        {'name': 'city', 'levels': [[1, 'same city'], [0, 'different cities']]},
        {'name': 'address', 'levels': [
            [2, 'same street and numbers'],
            [1, 'same street and house number'],
            [0, 'different addresses']]},
        {'name': 'postcode', 'levels': [[1, 'same postcode'], [0, 'different postcodes']]},
        {'name': 'mobile', 'levels': [[1, 'same mobile'], [0, 'different mobiles']]},
        {'name': 'email', 'levels': [[1, 'same e-mail'], [0, 'different e-mails']]},
        {'name': 'id_number', 'levels': [[1, 'same id number'], [0, 'different id numbers']]}
    ]) }}
{%- endmacro %}

{#- The comparison vector of two aliased int_identity_records rows, one column g_<name> each. -#}
{% macro identity_gamma_columns(a, b) -%}
    {%- set sim = var('identity_name_similarity') %}
    case when {{ a }}.name_key is null or {{ b }}.name_key is null then null
         when {{ a }}.name_hanzi = {{ b }}.name_hanzi then 4
         when {{ a }}.name_key = {{ b }}.name_key then 3
         -- a nickname that looks like a name (安然) is evidence when it agrees, never against
         when {{ a }}.legal_name_key is null or {{ b }}.legal_name_key is null then null
         when {{ string_similarity(a ~ '.name_key', b ~ '.name_key') }} >= {{ sim }}
              or ({{ string_similarity(a ~ '.family_key', b ~ '.family_key') }} >= {{ sim }}
                  and {{ string_similarity(a ~ '.given_key', b ~ '.given_key') }} >= {{ sim }})
              or ({{ string_similarity(a ~ '.family_key', b ~ '.given_key') }} >= {{ sim }}
                  and {{ string_similarity(a ~ '.given_key', b ~ '.family_key') }} >= {{ sim }}) then 2
         -- the same family name, or the same given name, in the same role (李 the family name of
         -- one and 丽 the given name of the other is no agreement)
         when {{ a }}.family_key = {{ b }}.family_key or {{ a }}.given_key = {{ b }}.given_key then 1
         else 0 end as g_name,
    case when {{ a }}.birth_year is null or {{ b }}.birth_year is null then null
         when {{ a }}.birth_date = {{ b }}.birth_date then 3
         -- one substitution or transposition apart (or day and month swapped) leaves the year,
         -- or the month and the day, the same: that cheap test first spares most pairs the edit distance
         when {{ a }}.birth_date is not null and {{ b }}.birth_date is not null
              and (year({{ a }}.birth_date) = year({{ b }}.birth_date)
                   or (month({{ a }}.birth_date) = month({{ b }}.birth_date) and day({{ a }}.birth_date) = day({{ b }}.birth_date)))
              and ({{ transposition_distance('cast(' ~ a ~ '.birth_date as ' ~ type_text() ~ ')', 'cast(' ~ b ~ '.birth_date as ' ~ type_text() ~ ')') }} <= 1
                   or (month({{ a }}.birth_date) = day({{ b }}.birth_date) and day({{ a }}.birth_date) = month({{ b }}.birth_date)
                       and year({{ a }}.birth_date) = year({{ b }}.birth_date))) then 2
         when {{ a }}.birth_year = {{ b }}.birth_year then 1
         else 0 end as g_birth,
    {{ identity_equality_gamma(a, b, 'gender') }},
    {{ identity_equality_gamma(a, b, 'city') }},
    case when {{ a }}.address_key is null or {{ b }}.address_key is null then null
         when {{ a }}.address_key = {{ b }}.address_key then 2
         when split_part({{ a }}.address_key, '-', 1) = split_part({{ b }}.address_key, '-', 1) then 1
         else 0 end as g_address,
    {{ identity_equality_gamma(a, b, 'postcode') }},
    {{ identity_equality_gamma(a, b, 'mobile') }},
    {{ identity_equality_gamma(a, b, 'email') }},
    {{ identity_equality_gamma(a, b, 'id_number') }}
{%- endmacro %}

{#- Two-level comparison: 1 equal, 0 different, NULL when a side lacks the field. -#}
{% macro identity_equality_gamma(a, b, column) -%}
    case when {{ a }}.{{ column }} is null or {{ b }}.{{ column }} is null then null
         when {{ a }}.{{ column }} = {{ b }}.{{ column }} then 1 else 0 end as g_{{ column }}
{%- endmacro %}

{#- The starting m of level number `index` (0 = strongest) of a comparison with n levels:
    0.9 for the strongest, the rest shared equally. EM starts from it; a level no training
    session can estimate keeps it. -#}
{% macro identity_m_start(index, n) -%}
    {{ 0.9 if index == 0 else (0.1 / (n - 1)) }}
{%- endmacro %}

{#- Sum over the comparisons of ln(p) for the level each pattern row is at, where the
    probability of level l of comparison c is column <prefix>_<c>_<l> of alias p. -#}
{% macro identity_log_probability(prefix, p, skip=[]) -%}
    {%- for c in identity_comparisons() if c.name not in skip %}
    + case g_{{ c.name }}
        {%- for level in c.levels %} when {{ level[0] }} then ln({{ p }}.{{ prefix }}_{{ c.name }}_{{ level[0] }}){% endfor %}
        else 0 end
    {%- endfor %}
{%- endmacro %}

{#- The same for rows of several training sessions (column session): a comparison that a
    session's blocking rule forces to agree counts nothing in that session. -#}
{% macro identity_session_log_probability(prefix, p, sessions, session_column='session') -%}
    {%- for c in identity_comparisons() %}
    {%- set covering = [] %}
    {%- for session, covered in sessions.items() if c.name in covered %}{% do covering.append(session) %}{% endfor %}
    + case {% if covering %}when {{ session_column }} in ('{{ covering | join("', '") }}') then 0 {% endif %}
        {%- for level in c.levels %} when g_{{ c.name }} = {{ level[0] }} then ln({{ p }}.{{ prefix }}_{{ c.name }}_{{ level[0] }}){% endfor %}
        else 0 end
    {%- endfor %}
{%- endmacro %}

{#- Long (comparison, level, value) rows to one row with a column <prefix>_<c>_<l> each. -#}
{% macro identity_pivot_levels(relation, value_column, prefix) -%}
    select
        {%- for c in identity_comparisons() %}{% set outer = loop %}
        {%- for level in c.levels %}
        max(case when comparison = '{{ c.name }}' and level = {{ level[0] }} then {{ value_column }} end)
            as {{ prefix }}_{{ c.name }}_{{ level[0] }}{% if not (outer.last and loop.last) %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#- A sum that does not depend on the order rows are added in (parallel engines add in any
    order, and floating-point addition is not associative): each term rounded to 1e-12 as a
    decimal, added exactly. -#}
{% macro exact_sum(expr) -%}
    sum(cast(round({{ expr }}, 12) as decimal(38, 12)))
{%- endmacro %}

{#- The band of a name's record count for int_identity_name_frequency_weights: 0 for a name on
    2 records, 1 for 3-4, 2 for 5-8, 3 for 9-16, ... (a name on one record has no pairs). -#}
{% macro identity_name_count_band(n_records) -%}
    cast(floor(ln(greatest({{ n_records }} - 1, 1)) / ln(2.0) + 1e-9) as integer)
{%- endmacro %}

{#- The test of personal agreement a probabilistic link must also pass, on the comparison levels
    `g_*` of relation `p` ('' for unqualified columns): the name, the id number or the e-mail, a
    similar name with the birth date (or, where `both_latin` holds, a similar spelling being a
    typo, with the address or the postcode), or the birth date with the flat, the postcode or
    the phone; and two different legal names never without an id number or an e-mail.
    With both_latin 'true' it is the superset int_identity_edges_probabilistic scores. -#}
{% macro identity_personal_agreement(p, both_latin) -%}
    ({{ p }}g_name is null or {{ p }}g_name > 0 or {{ p }}g_id_number = 1 or {{ p }}g_email = 1)
    and ({{ p }}g_name >= 3 or {{ p }}g_id_number = 1 or {{ p }}g_email = 1
         or ({{ p }}g_name = 2 and {{ p }}g_birth >= 2)
         or ({{ p }}g_name = 2 and {{ both_latin }} and ({{ p }}g_address >= 1 or {{ p }}g_postcode = 1))
         or ({{ p }}g_birth >= 2 and ({{ p }}g_address >= 1 or {{ p }}g_postcode = 1 or {{ p }}g_mobile = 1)))
{%- endmacro %}
