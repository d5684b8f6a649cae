"""Tests of the probabilistic customer-base models (models/bgnbd.py, models/gamma_gamma.py):
the formulas against brute-force integration, the likelihood against its own normalisation,
and the fits against customers simulated from known parameters. No warehouse, no Dagster;
the whole file runs in seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.special import betaln, expm1, gammaln, log1p, polygamma

from models import bgnbd, gamma_gamma
from models.bgnbd import (
    BGNBDFit,
    expected_purchases,
    expected_purchases_new,
    fit,
    fit_bgnbd,
    fit_mbgnbd,
    p_alive,
    simulate_bgnbd,
    simulate_mbgnbd,
)
from models.gamma_gamma import (
    expected_average_spend,
    expected_spend,
    fit_gamma_gamma,
    simulate_gamma_gamma,
    spend_frequency_correlation,
)

# the CDNOW estimates of Fader, Hardie & Lee (2005), time in weeks
TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
SIMULATE = {"bgnbd": simulate_bgnbd, "mbgnbd": simulate_mbgnbd}


def _fit_of(model: str, r: float, alpha: float, a: float, b: float) -> BGNBDFit:
    """A 'fit' with given parameters, to evaluate the formulas at the true values."""
    return BGNBDFit(model=model, r=r, alpha=alpha, a=a, b=b, log_likelihood=0.0, n_customers=0,
                    n_distinct=0, converged=True, iterations=0, message="given")


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC = P(score of a random positive > score of a random negative), ties counting
    half: the Mann-Whitney U from mid-ranks."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    mid_rank = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((mid_rank[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def test_auc_helper():
    assert _auc(np.array([0.1, 0.2, 0.3, 0.4]), np.array([False, False, True, True])) == 1.0
    assert _auc(np.array([0.4, 0.3, 0.2, 0.1]), np.array([False, False, True, True])) == 0.0
    assert _auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([False, True, False, True])) == 0.5


# ------------------------------------------------------------------ input checks


@pytest.mark.parametrize("frequency, recency, T, match", [
    ([1, -1], [1, 0], [2, 2], "frequency has 1 negative"),
    ([1, 1], [1, -0.5], [2, 2], "recency has 1 negative"),
    ([1, 1], [1, 1], [2, np.nan], "T has 1 NaN"),
    ([1, 1], [1, np.inf], [2, 2], "recency has 1 NaN or infinite"),
    ([1, 1.5], [1, 1], [2, 2], "whole numbers"),
    ([1, 1], [1, 3], [2, 2], r"recency > T for 1 customer\(s\), e.g. recency 3 > T 2"),
    ([0, 1], [1, 1], [2, 2], "frequency 0 and recency > 0"),
    ([0, 1, 2], [0, 1], [2, 2], "different lengths"),
])
def test_invalid_inputs_are_refused(frequency, recency, T, match):
    with pytest.raises(ValueError, match=match):
        fit_bgnbd(frequency, recency, T)
    with pytest.raises(ValueError, match=match):
        p_alive(_fit_of("mbgnbd", **TRUE), frequency, recency, T)


def test_invalid_options_are_refused():
    with pytest.raises(ValueError, match="model must be one of"):
        fit([1], [1], [2], model="pareto")
    with pytest.raises(ValueError, match="penalizer"):
        fit([1], [1], [2], penalizer=-1)
    with pytest.raises(ValueError, match="weights has 1 negative"):
        fit([1, 0], [1, 0], [2, 2], weights=[1, -1])
    with pytest.raises(ValueError, match="weights has 1 values for 2"):
        fit([1, 0], [1, 0], [2, 2], weights=[1])
    with pytest.raises(ValueError, match="no customers"):
        fit([], [], [])
    with pytest.raises(ValueError, match="T = 0"):
        fit([0, 0], [0, 0], [0, 0])


def test_repeat_purchases_at_time_zero_are_allowed():
    # frequency > 0 with recency 0: repeat purchases in the first (coarse) time unit
    for model in bgnbd.MODELS:
        f = _fit_of(model, **TRUE)
        assert np.isfinite(bgnbd.log_likelihood(f, [2], [0], [10])).all()
        assert 0 < p_alive(f, 2, 0, 10) < 1


# ------------------------------------------------------------------ likelihood


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_likelihood_is_a_probability_distribution(model):
    """Sum over x and integral over the purchase times of the likelihood = 1: with t_x fixed
    the x-1 earlier purchase times fill a simplex of volume t_x^(x-1) / (x-1)!, so
    L(0, 0, T) + sum_(x>=1) int_0^T L(x, t, T) t^(x-1) / (x-1)! dt must be 1."""
    f = _fit_of(model, **TRUE)
    T = 10.0
    nodes, weights = np.polynomial.legendre.leggauss(200)
    t = (nodes + 1) * T / 2
    x = np.arange(1, 200)[:, None].astype(float)
    log_density = bgnbd.log_likelihood(f, x, t[None, :], T) + (x - 1) * np.log(t) - gammaln(x)
    total = float(np.exp(bgnbd.log_likelihood(f, 0, 0, T))) + float((np.exp(log_density) @ weights).sum() * T / 2)
    assert total == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_gradient_matches_finite_differences(model):
    sim = SIMULATE[model](3000, **TRUE, T=np.linspace(1, 100, 3000), seed=1)
    d = bgnbd._compress(sim["frequency"].to_numpy(float), sim["recency"].to_numpy(),
                        sim["T"].to_numpy(), np.ones(len(sim)), bgnbd.MODELS.index(model))
    for point in ([0.3, 3.0, 0.9, 2.0], [2.0, 50.0, 3.0, 0.5], [0.05, 0.5, 0.2, 20.0]):
        p = np.array(point)
        ll, grad = bgnbd._loglik_and_grad(p, d)
        numeric = approx_fprime(p, lambda q: bgnbd._loglik_and_grad(q, d)[0], 1e-7 * p)
        np.testing.assert_allclose(grad, numeric, rtol=2e-4, atol=1e-3)
        # the compressed likelihood is the sum of the customers' own
        per_customer = bgnbd.log_likelihood(_fit_of(model, *p), sim["frequency"], sim["recency"], sim["T"])
        assert ll == pytest.approx(per_customer.sum(), rel=1e-12)


# ------------------------------------------------------------------ predictions


def _expected_by_quadrature(f: BGNBDFit, x: float, tx: float, T: float, t: float) -> float:
    """P(alive) * E[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p] with p ~ Beta(a, b+x+m): the
    expectation over lambda done analytically, over p numerically, in y = logit(p) where the
    Beta density is a smooth bump with exponential tails. Independent of the closed form."""
    m = bgnbd.MODELS.index(f.model)
    r, a, bp, u = f.r, f.a, f.b + x + m, t / (f.alpha + T)

    def integrand(y: float) -> float:
        log_p, log_q = -np.logaddexp(0, -y), -np.logaddexp(0, y)
        p = np.exp(log_p)
        h = (r + x) * u if p * u < 1e-12 else -expm1(-(r + x) * log1p(p * u)) / p
        return np.exp(a * log_p + bp * log_q - betaln(a, bp)) * h

    centre, sd = np.log(a / bp), np.sqrt(polygamma(1, a) + polygamma(1, bp))
    value = quad(integrand, centre - 10 * sd - 40 / a, centre + 10 * sd + 40 / bp, limit=500,
                 points=[centre + k * sd for k in (-3, -1, 0, 1, 3)], epsabs=0, epsrel=1e-12)[0]
    return float(p_alive(f, x, tx, T)) * value


PARAMETER_SETS = [
    (0.25, 4.0, 0.8, 2.5),     # CDNOW, a < 1
    (0.25, 28.0, 0.8, 2.5),    # the same in days
    (2.0, 50.0, 1.5, 0.3),     # a + b < 2
    (0.5, 1.0, 0.3, 0.4),      # a + b < 1
    (1.0, 10.0, 5.0, 20.0),
    (2.0, 10.0, 1.0, 3.0),     # a = 1: the closed form is 0/0
    (0.7, 3.0, 1.00003, 1.0),  # a next to 1
    (3.0, 5.0, 2.0, 7.0),      # r - a an integer: scipy's hyp2f1 fails there near z = 1
    (3.0, 0.5, 0.05, 40.0),
]


@pytest.mark.parametrize("model", bgnbd.MODELS)
@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_expected_purchases_match_numerical_integration(model, params):
    f = _fit_of(model, *params)
    cases = [(x, T, t) for x in (0, 1, 7, 300, 5000) for T in (0.0, 1.0, 60.0, 3000.0)
             for t in (0.01, 30.0, 365.0, 20000.0)]
    x, T, t = (np.array(v, dtype=float) for v in zip(*cases))
    tx = np.where(x > 0, 0.7 * T, 0.0)
    got = expected_purchases(f, x, tx, T, t)
    want = np.array([_expected_by_quadrature(f, *c) for c in zip(x, tx, T, t)])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-300)


def test_default_model_and_named_fits():
    sim = simulate_mbgnbd(2000, **TRUE, T=52.0, seed=6)
    args = (sim["frequency"], sim["recency"], sim["T"])
    assert bgnbd.DEFAULT_MODEL == "mbgnbd" and fit(*args).model == "mbgnbd"
    assert fit_mbgnbd(*args) == fit(*args, model="mbgnbd")
    assert fit_bgnbd(*args) == fit(*args, model="bgnbd")


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_expected_purchases_new_is_the_published_formula(model):
    # E[X(t)] as printed by FHL 2005 and Batislam et al. 2007 (safe at these parameters)
    from scipy.special import hyp2f1
    r, alpha, a, b = TRUE.values()
    t = np.array([1.0, 10.0, 52.0, 300.0])
    z = t / (alpha + t)
    if model == "bgnbd":
        want = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    else:
        want = b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))
    np.testing.assert_allclose(expected_purchases_new(_fit_of(model, **TRUE), t), want, rtol=1e-10)


def test_p_alive_closed_forms():
    r, alpha, a, b = TRUE.values()
    # purchased at the very end of the period: only the dropout right after that purchase
    assert p_alive(_fit_of("bgnbd", **TRUE), 4, 30, 30) == pytest.approx(1 / (1 + a / (b + 3)))
    assert p_alive(_fit_of("mbgnbd", **TRUE), 4, 30, 30) == pytest.approx(1 / (1 + a / (b + 4)))
    # P(alive) as written in Fader, Hardie & Lee's 2008 note
    want = 1 / (1 + a / (b + 4 - 1) * ((alpha + 52) / (alpha + 30)) ** (r + 4))
    assert p_alive(_fit_of("bgnbd", **TRUE), 4, 30, 52) == pytest.approx(want, rel=1e-12)
    # zero horizon, zero purchases
    assert expected_purchases(_fit_of("bgnbd", **TRUE), [0, 3], [0, 5], [10, 10], 0).tolist() == [0, 0]


def test_bgnbd_weakness_one_time_buyers():
    """A customer who bought once, long ago: alive for sure in the BG/NBD, less and less likely
    alive in the MBG/NBD."""
    T = np.array([1.0, 30.0, 90.0, 365.0, 1000.0])
    bg = p_alive(_fit_of("bgnbd", **TRUE), 0, 0, T)
    mbg = p_alive(_fit_of("mbgnbd", **TRUE), 0, 0, T)
    assert bg.tolist() == [1.0] * len(T)
    assert (mbg < 1).all() and (np.diff(mbg) < 0).all()
    r, alpha, a, b = TRUE.values()
    np.testing.assert_allclose(mbg, 1 / (1 + a / b * ((alpha + T) / alpha) ** r))  # 0.75 .. 0.44


positive = st.floats(min_value=0.01, max_value=100.0)


@given(model=st.sampled_from(bgnbd.MODELS), r=positive, alpha=positive, a=positive, b=positive,
       x=st.integers(0, 2000), share=st.floats(0.0, 1.0), T=st.floats(0.0, 5000.0),
       horizon=st.floats(0.01, 3000.0))
@settings(max_examples=300, deadline=None)
def test_predictions_are_bounded_and_monotone(model, r, alpha, a, b, x, share, T, horizon):
    """0 <= P(alive) <= 1, lower the longer the silence since the last purchase; the expected
    purchases of an alive customer between 1 - (1+u)^-(r+x) and (r+x) u, growing with the
    horizon, for any parameters."""
    f = _fit_of(model, r, alpha, a, b)
    tx = share * T if x > 0 else 0.0
    prob = p_alive(f, [x, x], [tx, tx], [T, T + 10.0])
    assert 0 <= prob[1] <= prob[0] + 1e-12 <= 1 + 1e-12
    e = expected_purchases(f, x, tx, T, [horizon, 2 * horizon])
    assert np.isfinite(e).all() and e[0] <= e[1] * (1 + 1e-9)
    u, n = horizon / (alpha + T), r + x
    if_alive = e[0] / prob[0] if prob[0] > 1e-300 else None
    if if_alive is not None:
        assert -np.expm1(-n * np.log1p(u)) * (1 - 1e-6) <= if_alive <= n * u * (1 + 1e-6)


# ------------------------------------------------------------------ simulation checks


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_formulas_are_calibrated_on_simulated_customers(model):
    """At the true parameters: customers predicted alive with probability ~q are alive in a
    fraction ~q of the simulations, and the expected holdout purchases add up to the
    simulated ones, overall and for one-time, occasional and frequent buyers."""
    n, holdout = 100_000, 26.0
    sim = SIMULATE[model](n, **TRUE, T=np.random.default_rng(7).uniform(1, 104, n), seed=8,
                          holdout=holdout)
    f = _fit_of(model, **TRUE)
    prob = p_alive(f, sim["frequency"], sim["recency"], sim["T"])
    alive = sim["alive"].to_numpy()
    bins = np.minimum((prob * 10).astype(int), 9)
    for k in np.unique(bins):
        sel = bins == k
        if sel.sum() < 200:
            continue
        q = prob[sel].mean()
        assert abs(alive[sel].mean() - q) < 4 * np.sqrt(q * (1 - q) / sel.sum()) + 0.005, k
    expected = expected_purchases(f, sim["frequency"], sim["recency"], sim["T"], holdout)
    actual = sim["holdout_frequency"].to_numpy()
    x = sim["frequency"].to_numpy()
    for sel in (x >= 0, x == 0, (x >= 1) & (x <= 3), x >= 4):
        assert expected[sel].sum() == pytest.approx(actual[sel].sum(), rel=0.05)


@pytest.fixture(scope="module", params=bgnbd.MODELS)
def recovery(request):
    """50,000 customers with 1 to 3 years (52-156 weeks) of history, 26 weeks of holdout,
    fitted."""
    model = request.param
    n = 50_000
    T = np.random.default_rng(100).uniform(52, 156, n)
    sim = SIMULATE[model](n, **TRUE, T=T, seed=0, holdout=26.0)
    fitted = fit(sim["frequency"], sim["recency"], sim["T"], model=model)
    return model, sim, fitted


# Tolerance of the recovered parameters, relative. Over 20 seeds of this design (50,000
# customers, T ~ U(52, 156) weeks) the relative errors had standard deviations of about 1-2 %
# for r and alpha, 3.5-5 % for a, 4.5 % for b in the BG/NBD and 6.5 % in the MBG/NBD (whose b
# is less well identified: a one-time buyer may be dead or slow). Each tolerance is at least
# three of those standard deviations, and every error must also be within 4 of the fit's own
# standard errors.
TOLERANCE = {"bgnbd": {"r": 0.10, "alpha": 0.10, "a": 0.15, "b": 0.15},
             "mbgnbd": {"r": 0.10, "alpha": 0.10, "a": 0.15, "b": 0.20}}


def test_parameters_are_recovered(recovery):
    model, _, f = recovery
    assert f.converged and not f.at_bound, f.message
    for name, se in zip(bgnbd.PARAM_NAMES, f.std_errors):
        value, true = f.params[name], TRUE[name]
        assert abs(value / true - 1) < TOLERANCE[model][name], (name, value)
        assert abs(value - true) < 4 * se, (name, value, se)


def test_holdout_purchases_are_predicted(recovery):
    _, sim, f = recovery
    expected = expected_purchases(f, sim["frequency"], sim["recency"], sim["T"], 26.0).sum()
    assert expected == pytest.approx(sim["holdout_frequency"].sum(), rel=0.05)


def test_p_alive_ranks_alive_customers_first(recovery):
    model, sim, f = recovery
    prob = p_alive(f, sim["frequency"], sim["recency"], sim["T"])
    alive = sim["alive"].to_numpy()
    assert _auc(prob, alive) > 0.7
    # and its mean is the share alive
    assert prob.mean() == pytest.approx(alive.mean(), abs=0.02)
    if model == "mbgnbd":
        # the one-time buyers are ranked too, not all tied at 1; only by T, which says little
        # when most customers buy rarely (r = 0.25): AUC ~0.52, SE ~0.004
        one_time = sim["frequency"].to_numpy() == 0
        assert _auc(prob[one_time], alive[one_time]) > 0.5


def test_fit_is_invariant_to_the_time_unit(recovery):
    """Weeks -> days: alpha x 7, r, a, b and the predictions over the same calendar span
    unchanged."""
    model, sim, f = recovery
    days = fit(sim["frequency"], sim["recency"] * 7, sim["T"] * 7, model=model)
    assert days.alpha == pytest.approx(7 * f.alpha, rel=1e-4)
    for name in ("r", "a", "b"):
        assert days.params[name] == pytest.approx(f.params[name], rel=1e-4)
    head = sim.head(200)
    np.testing.assert_allclose(
        expected_purchases(days, head["frequency"], head["recency"] * 7, head["T"] * 7, 7 * 13),
        expected_purchases(f, head["frequency"], head["recency"], head["T"], 13), rtol=1e-4)


# ------------------------------------------------------------------ edge cases


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_all_one_time_buyers(model):
    T = np.linspace(1, 700, 1000)
    f = fit(np.zeros(1000), np.zeros(1000), T, model=model)
    assert all(np.isfinite(list(f.params.values())))
    # nobody ever bought twice: nothing to expect, and the fit says it is not identified
    assert (expected_purchases(f, 0, 0, T, 90) < 1e-3).all()
    assert f.at_bound or not np.isfinite(f.std_errors).all()
    prob = p_alive(f, 0, 0, T)
    assert ((prob == 1) if model == "bgnbd" else (prob < 1)).all()


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_single_customer(model):
    for row in ([3], [20.0], [50.0]), ([0], [0.0], [50.0]):
        f = fit(*row, model=model)
        assert all(np.isfinite(list(f.params.values()))) and np.isfinite(f.log_likelihood)
        assert f.n_customers == 1 and f.n_distinct == 1
        assert np.isfinite(expected_purchases(f, *row, 30)).all()


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_huge_frequency_and_T(model):
    sim = SIMULATE[model](5000, **TRUE, T=100.0, seed=3)
    x = np.r_[sim["frequency"], 10**5, 10**6, 0]
    tx = np.r_[sim["recency"], 999.0, 1e4, 0]
    T = np.r_[sim["T"], 1000.0, 1e4, 1e7]
    f = fit(x, tx, T, model=model)
    assert f.converged and np.isfinite(f.log_likelihood)
    prob = p_alive(f, x, tx, T)
    e = expected_purchases(f, x, tx, T, 30)
    assert np.isfinite(prob).all() and np.isfinite(e).all() and (e >= 0).all()
    # 100,000 purchases over 999 days, then none in the last day: gone; 10^6 until the end:
    # alive, buying ~100 a day
    assert prob[-3] < 1e-10 and prob[-2] > 0.99
    assert e[-2] == pytest.approx(30 * 100, rel=0.01)


@pytest.mark.parametrize("model", bgnbd.MODELS)
def test_weights_are_duplication(model):
    sim = SIMULATE[model](400, **TRUE, T=np.random.default_rng(2).integers(10, 60, 400), seed=2)
    sim["recency"] = np.ceil(sim["recency"]).clip(upper=sim["T"])  # whole weeks: many ties
    counts = sim.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    assert len(counts) < len(sim)
    once = fit(counts["frequency"], counts["recency"], counts["T"], model=model, weights=counts["n"])
    twice = fit(sim["frequency"], sim["recency"], sim["T"], model=model)
    assert once.n_customers == twice.n_customers == 400 and once.n_distinct == twice.n_distinct
    for name in bgnbd.PARAM_NAMES:
        assert once.params[name] == pytest.approx(twice.params[name], rel=1e-6)
    assert once.log_likelihood == pytest.approx(twice.log_likelihood, rel=1e-10)
    # zero weights drop rows
    padded = fit(np.r_[counts["frequency"], 5], np.r_[counts["recency"], 7], np.r_[counts["T"], 9],
                 model=model, weights=np.r_[counts["n"], 0])
    assert padded.log_likelihood == pytest.approx(once.log_likelihood, rel=1e-10)


def test_predictions_broadcast_and_accept_series():
    f = _fit_of("mbgnbd", **TRUE)
    frame = pd.DataFrame({"x": [0, 2, 5], "tx": [0.0, 10, 20], "T": [30.0, 30, 30]})
    e = expected_purchases(f, frame["x"], frame["tx"], frame["T"], [10, 20, 30])
    assert e.shape == (3,)
    assert e[1] == pytest.approx(float(expected_purchases(f, 2, 10, 30, 20)))
    assert expected_purchases(f, frame["x"], frame["tx"], 30, 10).shape == (3,)
    assert p_alive(f, 2, 10, 30).shape == ()


def test_simulators_respect_the_model():
    bg = simulate_bgnbd(20_000, **TRUE, T=50.0, seed=1, holdout=10.0)
    mbg = simulate_mbgnbd(20_000, **TRUE, T=50.0, seed=1, holdout=10.0)
    for sim in (bg, mbg):
        assert (sim["recency"] <= sim["T"]).all() and (sim.loc[sim["frequency"] == 0, "recency"] == 0).all()
        assert (sim.loc[~sim["alive"], "holdout_frequency"] == 0).all()
    assert bg.loc[bg["frequency"] == 0, "alive"].all()  # BG/NBD: nobody drops before a repeat purchase
    assert not mbg.loc[mbg["frequency"] == 0, "alive"].all()
    # MBG/NBD: a share E[p] = a/(a+b) drops out right after the first purchase
    assert ((mbg["frequency"] == 0) & ~mbg["alive"]).mean() == pytest.approx(0.8 / 3.3, abs=0.015)


# ------------------------------------------------------------------ Gamma-Gamma

GG_TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}  # FHL 2005 (iso-value curves), CDNOW, dollars


@pytest.fixture(scope="module")
def spend():
    frequency = 1 + np.random.default_rng(4).poisson(2.0, 80_000)
    sim = simulate_gamma_gamma(frequency, **GG_TRUE, seed=5)
    return sim, fit_gamma_gamma(sim["frequency"], sim["monetary_value"])


def test_gamma_gamma_gradient():
    x = np.array([1.0, 1, 2, 5, 9])
    m = np.array([10.0, 35, 20, 14, 60])
    xu, ix = np.unique(x, return_inverse=True)
    args = (x, x * m, np.log(x * m), np.array([1.0, 2, 1, 1, 3]), xu, ix)
    p = np.array([3.0, 2.5, 40.0])
    grad = gamma_gamma._loglik_and_grad(p, *args)[1]
    numeric = approx_fprime(p, lambda q: gamma_gamma._loglik_and_grad(q, *args)[0], 1e-7 * p)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)


def test_gamma_gamma_recovery(spend):
    """80,000 repeat buyers with 1-8 repeat purchases: relative standard errors (and the
    spread of the errors over 10 seeds) ~2.8 % for p, 0.8 % for q, 3.6 % for v, which trades
    off against p (the population mean p v / (q-1) is pinned down far better than either);
    12 % is over 3 of them."""
    _, f = spend
    assert f.converged and not f.at_bound, f.message
    for name, se in zip(gamma_gamma.PARAM_NAMES, f.std_errors):
        assert abs(f.params[name] / GG_TRUE[name] - 1) < 0.12, (name, f.params[name])
        assert abs(f.params[name] - GG_TRUE[name]) < 4 * se, (name, f.params[name], se)


def test_expected_average_spend_shrinks_towards_the_population(spend):
    sim, f = spend
    e = expected_average_spend(f, sim["frequency"], sim["monetary_value"])
    truth = sim["true_mean_spend"].to_numpy()
    observed = sim["monetary_value"].to_numpy()
    # closer to the truth than the customer's own mean, and than the population mean
    assert np.mean((e - truth) ** 2) < np.mean((observed - truth) ** 2)
    assert np.mean((e - truth) ** 2) < np.mean((f.population_mean_spend - truth) ** 2)
    # between the two, nearer the observed mean the more purchases it rests on
    pop = f.population_mean_spend
    assert (np.minimum(observed, pop) - 1e-9 <= e).all() and (e <= np.maximum(observed, pop) + 1e-9).all()
    one, many = expected_average_spend(f, [1, 50], [100.0, 100.0])
    assert abs(many - 100) < abs(one - 100)
    # no repeat purchase: the population mean, whatever the monetary value says
    assert expected_average_spend(f, [0, 0], [np.nan, 5.0]).tolist() == pytest.approx([pop, pop])
    # repeat purchases that netted nothing (refunds): shrunk from 0 towards the population
    assert 0 < expected_average_spend(f, 2, 0.0) < pop


def test_expected_spend_is_purchases_times_spend(spend):
    _, g = spend
    f = _fit_of("mbgnbd", **TRUE)
    x, tx, T, m = [0, 3, 8], [0.0, 20.0, 40.0], [50.0, 50.0, 50.0], [np.nan, 30.0, 25.0]
    np.testing.assert_allclose(expected_spend(f, g, x, tx, T, m, 26),
                               expected_purchases(f, x, tx, T, 26) * expected_average_spend(g, x, m))


def test_spend_frequency_correlation():
    rng = np.random.default_rng(9)
    x = 1 + rng.poisson(3, 5000)
    independent = simulate_gamma_gamma(x, **GG_TRUE, seed=1)["monetary_value"]
    report = spend_frequency_correlation(x, independent)
    assert report.n_customers == 5000 and abs(report.pearson) < 0.1 and "acceptable" in report.note
    dependent = 10.0 * x * rng.uniform(0.9, 1.1, x.size)  # frequent buyers spend more per order
    report = spend_frequency_correlation(np.r_[x, 0], np.r_[dependent, np.nan])
    assert report.n_customers == 5000 and report.spearman > 0.9 and "biased" in report.note


def test_gamma_gamma_refuses_bad_spend():
    with pytest.raises(ValueError, match="not a positive number"):
        fit_gamma_gamma([1, 2], [10.0, 0.0])
    with pytest.raises(ValueError, match="not a positive number"):
        fit_gamma_gamma([1, 2], [10.0, np.nan])
    with pytest.raises(ValueError, match="no repeat buyers"):
        fit_gamma_gamma([0, 0], [np.nan, np.nan])
