"""models/clv.py: the predictive tags composed from MBG/NBD and Gamma-Gamma."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.bgnbd import simulate_mbgnbd
from models.clv import CLVParams, clv_scores
from models.gamma_gamma import simulate_gamma_gamma


def history(n: int = 20_000, seed: int = 3) -> pd.DataFrame:
    sim = simulate_mbgnbd(n, 0.25, 4.0, 0.8, 2.5, 365, seed=seed)
    spend = simulate_gamma_gamma(sim["frequency"].to_numpy(), 6.0, 4.0, 15.0, seed=seed)
    monetary = np.where(sim["frequency"] > 0, spend["monetary_value"].to_numpy(), np.nan)
    return pd.DataFrame({"customer_id": [f"c{i:06d}" for i in range(n)], "frequency": sim["frequency"],
                         "recency": sim["recency"], "t_days": sim["T"], "monetary_repeat": monetary,
                         "alive": sim["alive"]})


def test_scores_are_probabilities_and_grow_with_the_horizon():
    h = history()
    result = clv_scores(h)
    c = result.customers
    assert result.fit["status"] == "fitted" and result.fit["model"] == "mbgnbd" and len(result.version) == 12
    assert c["p_alive"].between(0, 1).all()
    assert (c["expected_purchases_30d"] <= c["expected_purchases_90d"] + 1e-12).all()
    assert (c["expected_purchases_90d"] <= c["expected_purchases_180d"] + 1e-12).all()
    assert (c["expected_spend_90d"] >= 0).all() and c["expected_spend_90d"].notna().all()
    # P(alive) separates the simulated living from the dead better than chance
    alive, dead = c["p_alive"][h["alive"]], c["p_alive"][~h["alive"]]
    assert alive.mean() > dead.mean() + 0.1
    # the fit is recovered from the simulated parameters
    assert result.fit["r"] == pytest.approx(0.25, rel=0.2) and result.fit["alpha"] == pytest.approx(4.0, rel=0.2)


def test_the_version_follows_the_fit_and_the_scores_are_deterministic():
    a, b = clv_scores(history(seed=3)), clv_scores(history(seed=3))
    assert a.version == b.version and a.customers.equals(b.customers)
    assert clv_scores(history(seed=4)).version != a.version
    assert clv_scores(history(seed=3), CLVParams(model="bgnbd")).version != a.version


def test_too_few_buyers_leave_the_tags_empty():
    result = clv_scores(history(10), CLVParams(min_customers=20))
    assert result.customers["p_alive"].isna().all() and result.fit["status"].startswith("not fitted")


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="clv.model"):
        CLVParams(model="pareto_nbd")
    with pytest.raises(ValueError, match="spend_horizon_days"):
        CLVParams(horizons_days=(30,), spend_horizon_days=90)
