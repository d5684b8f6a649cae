{#- How the predictive scores of the newest tag snapshot are spread: churn probability and
    P(alive) in ten bands of 10 points, expected spend over the next 90 days in bands of powers
    of ten (the amount's own currency, so that one set of bands serves any price level). Per
    band the customers, their share of the customers with that score, and the sum of the score
    (for expected spend: the money the band is expected to bring). Customers without a score
    (no paid order: no model applies) are not counted. -#}
{%- set probabilities = [('churn_probability', '流失概率'), ('p_alive', '存活概率')] -%}
{%- set spend_bounds = [1, 10, 100, 1000, 10000, 100000] -%}
{%- set spend_labels = ['<1', '1–10', '10–100', '100–1,000', '1,000–10,000', '10,000–100,000', '≥100,000'] -%}
with customers as (
    select * from {{ ref('customer_360') }}
),

binned as (
    {%- for score, name in probabilities %}
    select
        '{{ score }}' as score,
        '{{ name }}' as score_name,
        case when {{ score }} >= 0.9 then 9 else cast(floor({{ score }} * 10) as integer) end as band,
        {{ score }} as score_value
    from customers
    where {{ score }} is not null
    union all
    {%- endfor %}
    select
        'expected_spend_90d' as score,
        '未来90天预期消费' as score_name,
        case
            {%- for bound in spend_bounds %}
            when expected_spend_90d < {{ bound }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ spend_bounds | length }}
        end as band,
        expected_spend_90d as score_value
    from customers
    where expected_spend_90d is not null
),

counted as (
    -- rounded: a sum of doubles depends on the order the rows arrive in, and a re-run must
    -- give the same table
    select score, score_name, band, count(*) as customers, round(sum(score_value), 4) as score_total
    from binned
    group by score, score_name, band
)

select
    (select max(as_of_date) from customers) as as_of_date,
    score,
    score_name,
    band,
    case
        when score = 'expected_spend_90d' then
            case band
                {%- for label in spend_labels %}
                when {{ loop.index0 }} then '{{ label }}'
                {%- endfor %}
            end
        else {{ dbt.concat(["cast(band * 10 as " ~ type_text() ~ ")", "'–'", "cast(band * 10 + 10 as " ~ type_text() ~ ")", "'%'"]) }}
    end as band_label,
    customers,
    cast(customers as {{ type_double() }}) / sum(customers) over (partition by score) as share,
    score_total
from counted
