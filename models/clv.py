"""Customer-base predictive tags: P(alive), expected purchases and expected spend.

Composes the probabilistic models: the (M)BG/NBD of `models/bgnbd.py` for whether a customer
is still "alive" and how many purchases to expect over a horizon, and the Gamma-Gamma model
of `models/gamma_gamma.py` for the spend per purchase. Inputs are one row per customer with
a paid order (int_customer_purchase_history: frequency, recency and T in days, the mean net
amount of the repeat purchase days). Customers who never bought are not scored: there is no
purchase process to describe yet, which is not the same as zero (the caller leaves them NULL).

The fitted parameters are the model's version: they are returned beside the scores and
stored with every value, so a P(alive) can be traced to the fit that produced it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from models import bgnbd, gamma_gamma

MODELS = ("mbgnbd", "bgnbd")


@dataclass(frozen=True)
class CLVParams:
    model: str = "mbgnbd"  # mbgnbd: one-time buyers can be dead (see models/bgnbd.py); bgnbd: the 2005 model
    horizons_days: tuple[int, ...] = (30, 90, 180)
    spend_horizon_days: int = 90
    penalizer: float = 0.0
    min_customers: int = 20  # below: too few buyers to fit; the tags stay NULL

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"clv.model must be one of {list(MODELS)}, not {self.model!r}")
        if not self.horizons_days or any(h <= 0 for h in self.horizons_days):
            raise ValueError("clv.horizons_days must be positive whole numbers of days")
        if self.spend_horizon_days not in self.horizons_days:
            raise ValueError("clv.spend_horizon_days must be one of clv.horizons_days")
        object.__setattr__(self, "horizons_days", tuple(int(h) for h in self.horizons_days))


@dataclass(frozen=True)
class CLVResult:
    customers: pd.DataFrame  # customer_id, frequency, recency, t_days, p_alive, expected_purchases_<h>d, ...
    fit: dict = field(default_factory=dict)  # model, parameters, log-likelihood, convergence, version

    @property
    def version(self) -> str:
        return self.fit.get("version", "")


def _fit_version(fit: dict) -> str:
    return hashlib.sha256(json.dumps(fit, sort_keys=True, default=str).encode()).hexdigest()[:12]


def clv_scores(history: pd.DataFrame, params: CLVParams = CLVParams()) -> CLVResult:
    """Scores every customer of `history` (customer_id, frequency, recency, t_days,
    monetary_repeat); NULL scores when there are too few customers to fit."""
    out = history[["customer_id", "frequency", "recency", "t_days"]].copy()
    f = history["frequency"].to_numpy(dtype=float)
    r = history["recency"].to_numpy(dtype=float)
    t = history["t_days"].to_numpy(dtype=float)
    columns = ["p_alive", *(f"expected_purchases_{h}d" for h in params.horizons_days),
               f"expected_spend_{params.spend_horizon_days}d"]
    if len(history) < params.min_customers:
        for c in columns:
            out[c] = np.nan
        fit = {"model": params.model, "status": f"not fitted: {len(history)} buyers < {params.min_customers}"}
        fit["version"] = _fit_version(fit)
        return CLVResult(out, fit)

    fitter = bgnbd.fit_mbgnbd if params.model == "mbgnbd" else bgnbd.fit_bgnbd
    model_fit = fitter(f, r, t, penalizer=params.penalizer)
    out["p_alive"] = bgnbd.p_alive(model_fit, f, r, t)
    for h in params.horizons_days:
        out[f"expected_purchases_{h}d"] = bgnbd.expected_purchases(model_fit, f, r, t, h)

    monetary = history["monetary_repeat"].to_numpy(dtype=float)
    repeat = (f > 0) & np.isfinite(monetary) & (monetary > 0)
    fit: dict = {"model": params.model, "status": "fitted",
                 **{k: v for k, v in asdict(model_fit).items() if isinstance(v, (int, float, bool, str))}}
    if repeat.sum() >= params.min_customers:
        gg = gamma_gamma.fit_gamma_gamma(f[repeat], monetary[repeat])
        spend = gamma_gamma.expected_average_spend(gg, f, np.where(repeat, monetary, 0.0))
        out[f"expected_spend_{params.spend_horizon_days}d"] = (
            out[f"expected_purchases_{params.spend_horizon_days}d"].to_numpy() * spend)
        fit.update({f"gamma_gamma_{k}": v for k, v in asdict(gg).items() if isinstance(v, (int, float, bool, str))})
    else:
        out[f"expected_spend_{params.spend_horizon_days}d"] = np.nan
        fit["gamma_gamma"] = f"not fitted: {int(repeat.sum())} repeat buyers < {params.min_customers}"
    fit["version"] = _fit_version(fit)
    return CLVResult(out, fit)
