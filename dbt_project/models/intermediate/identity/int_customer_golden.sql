{#- The golden record (internal: raw PII). One row per customer; each field is the value of one
    of the customer's records, chosen by that field's survivorship rule, and <field>_source
    names the record it came from (provenance). The rules (docs/identity.md):
      * name, gender: a legal name first; then the most trusted source (lowest priority
        number in config/sources.yml), then the most recently updated record;
      * birth date: a full date before a bare year; then source priority, then recency;
      * mobile, e-mail: a person key (not a family's shared phone) first; then source
        priority, then recency;
      * city, province, address, postcode: the most recently updated record first (people
        move), then source priority;
      * company: an enterprise contact record first, then recency;
      * level: source priority, then recency; lead source: the oldest record (first touch);
      * marketing consent (PIPL: an opt-out wins): false when any record refuses, else true
        when any record consents, else NULL; then the most recently updated such record.
    Ties end on the record key, so the choice is deterministic. -#}
{%- set recency = "coalesce(r.updated_at, r.created_at) desc nulls last" -%}
{%- set fields = [
    {'name': 'full_name', 'expr': 'r.display_name',
     'order': "case when r.legal_name_key is not null then 0 when r.full_name is not null then 1 else 2 end, r.source_priority, " ~ recency},
    {'name': 'gender', 'expr': 'r.gender', 'order': "r.source_priority, " ~ recency},
    {'name': 'birth_date', 'expr': 'r.birth_date', 'order': "r.source_priority, " ~ recency},
    {'name': 'birth_year', 'expr': 'r.birth_year',
     'order': "case when r.birth_date is not null then 0 else 1 end, r.source_priority, " ~ recency},
    {'name': 'mobile', 'expr': 'r.mobile',
     'order': "case when r.mobile_is_person_key then 0 else 1 end, r.source_priority, " ~ recency},
    {'name': 'email', 'expr': 'r.email',
     'order': "case when r.email_is_person_key then 0 else 1 end, r.source_priority, " ~ recency},
    {'name': 'id_number', 'expr': 'r.id_number', 'order': "r.source_priority, " ~ recency},
    {'name': 'city', 'expr': 'r.city', 'order': recency ~ ", r.source_priority"},
    {'name': 'province', 'expr': 'r.province', 'order': recency ~ ", r.source_priority"},
    {'name': 'address', 'expr': 'r.address', 'order': recency ~ ", r.source_priority"},
    {'name': 'postcode', 'expr': 'r.postcode', 'order': recency ~ ", r.source_priority"},
    {'name': 'company_name', 'expr': 'r.company_name',
     'order': "case when r.account_key is not null then 0 else 1 end, " ~ recency},
    {'name': 'level', 'expr': 'r.level', 'order': "r.source_priority, " ~ recency},
    {'name': 'lead_source', 'expr': 'r.lead_source', 'order': "r.created_at asc nulls last, r.source_priority"},
    {'name': 'marketing_consent', 'expr': 'r.marketing_consent',
     'order': "case when r.marketing_consent then 1 else 0 end, " ~ recency ~ ", r.source_priority"},
] -%}

with base as (
    select
        a.customer_id,
        r.*,
        v.address,
        v.company_name,
        v.level,
        v.lead_source,
        v.marketing_consent,
        mk.is_person_key as mobile_is_person_key,
        ek.is_person_key as email_is_person_key
    from {{ ref('int_identity_records') }} as r
    inner join {{ ref('int_customer_ids_assigned') }} as a on a.record_key = r.record_key
    left join {{ ref('int_customer_records_validated') }} as v on v.record_key = r.record_key and v.is_valid
    left join {{ ref('int_identity_keys') }} as mk
        on mk.record_key = r.record_key and mk.identifier_type = 'mobile'
    left join {{ ref('int_identity_keys') }} as ek
        on ek.record_key = r.record_key and ek.identifier_type = 'email'
),
{%- for f in fields %}

pick_{{ f.name }} as (
    select customer_id, value as {{ f.name }}, record_key as {{ f.name }}_source
    from (
        select
            r.customer_id,
            {{ f.expr }} as value,
            r.record_key,
            row_number() over (
                partition by r.customer_id
                order by {{ f.order }}, r.record_key
            ) as pick_rank
        from base as r
        where {{ f.expr }} is not null
    ) as ranked
    where pick_rank = 1
),
{%- endfor %}

customers as (
    select
        customer_id,
        count(*) as n_records,
        {{ string_agg_sorted('source_system') }} as source_systems,
        min(created_at) as first_seen_at,
        max(coalesce(updated_at, created_at)) as last_updated_at
    from base
    group by customer_id
)

select
    customers.customer_id,
    {%- for f in fields %}
    pick_{{ f.name }}.{{ f.name }},
    pick_{{ f.name }}.{{ f.name }}_source,
    {%- endfor %}
    customers.n_records,
    customers.source_systems,
    customers.first_seen_at,
    customers.last_updated_at
from customers
{%- for f in fields %}
left join pick_{{ f.name }} on pick_{{ f.name }}.customer_id = customers.customer_id
{%- endfor %}
