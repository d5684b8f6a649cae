"""Browsing: the app events of members (views, favourites, carts, shares, searches) and the
stores' visits, with and without a purchase. Purchases and orders are in behaviour.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import names as N
from .world import DAY, Timeline, time_of_day
from .world_records import Records, Stores

from .behaviour import DECAY_SECONDS, Events, Orders, PRODUCT_EVENTS, Profiles, Purchases, Referrals, pick_categories, pick_skus


# --------------------------------------------------------------------------- events
EVENTS_PER_MEMBER = 25.0
def make_events(rng: np.random.Generator, prof: Profiles, pur: Purchases, records: Records,
                referrals: Referrals, tl: Timeline, per_member: float = EVENTS_PER_MEMBER) -> Events:
    """Member browsing inside each person's active window, anonymous traffic and referrals.

    A window ending before the end of data (dropped-out buyers, lapsed browsers) gets a
    linearly fading intensity over its last 60 days and nothing afterwards.
    """
    n = len(prof.is_buyer)
    app = np.flatnonzero(records.source == 0)
    prim = app[records.primary[app]]
    second = app[~records.primary[app]]
    app_person = records.person[prim]
    n_app = len(app_person)
    primary_rec = np.full(n, -1, np.int64)
    primary_rec[app_person] = prim
    second_rec = np.full(n, -1, np.int64)
    second_rec[records.person[second]] = second

    reg = records.created[prim]
    ws = np.maximum(reg, tl.start_s)
    lapsed = ~prof.is_buyer[app_person] & (rng.random(n_app) < 0.5)
    we = np.full(n_app, tl.end_s, dtype=np.int64)
    we = np.where(pur.churned[app_person], pur.last[app_person], we)
    we = np.where(lapsed, ws + (rng.random(n_app) * (tl.end_s - ws)).astype(np.int64), we)
    we = np.maximum(we, ws)
    decays = we < tl.end_s - DAY
    a = np.where(decays, np.maximum(ws, we - DECAY_SECONDS), we)
    mass = (a - ws) + (we - a).astype(np.float64) ** 2 / (2 * DECAY_SECONDS)
    weight = prof.activity[app_person] * mass / DAY
    base = per_member * n_app / max(weight.sum(), 1e-9)
    k = rng.poisson(base * weight)

    seg = np.repeat(np.arange(n_app), k)
    u = rng.random(len(seg)) * mass[seg]
    flat = a[seg] - ws[seg]
    tail = (we[seg] - a[seg]).astype(np.float64)
    t = np.where(u < flat, ws[seg] + u,
                 we[seg] - np.sqrt(np.maximum(tail**2 - 2 * DECAY_SECONDS * (u - flat), 0.0)))
    t = t.astype(np.int64)
    clocked = t - t % DAY + time_of_day(rng, len(t))
    t = np.where((clocked >= ws[seg]) & (clocked <= we[seg]), clocked, t)

    person = app_person[seg].astype(np.int32)
    rec = primary_rec[person]
    use_second = (second_rec[person] >= 0) & (t >= records.created[np.maximum(second_rec[person], 0)]) \
        & (rng.random(len(t)) < 0.7)
    rec = np.where(use_second, second_rec[person], rec)
    etype = rng.choice(6, len(t), p=[0.45, 0.14, 0.05, 0.12, 0.18, 0.06]).astype(np.int8)
    category = pick_categories(rng, prof.pref, person, 0.7)
    n_dev = 1 + (rng.random(n_app) < 0.3)
    dev_base = np.cumsum(n_dev) - n_dev
    dev_of = np.full(n, -1, np.int64)
    dev_of[app_person] = dev_base
    device = dev_base[seg] + (rng.random(len(seg)) * n_dev[seg]).astype(np.int64)

    # anonymous (not logged in) traffic: ~10 % of all events
    n_member_dev = int(n_dev.sum())
    n_anon_dev = max(50, n_app // 5)
    n_anon = int(round(len(t) / 9))
    anon_t = rng.integers(tl.start_s // DAY, tl.end_s // DAY + 1, n_anon) * DAY + time_of_day(rng, n_anon)
    anon_type = rng.choice([0, 1, 3], n_anon, p=[0.65, 0.30, 0.05]).astype(np.int8)
    anon_cat = rng.integers(0, len(N.CATEGORIES), n_anon).astype(np.int8)
    anon_dev = n_member_dev + rng.integers(0, n_anon_dev, n_anon)

    # referral events: the referrer shares, the friend registers shortly after
    ref_rec = primary_rec[referrals.referrer]
    ref_dev = dev_of[referrals.referrer]
    n_refs = len(referrals.referrer)

    ts = np.concatenate([t, anon_t, referrals.time]).astype(np.int64)
    etype = np.concatenate([etype, anon_type, np.full(n_refs, 6, np.int8)])
    category = np.concatenate([category, anon_cat, np.full(n_refs, -1, np.int8)])
    has_sku = np.isin(etype, PRODUCT_EVENTS)
    category = np.where(has_sku | ((etype == 1) & (rng.random(len(ts)) < 0.6)), category, -1).astype(np.int8)
    sku = np.where(has_sku, pick_skus(rng, np.maximum(category, 0)), -1).astype(np.int16)
    ev = Events(person=np.concatenate([person, np.full(n_anon, -1, np.int32), referrals.referrer]).astype(np.int32),
                record=np.concatenate([rec, np.full(n_anon, -1), ref_rec]).astype(np.int32),
                device=np.concatenate([device, anon_dev, ref_dev]).astype(np.int32),
                etype=etype, ts=ts, ms=rng.integers(0, 1000, len(ts)).astype(np.int16),
                sku=sku, category=category, n_devices=n_member_dev + n_anon_dev)
    order = np.lexsort((ev.ms, ev.ts))
    for name in ("person", "record", "device", "etype", "ts", "ms", "sku", "category"):
        setattr(ev, name, getattr(ev, name)[order])
    return ev


# --------------------------------------------------------------------------- store visits
@dataclass
class Visits:
    """Store visits (a member card scanned at a store's door or till), sorted by time."""

    record: np.ndarray      # the store card (a store record)
    person: np.ndarray
    store: np.ndarray       # store index
    ts: np.ndarray          # int64 epoch seconds
    bought: np.ndarray      # the visit of a store order (truth: a purchase followed)


BROWSING_VISITS_PER_YEAR = 2.0  # store visits without a purchase, per card and year of activity
STORE_OPEN_S, STORE_HOURS_S = 10 * 3600, 11 * 3600 + 1800  # 10:00 to 21:30


def make_store_visits(rng: np.random.Generator, prof: Profiles, pur: Purchases, orders: Orders,
                      records: Records, stores: Stores, tl: Timeline) -> Visits:
    """Every store order begins with its card holder's visit (5 to 60 minutes before paying);
    besides, every card holder walks in without buying about twice a year while active
    (more the more active the person, never after 30 days past a dropout), mostly at the
    card's own store: so a store's conversion from visit to purchase is something to measure."""
    sel = np.flatnonzero(orders.store >= 0)
    card = orders.record[sel].astype(np.int64)
    buy_t = np.maximum(orders.time[sel] - rng.integers(5 * 60, 60 * 60, len(sel)), records.created[card])

    cards = np.flatnonzero(records.source == N.STORE)
    person = records.person[cards]
    ws = np.maximum(records.created[cards], tl.start_s)
    stop = np.where(pur.churned[person], pur.last[person] + 30 * DAY, tl.end_s)
    we = np.clip(stop, ws, tl.end_s)
    years = (we - ws) / (365 * DAY)
    k = rng.poisson(BROWSING_VISITS_PER_YEAR * prof.activity[person] * years)
    seg = np.repeat(np.arange(len(cards)), k)
    day = (ws[seg] + (rng.random(len(seg)) * (we[seg] - ws[seg])).astype(np.int64)) // DAY
    t = day * DAY + STORE_OPEN_S + rng.integers(0, STORE_HOURS_S, len(seg))
    t = np.clip(t, ws[seg], tl.end_s)
    home = records.store[cards[seg]]
    store = np.where((rng.random(len(seg)) < 0.85) & (home >= 0), home, rng.integers(0, stores.n, len(seg)))

    ts = np.concatenate([buy_t, t]).astype(np.int64)
    record = np.concatenate([card, cards[seg]]).astype(np.int32)
    order = np.argsort(ts, kind="stable")
    return Visits(record=record[order], person=records.person[record[order]].astype(np.int32),
                  store=np.concatenate([orders.store[sel], store]).astype(np.int32)[order], ts=ts[order],
                  bought=np.concatenate([np.ones(len(sel), bool), np.zeros(len(seg), bool)])[order])
