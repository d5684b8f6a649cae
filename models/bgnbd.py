"""Probabilistic customer-base models: BG/NBD and MBG/NBD ("is this customer still alive, and
how much will they buy?"), the basis of the predictive tags.

Nobody tells a shop that they stopped being a customer: they just stop buying. These models
read a customer's purchase history as (frequency, recency, T) and say how likely it is that the
customer is still "alive" and how many purchases to expect over the next days, each customer
judged against a population model fitted on the whole base by maximum likelihood.

Inputs, one row per customer, all times in the same unit. **The pipeline uses days**: with the
paid-order *days* of a customer (several orders on one day are one purchase occasion, as in
int_customer_order_days),

* frequency x = number of repeat purchase days = purchase days - 1 (an integer >= 0);
* recency t_x = days from the first to the last purchase day (0 when x = 0);
* T = days from the first purchase day to the as-of date (T >= t_x).

The fitted r and alpha are in that unit (alpha is a time scale), so a fit on days and a fit on
weeks differ by alpha x 7; a, b and all predictions for the same calendar horizon do not.

Checked and refused (ValueError): NaN or infinite values, negative values, a non-integer
frequency, recency > T, and recency > 0 with frequency 0 (the last purchase of a one-time buyer
is the first one). frequency > 0 with recency == 0 is *allowed*: it cannot happen with whole
purchase days, but it can when times are rounded to a coarse unit (several purchases in the
first week with T in weeks); the likelihood stays finite and it is read as "the repeat
purchases happened right at the start".

The models
----------
Both share the purchase process and the heterogeneity (Fader, Hardie & Lee 2005):

* while alive, a customer buys as a Poisson process with rate lambda;
* lambda varies across customers as Gamma(shape r, rate alpha);
* the dropout probability p varies across customers as Beta(a, b), independent of lambda.

They differ in *when* a customer may drop out:

* **BG/NBD** (Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy Way: An
  Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284): after each *repeat*
  purchase, with probability p. A customer is alive right after the first purchase, so a
  one-time buyer (x = 0) has P(alive) = 1 however long ago they bought: 3 years of silence and
  the model still calls them alive. That is the BG/NBD's known weakness, and it matters in a
  retail base where many customers have bought only once.
* **MBG/NBD** (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
  models for customer base analysis", International Journal of Research in Marketing 24(3),
  201-209, with Wagner & Hoppe 2008, "Erratum on the MBG/NBD model", IJRM 25(3), 225-226):
  after *every* purchase including the first, with probability p. A one-time buyer's P(alive)
  then decreases with the time since their purchase, as a marketer expects.

**The pipeline uses the MBG/NBD by default** (DEFAULT_MODEL): same parameters, same cost,
and a P(alive) that means something for the one-time buyers, for whom the BG/NBD can only say
1. The BG/NBD stays available (model="bgnbd", fit_bgnbd) to compare with
the literature and other tools.

Formulas (x = frequency, t_x = recency, T, B(.,.) the beta function; m = 0 for the BG/NBD,
m = 1 for the MBG/NBD; delta = [x > 0] for the BG/NBD and 1 for the MBG/NBD):

* likelihood of one customer (FHL 2005; Batislam et al. 2007):

      L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x+m) / B(a,b) / (alpha+T)^(r+x)
                                          + delta * B(a+1, b+x+m-1) / B(a,b) / (alpha+t_x)^(r+x) ]

  evaluated in logs as lnGamma(r+x) - lnGamma(r) + r ln alpha + lnB(a, b+x+m) - lnB(a, b)
  - (r+x) ln(alpha+T) + delta * softplus(D), using B(a+1, c-1) / B(a, c) = a / (c-1) with

      D = ln a - ln(b+x+m-1) + (r+x) [ln(alpha+T) - ln(alpha+t_x)]

* P(alive | x, t_x, T) = 1 / (1 + delta * exp(D)) = expit(-D), the share of the likelihood
  that is not "dropped out at t_x" (Fader, Hardie & Lee 2008, "Computing P(alive) Using the
  BG/NBD Model", a note on brucehardie.com; Batislam et al. 2007, appendix A, for the MBG/NBD,
  where the factor is a / (b+x));
* expected purchases in (T, T+t] (FHL 2005; Batislam et al. 2007 as corrected by Wagner &
  Hoppe 2008):

      E[Y(t) | x, t_x, T] = P(alive) * (a+b+x+m-1)/(a-1)
                            * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+m; a+b+x+m-1; z)]

  with z = t/(alpha+T+t). Read as P(alive) times E[(1 - e^(-lambda p t)) / p] under the
  posterior of an alive customer, lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+m). The
  published 2F1 overflows for large x (its c-a-b = a-1-r-x makes it grow like
  (1-z)^-(x+r+1-a): the "#NUM! error" of Fader & Hardie's 2013 note on it); we use its Euler
  transform

      ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+m; c; z) = (1+u)^(1-a) 2F1(c-r-x, a-1; c; z),

  c = a+b+x+m-1, u = t/(alpha+T), whose second parameter a-1 is small and whose c-a-b =
  x+r+1-a is positive: bounded, accurate and fast (scipy.special.hyp2f1) for any x and T.
  Its two removable singularities (the 0/0 at a = 1; integer r - a, where scipy's hyp2f1
  is unreliable near z = 1) are stepped around by interpolating in a or r; short horizons,
  (r+x) u <= 1/2, use the power series in u instead (no cancellation); and every value is
  checked against the bounds 1 - (1+u)^-(r+x) <= E[Y | alive] <= (r+x) u, the few outside
  (hyp2f1 overwhelmed by absurd parameters) recomputed by Gauss's series or by quadrature.
  Checked against numerical integration to a relative 1e-6 over the whole parameter range;
* the unconditional E[X(t)] of a new customer (FHL 2005; Batislam et al. 2007) is the same
  expression at x = t_x = T = 0: (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1;
  t/(alpha+t))] for the BG/NBD, b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; ...)] for the
  MBG/NBD.

Fitting: maximum likelihood with scipy.optimize.minimize (L-BFGS-B) over log(r, alpha, a, b)
within [1e-8, 1e8], an analytic gradient, and the identical (x, t_x, T) rows merged with their
counts as weights: a million customers in whole days are a few hundred thousand distinct rows,
and everything depending on x alone (lnGamma, digamma) or on T alone (logs) is computed once
per distinct value; the start is the best of a small grid around the repeat buyers' purchase
rate. The optional penalizer adds penalizer * (r^2 + alpha^2 + a^2 + b^2) to the mean negative
log-likelihood, as the `lifetimes` package did: it keeps parameters that the data do not
identify (e.g. a and b when nobody bought twice) from running off to the bounds. alpha is in
time units, so the same penalizer weighs 49 times more on alpha in days than in weeks.
Standard errors come from the observed information (std_errors).

simulate_bgnbd / simulate_mbgnbd draw customers from the models, with what is hidden in real
data (lambda, p, alive at T) and optionally the purchases of a holdout period: for the tests
of the model and of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

MODELS = ("bgnbd", "mbgnbd")
DEFAULT_MODEL = "mbgnbd"
PARAM_NAMES = ("r", "alpha", "a", "b")
PARAM_BOUNDS = (1e-8, 1e8)
"""Every parameter is kept in [1e-8, 1e8] (optimised as its log). A parameter at a bound is
one the data do not identify; the fit says so in `at_bound` and `message`."""
# E[Y(t)] steps around a = 1 and integer r - a (see _expected_if_alive): the half-widths
_NEAR_A = 1e-4
_NEAR_R = 1e-5


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD or MBG/NBD model: the population parameters and how the fit went."""

    model: str
    """"bgnbd" or "mbgnbd": which likelihood and which prediction formulas apply."""
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    """Total log-likelihood of the data (weighted), without the penalizer."""
    n_customers: float
    """Customers fitted: the sum of the weights (the number of rows without weights)."""
    n_distinct: int
    """Distinct (frequency, recency, T) rows the likelihood was evaluated on."""
    converged: bool
    iterations: int
    message: str
    penalizer: float = 0.0
    std_errors: tuple[float, float, float, float] = (np.nan, np.nan, np.nan, np.nan)
    """Asymptotic standard errors of r, alpha, a, b from the observed information (NaN when
    the Hessian is not positive definite, e.g. a parameter not identified)."""
    at_bound: tuple[str, ...] = ()
    """Parameters that ended at a bound of PARAM_BOUNDS: not identified by the data."""

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


