"""Customer behaviour: the purchase process, orders and their lines, app events, referrals,
store visits.

Purchases follow a BG/NBD-like story so that RFM, loyalty, churn and "alive" tags have
something real to find: each buyer has a purchase rate (Gamma-heterogeneous), drops out
after any purchase with a person-level probability (Beta-heterogeneous), and spends
per order around a Pareto-heavy personal mean. Loyal buyers purchase in regular cycles
and hardly drop out. Browsing decays in the 60 days before a dropout and then stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import names as N
from .world import DAY, Timeline, time_of_day
from .world_records import Records, Stores

BUYER_SHARE = 0.85
LOYAL_SHARE = 0.10          # of buyers
DECAY_SECONDS = 60 * DAY    # browsing fades over this span before a dropout
CHANNELS: list[str] = [c for c, _ in N.APP_CHANNELS] + ["门店"] + [c for c, _ in N.CRM_CHANNELS]
ENT_CHANNEL = CHANNELS.index("企业采购")
STORE_CHANNEL = CHANNELS.index("门店")
PRODUCT_EVENTS = (0, 2, 3, 5)  # view, favourite, add_to_cart, share carry a sku


@dataclass
class Profiles:
    """Person-level behaviour parameters (ground truth)."""

    is_buyer: np.ndarray
    is_loyal: np.ndarray
    spend: np.ndarray       # mean order amount in CNY
    pref: np.ndarray        # (n, 3) preferred category indices, -1 padded
    activity: np.ndarray    # browsing intensity multiplier


@dataclass
class Purchases:
    """Purchase times before they become orders, sorted by (person, time)."""

    person: np.ndarray      # int32
    time: np.ndarray        # int64 epoch seconds
    first: np.ndarray       # per person, -1 for non-buyers
    last: np.ndarray
    churned: np.ndarray     # per person: dropped out inside the window


@dataclass
class Orders:
    """Orders sorted by time; ``number`` is the numeric part of the order id."""

    number: np.ndarray
    person: np.ndarray
    record: np.ndarray
    time: np.ndarray
    status: np.ndarray      # index into names.STATUS_NAMES
    amount_cents: np.ndarray
    channel: np.ndarray     # index into CHANNELS
    store: np.ndarray       # store index or -1


@dataclass
class Items:
    """Order lines; ``order`` indexes ``Orders`` (which is sorted by time)."""

    order: np.ndarray
    line_no: np.ndarray
    sku: np.ndarray
    category: np.ndarray
    qty: np.ndarray
    unit_cents: np.ndarray


@dataclass
class Events:
    """App behaviour events sorted by time; person/record -1 for anonymous devices."""

    person: np.ndarray
    record: np.ndarray
    device: np.ndarray
    etype: np.ndarray       # index into names.EVENT_TYPES
    ts: np.ndarray          # epoch seconds
    ms: np.ndarray          # milliseconds part
    sku: np.ndarray         # -1 when none
    category: np.ndarray    # -1 when none
    n_devices: int


@dataclass
class Referrals:
    """Who brought whom: referrer persons, referred persons and the referral time."""

    referrer: np.ndarray
    referred: np.ndarray
    time: np.ndarray


# --------------------------------------------------------------------------- catalogue
def sku_layout() -> tuple[np.ndarray, np.ndarray]:
    """(first sku index, sku count) per category; 500 SKUs split by category share."""
    share = np.array([s for _, _, s in N.CATEGORIES])
    counts = np.floor(share / share.sum() * N.N_SKUS).astype(np.int64)
    counts[0] += N.N_SKUS - counts.sum()
    return np.cumsum(counts) - counts, counts


def pick_categories(rng: np.random.Generator, pref: np.ndarray, rows: np.ndarray, p_pref: float) -> np.ndarray:
    """Category per row: one of the person's preferred ones with prob ``p_pref``, else any."""
    k = (pref[rows] >= 0).sum(axis=1)
    choice = pref[rows, (rng.random(len(rows)) * k).astype(np.int64)]
    anything = rng.integers(0, len(N.CATEGORIES), len(rows))
    return np.where(rng.random(len(rows)) < p_pref, choice, anything).astype(np.int8)


