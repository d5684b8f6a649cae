"""Gamma-Gamma spend model: what a customer's purchases are worth on average, the monetary
half of a predicted customer value (the BG/NBD or MBG/NBD of models.bgnbd gives the count).

A customer's observed mean spend is a noisy estimate of what they really spend on average:
a repeat buyer with two big orders is probably less extreme than those two orders suggest, and
someone who never bought again tells us nothing beyond the population. The Gamma-Gamma model
(Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis",
Journal of Marketing Research 42(4), 415-430; the derivation in Fader & Hardie 2013, "The
Gamma-Gamma Model of Monetary Value", a note on brucehardie.com) shrinks each mean towards
the population mean, the more the fewer transactions it rests on:

* the spend of each transaction is z ~ Gamma(shape p, rate nu), so a customer's true mean
  spend is p / nu;
* nu varies across customers as Gamma(shape q, rate v) (v is a money scale: FHL's gamma);
* the x transactions' mean m_x then has the density (evaluated in logs here)

      f(m_x | p, q, v, x) = Gamma(px+q) / (Gamma(px) Gamma(q)) * v^q x (x m_x)^(px-1)
                            / (v + x m_x)^(px+q)

* and the expected mean spend given (x, m_x) is a weighted average of the population mean
  p v / (q-1) and the observed mean:

      E[M | p, q, v, x, m_x] = (q-1)/(px+q-1) * p v/(q-1) + px/(px+q-1) * m_x
                             = p (v + x m_x) / (px + q - 1).

Inputs, as in the `lifetimes` convention: frequency = repeat purchases (models.bgnbd) and
monetary_value = the mean spend of those repeat purchases; the model is fitted on the repeat
buyers only (frequency > 0; the others are skipped, their monetary value is not read), whose
monetary value must be > 0 (>= 0 for the predictions). A customer without a repeat purchase
gets the population mean (infinite when q <= 1: the fitted spend distribution then has no
mean).

**The model assumes spend is independent of the number of transactions** (the Gamma-Gamma
knows nothing of frequency beyond how much to trust m_x). spend_frequency_correlation reports
the correlation of frequency and monetary value among repeat buyers: near 0 is what the
model needs; a clear correlation (|Pearson| or |Spearman| above ~0.3, a rule of thumb, not a
test) means the expected spend of frequent buyers is biased and a joint model is called for.

Fitting: maximum likelihood with scipy.optimize.minimize (L-BFGS-B) over log(p, q, v) in
[1e-8, 1e8], analytic gradient, spend rescaled by its mean for the fit (v scales with money).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln
from scipy.stats import spearmanr

from models.bgnbd import (
    BGNBDFit,
    _as_float_array,
    expected_purchases,
    std_errors_from_gradient,
)

PARAM_NAMES = ("p", "q", "v")
PARAM_BOUNDS = (1e-8, 1e8)
CORRELATION_WARNING = 0.3


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (v in the money unit of the monetary values)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    """Total log-likelihood of the repeat buyers' mean spends (weighted), without penalizer."""
    n_customers: float
    """Repeat buyers fitted (sum of their weights)."""
    converged: bool
    iterations: int
    message: str
    penalizer: float = 0.0
    std_errors: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    at_bound: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def population_mean_spend(self) -> float:
        """E[mean spend] of a customer drawn from the population: p v / (q-1), inf if q <= 1."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("inf")


def _check_spend(frequency, monetary_value, *, allow_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (whole numbers >= 0) and monetary values of one broadcast shape; a
    monetary value is checked only where frequency > 0 (NaN elsewhere): finite and > 0 (the
    likelihood takes its log), or >= 0 with `allow_zero` (the predictions: a repeat buyer whose
    repeat purchases netted nothing, refunds say, is shrunk from 0 towards the population)."""
    x = _as_float_array("frequency", frequency)
    mv = np.asarray(monetary_value, dtype=float)
    try:
        x, mv = np.broadcast_arrays(x, mv)
    except ValueError:
        raise ValueError(f"frequency and monetary_value have different lengths ({x.size}, {mv.size})") from None
    if (x != np.floor(x)).any():
        raise ValueError("frequency must be whole numbers (repeat purchases)")
    rep = x > 0
    bad = rep & ~(np.isfinite(mv) & ((mv >= 0) if allow_zero else (mv > 0)))
    if bad.any():
        need = "a number >= 0" if allow_zero else "a positive number"
        raise ValueError(f"{int(bad.sum())} repeat buyer(s) have a monetary value that is not "
                         f"{need}, e.g. {mv[bad].flat[0]!r}")
    return x, np.where(rep, mv, np.nan)