# ------------------------------------------------------------------ input checks


def _as_float_array(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} has {int(bad.sum())} NaN or infinite value(s)")
    if (arr < 0).any():
        raise ValueError(f"{name} has {int((arr < 0).sum())} negative value(s), e.g. {arr[arr < 0].flat[0]:g}")
    return arr


def check_inputs(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three inputs as float arrays of one broadcast shape, or a ValueError saying what
    is wrong (see the module docstring for the rules)."""
    x = _as_float_array("frequency", frequency)
    tx = _as_float_array("recency", recency)
    t = _as_float_array("T", T)
    try:
        x, tx, t = np.broadcast_arrays(x, tx, t)
    except ValueError:
        raise ValueError(f"frequency, recency and T have different lengths "
                         f"({x.size}, {tx.size}, {t.size})") from None
    if (x != np.floor(x)).any():
        raise ValueError("frequency must be whole numbers (repeat purchases), e.g. not "
                         f"{x[x != np.floor(x)].flat[0]:g}")
    if (tx > t).any():
        i = np.flatnonzero((tx > t).ravel())[0]
        raise ValueError(f"recency > T for {int((tx > t).sum())} customer(s), e.g. recency "
                         f"{tx.flat[i]:g} > T {t.flat[i]:g}")
    if ((x == 0) & (tx > 0)).any():
        raise ValueError(f"{int(((x == 0) & (tx > 0)).sum())} customer(s) have frequency 0 and "
                         "recency > 0: a one-time buyer's last purchase is their first, recency 0")
    return x, tx, t


def _check_model(model: str) -> int:
    """m, the dropout offset of the model's formulas: 0 for the BG/NBD, 1 for the MBG/NBD."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    return MODELS.index(model)


# ------------------------------------------------------------------ likelihood


@dataclass(frozen=True)
class _Data:
    """Distinct (x, t_x, T) rows with their weights, and what the likelihood needs of them:
    the distinct x, T and t_x values and each row's index into them; `s_*` are the rows whose
    likelihood has the second term (x > 0 for the BG/NBD, all rows for the MBG/NBD)."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    n: float
    m: int
    xu: np.ndarray  # distinct frequencies
    wx: np.ndarray  # total weight per distinct frequency
    Tu: np.ndarray  # distinct T
    wT: np.ndarray  # total weight per distinct T
    xwT: np.ndarray  # total weight * x per distinct T
    txu: np.ndarray  # distinct recencies
    s_w: np.ndarray
    s_x: np.ndarray
    s_ix: np.ndarray
    s_iT: np.ndarray
    s_itx: np.ndarray


def _compress(x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray, m: int) -> _Data:
    frame = pd.DataFrame({"x": x, "tx": tx, "T": T, "w": w})
    frame = frame[frame["w"] > 0]
    rows = frame.groupby(["x", "tx", "T"], sort=False, observed=True)["w"].sum().reset_index()
    x, tx, T, w = (rows[c].to_numpy(dtype=float) for c in ("x", "tx", "T", "w"))
    # distinct values by hashing, in order of appearance (np.unique sorted a million floats
    # three times: a quarter of a fit with continuous recency; the order is immaterial here)
    ix, xu = pd.factorize(x, sort=False)
    iT, Tu = pd.factorize(T, sort=False)
    itx, txu = pd.factorize(tx, sort=False)
    s = (x > 0) if m == 0 else np.ones(len(x), dtype=bool)
    return _Data(x=x, tx=tx, T=T, w=w, n=float(w.sum()), m=m,
                 xu=xu, wx=np.bincount(ix, weights=w, minlength=len(xu)),
                 Tu=Tu, wT=np.bincount(iT, weights=w, minlength=len(Tu)),
                 xwT=np.bincount(iT, weights=w * x, minlength=len(Tu)), txu=txu,
                 s_w=w[s], s_x=x[s], s_ix=ix[s], s_iT=iT[s], s_itx=itx[s])


def _loglik_and_grad(params: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to (r, alpha, a, b)."""
    r, alpha, a, b = params
    m = d.m
    xu = d.xu
    bx = b + xu + m  # the posterior b of a customer alive at T
    ll = (d.wx @ (gammaln(r + xu) + betaln(a, bx))
          + d.n * (r * np.log(alpha) - gammaln(r) - betaln(a, b)))
    log_aT = np.log(alpha + d.Tu)
    ll -= (r * d.wT + d.xwT) @ log_aT
    g_r = d.wx @ digamma(r + xu) + d.n * (np.log(alpha) - digamma(r)) - d.wT @ log_aT
    g_alpha = d.n * r / alpha - (r * d.wT + d.xwT) @ (1.0 / (alpha + d.Tu))
    psi_abx = digamma(a + bx)
    psi_ab = digamma(a + b)
    g_a = d.n * psi_ab - d.wx @ psi_abx
    g_b = d.wx @ (digamma(bx) - psi_abx) + d.n * (psi_ab - digamma(b))

    if d.s_w.size:
        # the second term: softplus(D) with D = ln a - ln(b+x+m-1) + (r+x) * log ratio
        # b+x+m-1 > 0 on the rows that have the term; 0 (unused) for the BG/NBD's x = 0
        bx1 = bx - 1.0
        inv_b1 = np.divide(1.0, bx1, out=np.zeros_like(bx1), where=bx1 > 0)
        log_atx = np.log(alpha + d.txu)
        ratio = log_aT[d.s_iT] - log_atx[d.s_itx]
        rx = r + d.s_x
        D = np.log(a) - np.log(bx1, out=np.zeros_like(bx1), where=bx1 > 0)[d.s_ix] + rx * ratio
        # softplus(D) and expit(D) from one exp: np.logaddexp alone cost a third of an
        # evaluation on a million customers
        e = np.exp(-np.abs(D))
        ll += d.s_w @ (np.maximum(D, 0.0) + np.log1p(e))
        ws = d.s_w * (np.where(D >= 0, 1.0, e) / (1.0 + e))
        g_r += ws @ ratio
        g_alpha += (ws * rx) @ ((1.0 / (alpha + d.Tu))[d.s_iT] - (1.0 / (alpha + d.txu))[d.s_itx])
        g_a += ws.sum() / a
        g_b -= np.bincount(d.s_ix, weights=ws, minlength=len(xu)) @ inv_b1
    return float(ll), np.array([g_r, g_alpha, g_a, g_b])


START_SAMPLE = 20_000
"""Distinct customers the start grid is scored on: 18 evaluations of the whole base were a
third of a fit on a million customers with continuous recency, to choose a mere start."""


def _start(d: _Data) -> np.ndarray:
    """A data-driven start: the best of a coarse grid of (r, a, b), each with the alpha that
    makes the Gamma mean rate r/alpha the repeat buyers' purchase rate (purchases per unit of
    time between their first and last purchase). Scored on an evenly spaced sample of the
    distinct customers when there are more than START_SAMPLE (the same sample every time)."""
    if len(d.x) > START_SAMPLE:
        pick = np.linspace(0, len(d.x) - 1, START_SAMPLE).astype(np.int64)
        d = _compress(d.x[pick], d.tx[pick], d.T[pick], d.w[pick], d.m)
    rep = d.x > 0
    if rep.any() and (d.w[rep] @ d.tx[rep]) > 0:
        rate = (d.w[rep] @ d.x[rep]) / (d.w[rep] @ d.tx[rep])
    else:
        rate = (d.w @ d.x + 0.5) / max(d.w @ d.T, 1e-8)
    best, best_ll = None, -np.inf
    for r in (0.25, 1.0):
        for a in (0.5, 1.0, 2.0):
            for b in (1.0, 3.0, 10.0):
                p = np.clip([r, r / rate, a, b], *PARAM_BOUNDS)
                ll, _ = _loglik_and_grad(p, d)
                if np.isfinite(ll) and ll > best_ll:
                    best, best_ll = p, ll
    return np.log(best if best is not None else np.array([1.0, 1.0 / rate, 1.0, 1.0]))


def std_errors_from_gradient(grad, params: np.ndarray) -> tuple[float, ...]:
    """Asymptotic standard errors of positive parameters at a maximum of a log-likelihood
    whose gradient is `grad(params)`: the observed information (the Hessian in log-parameters,
    by central differences of the analytic gradient), inverted, then the delta method. NaN
    when the information is not positive definite (a parameter the data do not identify)."""
    h = 1e-5
    theta = np.log(params)
    k = len(params)
    hess = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        gp = grad(np.exp(theta + step)) * np.exp(theta + step)
        gm = grad(np.exp(theta - step)) * np.exp(theta - step)
        hess[:, j] = (gp - gm) / (2 * h)
    info = -(hess + hess.T) / 2
    try:
        np.linalg.cholesky(info)
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return (np.nan,) * k
    return tuple(float(v) for v in params * np.sqrt(np.diag(cov)))


def fit(frequency, recency, T, *, model: str = DEFAULT_MODEL, weights=None,
        penalizer: float = 0.0, max_iterations: int = 1000) -> BGNBDFit:
    """Fit the BG/NBD (model="bgnbd") or MBG/NBD (model="mbgnbd", the default) by maximum
    likelihood. `weights` (optional, >= 0) count each row as that many customers: a row with
    weight 3 fits exactly like three identical rows."""
    m = _check_model(model)
    if penalizer < 0 or not np.isfinite(penalizer):
        raise ValueError(f"penalizer must be a finite number >= 0, not {penalizer}")
    x, tx, t = (v.ravel() for v in check_inputs(frequency, recency, T))
    if x.size == 0:
        raise ValueError("no customers to fit")
    w = np.ones(x.size) if weights is None else _as_float_array("weights", weights).ravel()
    if w.size != x.size:
        raise ValueError(f"weights has {w.size} values for {x.size} customers")
    if w.sum() <= 0:
        raise ValueError("the weights sum to 0: no customers to fit")
    d = _compress(x, tx, t, w, m)
    if not (d.T > 0).any():
        raise ValueError("every customer has T = 0: nothing has been observed yet")

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.exp(theta)
        ll, grad = _loglik_and_grad(p, d)
        # the mean per customer keeps the objective's scale independent of the base's size
        f = -ll / d.n + penalizer * (p @ p)
        g = -grad * p / d.n + 2.0 * penalizer * p * p
        return (f, g) if np.isfinite(f) else (np.inf, np.zeros(4))

    lo, hi = np.log(PARAM_BOUNDS)
    options = {"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9}
    res = minimize(objective, _start(d), jac=True, method="L-BFGS-B", bounds=[(lo, hi)] * 4,
                   options=options)
    if not res.success:
        # an abnormal line search (flat directions, e.g. r -> infinity when the purchase rates
        # hardly vary) often ends on a restart with a fresh Hessian approximation
        again = minimize(objective, res.x, jac=True, method="L-BFGS-B", bounds=[(lo, hi)] * 4,
                         options=options)
        if again.fun <= res.fun:
            again.nit += res.nit
            res = again
    params = np.exp(res.x)
    at_bound = tuple(n for n, v in zip(PARAM_NAMES, res.x) if v <= lo + 1e-6 or v >= hi - 1e-6)
    message = str(res.message)
    if at_bound:
        message += f"; at a bound (not identified by the data): {', '.join(at_bound)}"
    ll, _ = _loglik_and_grad(params, d)
    return BGNBDFit(model=model, r=float(params[0]), alpha=float(params[1]), a=float(params[2]),
                    b=float(params[3]), log_likelihood=ll, n_customers=d.n, n_distinct=len(d.x),
                    converged=bool(res.success), iterations=int(res.nit), message=message,
                    penalizer=float(penalizer), at_bound=at_bound,
                    std_errors=std_errors_from_gradient(lambda p: _loglik_and_grad(p, d)[1], params))


def fit_bgnbd(frequency, recency, T, *, weights=None, penalizer: float = 0.0) -> BGNBDFit:
    """The BG/NBD of Fader, Hardie & Lee (2005): see `fit`."""
    return fit(frequency, recency, T, model="bgnbd", weights=weights, penalizer=penalizer)


def fit_mbgnbd(frequency, recency, T, *, weights=None, penalizer: float = 0.0) -> BGNBDFit:
    """The MBG/NBD of Batislam, Denizel & Filiztekin (2007), the pipeline's default: see `fit`."""
    return fit(frequency, recency, T, model="mbgnbd", weights=weights, penalizer=penalizer)


def log_likelihood(fit: BGNBDFit, frequency, recency, T) -> np.ndarray:
    """Each customer's log-likelihood under the fitted parameters (same shape as the inputs)."""
    m = _check_model(fit.model)
    x, tx, t = check_inputs(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + m) - betaln(a, b)
          - (r + x) * np.log(alpha + t))
    return ll + np.logaddexp(0.0, _log_odds_dead(fit, x, tx, t))


# ------------------------------------------------------------------ predictions


def _log_odds_dead(fit: BGNBDFit, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> np.ndarray:
    """D = ln P(dropped out by T | data) - ln P(alive at T | data); -inf where the model has no
    dropout term (a BG/NBD customer without a repeat purchase)."""
    m = _check_model(fit.model)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    has = (x > 0) | (m == 1)
    bx1 = np.where(has, b + x + m - 1.0, 1.0)
    D = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + t) - np.log(alpha + tx))
    return np.where(has, D, -np.inf)


