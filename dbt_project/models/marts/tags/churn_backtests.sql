{#- The churn backtests of every as-of date computed, side by side per model: ROC AUC, PR AUC,
    top-decile lift and Brier score of each churn score at the cutoff (as-of date minus the
    horizon), judged on who bought in the horizon after it. Incremental by as_of_date, so
    a model's quality can be followed over time. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    full_refresh=false,
) }}
select
    cast(as_of_date as date) as as_of_date,
    cast(cutoff_date as date) as cutoff_date,
    horizon_days,
    model,
    model_version,
    customers,
    churned,
    churn_rate,
    roc_auc,
    pr_auc,
    top_decile_lift,
    brier,
    note
from {{ source('model_tags', 'churn_backtest') }}
