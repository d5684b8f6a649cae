"""The churn scores of a run judged against the generator's true churn dates.

The generator knows who has truly gone: a buyer who dropped out has a `churn_date` (their last
purchase; the dropout follows it) in `ground_truth/persons.csv`. On the as-of date a buyer is
*truly churned* when that date is on or before it. Production never has this truth; the
backtest (orchestration/assets/churn_training.py) approximates it with "no paid order in the
next H days". This module measures every churn score of the as-of date against the truth:

* `churn_probability`: the classifier (model tag `churn`);
* `1 - p_alive`: MBG/NBD (model tag `clv`);
* `rule:<baseline>`: the canonical predicted-churn rule tag (1 when it fires);
* `customer_state`: the rule-based state tag as an ordinal (active 0 < silent 1 < sleeping 2
  < churned 3), the rule a marketer reads today.

Each customer is matched to the person most of their source records belong to (identity
errors are rare, and a split person counts in each part). Only customers the classifier
scored (who had bought by the as-of date) are judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.backtest import evaluate
from orchestration.warehouse import Connection

STATE_ORDER = {"new": 0, "active": 0, "silent": 1, "sleeping": 2, "churned": 3}


def truth_frame(con: Connection, truth_dir: Path, baseline_rule: str) -> pd.DataFrame:
    """One row per scored customer: every churn score and whether they truly churned."""
    records, persons = (truth_dir / "records.csv").as_posix(), (truth_dir / "persons.csv").as_posix()
    return con.execute(f"""
        with r as (select source_system, source_record_id, person_id
                   from read_csv('{records}', header = true, all_varchar = true)),
             p as (select person_id, try_cast(churn_date as date) as churn_date
                   from read_csv('{persons}', header = true, all_varchar = true)),
             votes as (select x.customer_id, r.person_id, count(*) as n
                       from marts.customer_source_xref x join r using (source_system, source_record_id)
                       group by all),
             person_of as (select customer_id, arg_max(person_id, n) as person_id from votes group by 1)
        select c.customer_id, c.as_of_date, c.churn_probability, 1 - l.p_alive as one_minus_p_alive,
               coalesce(v.value = 'true', false) as rule_fires, s.state,
               coalesce(p.churn_date <= c.as_of_date, false) as truly_churned
        from model_tags.churn c
        join model_tags.clv l using (customer_id)
        join model_tags.customer_state s using (customer_id)
        join person_of using (customer_id)
        join p using (person_id)
        left join model_tags.rule_tag_values v on v.customer_id = c.customer_id and v.tag_key = ?
        where c.churn_probability is not null
        order by c.customer_id""", [baseline_rule]).fetch_df()


def truth_metrics(con: Connection, truth_dir: Path, baseline_rule: str) -> pd.DataFrame:
    """ROC AUC, PR AUC, top-decile lift (and Brier for the probabilities) of each score."""
    df = truth_frame(con, truth_dir, baseline_rule)
    y = df["truly_churned"].to_numpy(dtype=bool)
    scores = {
        "hgb_classifier": (df["churn_probability"].to_numpy(dtype=float), True),
        "mbgnbd_p_alive": (df["one_minus_p_alive"].to_numpy(dtype=float), True),
        f"rule:{baseline_rule}": (df["rule_fires"].to_numpy(dtype=float), True),
        "customer_state": (df["state"].map(STATE_ORDER).fillna(0).to_numpy(dtype=float), False),
    }
    rows = [{"model": name, **evaluate(y, np.nan_to_num(s, nan=0.0), is_probability=prob)}
            for name, (s, prob) in scores.items()]
    return pd.DataFrame(rows)
