{#- The two-dimension cross table of portrait_cross, per segment (newest snapshot). -#}
with members as (
    select * from {{ ref('int_segment_member_dimensions') }}
),

counts as (
    {{ portrait_cross_counts('members', by=['segment_key']) }}
)

select
    counts.segment_key,
    counts.dimension_a,
    counts.value_a,
    coalesce(labels_a.value_label, counts.value_a, '未知') as value_label_a,
    counts.dimension_b,
    counts.value_b,
    coalesce(labels_b.value_label, counts.value_b, '未知') as value_label_b,
    counts.customers,
    cast(counts.customers as {{ type_double() }})
        / sum(counts.customers) over (partition by counts.segment_key, counts.dimension_a, counts.dimension_b) as share
from counts
left join {{ source('model_tags', 'tag_value_labels') }} as labels_a
    on labels_a.tag_key = counts.dimension_a and labels_a.value = counts.value_a
left join {{ source('model_tags', 'tag_value_labels') }} as labels_b
    on labels_b.tag_key = counts.dimension_b and labels_b.value = counts.value_b
