{#- The make-up of the customers on the newest tag snapshot: for each portrait dimension
    (city, province, city tier, industry, level, lead source, RFM segment, state, lifecycle
    stage, age band, gender, value class, churn risk, preferred category and channel:
    macros/portraits/portraits.sql) the customers per value, their share, and the
    value's Chinese label (未知 for a missing value). -#}
with dims as (
    select * from {{ ref('int_customer_portrait_dimensions') }}
),

counts as (
    {{ portrait_counts('dims') }}
),

total as (
    select count(*) as customers, max(as_of_date) as as_of_date from dims
)

select
    total.as_of_date,
    counts.dimension,
    counts.dimension_name,
    counts.value,
    coalesce(labels.value_label, counts.value, '未知') as value_label,
    counts.customers,
    cast(counts.customers as {{ type_double() }}) / total.customers as share
from counts
cross join total
left join {{ source('model_tags', 'tag_value_labels') }} as labels
    on labels.tag_key = counts.dimension and labels.value = counts.value