def p_alive(fit: BGNBDFit, frequency, recency, T) -> np.ndarray:
    """P(the customer is still alive at T | frequency, recency, T), in [0, 1]."""
    x, tx, t = check_inputs(frequency, recency, T)
    return expit(-_log_odds_dead(fit, x, tx, t))


def _if_alive_raw(m: int, r: float, alpha: float, a: float, b: float, x: np.ndarray,
                  t_obs: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+horizon] | alive at T, x, T]: the Euler-transformed closed form of
    the module docstring, for a != 1 and r - a not (nearly) an integer."""
    c = a + b + x + m - 1.0
    log1p_u = np.log1p(horizon / (alpha + t_obs))
    z = horizon / (alpha + t_obs + horizon)
    g = hyp2f1(c - r - x, a - 1.0, c, z)
    return c / (a - 1.0) * (1.0 - np.exp(-(a - 1.0) * log1p_u) * g)


def _interpolate(f, v: float, v1: float, v2: float) -> np.ndarray:
    """f(v) by linear interpolation (or extrapolation) between f(v1) and f(v2): for the points
    where the formula itself cannot be evaluated but f is smooth (error O((v2 - v1)^2))."""
    f1, f2 = f(v1), f(v2)
    return f1 + (v - v1) / (v2 - v1) * (f2 - f1)


def _if_alive_series(m: int, r: float, a: float, b: float, x: np.ndarray,
                     u: np.ndarray) -> np.ndarray:
    """The same expectation for a short horizon, (r+x) u <= 0.5 and u <= 0.5: with
    E[p^(k-1)] = (a)_(k-1) / (a+b+x+m)_(k-1) under the Beta posterior, expanding
    (1 - (1+pu)^-(r+x)) / p in powers of u gives

        sum_(k>=1) (-1)^(k+1) (r+x)_k / k! * (a)_(k-1) / (a+b+x+m)_(k-1) * u^k,

    terms shrinking at least twofold. No hyp2f1 and no 1 - (something close to 1): the closed
    form loses digits there (tiny horizons, a near 1)."""
    n = r + x
    bp = b + x + m
    term = n * u
    total = term.copy()
    for k in range(1, 80):
        term = term * (-(n + k) * u / (k + 1) * (a + k - 1) / (a + bp + k - 1))
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return total


def _hyp2f1_series(A: float, B: float, C: np.ndarray, z: np.ndarray,
                   max_terms: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Gauss's series of 2F1(A, B; C; z) term by term, and where it can be trusted: converged
    within max_terms without a term 1e6 times larger than the sum (cancellation)."""
    term = np.ones_like(z)
    total = np.ones_like(z)
    largest = np.ones_like(z)
    done = np.zeros(z.shape, dtype=bool)
    for k in range(max_terms):
        term = term * ((A + k) * (B + k) / ((C + k) * (k + 1.0)) * z)
        total += term
        largest = np.maximum(largest, np.abs(term))
        done = np.abs(term) <= 1e-17 * np.abs(total)
        if done.all():
            break
    return total, done & (largest <= 1e6 * np.abs(total))


