"""Times the BG/NBD and MBG/NBD fits and scoring (models/bgnbd.py) on simulated customers.

    .venv/bin/python bench/bgnbd_bench.py --customers 1000000

For each model: N customers drawn from it in whole days as the pipeline will see them (the
CDNOW parameters of Fader, Hardie & Lee 2005 with alpha in days: r 0.25, alpha 28, a 0.8,
b 2.5; first purchase uniformly over a 3-year window, so T is 1..1095 days; recency rounded up
to whole days), the maximum-likelihood fit (the identical rows merged first), then P(alive)
and the expected purchases over 30 / 90 / 180 days for every customer; the Gamma-Gamma fit on
the repeat buyers of the last data set. Prints the timings, the distinct rows the likelihood
ran on and the recovered parameters; writes nothing.

    .venv/bin/python bench/bgnbd_bench.py --customers 1000000 --vs-lifetimes

adds `fit_bgnbd` beside lifetimes' `BetaGeoFitter` (the `bench` extra: `uv sync --extra bench`)
on the same BG/NBD customers with continuous recency and age (no rounding, so hardly two rows
alike and nothing to merge: the hard case for us), each timed on the same arrays, and the
largest relative difference of the four parameters.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.bgnbd import (
    MODELS,
    expected_purchases,
    fit,
    fit_bgnbd,
    p_alive,
    simulate_bgnbd,
    simulate_mbgnbd,
)
from models.gamma_gamma import fit_gamma_gamma, simulate_gamma_gamma

TRUE = {"r": 0.25, "alpha": 28.0, "a": 0.8, "b": 2.5}
GG_TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}
SIMULATE = {"bgnbd": simulate_bgnbd, "mbgnbd": simulate_mbgnbd}


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    value = f(*args, **kwargs)
    return value, time.perf_counter() - start


def vs_lifetimes(n: int, seed: int) -> None:
    """fit_bgnbd and lifetimes' BetaGeoFitter on the same continuous data, one after the other."""
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        sys.exit("--vs-lifetimes needs lifetimes: uv sync --frozen --extra bench")
    rng = np.random.default_rng(seed)
    T = rng.uniform(1.0, 1095.0, n)
    sim = simulate_bgnbd(n, **TRUE, T=T, seed=int(rng.integers(1 << 31)))
    x, recency = sim["frequency"].to_numpy(dtype=float), sim["recency"].to_numpy()
    ours, t_ours = timed(fit_bgnbd, x, recency, T)
    theirs = BetaGeoFitter()
    _, t_theirs = timed(theirs.fit, x, recency, T)
    diff = max(abs(ours.params[k] / float(theirs.params_[k]) - 1.0) for k in TRUE)
    print(f"BG/NBD on {n:,} customers, continuous recency and age ({ours.n_distinct:,} distinct rows)")
    print(f"  huaxiang fit_bgnbd          {t_ours:8.2f} s  " + " ".join(f"{k} {v:.4f}" for k, v in ours.params.items()))
    print(f"  lifetimes BetaGeoFitter.fit {t_theirs:8.2f} s  " + " ".join(
        f"{k} {float(theirs.params_[k]):.4f}" for k in TRUE))
    print(f"  speed-up {t_theirs / t_ours:.1f}x; largest relative parameter difference {diff:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizons", type=int, nargs="+", default=[30, 90, 180])
    parser.add_argument("--vs-lifetimes", action="store_true",
                        help="also time lifetimes' BetaGeoFitter beside fit_bgnbd (continuous recency and age)")
    args = parser.parse_args()
    if args.vs_lifetimes:
        vs_lifetimes(args.customers, args.seed)
        print()
    n = args.customers
    rng = np.random.default_rng(args.seed)

    rows = []
    print(f"{n:,} customers per model, times in days; true r {TRUE['r']} alpha {TRUE['alpha']} "
          f"a {TRUE['a']} b {TRUE['b']}\n")
    for model in MODELS:
        T = rng.integers(1, 1096, n).astype(float)
        sim, t_sim = timed(SIMULATE[model], n, **TRUE, T=T, seed=int(rng.integers(1 << 31)))
        x = sim["frequency"].to_numpy(dtype=float)
        recency = np.minimum(np.ceil(sim["recency"].to_numpy()), T)
        fitted, t_fit = timed(fit, x, recency, T, model=model)
        rows.append((model, "simulate", t_sim, ""))
        note = (f"{fitted.iterations} iterations, {fitted.n_distinct:,} distinct rows, "
                f"converged {fitted.converged}; r {fitted.r:.3f} alpha {fitted.alpha:.2f} "
                f"a {fitted.a:.3f} b {fitted.b:.3f}")
        rows.append((model, "fit", t_fit, note))
        prob, t_alive = timed(p_alive, fitted, x, recency, T)
        rows.append((model, "p_alive", t_alive, f"mean {prob.mean():.3f} (share alive {sim['alive'].mean():.3f})"))
        for h in args.horizons:
            e, t_e = timed(expected_purchases, fitted, x, recency, T, h)
            rows.append((model, f"expected_purchases {h}d", t_e, f"mean {e.mean():.4f}, all finite {np.isfinite(e).all()}"))

    spend = simulate_gamma_gamma(x.astype(np.int64), **GG_TRUE, seed=args.seed)
    gg, t_gg = timed(fit_gamma_gamma, spend["frequency"], spend["monetary_value"])
    note = (f"{int(gg.n_customers):,} repeat buyers; p {gg.p:.2f} q {gg.q:.2f} v {gg.v:.2f} "
            f"(true {GG_TRUE['p']} {GG_TRUE['q']} {GG_TRUE['v']})")
    rows.append(("gamma-gamma", "fit", t_gg, note))

    print(f"{'model':<12} {'step':<24} {'seconds':>8}  notes")
    print("-" * 110)
    for model, step, seconds, note in rows:
        print(f"{model:<12} {step:<24} {seconds:>8.2f}  {note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
