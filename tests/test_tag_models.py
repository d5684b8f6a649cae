"""Unit tests of the model-tag functions in models/: golden cases with hand-checked answers
and property tests (hypothesis) for the scoring rules. No warehouse, no Dagster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.lifecycle import lifecycle_stages
from models.loyalty import LoyaltyParams, loyalty_scores
from models.rfm import SEGMENTS, RFMParams, score_rfm
from models.scoring import quantile_scores
from models.state import StateParams, customer_states
from models.value_class import value_classes

# ------------------------------------------------------------------ quantile scores


def test_quantile_scores_of_ten_distinct_values_are_two_per_score():
    assert quantile_scores(np.arange(1, 11)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_reverse_scores_small_values_high():
    assert quantile_scores(np.arange(1, 11), reverse=True).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_one_repeated_value_scores_the_middle():
    assert quantile_scores(np.array([7.0] * 13)).tolist() == [3] * 13
    assert quantile_scores(np.array([7.0])).tolist() == [3]


def test_ties_share_a_score_even_across_a_quintile_boundary():
    # 1 1 1 1 2 : the four 1s sit at percentile 0.4 -> score 3, the 2 at 0.9 -> score 5
    assert quantile_scores(np.array([1, 1, 1, 1, 2])).tolist() == [3, 3, 3, 3, 5]


def test_nan_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        quantile_scores(np.array([1.0, np.nan]))


values_lists = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=200)


@given(values_lists)
@settings(max_examples=200, deadline=None)
def test_scores_are_monotone_tie_consistent_and_in_range(values):
    x = np.array(values)
    s = quantile_scores(x)
    assert set(s.tolist()) <= {1, 2, 3, 4, 5}
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(s[order]) >= 0), "a larger value never scores lower"
    for v in np.unique(x):
        assert len(set(s[x == v].tolist())) == 1, "equal values share one score"
    r = quantile_scores(x, reverse=True)
    assert np.all(np.diff(r[order]) <= 0), "reversed: a larger value never scores higher"


@given(values_lists, st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_scores_do_not_depend_on_row_order(values, rnd):
    x = np.array(values)
    perm = list(range(len(x)))
    rnd.shuffle(perm)
    assert quantile_scores(x)[perm].tolist() == quantile_scores(x[perm]).tolist()


# ------------------------------------------------------------------ RFM


def _golden_population() -> tuple[pd.DataFrame, dict[str, str]]:
    """Eight customers, one per segment, plus two low on everything and two not scored.

    With ten distinct values per dimension the scores are 1 1 2 2 3 3 4 4 5 5 (mean 3), so a
    customer is 'high' exactly when among the top four of the ten. Each of R, F, M is high
    for four of the eight pattern customers, so the top four values go to them.
    """
    patterns = list(SEGMENTS)  # (r_high, f_high, m_high) in a fixed order
    r_high_days, r_low_days = iter([1, 2, 3, 4]), iter([30, 60, 90, 120, 150, 180])
    f_high, f_low = iter([7, 8, 9, 10]), iter([1, 2, 3, 4, 5, 6])
    m_high, m_low = iter([1000.0, 1100.0, 1200.0, 1300.0]), iter([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    rows, expected = [], {}
    for i, (rh, fh, mh) in enumerate(patterns):
        cid = f"P{i}"
        rows.append({"customer_id": cid, "recency_days": next(r_high_days if rh else r_low_days),
                     "frequency": next(f_high if fh else f_low),
                     "monetary": next(m_high if mh else m_low)})
        expected[cid] = SEGMENTS[(rh, fh, mh)][1]
    for cid in ("L1", "L2"):
        rows.append({"customer_id": cid, "recency_days": next(r_low_days), "frequency": next(f_low),
                     "monetary": next(m_low)})
        expected[cid] = "一般挽留"
    rows.append({"customer_id": "Z0", "recency_days": None, "frequency": 0, "monetary": 0.0})
    rows.append({"customer_id": "Z1", "recency_days": 500, "frequency": 0, "monetary": 0.0})
    expected["Z0"] = expected["Z1"] = "未评分"
    return pd.DataFrame(rows), expected


def test_each_of_the_eight_segments_is_pinned():
    inputs, expected = _golden_population()
    out = score_rfm(inputs).customers.set_index("customer_id")
    assert out["segment_name"].to_dict() == expected
    assert set(out["segment_name"]) == {name for _, name in SEGMENTS.values()} | {"未评分"}
    # the segment names are the ones of domain.md
    assert out.loc["P0", "segment_name"] == "重要价值"
    assert min(out.loc["P0", ["r_score", "f_score", "m_score"]]) >= 4
    assert max(out.loc["L1", ["r_score", "f_score", "m_score"]]) <= 3


def test_thresholds_are_reported_per_dimension():
    inputs, _ = _golden_population()
    th = score_rfm(inputs).thresholds.set_index("dimension")
    assert th.loc[["R", "F", "M"], "threshold"].tolist() == [3.0, 3.0, 3.0]
    assert th.loc["F", "n_scored"] == 10 and th.loc["F", "note"] == "all scores used"
    assert th.loc["R", "score_ranges"].startswith("1: 150..180")


def test_customers_without_a_paid_order_in_the_window_are_not_scored_and_say_why():
    inputs, _ = _golden_population()
    out = score_rfm(inputs, RFMParams(window_days=180)).customers.set_index("customer_id")
    assert out.loc["Z0", "status"] == "not scored: no paid order ever"
    assert out.loc["Z1", "status"] == "not scored: no paid order in the last 180 days"
    assert out.loc[["Z0", "Z1"], "segment_code"].tolist() == ["not_scored", "not_scored"]
    assert out.loc[["Z0", "Z1"], "r_score"].isna().all() and not out.loc["Z0", "scored"]


def test_identical_customers_get_identical_scores_and_segments():
    inputs = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "recency_days": [5, 5, 50, 500],
                           "frequency": [3, 3, 1, 1], "monetary": [99.5, 99.5, 10.0, 5.0]})
    out = score_rfm(inputs).customers.set_index("customer_id")
    cols = ["r_score", "f_score", "m_score", "segment_code"]
    assert out.loc["a", cols].tolist() == out.loc["b", cols].tolist()


def test_collapsed_quantiles_do_not_crash_and_are_recorded():
    # everyone bought exactly once: F has one distinct value
    inputs = pd.DataFrame({"customer_id": [f"c{i}" for i in range(6)], "recency_days": [1, 2, 3, 4, 5, 6],
                           "frequency": [1] * 6, "monetary": [10.0, 20, 30, 40, 50, 60]})
    result = score_rfm(inputs)
    f = result.thresholds.set_index("dimension").loc["F"]
    assert f["n_distinct_values"] == 1 and f["scores_used"] == "3"
    assert "1 distinct value(s) over 6 customers" in f["note"] and "[1, 2, 4, 5] empty" in f["note"]
    out = result.customers
    assert (out["f_score"] == 3).all() and not out["f_high"].any()
    assert set(out["segment_code"]) <= {"important_develop", "important_winback", "general_develop", "general_winback"}


def test_a_single_scored_customer_is_middling_on_everything():
    out = score_rfm(pd.DataFrame({"customer_id": ["x"], "recency_days": [3], "frequency": [1],
                                  "monetary": [10.0]})).customers.iloc[0]
    assert [out.r_score, out.f_score, out.m_score] == [3, 3, 3]
    assert out.segment_code == "general_winback"  # nobody is above the average of one


def test_nobody_to_score():
    result = score_rfm(pd.DataFrame({"customer_id": ["z"], "recency_days": [None], "frequency": [0],
                                     "monetary": [0.0]}))
    assert result.customers.iloc[0]["segment_code"] == "not_scored"
    assert (result.thresholds["note"] == "nobody to score").all()


def test_threshold_methods():
    inputs, _ = _golden_population()
    fixed = score_rfm(inputs, RFMParams(threshold_method="fixed",
                                        fixed_thresholds={"r": 1, "f": 1, "m": 1})).customers
    scored = fixed[fixed["scored"]]
    # a score above 1 is high: only the customers scoring 1 are low
    assert (scored["f_high"] == (scored["f_score"] > 1)).all()
    median = score_rfm(inputs, RFMParams(threshold_method="median")).thresholds
    assert median["threshold"].tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="threshold_method"):
        RFMParams(threshold_method="average")


def test_mean_threshold_is_rounded_so_ties_do_not_flip_the_middle_quintile():
    # ties pull the mean R score to 2.967: rounded to 3.0, the middle score stays low
    rec = [1, 6, 8, 8, 9, 10, 11, 11, 17, 17, 18, 18, 19, 20, 22, 25, 25, 26, 28, 28, 29, 30, 33, 34,
           34, 34, 34, 35, 36, 39]
    inputs = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(rec))], "recency_days": rec,
                           "frequency": list(range(1, len(rec) + 1)), "monetary": [1.0] * len(rec)})
    result = score_rfm(inputs)
    r = result.thresholds.set_index("dimension").loc["R"]
    assert round(r["mean_score"], 3) == 2.967 and r["threshold"] == 3.0
    out = result.customers
    assert not out.loc[out["r_score"] == 3, "r_high"].any()


rfm_rows = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 20), st.floats(0, 1e5, allow_nan=False)),
                    min_size=1, max_size=80)


@given(rfm_rows)
@settings(max_examples=150, deadline=None)
def test_rfm_properties(rows):
    inputs = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(rows))],
                           "recency_days": [r for r, _, _ in rows], "frequency": [f for _, f, _ in rows],
                           "monetary": [m if f else 0.0 for _, f, m in rows]})
    out = score_rfm(inputs).customers
    scored = out[out["scored"]]
    assert (out["scored"] == (inputs["frequency"] > 0)).all()
    for dim, col, sign in (("r", "recency_days", -1), ("f", "frequency", 1), ("m", "monetary", 1)):
        order = np.argsort(sign * scored[col].to_numpy(dtype=float), kind="stable")
        assert np.all(np.diff(scored[f"{dim}_score"].to_numpy(dtype=int)[order]) >= 0)
    for _, row in scored.iterrows():
        assert SEGMENTS[(bool(row.r_high), bool(row.f_high), bool(row.m_high))][0] == row.segment_code


# ------------------------------------------------------------------ loyalty


def _activity(rows):
    return pd.DataFrame(rows, columns=["customer_id", "days_ago", "count"])


def test_loyalty_every_period_is_100_none_is_0():
    p = LoyaltyParams(n_periods=4, period_days=10, decay=0.5)
    act = _activity([("a", d, 1) for d in (0, 10, 20, 30)] + [("c", 40, 3)])  # c: beyond the horizon
    out = loyalty_scores(pd.Series(["a", "b", "c"]), act, p).set_index("customer_id")
    assert out["loyalty_score"].tolist() == [100.0, 0.0, 0.0]
    assert out.loc["a", "active_periods"] == 4


def test_loyalty_missing_a_recent_period_costs_more_than_an_old_one():
    p = LoyaltyParams(n_periods=4, period_days=10, decay=0.5)
    act = _activity([("recent_gap", d, 1) for d in (10, 20, 30)] + [("old_gap", d, 1) for d in (0, 10, 20)])
    out = loyalty_scores(pd.Series(["recent_gap", "old_gap"]), act, p).set_index("customer_id")
    # weights 1, .5, .25, .125 (sum 1.875): missing period 0 leaves .875, missing period 3 leaves 1.75
    assert out.loc["recent_gap", "loyalty_score"] == round(100 * 0.875 / 1.875, 2)
    assert out.loc["old_gap", "loyalty_score"] == round(100 * 1.75 / 1.875, 2)


def test_loyalty_rewards_regularity_not_volume():
    p = LoyaltyParams(n_periods=3, period_days=30, decay=1.0, target_per_period=1)
    act = _activity([("burst", 1, 10), ("steady", 1, 1), ("steady", 31, 1), ("steady", 61, 1)])
    out = loyalty_scores(pd.Series(["burst", "steady"]), act, p).set_index("customer_id")
    assert out.loc["burst", "loyalty_score"] == round(100 / 3, 2) and out.loc["steady", "loyalty_score"] == 100.0


# ------------------------------------------------------------------ customer state


def _facts(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], **cols})


def test_states_against_own_and_default_cycles():
    p = StateParams()  # new < 30 days, default cycle 60, active <= 1.5, silent <= 3, sleeping <= 6
    facts = _facts(
        paid_orders_total=[0, 1, 1, 1, 1, 1, 12, 12],
        days_since_first_order=[None, 10, 200, 200, 400, 800, 120, 120],
        days_since_last_order=[None, 10, 90, 91, 300, 800, 15, 40],
        paid_order_days=[0, 1, 1, 1, 1, 1, 12, 12],
    )
    out = customer_states(facts, p)
    # c6/c7 buy every 105/11 = 9.5 days: 15 days is 1.6 cycles (silent), 40 days 4.2 (sleeping)
    assert out["state"].tolist() == ["prospect", "new", "active", "silent", "sleeping", "churned",
                                     "silent", "sleeping"]
    assert pd.isna(out["cycle_source"].iloc[0]) and out["cycle_source"].tolist()[1:3] == ["default", "default"]
    assert out["cycle_source"].iloc[6] == "own"


def test_one_repeat_purchase_does_not_define_a_cycle():
    out = customer_states(_facts(paid_orders_total=[2], days_since_first_order=[100],
                                 days_since_last_order=[95], paid_order_days=[2]), StateParams())
    assert out["cycle_source"].iloc[0] == "default" and out["cycle_days"].iloc[0] == 60


def test_state_parameters_are_checked():
    with pytest.raises(ValueError, match="active < silent < sleeping"):
        StateParams(active_multiple=3, silent_multiple=2)


# ------------------------------------------------------------------ lifecycle stage


def test_lifecycle_rules_in_order():
    facts = _facts(paid_orders_total=[3, 3, 3, 0, 0, 0, 0], is_member=[True, True, False, True, False, False, False],
                   referrals_365d=[2, 0, 0, 5, 0, 0, 0], has_contact=[True, True, True, True, True, False, False],
                   events_total=[9, 9, 0, 9, 0, 4, 0])
    assert lifecycle_stages(facts)["stage"].tolist() == [
        "advocate", "member", "customer", "prospect", "prospect", "visitor", "stranger"]


# ------------------------------------------------------------------ value class


def test_abc_by_share_of_revenue_above():
    rev = pd.DataFrame({"customer_id": list("abcdefg"), "revenue": [50, 30, 10, 5, 5, 0, None]})
    out = value_classes(rev).set_index("customer_id")
    # shares before: a 0, b .5, c .8, d/e .9 (tie), f and g no revenue
    assert out["value_class"].to_dict() == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "B",
                                            "f": "none", "g": "none"}


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=100))
@settings(max_examples=100, deadline=None)
def test_value_class_is_monotone_and_a_makes_80_percent(revenues):
    rev = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(revenues))], "revenue": revenues})
    out = value_classes(rev)
    rank = {"A": 0, "B": 1, "C": 2, "none": 3}
    order = np.argsort(-out["revenue"].to_numpy(), kind="stable")
    assert np.all(np.diff(out["value_class"].map(rank).to_numpy()[order]) >= 0)
    total = out["revenue"].sum()
    if total > 0:
        assert out.loc[out["value_class"] == "A", "revenue"].sum() >= 0.8 * total - 1e-6 * total


# ------------------------------------------------------------------ distribution shift


def test_total_variation_distance():
    from orchestration.tags.tag_watch import loyalty_bin, total_variation

    assert total_variation({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0
    assert total_variation({"a": 1.0}, {"b": 1.0}) == 1
    assert total_variation({"a": 0.6, "b": 0.4}, {"a": 0.3, "b": 0.5, "c": 0.2}) == 0.3
    assert [loyalty_bin(x) for x in (0, 0.01, 25, 25.5, 100)] == ["0", "(0,25]", "(0,25]", "(25,50]", "(75,100]"]
