{#- Seeds on Spark: dbt-spark binds each value as text, and in session mode a missing value
    (None) arrives as the four letters 'None'. Here every value is written into the statement
    as a literal instead: NULL for a missing one, the text otherwise (text_literal), each cast
    to its column's type as dbt-spark does.
    dbt-spark reads the CSV with agate, which takes a cell holding just `null` for a missing
    value (dbt-duckdb reads the file with DuckDB and keeps the text): a seed that means the
    word writes it so that it is not alone in its cell (identity_blocklist: the pattern
    `(?i:null)`). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                  {%- set value = row[loop.index0] -%}
                  {%- if value is none -%}
                    cast(null as {{ type }})
                  {%- else -%}
                    cast({{ text_literal(value | string) }} as {{ type }})
                  {%- endif -%}
                  {%- if not loop.last %},{% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {% endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}
