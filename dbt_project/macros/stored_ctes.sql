{#- A query written as a chain of CTEs, some of which an engine must store before reading.

    DuckDB plans a chain of CTEs whose each link reads the one before (the 20 rounds of
    expectation-maximisation in int_identity_match_weights) in a second. Spark inlines every
    CTE into one plan: twenty nested aggregates, each carrying the expressions of all the ones
    below, ran out of a 6 GB driver after five minutes. There a CTE marked `stored` becomes a
    table of its own (the model's name, '__cte_', the CTE's name) built from the CTEs before it,
    and the links that follow read that table: each round is then a small plan. The model's
    post-hook drop_stored_ctes() drops them once the model is built. On DuckDB nothing is
    stored: the same query, one statement, as before.

    Use:
        {%- set ctes = [] %}
        {%- do cte(ctes, 'a', "select ...") %}
        {%- do cte(ctes, 'b', "select ... from a", stored=true) %}
        {{ with_ctes(ctes) }}
        select ... from b -#}

{% macro cte(ctes, name, sql, stored=false) -%}
    {%- set body = adapter.dispatch('stored_cte', 'huaxiang')(ctes, name, sql) if stored else sql -%}
    {%- do ctes.append({'name': name, 'sql': body}) -%}
{%- endmacro %}

{#- The `with` clause of the CTEs so far (nothing when there are none). -#}
{% macro with_ctes(ctes) -%}
{%- if ctes %}with
{% for c in ctes %}{{ c.name }} as (
{{ c.sql }}
){{ ',' if not loop.last }}
{% endfor %}
{%- endif -%}
{%- endmacro %}

{#- The body of a stored CTE: on DuckDB the query itself. -#}
{% macro default__stored_cte(ctes, name, sql) -%}
    {{ return(sql) }}
{%- endmacro %}

{% macro stored_cte_relation(name) -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__cte_" ~ name})) }}
{%- endmacro %}

{#- On Spark: the rows, stored now as a Parquet table (the CTEs before it as its `with`; Spark
    leaves out those the query does not read), and a query of that table. A table left by an
    interrupted run is replaced. -#}
{% macro spark__stored_cte(ctes, name, sql) -%}
    {%- set relation = stored_cte_relation(name) -%}
    {%- if execute -%}
        {%- do run_query("drop table if exists " ~ relation) -%}
        {%- do run_query("create table " ~ relation ~ " using parquet as\n" ~ with_ctes(ctes) ~ "\n" ~ sql) -%}
    {%- endif -%}
    {{ return("select * from " ~ relation) }}
{%- endmacro %}

{#- A post-hook: drop the tables the model's stored CTEs left (none on DuckDB). -#}
{% macro drop_stored_ctes() -%}
    {{ return(adapter.dispatch('drop_stored_ctes', 'huaxiang')()) }}
{%- endmacro %}

{% macro default__drop_stored_ctes() %}{% endmacro %}

{% macro spark__drop_stored_ctes() -%}
    {%- if execute -%}
        {%- set pattern = stored_cte_relation('*') -%}
        {%- for row in run_query("show tables in " ~ pattern.schema ~ " like '" ~ pattern.identifier ~ "'").rows -%}
            {%- do run_query("drop table if exists " ~ pattern.schema ~ "." ~ row[1]) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