def _if_alive_quadrature(m: int, r: float, a: float, b: float, x: float, u: float) -> float:
    """The expectation by numerical integration over p (the last resort, one customer at a
    time): E[(1 - (1+pu)^-(r+x)) / p], p ~ Beta(a, b+x+m), in y = logit(p), where the Beta
    density is a smooth bump of width ~ sd(y) with exponential tails on both sides."""
    from scipy.integrate import quad
    from scipy.special import polygamma

    n, bp = r + x, b + x + m
    log_norm = betaln(a, bp)

    def integrand(y: float) -> float:
        log_p, log_q = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)  # ln p, ln(1-p)
        p = np.exp(log_p)
        h = n * u if p * u < 1e-12 else -np.expm1(-n * np.log1p(p * u)) / p  # -> n u as p -> 0
        return float(np.exp(a * log_p + bp * log_q - log_norm) * h)

    centre = float(np.log(a / bp))
    sd = float(np.sqrt(polygamma(1, a) + polygamma(1, bp)))
    points = [centre + k * sd for k in (-3, -1, 0, 1, 3)]
    lower, upper = centre - 10 * sd - 40.0 / a, centre + 10 * sd + 40.0 / bp
    return quad(integrand, lower, upper, points=points, limit=1000, epsabs=0.0, epsrel=1e-10)[0]


