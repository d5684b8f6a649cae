{#- The members of every segment on the newest snapshot of segment_members, with their
    portrait dimensions: the input of the per-segment portrait marts. -#}
{{ config(tags=['tag_store']) }}
select
    m.segment_key,
    d.*
from {{ ref('segment_members') }} as m
inner join {{ ref('int_customer_portrait_dimensions') }} as d on d.customer_id = m.customer_id
where m.as_of_date = (select max(as_of_date) from {{ ref('segment_members') }})
