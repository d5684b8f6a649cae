{#- The RFM thresholds of every as-of date computed: per dimension the method, the threshold
    score, mean and median score, the value range of each score and what the scoring did (a
    collapsed quantile is recorded here, not hidden). Incremental by as_of_date like the tag
    history, so a segment of any past snapshot can be explained. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    full_refresh=false,
) }}
select
    cast(as_of_date as date) as as_of_date,
    dimension,
    {{ adapter.quote('column') }} as input_column,
    method,
    threshold,
    mean_score,
    median_score,
    n_scored,
    n_distinct_values,
    scores_used,
    score_ranges,
    note,
    window_days
from {{ source('model_tags', 'rfm_thresholds') }}
