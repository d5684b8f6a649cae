{#- The span of the loaded data and the as-of date the run computes for: never the wall clock,
    so that the same files give the same tables.

    The as-of date is var('as_of_date') when given (--as-of), else the end of the data:
    - the end of the loaded activity, orders and events (int_activity_window: the last day with
      a normal amount of them, future-dated junk left out);
    - when there is no order and no event with a time (a sources file of customer tables only),
      the span of the kept customer records' own dates: their first and last created_at /
      updated_at day;
    - with no date anywhere, NULL: no customer is known on a date that does not exist, so the
      tags are not computed (the fact tags are empty and the tag steps skip); identity
      resolution and every table that needs no date are built all the same. -#}
with activity as (
    select data_start_date, data_end_date from {{ ref('int_activity_window') }}
),

record_stamps as (
    select cast(created_at as date) as stamp_date
    from {{ ref('int_customer_records_validated') }}
    where is_valid and created_at is not null
    union all
    select cast(updated_at as date) as stamp_date
    from {{ ref('int_customer_records_validated') }}
    where is_valid and updated_at is not null
),

records as (
    select min(stamp_date) as data_start_date, max(stamp_date) as data_end_date
    from record_stamps
),

spans as (
    select
        case when activity.data_end_date is not null then activity.data_start_date
             else records.data_start_date end as data_start_date,
        coalesce(activity.data_end_date, records.data_end_date) as data_end_date,
        case when activity.data_end_date is not null then 'end of loaded data'
             when records.data_end_date is not null then 'end of customer record dates'
             else 'no date in the data' end as end_source
    from activity
    cross join records
)

select
    data_start_date,
    data_end_date,
    {% if var('as_of_date') %}cast('{{ var("as_of_date") }}' as date){% else %}data_end_date{% endif %} as as_of_date,
    {% if var('as_of_date') %}'var as_of_date'{% else %}end_source{% endif %} as as_of_source
from spans
