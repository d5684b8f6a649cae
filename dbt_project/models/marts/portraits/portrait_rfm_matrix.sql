{#- The R × F matrix of the newest RFM scoring: scored customers (a paid order in the window)
    per recency score and frequency score (1-5, 5 best), with their net amount in the window.
    Where the eight segments cut each axis in two, the matrix shows the 25 cells behind them:
    the loyal core (high R, high F), the ones slipping away (low R, high F), the new (high R,
    low F). -#}
with rfm as (
    select * from {{ source('model_tags', 'rfm') }}
    where as_of_date = (select max(as_of_date) from {{ source('model_tags', 'rfm') }})
      and scored
),

scored_total as (
    select count(*) as scored_customers from rfm
)

select
    rfm.as_of_date,
    rfm.r_score,
    rfm.f_score,
    count(*) as customers,
    cast(count(*) as {{ type_double() }}) / max(scored_total.scored_customers) as share,
    cast(sum(rfm.monetary) as decimal(18, 2)) as monetary,
    cast(avg(rfm.monetary) as decimal(18, 2)) as avg_monetary,
    avg(cast(rfm.recency_days as {{ type_double() }})) as avg_recency_days,
    avg(cast(rfm.frequency as {{ type_double() }})) as avg_frequency
from rfm
cross join scored_total
group by rfm.as_of_date, rfm.r_score, rfm.f_score
