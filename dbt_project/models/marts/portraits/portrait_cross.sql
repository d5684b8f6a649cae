{#- Two-dimension cross table of the customers on the newest tag snapshot: every pair of
    portrait dimensions (RFM segment x state, age band x gender, city tier x value class ...),
    customers per pair of values, their share of all customers and of the row (value_a). -#}
with dims as (
    select * from {{ ref('int_customer_portrait_dimensions') }}
),

counts as (
    {{ portrait_cross_counts('dims') }}
),

total as (
    select count(*) as customers, max(as_of_date) as as_of_date from dims
)

select
    total.as_of_date,
    counts.dimension_a,
    counts.value_a,
    coalesce(labels_a.value_label, counts.value_a, '未知') as value_label_a,
    counts.dimension_b,
    counts.value_b,
    coalesce(labels_b.value_label, counts.value_b, '未知') as value_label_b,
    counts.customers,
    cast(counts.customers as {{ type_double() }}) / total.customers as share,
    cast(counts.customers as {{ type_double() }})
        / sum(counts.customers) over (partition by counts.dimension_a, counts.dimension_b, counts.value_a) as share_of_row
from counts
cross join total
left join {{ source('model_tags', 'tag_value_labels') }} as labels_a
    on labels_a.tag_key = counts.dimension_a and labels_a.value = counts.value_a
left join {{ source('model_tags', 'tag_value_labels') }} as labels_b
    on labels_b.tag_key = counts.dimension_b and labels_b.value = counts.value_b
