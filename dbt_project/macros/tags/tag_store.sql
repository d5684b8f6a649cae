{#- The tag store's building blocks. -#}

{#- The fact tags by value type, in the order of config/tags.yml. One list, used by the history
    (unpivot) and by customer_360 (pivot); the completeness test on customer_tags fails when
    it and the catalogue disagree. -#}
{% macro fact_tag_columns() -%}
{{ return({
    'text': ['gender', 'age_band', 'city', 'province', 'city_tier', 'top_category', 'preferred_channel'],
    'integer': ['age', 'birth_month', 'paid_orders_total', 'paid_orders_30d', 'paid_orders_90d',
                'paid_orders_365d', 'days_since_last_order', 'distinct_categories', 'views_30d',
                'views_90d', 'favourites_30d', 'favourites_90d', 'add_to_cart_30d', 'add_to_cart_90d',
                'active_days_30d', 'active_days_90d', 'referrals_365d'],
    'amount': ['net_amount_total', 'net_amount_30d', 'net_amount_90d', 'net_amount_365d', 'avg_order_value'],
    'ratio': ['refund_ratio'],
    'date': ['first_order_date', 'last_order_date'],
}) }}
{%- endmacro %}

{#- The model tags: key -> (model table, value expression, numeric expression, inputs as
    [name, expression] pairs). Expressions are over the model table aliased m. -#}
{% macro model_tag_columns() -%}
{{ return({
    'rfm_segment': ('rfm', 'm.segment_code', 'null', [
        ['status', 'm.status'], ['recency_days', 'm.recency_days'], ['frequency', 'm.frequency'],
        ['monetary', 'm.monetary'], ['r_score', 'm.r_score'], ['f_score', 'm.f_score'],
        ['m_score', 'm.m_score'], ['r_high', 'm.r_high'], ['f_high', 'm.f_high'], ['m_high', 'm.m_high'],
        ['r_threshold', 'm.r_threshold'], ['f_threshold', 'm.f_threshold'], ['m_threshold', 'm.m_threshold']]),
    'rfm_r_score': ('rfm', 'm.r_score', 'm.r_score', [['recency_days', 'm.recency_days'], ['threshold', 'm.r_threshold']]),
    'rfm_f_score': ('rfm', 'm.f_score', 'm.f_score', [['frequency', 'm.frequency'], ['threshold', 'm.f_threshold']]),
    'rfm_m_score': ('rfm', 'm.m_score', 'm.m_score', [['monetary', 'm.monetary'], ['threshold', 'm.m_threshold']]),
    'loyalty_score': ('loyalty', 'm.loyalty_score', 'm.loyalty_score', [
        ['active_periods', 'm.active_periods'], ['n_periods', 'm.n_periods'], ['period_days', 'm.period_days']]),
    'customer_state': ('customer_state', 'm.state', 'null', [
        ['days_since_last_order', 'm.days_since_last_order'], ['cycle_days', 'm.cycle_days'],
        ['cycle_source', 'm.cycle_source'], ['cycle_ratio', 'm.cycle_ratio']]),
    'lifecycle_stage': ('lifecycle_stage', 'm.stage', 'null', [
        ['paid_orders_total', 'm.paid_orders_total'], ['is_member', 'm.is_member'],
        ['referrals_365d', 'm.referrals_365d'], ['has_contact', 'm.has_contact'], ['events_total', 'm.events_total']]),
    'value_class': ('value_class', 'm.value_class', 'null', [
        ['revenue', 'm.revenue'], ['revenue_share_before', 'm.revenue_share_before'], ['window_days', 'm.window_days']]),
    'p_alive': ('clv', 'round(m.p_alive, 6)', 'm.p_alive', [
        ['frequency', 'm.frequency'], ['recency', 'm.recency'], ['t_days', 'm.t_days'], ['model_version', 'm.model_version']]),
    'expected_purchases_30d': ('clv', 'round(m.expected_purchases_30d, 6)', 'm.expected_purchases_30d', [['model_version', 'm.model_version']]),
    'expected_purchases_90d': ('clv', 'round(m.expected_purchases_90d, 6)', 'm.expected_purchases_90d', [['model_version', 'm.model_version']]),
    'expected_purchases_180d': ('clv', 'round(m.expected_purchases_180d, 6)', 'm.expected_purchases_180d', [['model_version', 'm.model_version']]),
    'expected_spend_90d': ('clv', 'round(m.expected_spend_90d, 2)', 'm.expected_spend_90d', [['model_version', 'm.model_version']]),
    'churn_probability': ('churn', 'round(m.churn_probability, 6)', 'm.churn_probability', [['model_version', 'm.model_version']]),
    'churn_risk': ('churn', 'm.churn_risk', 'null', [
        ['churn_probability', 'm.churn_probability'], ['model_version', 'm.model_version']]),
}) }}
{%- endmacro %}

{#- A JSON object (as text) of [name, expression] pairs: the inputs that explain a tag value,
    written as DuckDB's json_object writes it: a NULL stays as null, a double in its digits
    ('0.000372', where Spark's to_json writes 3.72E-4 and leaves NULL fields out). -#}
{% macro json_object_text(pairs) -%}
{{ return(adapter.dispatch('json_object_text')(pairs)) }}
{%- endmacro %}
{% macro default__json_object_text(pairs) -%}
concat('{'
    {%- for name, expr in pairs %}, '{{ '' if loop.first else ',' }}"{{ name }}":', coalesce({{ json_value_text(expr) }}, 'null')
    {%- endfor %}, '}')
{%- endmacro %}
{#- One value as JSON text (Spark): a double as DuckDB's JSON writes it (macros/spark/functions.sql),
    anything else through to_json. -#}
{% macro json_value_text(expr) -%}
case when typeof({{ expr }}) in ('double', 'float')
     then {{ default__value_text(expr, json=true) }}
     else regexp_extract(to_json(array({{ expr }})), '^\\[(.*)\\]$', 1) end
{%- endmacro %}
{% macro duckdb__json_object_text(pairs) -%}
cast(json_object({% for name, expr in pairs %}'{{ name }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor %}) as varchar)
{%- endmacro %}
