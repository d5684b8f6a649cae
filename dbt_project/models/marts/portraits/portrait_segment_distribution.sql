{#- The make-up of each segment on its newest snapshot, beside all customers: per segment,
    dimension and value the members, their share of the segment, the share among all
    customers, and the lift (how much more common the value is in the segment). -#}
with members as (
    select * from {{ ref('int_segment_member_dimensions') }}
),

counts as (
    {{ portrait_counts('members', by=['segment_key']) }}
),

sizes as (
    select segment_key, count(*) as members from members group by segment_key
),

overall as (
    select dimension, value, share from {{ ref('portrait_distribution') }}
)

select
    counts.segment_key,
    counts.dimension,
    counts.dimension_name,
    counts.value,
    coalesce(labels.value_label, counts.value, '未知') as value_label,
    counts.customers,
    cast(counts.customers as {{ type_double() }}) / sizes.members as share,
    overall.share as share_of_all_customers,
    (cast(counts.customers as {{ type_double() }}) / sizes.members) / nullif(overall.share, 0) as lift
from counts
inner join sizes on sizes.segment_key = counts.segment_key
left join overall
    on overall.dimension = counts.dimension
   and coalesce(overall.value, '(null)') = coalesce(counts.value, '(null)')
left join {{ source('model_tags', 'tag_value_labels') }} as labels
    on labels.tag_key = counts.dimension and labels.value = counts.value
