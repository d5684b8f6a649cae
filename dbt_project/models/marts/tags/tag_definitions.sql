{#- The tag catalogue (config/tags.yml and the rule tags of config/rule_tags): key, names, layer, value type, description, owner and
    the version hash of each tag's rule (its entry, its parameters, its code), plus how many
    customers carry a value on the newest as-of date. -#}
with coverage as (
    select tag_key, count(*) as customers, count(value) as customers_with_value
    from {{ ref('customer_tags') }}
    group by tag_key
)

select
    catalogue.tag_key,
    catalogue.name_zh,
    catalogue.name_en,
    catalogue.layer,
    catalogue.value_type,
    catalogue.source,
    catalogue.description,
    catalogue.owner,
    catalogue.tracks_changes,
    catalogue.rule_version,
    catalogue.position,
    catalogue.defined_in,
    catalogue.definition,
    coalesce(coverage.customers, 0) as customers,
    coalesce(coverage.customers_with_value, 0) as customers_with_value
from {{ source('model_tags', 'tag_catalogue') }} as catalogue
left join coverage on coverage.tag_key = catalogue.tag_key
