{#- Deleting rows, and dbt's delete+insert incremental strategy, on every engine.

    DuckDB (and a Spark table in Delta or Iceberg) deletes rows in place. A plain Parquet table
    on Spark, the only kind a Spark without extra jars writes, has no DELETE: the table is
    rewritten with the rows that stay. That costs the whole table, where DuckDB's delete costs
    the rows deleted; it is correct first, and a model that needs it cheaper on Spark can be
    partitioned so that insert_overwrite replaces only its partitions.
    Most deletes of a daily run remove nothing (no landing file went away, no interval became
    empty), and a delete+insert whose new rows replace none only adds them: Spark is asked
    first (one scan, no write), the table is rewritten only when a row goes, and new rows that
    replace none are appended. A table left alone keeps its files, so the copy back into the
    DuckDB file (orchestration/warehouse/spark_copy.py) leaves it alone too. -#}

{#- Remove the rows of `relation` for which `condition` (SQL, may name the relation's columns
    qualified by the relation) is true; every row when it is none. Returns the statement to
    run (a hook or a materialization's main statement); on Spark it has already run the
    rewrite and returns the statement that drops its scratch table. -#}
{% macro delete_rows(relation, condition=none) -%}
    {{ return(adapter.dispatch('delete_rows', 'huaxiang')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition=none) -%}
delete from {{ relation }}{% if condition is not none %} where {{ condition }}{% endif %}
{%- endmacro %}

{% macro spark__delete_rows(relation, condition=none) -%}
    {%- set doomed = 'true' if condition is none else 'coalesce((' ~ condition ~ '), false)' -%}
    {%- set keep = spark_recover(relation) -%}
    {%- if execute and not spark_any_row(relation, doomed) -%}
        {{ return('drop table if exists ' ~ keep) }}
    {%- endif -%}
    {%- set kept -%}
        select * from {{ relation }} where not {{ doomed }}
    {%- endset -%}
    {{ return(spark_rewrite(relation, kept, recovered=true)) }}
{%- endmacro %}

{#- True when some row of `relation` satisfies `condition` (SQL over its columns): a scan that
    stops at the first such row, instead of a rewrite that would change nothing. -#}
{% macro spark_any_row(relation, condition) -%}
    {%- set found = run_query("select 1 from " ~ relation ~ " where " ~ condition ~ " limit 1") -%}
    {{ return(found.rows | length > 0) }}
{%- endmacro %}

{#- Replace the rows of `relation` by those `select_sql` returns, surviving a crash at any point:
    the rows are stored in a scratch table first, marked complete once written, then copied
    over the relation (Spark's insert overwrite removes the old files before writing the new:
    interrupted, it leaves the relation empty or partial). A run that finds a complete scratch
    table left by an interrupted one copies it over the relation first; an incomplete one was
    interrupted before the relation was touched, and is dropped. The overwrite is static, so it
    also clears partitions the new rows do not have (dbt-spark sets it dynamic for its
    partitioned insert_overwrite models). `recovered`: the caller ran spark_recover already.
    Returns the statement that drops the scratch table. -#}
{% macro spark_rewrite(relation, select_sql, recovered=false) -%}
    {%- set keep = spark_scratch(relation) if recovered else spark_recover(relation) -%}
    {%- if execute -%}
        {%- do run_query("create table " ~ keep ~ " using parquet as " ~ select_sql) -%}
        {%- do run_query("alter table " ~ keep ~ " set tblproperties ('huaxiang.complete' = 'true')") -%}
        {%- do run_query("insert overwrite table " ~ relation ~ " select * from " ~ keep) -%}
    {%- endif -%}
    drop table if exists {{ keep }}
{%- endmacro %}

{#- The scratch table of a rewrite of `relation`. -#}
{% macro spark_scratch(relation) -%}
    {{ return(relation.incorporate(path={"identifier": relation.identifier ~ "__huaxiang_keep"})) }}
{%- endmacro %}

{#- Finish or undo a rewrite of `relation` that a crash interrupted (spark_rewrite); returns
    the scratch table's relation. Called before the model's new rows are computed. -#}
{% macro spark_recover(relation) -%}
    {%- set keep = spark_scratch(relation) -%}
    {%- if execute -%}
        {%- do run_query("set spark.sql.sources.partitionOverwriteMode = STATIC") -%}
        {%- if spark_table_exists(keep) -%}
            {%- if spark_table_marked(keep, 'huaxiang.complete') -%}
                {%- do log("huaxiang: " ~ relation ~ ": an interrupted rewrite left its rows in " ~ keep ~ "; restoring them", info=true) -%}
                {%- do run_query("insert overwrite table " ~ relation ~ " select * from " ~ keep) -%}
            {%- endif -%}
            {%- do run_query("drop table " ~ keep) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(keep) }}
{%- endmacro %}

{#- dbt-spark knows append, merge (Delta, Iceberg, Hudi only) and insert_overwrite; the
    project's incremental models use delete+insert (replace the rows whose unique key comes
    again). These two override dbt-spark 1.11's macros of the same name (the root project's
    macros come first) to add it; everything else is theirs, unchanged. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
  {% set invalid_strategy_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    Expected one of: 'append', 'merge', 'insert_overwrite', 'microbatch', 'delete+insert'
  {%- endset %}
  {% set invalid_merge_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    You can only choose this strategy when file_format is set to 'delta' or 'iceberg' or 'hudi'
  {%- endset %}
  {% set invalid_insert_overwrite_endpoint_msg -%}
    Invalid incremental strategy provided: {{ raw_strategy }}
    You cannot use this strategy when connecting via endpoint
    Use the 'append' or 'merge' strategy instead
  {%- endset %}
  {% if raw_strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch', 'delete+insert'] %}
    {% do exceptions.raise_compiler_error(invalid_strategy_msg) %}
  {%-else %}
    {% if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] %}
      {% do exceptions.raise_compiler_error(invalid_merge_msg) %}
    {% endif %}
    {% if raw_strategy in ['insert_overwrite', 'microbatch'] and target.endpoint %}
      {% do exceptions.raise_compiler_error(invalid_insert_overwrite_endpoint_msg) %}
    {% endif %}
  {% endif %}
  {% do return(raw_strategy) %}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
  {%- if strategy == 'append' -%}
    {{ spark_append_sql(source, target) }}
  {%- elif strategy == 'insert_overwrite' -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
  {%- elif strategy == 'microbatch' -%}
    {%- if not config.get('partition_by') -%}
      {{ exceptions.raise_compiler_error("dbt-spark 'microbatch' incremental strategy requires a `partition_by` config.") }}
    {%- endif -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
  {%- elif strategy == 'merge' -%}
    {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
  {%- elif strategy == 'delete+insert' -%}
    {{ spark_delete_insert_sql(source, target, unique_key, incremental_predicates) }}
  {%- else -%}
    {%- do exceptions.raise_compiler_error("No known SQL for the incremental strategy provided: " ~ strategy) -%}
  {%- endif -%}
{% endmacro %}

{#- delete+insert as DuckDB does it: the new rows are computed and stored first (dbt-spark's
    source is a view of the model's query, which may read the target), then the target becomes
    its rows without those keys plus the new rows, in one rewrite (spark_rewrite). With no
    unique key nothing is deleted (as on DuckDB), and when no row of the target has a new row's
    key none is: either way the new rows are appended.
    The append survives a crash too (spark_insert_marked). -#}
{% macro spark_delete_insert_sql(source, target, unique_key, incremental_predicates) %}
  {%- set new_rows = spark_new_rows(target) -%}
  {%- set keys = [] if unique_key is none else ([unique_key] if unique_key is string else unique_key) -%}
  {%- set dest_cols_csv = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
  {%- if not keys -%}
    {{ return(spark_append_sql(source, target)) }}
  {%- endif -%}
  {%- if execute -%}
    {%- set conditions = [] -%}
    {%- set matches = [] -%}
    {%- for key in keys -%}
      {%- do matches.append("huaxiang_new." ~ key ~ " = " ~ target ~ "." ~ key) -%}
    {%- endfor -%}
    {%- do conditions.append("exists (select 1 from " ~ new_rows ~ " as huaxiang_new where " ~ matches | join(" and ") ~ ")") -%}
    {%- for predicate in (incremental_predicates or []) -%}
      {%- do conditions.append("(" ~ predicate | replace("DBT_INTERNAL_DEST", target | string)
                               | replace("DBT_INCREMENTAL_TARGET", target | string) ~ ")") -%}
    {%- endfor -%}
    {%- set replaced = "coalesce((" ~ conditions | join(" and ") ~ "), false)" -%}
    {%- set rows -%}
      select {{ dest_cols_csv }} from {{ target }} where not {{ replaced }}
      union all
      select {{ dest_cols_csv }} from {{ new_rows }}
    {%- endset -%}
    {%- do spark_recover(target) -%}
    {%- do spark_finish_append(target, new_rows) -%}
    {%- do run_query("create table " ~ new_rows ~ " using parquet as select * from " ~ source) -%}
    {%- if spark_any_row(target, replaced) -%}
      {%- do run_query(spark_rewrite(target, rows, recovered=true)) -%}
    {%- else -%}
      {#- no row of the target has a new row's key: the new rows are only added -#}
      {%- do spark_insert_marked(target, new_rows, dest_cols_csv) -%}
    {%- endif -%}
  {%- endif -%}
  drop table if exists {{ new_rows }}
{% endmacro %}

{#- dbt-spark's append strategy (`insert into` from the model's view), guarded against a crash
    as the append of delete+insert is: the new rows stored, then added by spark_insert_marked. -#}
{% macro spark_append_sql(source, target) %}
  {%- set new_rows = spark_new_rows(target) -%}
  {%- if execute -%}
    {%- do spark_finish_append(target, new_rows) -%}
    {%- do run_query("create table " ~ new_rows ~ " using parquet as select * from " ~ source) -%}
    {%- do spark_insert_marked(target, new_rows,
                               adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ')) -%}
  {%- endif -%}
  drop table if exists {{ new_rows }}
{% endmacro %}

{#- The stored new rows of an append into `target`. -#}
{% macro spark_new_rows(target) -%}
    {{ return(target.incorporate(path={"identifier": target.identifier ~ "__huaxiang_new"})) }}
{%- endmacro %}

{#- Add the stored `new_rows` to `target` with `insert into`, which adds files and keeps the old
    ones (none is not written at all: Spark would add an empty file, and the table would be
    copied back). Spark's append is not atomic: killed while it commits, it may have added some
    of its files and not others. So the stored rows are marked first and dropped after (by the
    caller's statement), and a run that finds them still marked makes the target what the
    append meant before anything else (spark_finish_append). -#}
{% macro spark_insert_marked(target, new_rows, dest_cols_csv) -%}
    {%- if spark_any_row(new_rows, 'true') -%}
      {%- do run_query("alter table " ~ new_rows ~ " set tblproperties ('huaxiang.appending' = 'true')") -%}
      {%- do run_query("insert into " ~ target ~ " select " ~ dest_cols_csv ~ " from " ~ new_rows) -%}
    {%- endif -%}
{%- endmacro %}

{#- Finish an append a crash cut short: when the stored new rows of `target` are still marked,
    the target becomes its rows less those the append had added, plus all of them (EXCEPT ALL
    takes out one row of the target for each stored row it equals: the stored rows carry the
    interrupted run's stamp, so only rows the append added can equal them), by the crash-safe
    rewrite. The stored rows are dropped either way. -#}
{% macro spark_finish_append(target, new_rows) -%}
    {%- if spark_table_marked(new_rows, 'huaxiang.appending') -%}
        {%- do log("huaxiang: " ~ target ~ ": an interrupted run was adding the rows of " ~ new_rows ~ "; adding them again", info=true) -%}
        {%- set cols = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
        {%- set rows -%}
            select {{ cols }} from (select {{ cols }} from {{ target }} except all select {{ cols }} from {{ new_rows }}) as kept
            union all
            select {{ cols }} from {{ new_rows }}
        {%- endset -%}
        {%- do run_query(spark_rewrite(target, rows)) -%}
    {%- endif -%}
    {%- do run_query("drop table if exists " ~ new_rows) -%}
{%- endmacro %}

{#- At the start of every dbt command (on-run-start): finish or undo every rewrite and append
    a crash cut short, before any model reads the tables it left (a fact table's watermark is
    read when the model is compiled, before its own hooks and statements run: computed over a
    half-written table, it would skip rows or add them twice). -#}
{% macro finish_interrupted_writes() -%}
    {{ return(adapter.dispatch('finish_interrupted_writes', 'huaxiang')()) }}
{%- endmacro %}

{% macro default__finish_interrupted_writes() %}{% endmacro %}

{% macro spark__finish_interrupted_writes() -%}
    {%- if execute -%}
        {%- set schemas = run_query("show databases").columns[0].values() -%}
        {%- for suffix in ('__huaxiang_keep', '__huaxiang_new') -%}
            {%- for schema in schemas -%}
                {%- for row in run_query("show tables in " ~ schema ~ " like '*" ~ suffix ~ "'").rows if not row[2] -%}
                    {%- set target = api.Relation.create(schema=schema, identifier=row[1][:-(suffix | length)], type='table') -%}
                    {%- if suffix == '__huaxiang_keep' -%}
                        {%- do spark_recover(target) -%}
                    {%- else -%}
                        {%- do spark_finish_append(target, spark_new_rows(target)) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- True when the table `relation` exists, asked of Spark, not of dbt's relation cache (which a
    drop by run_query leaves stale). -#}
{% macro spark_table_exists(relation) -%}
    {{ return(run_query("show tables in " ~ relation.schema ~ " like '" ~ relation.identifier ~ "'").rows | length > 0) }}
{%- endmacro %}

{#- True when the table `relation` exists and has the table property `mark` set to 'true'. -#}
{% macro spark_table_marked(relation, mark) -%}
    {%- if not spark_table_exists(relation) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for row in run_query("show tblproperties " ~ relation).rows if row[0] == mark and row[1] == 'true' -%}
        {%- do found.append(row) -%}
    {%- endfor -%}
    {{ return(found | length > 0) }}
{%- endmacro %}
