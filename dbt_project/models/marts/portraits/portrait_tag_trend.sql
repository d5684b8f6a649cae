{#- Customers per value of every enumerated and boolean tag on every snapshot of the history:
    the customer state, lifecycle stage, RFM segment ... over time. -#}
select
    history.as_of_date,
    history.tag_key,
    history.value,
    coalesce(history.value_label, history.value, '未知') as value_label,
    count(*) as customers
from {{ ref('customer_tag_history') }} as history
inner join {{ source('model_tags', 'tag_catalogue') }} as catalogue
    on catalogue.tag_key = history.tag_key and catalogue.tracks_changes
group by history.as_of_date, history.tag_key, history.value, coalesce(history.value_label, history.value, '未知')