def _expected_if_alive(fit: BGNBDFit, x: np.ndarray, t_obs: np.ndarray,
                       horizon: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+horizon] | alive at T, x, T].

    Short horizons by the series of _if_alive_series; the rest by the closed form
    _if_alive_raw, stepping around its two removable singularities. At a = 1 the formula is
    0/0, and when c-a-b = x + r + 1 - a is an integer (r - a an integer, e.g. r = a = 2 in a
    hand-made test) scipy's hyp2f1 goes through its degenerate connection formula and returns
    NaN or wrong values for z near 1. The expectation is smooth in r and a, so there it is
    interpolated between r (a) +- _NEAR_R (_NEAR_A), where the formula is accurate.

    Every value is checked against the bounds 1 - (1+u)^-(r+x) <= E <= (r+x) u (the
    integrand (1 - (1+pu)^-(r+x)) / p decreases from (r+x) u at p = 0 to its value at p = 1);
    the few that fail (hyp2f1 overwhelmed by extreme parameters, e.g. a fit on one customer
    with r ~ 1e7) are recomputed by Gauss's series, else by numerical integration."""
    m = MODELS.index(fit.model)
    r, a, b = fit.r, fit.a, fit.b
    shape = x.shape
    x, t_obs, horizon = (np.ravel(v) for v in (x, t_obs, horizon))
    u = horizon / (fit.alpha + t_obs)
    short = (u <= 0.5) & ((r + x) * u <= 0.5)
    out = np.empty(x.shape)
    out[short] = _if_alive_series(m, r, a, b, x[short], u[short])
    xl, tl, hl = x[~short], t_obs[~short], horizon[~short]

    def in_r(a_: float) -> np.ndarray:
        def raw(r_: float) -> np.ndarray:
            return _if_alive_raw(m, r_, fit.alpha, a_, b, xl, tl, hl)

        k = np.round(r - a_)
        if abs(r - a_ - k) >= _NEAR_R:
            return raw(r)
        r1, r2 = a_ + k - _NEAR_R, a_ + k + _NEAR_R
        if r1 <= 0:  # r itself tiny: extrapolate from the right
            r1, r2 = r2, r2 + _NEAR_R
        return _interpolate(raw, r, r1, r2)

    with np.errstate(all="ignore"):
        if abs(a - 1.0) >= _NEAR_A:
            out[~short] = in_r(a)
        else:
            out[~short] = _interpolate(in_r, a, 1.0 - _NEAR_A, 1.0 + _NEAR_A)
        n = r + x
        low, high = -np.expm1(-n * np.log1p(u)), n * u
        bad = ~(np.isfinite(out) & (out >= low * (1 - 1e-9)) & (out <= high * (1 + 1e-9)))
        if bad.any() and abs(a - 1.0) >= _NEAR_A:
            idx = np.flatnonzero(bad)
            c = a + b + x[idx] + m - 1.0
            g, ok = _hyp2f1_series(a + b + m - 1.0 - r, a - 1.0, c, u[idx] / (1.0 + u[idx]))
            value = c / (a - 1.0) * (1.0 - np.exp(-(a - 1.0) * np.log1p(u[idx])) * g)
            ok &= (value >= low[idx] * (1 - 1e-9)) & (value <= high[idx] * (1 + 1e-9))
            out[idx[ok]] = value[ok]
            bad[idx[ok]] = False
    for i in np.flatnonzero(bad):
        out[i] = _if_alive_quadrature(m, r, a, b, float(x[i]), float(u[i]))
    return out.reshape(shape)