def _loglik_and_grad(params: np.ndarray, x: np.ndarray, xm: np.ndarray, log_xm: np.ndarray,
                     w: np.ndarray, xu: np.ndarray, ix: np.ndarray) -> tuple[float, np.ndarray]:
    """Total log-likelihood of the mean spends and its gradient in (p, q, v); x m_x and its
    log precomputed, the lnGamma / digamma of p x on the distinct frequencies `xu`."""
    p, q, v = params
    n = w.sum()
    wx = np.bincount(ix, weights=w, minlength=len(xu))
    log_vxm = np.log(v + xm)
    pxq = p * x + q
    ll = (wx @ (gammaln(p * xu + q) - gammaln(p * xu)) - n * gammaln(q) + n * q * np.log(v)
          + w @ ((p * x - 1.0) * log_xm + np.log(x) - pxq * log_vxm))
    dpsi = digamma(p * xu + q)
    g_p = (wx * xu) @ (dpsi - digamma(p * xu)) + (w * x) @ (log_xm - log_vxm)
    g_q = wx @ dpsi - n * digamma(q) + n * np.log(v) - w @ log_vxm
    g_v = n * q / v - w @ (pxq / (v + xm))
    return float(ll), np.array([g_p, g_q, g_v])


def fit_gamma_gamma(frequency, monetary_value, *, weights=None,
                    penalizer: float = 0.0, max_iterations: int = 1000) -> GammaGammaFit:
    """Fit the Gamma-Gamma on the repeat buyers (frequency > 0) by maximum likelihood.
    `penalizer` adds penalizer * (p^2 + q^2 + v'^2) to the mean negative log-likelihood, with
    v' = v / (mean spend) so that the penalty does not depend on the currency."""
    if penalizer < 0 or not np.isfinite(penalizer):
        raise ValueError(f"penalizer must be a finite number >= 0, not {penalizer}")
    x, mv = (a.ravel() for a in _check_spend(frequency, monetary_value))
    w = np.ones(x.size) if weights is None else _as_float_array("weights", weights).ravel()
    if w.size != x.size:
        raise ValueError(f"weights has {w.size} values for {x.size} customers")
    keep = (x > 0) & (w > 0)
    if not keep.any():
        raise ValueError("no repeat buyers (frequency > 0) to fit the spend model on")
    x, mv, w = x[keep], mv[keep], w[keep]
    n = float(w.sum())
    scale = float(w @ mv / n)  # fit in units of the mean spend: v is then of order 1
    xm = x * mv / scale
    log_xm = np.log(xm)
    xu, ix = np.unique(x, return_inverse=True)

    def loglik(pars: np.ndarray) -> tuple[float, np.ndarray]:
        return _loglik_and_grad(pars, x, xm, log_xm, w, xu, ix)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        pars = np.exp(theta)
        ll, grad = loglik(pars)
        f = -ll / n + penalizer * (pars @ pars)
        g = -grad * pars / n + 2.0 * penalizer * pars * pars
        return (f, g) if np.isfinite(f) else (np.inf, np.zeros(3))

    # start: the best of a small grid, v set so that the population mean p v / (q-1) is the
    # observed mean (1 in the rescaled unit)
    best, best_ll = None, -np.inf
    for p0 in (0.5, 2.0, 8.0):
        for q0 in (1.5, 3.0, 10.0):
            start = np.array([p0, q0, (q0 - 1.0) / p0])
            ll0 = loglik(start)[0]
            if np.isfinite(ll0) and ll0 > best_ll:
                best, best_ll = start, ll0
    lo, hi = np.log(PARAM_BOUNDS)
    res = minimize(objective, np.log(best if best is not None else np.array([1.0, 2.0, 1.0])),
                   jac=True, method="L-BFGS-B", bounds=[(lo, hi)] * 3,
                   options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9})
    pars = np.exp(res.x)
    at_bound = tuple(nm for nm, t in zip(PARAM_NAMES, res.x) if t <= lo + 1e-6 or t >= hi - 1e-6)
    message = str(res.message)
    if at_bound:
        message += f"; at a bound (not identified by the data): {', '.join(at_bound)}"
    ll, _ = loglik(pars)
    se = np.array(std_errors_from_gradient(lambda q: loglik(q)[1], pars))
    unit = np.array([1.0, 1.0, scale])
    # back to money: v scales with it, and the density of m_x gains the Jacobian 1 / scale
    return GammaGammaFit(p=float(pars[0]), q=float(pars[1]), v=float(pars[2] * scale),
                         log_likelihood=float(ll - n * np.log(scale)), n_customers=n,
                         converged=bool(res.success), iterations=int(res.nit), message=message,
                         penalizer=float(penalizer), std_errors=tuple(float(s) for s in se * unit),
                         at_bound=at_bound)