def pick_skus(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """A SKU of the given category (uniform within the category)."""
    start, count = sku_layout()
    c = category.astype(np.int64)
    return (start[c] + (rng.random(len(c)) * count[c]).astype(np.int64)).astype(np.int16)


# --------------------------------------------------------------------------- purchases
def make_profiles(rng: np.random.Generator, n: int) -> Profiles:
    """Buyer/loyal flags, Pareto-heavy spend level, 1–3 preferred categories, browse intensity."""
    is_buyer = rng.random(n) < BUYER_SHARE
    is_loyal = is_buyer & (rng.random(n) < LOYAL_SHARE)
    spend = np.minimum(45.0 * (1.0 + rng.pareto(1.25, n)), 20_000.0) * np.where(is_loyal, 1.3, 1.0)
    k = rng.choice([1, 2, 3], size=n, p=[0.35, 0.4, 0.25])
    cats = np.argsort(rng.random((n, len(N.CATEGORIES))), axis=1)[:, :3]
    pref = np.where(np.arange(3)[None, :] < k[:, None], cats, -1).astype(np.int8)
    activity = rng.gamma(1.5, 1 / 1.5, n) * np.where(is_buyer, 1.0 + 0.5 * is_loyal, 0.6)
    return Profiles(is_buyer=is_buyer, is_loyal=is_loyal, spend=spend, pref=pref, activity=activity)


def make_purchases(rng: np.random.Generator, prof: Profiles, tl: Timeline, rate_scale: float = 1.0) -> Purchases:
    """Simulate each buyer's purchase times with dropout (vectorised over all purchases).

    Gaps are Gamma(k, 1/(kλ)): k = 1 (Poisson-like) for most, k = 6 (regular cycles) for
    loyal buyers. A buyer makes D ~ Geometric(p) purchases before dropping out; those
    falling after the window end are never seen (and the buyer is then still alive).
    """
    n = len(prof.is_buyer)
    buyers = np.flatnonzero(prof.is_buyer)
    nb = len(buyers)
    loyal = prof.is_loyal[buyers]
    horizon_days = float(tl.days)
    lam = np.where(loyal, 1.0 / rng.uniform(20, 50, nb), rng.gamma(1.1, 1 / (1.1 * 38.0), nb))
    lam = np.clip(lam, 1 / 2000, 1 / 3)
    if rate_scale != 1.0:  # the benchmark mix: more purchases per buyer (same dropout story)
        lam = np.clip(lam * rate_scale, 1 / 2000, 1 / 2)
    p_drop = np.where(loyal, rng.beta(1.0, 150.0, nb), rng.beta(1.6, 12.0, nb))
    shape = np.where(loyal, 6.0, 1.0)
    t0 = np.where(loyal, rng.uniform(0, 0.4, nb), rng.uniform(0, 1, nb)) * horizon_days
    dropouts = rng.geometric(np.clip(p_drop, 1e-4, 1.0))          # purchases before dropout
    expected = lam * (horizon_days - t0)
    cap = np.ceil(expected * 1.6 + 4 * np.sqrt(expected) + 3).astype(np.int64)
    n_gaps = np.minimum(dropouts - 1, cap)

    seg = np.repeat(np.arange(nb), n_gaps)
    gaps = rng.gamma(shape[seg], 1.0 / (shape[seg] * lam[seg]))
    csum = np.cumsum(gaps)
    seg_start = np.cumsum(n_gaps) - n_gaps
    before = np.where(seg_start > 0, csum[np.maximum(seg_start - 1, 0)], 0.0)
    t = t0[seg] + csum - before[seg]
    keep = t < horizon_days
    kept = np.bincount(seg[keep], minlength=nb)
    churned_b = (dropouts - 1 <= cap) & (kept == dropouts - 1)

    person_b = np.concatenate([np.arange(nb), seg[keep]])
    day = np.concatenate([t0, t[keep]])
    order = np.lexsort((day, person_b))
    person_b, day = person_b[order], day[order]
    secs = tl.start_s + np.floor(day).astype(np.int64) * DAY + time_of_day(rng, len(day))
    secs = np.minimum(secs, tl.end_s)
    # same-day purchases may invert after adding the clock time: re-sort within person
    order = np.lexsort((secs, person_b))
    person_b, secs = person_b[order], secs[order]

    person = buyers[person_b].astype(np.int32)
    first = np.full(n, -1, np.int64)
    last = np.full(n, -1, np.int64)
    counts = np.bincount(person_b, minlength=nb)
    ends = np.cumsum(counts)
    first[buyers] = secs[ends - counts]
    last[buyers] = secs[ends - 1]
    churned = np.zeros(n, dtype=bool)
    churned[buyers] = churned_b
    return Purchases(person=person, time=secs, first=first, last=last, churned=churned)


# --------------------------------------------------------------------------- orders
def choose_records(rng: np.random.Generator, records: Records, person: np.ndarray, n_persons: int,
                   weights: tuple[float, ...] = (3.0, 1.0, 2.0, 1.5, 2.5, 0.0)) -> np.ndarray:
    """For each row, one of the person's records, weighted by source (app > mall > store > ent >
    crm; never the service desk, which takes no orders). Every buyer has a record that does."""
    by_person = np.argsort(records.person, kind="stable")
    w = np.asarray(weights)[records.source[by_person]]
    cum = np.cumsum(w)
    counts = np.bincount(records.person, minlength=n_persons)
    ends = np.cumsum(counts)
    starts = ends - counts
    base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    total = cum[np.maximum(ends - 1, 0)] - base
    u = base[person] + rng.random(len(person)) * total[person]
    j = np.searchsorted(cum, u, side="right")
    j = np.clip(j, starts[person], ends[person] - 1)
    return by_person[j].astype(np.int32)


def primary_record_of(records: Records, rec: np.ndarray) -> np.ndarray:
    """The primary record of the same person and source as each record in ``rec``."""
    prim = np.flatnonzero(records.primary)
    key = records.person[prim].astype(np.int64) * 8 + records.source[prim]
    order = np.argsort(key, kind="stable")
    want = records.person[rec].astype(np.int64) * 8 + records.source[rec]
    return prim[order[np.searchsorted(key[order], want)]].astype(np.int32)


def make_orders(rng: np.random.Generator, prof: Profiles, pur: Purchases, records: Records,
                stores: Stores) -> tuple[Orders, Items]:
    """Turn purchases into orders and lines: record, channel, store, status, amount = Σ lines."""
    n_orders = len(pur.person)
    person = pur.person
    rec = choose_records(rng, records, person, len(prof.is_buyer))
    too_early = records.created[rec] > pur.time
    rec = np.where(too_early, primary_record_of(records, rec), rec).astype(np.int32)
    system = records.source[rec]

    channel = np.empty(n_orders, dtype=np.int8)
    app_p = N.normalised_weights(N.APP_CHANNELS)
    crm_p = N.normalised_weights(N.CRM_CHANNELS)
    channel[:] = rng.choice(len(app_p), n_orders, p=app_p)
    channel[system == 1] = (len(app_p) + 1 + rng.choice(len(crm_p), n_orders, p=crm_p))[system == 1]
    channel[system == 2] = STORE_CHANNEL
    channel[system == 3] = ENT_CHANNEL
    store = np.where(system == 2, np.where(rng.random(n_orders) < 0.85, records.store[rec],
                                           rng.integers(0, stores.n, n_orders)), -1).astype(np.int32)
    status = rng.choice(3, n_orders, p=[0.90, 0.06, 0.04]).astype(np.int8)

    items = make_items(rng, prof, person)
    amount_cents = np.bincount(items.order, weights=items.qty * items.unit_cents.astype(np.float64),
                               minlength=n_orders).astype(np.int64)

    order = np.argsort(pur.time, kind="stable")
    rank = np.empty(n_orders, dtype=np.int64)
    rank[order] = np.arange(n_orders)
    number = 1_000_000_000 + np.cumsum(rng.integers(1, 4, n_orders))
    orders = Orders(number=number, person=person[order], record=rec[order], time=pur.time[order],
                    status=status[order], amount_cents=amount_cents[order], channel=channel[order],
                    store=store[order])
    items.order = rank[items.order].astype(np.int32)
    item_order = np.lexsort((items.line_no, items.order))
    items = Items(**{k: getattr(items, k)[item_order] for k in items.__dataclass_fields__})
    return orders, items


def make_items(rng: np.random.Generator, prof: Profiles, person: np.ndarray) -> Items:
    """1–4 lines per order with category preference, qty 1–3 and prices from the spend level.

    The order's target amount is lognormal around the person's mean and split over lines;
    unit prices are rounded like shop prices (x.x0 or x.x9).
    """
    n_orders = len(person)
    n_lines = rng.choice([1, 2, 3, 4], n_orders, p=[0.45, 0.30, 0.17, 0.08])
    target = rng.lognormal(np.log(prof.spend[person]) - 0.125, 0.5)
    order = np.repeat(np.arange(n_orders), n_lines).astype(np.int32)
    line_no = (np.arange(len(order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1).astype(np.int16)
    share = rng.gamma(2.0, 1.0, len(order))
    share /= np.bincount(order, weights=share)[order]
    qty = rng.choice([1, 2, 3], len(order), p=[0.72, 0.20, 0.08]).astype(np.int16)
    unit = target[order] * share / qty
    unit_cents = np.maximum(np.round(unit * 10) * 10, 100).astype(np.int64)
    unit_cents -= (rng.random(len(order)) < 0.3).astype(np.int64)
    category = pick_categories(rng, prof.pref, person[order], 0.8)
    sku = pick_skus(rng, category)
    return Items(order=order, line_no=line_no, sku=sku, category=category, qty=qty, unit_cents=unit_cents)


# --------------------------------------------------------------------------- referrals
def make_referrals(rng: np.random.Generator, records: Records, n_persons: int, tl: Timeline,
                   share: float = 0.05) -> Referrals:
    """~5 % of persons (app members) refer 1+ others who register in the app days later.

    Only referrals inside the window are kept, so each one has a visible referral event.
    """
    app = np.flatnonzero((records.source == 0) & records.primary)
    reg = records.created[app]
    persons = records.person[app]
    order = np.argsort(reg, kind="stable")
    persons, reg = persons[order], reg[order]
    n_ref = int(round(n_persons * share))
    if len(persons) < 10 or n_ref == 0:
        empty = np.zeros(0, np.int64)
        return Referrals(empty.astype(np.int32), empty.astype(np.int32), empty)
    pick = np.sort(rng.choice(len(persons), size=min(n_ref, len(persons) - 1), replace=False))
    k = 1 + rng.poisson(0.4, len(pick))
    src = np.repeat(pick, k)
    lo = np.searchsorted(reg, reg[src] + DAY)          # registered at least a day later
    ok = lo < len(persons)
    src, lo = src[ok], lo[ok]
    span = np.minimum(len(persons) - lo, np.maximum(1, len(persons) // 20))  # soon after
    dst = lo + (rng.random(len(src)) * span).astype(np.int64)
    _, first = np.unique(dst, return_index=True)      # each person is referred at most once
    first = np.sort(first)
    src, dst = src[first], dst[first]
    when = np.maximum(reg[dst] - rng.integers(600, 3 * DAY, len(dst)), reg[src] + 60)
    inside = (when >= tl.start_s) & (when <= tl.end_s)
    src, dst, when = src[inside], dst[inside], when[inside]
    return Referrals(referrer=persons[src], referred=persons[dst], time=when)