def expected_purchases(fit: BGNBDFit, frequency, recency, T, horizon) -> np.ndarray:
    """Expected number of purchases in the next `horizon` time units (after T), given the
    customer's history: P(alive) times the expected purchases of an alive customer. `horizon`
    is a number or one per customer."""
    x, tx, t = check_inputs(frequency, recency, T)
    h = _as_float_array("horizon", horizon)
    x, tx, t, h = np.broadcast_arrays(x, tx, t, h)
    alive = expit(-_log_odds_dead(fit, x, tx, t))
    return np.where(h > 0, alive * _expected_if_alive(fit, x, t, h), 0.0)


def expected_purchases_new(fit: BGNBDFit, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in the first t time units of a customer who has just
    made their first purchase (the formulas of FHL 2005 and Batislam et al. 2007)."""
    h = _as_float_array("t", t)
    zero = np.zeros_like(h)
    return expected_purchases(fit, zero, zero, zero, h)


# ------------------------------------------------------------------ simulation


def _simulate(m: int, n: int, r: float, alpha: float, a: float, b: float, T, seed,
              holdout: float | None) -> pd.DataFrame:
    if n < 1:
        raise ValueError("n must be >= 1")
    if min(r, alpha, a, b) <= 0:
        raise ValueError("r, alpha, a and b must be > 0")
    rng = np.random.default_rng(seed)
    t_obs = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if (t_obs < 0).any() or not np.isfinite(t_obs).all():
        raise ValueError("T must be finite and >= 0")
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # purchases made before dropping out, the last one included: BG/NBD drops after a repeat
    # purchase (>= 1 of them); MBG/NBD may drop right after the first purchase (>= 0)
    lifetime_purchases = rng.geometric(p) - m
    n_obs = rng.poisson(lam * t_obs)  # repeat purchases a never-dropping customer makes in (0, T]
    frequency = np.minimum(lifetime_purchases, n_obs)
    # given n_obs purchases in (0, T], their times are n_obs sorted uniforms: the k-th is
    # T * Beta(k, n_obs - k + 1)
    k = np.maximum(frequency, 1)
    recency = np.where(frequency > 0, t_obs * rng.beta(k, np.maximum(n_obs - k + 1, 1)), 0.0)
    alive = lifetime_purchases > n_obs
    out = pd.DataFrame({"frequency": frequency.astype(np.int64), "recency": recency, "T": t_obs,
                        "lambda": lam, "p": p, "alive": alive})
    if holdout is not None:
        # memoryless: an alive customer's purchases after T are a new Poisson process, cut at
        # the purchases they have left before dropping out
        future = rng.poisson(lam * float(holdout))
        out["holdout_frequency"] = np.where(alive, np.minimum(future, lifetime_purchases - n_obs), 0)
    return out


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, T, seed=None, *,
                   holdout: float | None = None) -> pd.DataFrame:
    """n customers drawn from the BG/NBD: lambda ~ Gamma(r, alpha), p ~ Beta(a, b), Poisson
    purchases after a first purchase at time 0, dropout with probability p after each repeat
    purchase, observed over (0, T] (T a number or one per customer).

    Columns frequency, recency, T (the model's inputs), lambda, p, alive (at T: the truth the
    model estimates) and, with `holdout`, holdout_frequency: the purchases in (T, T+holdout]."""
    return _simulate(0, n, r, alpha, a, b, T, seed, holdout)


def simulate_mbgnbd(n: int, r: float, alpha: float, a: float, b: float, T, seed=None, *,
                    holdout: float | None = None) -> pd.DataFrame:
    """As simulate_bgnbd for the MBG/NBD: the dropout may also come right after the first
    purchase, so a one-time buyer may be dead."""
    return _simulate(1, n, r, alpha, a, b, T, seed, holdout)