def expected_average_spend(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """E[a customer's mean spend per transaction | frequency, monetary_value]; the population
    mean for customers without a repeat purchase (their monetary_value is not read). A repeat
    buyer's monetary value may be 0 here (not in the fit)."""
    x, mv = _check_spend(frequency, monetary_value, allow_zero=True)
    denominator = fit.p * x + fit.q - 1.0
    numerator = fit.p * (fit.v + x * np.where(x > 0, mv, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.inf)


def expected_spend(purchase_fit: BGNBDFit, spend_fit: GammaGammaFit, frequency, recency, T,
                   monetary_value, horizon) -> np.ndarray:
    """Expected spend over the next `horizon` time units: expected purchases (BG/NBD or
    MBG/NBD) x expected spend per purchase (Gamma-Gamma). Not discounted: a customer value over
    a long horizon would discount each future period."""
    return (expected_purchases(purchase_fit, frequency, recency, T, horizon)
            * expected_average_spend(spend_fit, frequency, monetary_value))


@dataclass(frozen=True)
class SpendFrequencyCorrelation:
    n_customers: int
    pearson: float
    spearman: float
    note: str


def spend_frequency_correlation(frequency, monetary_value) -> SpendFrequencyCorrelation:
    """How far the data are from the Gamma-Gamma's assumption that spend per transaction does
    not depend on the number of transactions: Pearson and Spearman correlation of frequency
    and monetary value over the repeat buyers."""
    x, mv = _check_spend(frequency, monetary_value, allow_zero=True)
    rep = (x > 0).ravel()
    xs, ms = x.ravel()[rep], mv.ravel()[rep]
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ms) == 0:
        return SpendFrequencyCorrelation(int(xs.size), float("nan"), float("nan"),
                                         "too few repeat buyers or no variation: not computed")
    pearson = float(np.corrcoef(xs, ms)[0, 1])
    spearman = float(spearmanr(xs, ms).statistic)
    strongest = max(abs(pearson), abs(spearman))
    if strongest < CORRELATION_WARNING:
        note = (f"weak (max |r| {strongest:.2f} < {CORRELATION_WARNING}): the independence "
                "assumption is acceptable")
    else:
        note = (f"max |r| {strongest:.2f} >= {CORRELATION_WARNING}: spend depends on frequency, "
                "the Gamma-Gamma's expected spend is biased for frequent buyers")
    return SpendFrequencyCorrelation(int(xs.size), pearson, spearman, note)


def simulate_gamma_gamma(frequency, p: float, q: float, v: float, seed=None) -> pd.DataFrame:
    """Mean spends drawn from the Gamma-Gamma for customers with the given frequencies:
    nu ~ Gamma(q, rate v), each of the x transactions ~ Gamma(p, rate nu), so their mean is
    Gamma(p x, rate nu x). Columns frequency, monetary_value (NaN without a repeat purchase)
    and true_mean_spend (p / nu, what expected_average_spend estimates)."""
    if min(p, q, v) <= 0:
        raise ValueError("p, q and v must be > 0")
    x = np.asarray(frequency, dtype=np.int64)
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1.0 / v, x.size)
    rep = x > 0
    mean_spend = np.full(x.size, np.nan)
    mean_spend[rep] = rng.gamma(p * x[rep], 1.0 / (nu[rep] * x[rep]))
    return pd.DataFrame({"frequency": x, "monetary_value": mean_spend, "true_mean_spend": p / nu})
