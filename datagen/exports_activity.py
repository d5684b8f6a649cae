"""The activity exports: app events, the OMS's orders and order lines, the marketplace
shop's orders and the stores' visits.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from . import names as N
from . import text as T
from .behaviour import CHANNELS
from .world import DAY
from .writers import ParquetExport, TextExport

from .exports import (
    Universe,
    _pick,
    _record_refs,
    _sku_codes,
)

def event_exports(u: Universe) -> Iterator[TextExport]:
    """``app/events/month=YYYY-MM/events.jsonl``, one per month, in time order."""
    ev = u.events
    width = max(10, len(str(len(ev.ts))))
    months = ev.ts.astype("datetime64[s]").astype("datetime64[M]")
    bounds = np.searchsorted(months, np.unique(months))
    bounds = np.r_[bounds, len(ev.ts)]
    devices = T.random_tokens(T.stage_rng(u.seed, "devices"), ev.n_devices, 16, "0123456789abcdef")
    skus = _sku_codes()
    cats = [c for c, _, _ in N.CATEGORIES]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        month = str(months[lo])
        rng = u.rng("events:" + month)
        sl = slice(int(lo), int(hi))
        ts, future, bad = _dirty_times(rng, ev.ts[sl], u.tl.end_s, 0.001, 0.001, ["%Y-%m-%dT%H:%M:%S.%f+08:00"],
                                       millis=ev.ms[sl], bad_values=["N/A", "", "0000-00-00T00:00:00"])
        columns = {
            "event_id": T.ids("E", np.arange(lo + 1, hi + 1), width),
            "member_id": _record_refs(u.records, ev.record[sl]),
            "device_id": devices.take(pa.array(ev.device[sl])),
            "event": T.lookup(N.EVENT_TYPES, ev.etype[sl]),
            "ts": ts,
            "sku": T.lookup(skus, ev.sku[sl]),
            "category": T.lookup(cats, ev.category[sl]),
        }
        yield TextExport(f"app/events/month={month}/events.jsonl", "jsonl", columns,
                         {"future_timestamp": future, "unparseable_timestamp": bad})


def _dirty_times(rng: np.random.Generator, secs: np.ndarray, end_s: int, p_future: float, p_bad: float,
                 fmts: list[str], kind: np.ndarray | None = None, millis: np.ndarray | None = None,
                 bad_values: list[str] | None = None) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Timestamps in the formats ``fmts`` (row i uses ``fmts[kind[i]]``), with a few set
    30–900 days after the end of data and a few unparseable ones (30 February, ``N/A``, blank).
    """
    n = len(secs)
    kind = np.zeros(n, dtype=np.int64) if kind is None else kind
    u = rng.random(n)
    future = u < p_future
    bad = (u >= p_future) & (u < p_future + p_bad)
    later = end_s - end_s % DAY + rng.integers(30, 901, n) * DAY + secs % DAY
    shifted = np.where(future, later, secs)
    y = T.date_parts(secs // DAY)[0]
    choices = bad_values or ["N/A", ""]
    junk_pick = rng.random(n) < 0.5
    junk_value = rng.integers(0, len(choices), n)
    pieces = []
    for k, fmt in enumerate(fmts):
        idx = np.flatnonzero(kind == k)
        out = T.format_times(shifted[idx], fmt, None if millis is None else millis[idx])
        impossible = T.join(T.int_strings(y[idx]), _impossible_date_suffix(fmt))
        junk = T.where(junk_pick[idx], impossible, T.lookup(choices, junk_value[idx]))
        pieces.append((idx, T.where(bad[idx], junk, out)))
    return T.assemble(n, pieces), future, bad


def _impossible_date_suffix(fmt: str) -> str:
    """The part after the year of a timestamp on 30 February, in the given format."""
    suffix = fmt.replace("%Y", "", 1)
    for token, value in (("%m", "02"), ("%d", "30"), ("%H", "10"), ("%M", "00"), ("%S", "00"), ("%f", "000")):
        suffix = suffix.replace(token, value)
    return suffix


def mall_order_exports(u: Universe) -> Iterator[TextExport]:
    """``mall/orders/orders_YYYY.csv``: the marketplace shop's order export, one file per year
    (UTF-8, Chinese headers). Orders-only: the buyer is named by the marketplace's buyer id
    (买家ID), and there is no customer table; no order lines either (the amount is the order's).
    Every year of the window has its file: a year without orders (each year, without identity
    dirt: nobody buys there) has the header only."""
    o = u.orders
    is_mall = np.asarray(u.records.source)[o.record] == N.MALL
    year = T.date_parts(o.time // DAY)[0]
    for y in u.tl.years_covered():
        sel = np.flatnonzero(is_mall & (year == y))     # none without identity dirt: a header only
        rng = u.rng(f"mall:{y}")
        t = o.time[sel]
        yy, mm, dd = T.date_parts(t // DAY)
        number = np.cumsum(rng.integers(1, 40, len(sel))) + int(rng.integers(10**14, 5 * 10**14))
        cents = o.amount_cents[sel]
        columns = {
            "订单编号": T.render([(yy % 100, 2), (mm, 2), (dd, 2), "-", (number, 15)], len(sel)),
            "买家ID": _record_refs(u.records, o.record[sel]),
            "下单时间": T.format_times(t, "%Y-%m-%d %H:%M:%S"),
            "订单状态": _status_strings(rng, o.status[sel], N.MALL_STATUS_FORMS),
            "实付金额": T.join(T.int_strings(cents // 100), ".", T.render([(cents % 100, 2)], len(sel))),
        }
        yield TextExport(f"mall/orders/orders_{y}.csv", "csv", columns)


def store_visit_exports(u: Universe) -> Iterator[TextExport]:
    """``store/visits/visits_YYYY.csv``: the stores' member check-in system (a card scanned at
    the door or the till), one file per year, with the card number, the store and the time in
    the till's ``2024/05/06 14:03:22`` format, a few future or unreadable times among them."""
    v = u.visits
    year = T.date_parts(v.ts // DAY)[0]
    store_ids = u.stores.store_ids().to_pylist()
    width = max(9, len(str(len(v.ts))))
    for y in u.tl.years_covered():
        sel = np.flatnonzero(year == y)
        if len(sel) == 0:
            continue
        rng = u.rng(f"visits:{y}")
        visit_time, future, bad = _dirty_times(rng, v.ts[sel], u.tl.end_s, 0.001, 0.001, ["%Y/%m/%d %H:%M:%S"])
        columns = {
            "visit_no": T.ids("V", sel + 1, width),
            "card_no": _record_refs(u.records, v.record[sel]),
            "store_id": T.lookup(store_ids, v.store[sel]),
            "visit_time": visit_time,
        }
        yield TextExport(f"store/visits/visits_{y}.csv", "csv", columns,
                         {"future_timestamp": future, "unparseable_timestamp": bad})


def order_exports(u: Universe) -> Iterator[tuple[ParquetExport, ParquetExport]]:
    """``oms/orders/orders_YYYY.parquet`` and ``oms/order_items/order_items_YYYY.parquet`` per year.

    Files are split by the order's true year; the written ``order_time`` carries the dirt. The
    marketplace shop's orders are not in the OMS (see ``mall_order_exports``).
    """
    o, it = u.orders, u.items
    year = T.date_parts(o.time // DAY)[0]
    store_ids = u.stores.store_ids()
    skus = _sku_codes()
    cats = [c for c, _, _ in N.CATEGORIES]
    systems = np.asarray(u.records.source)[o.record]
    in_oms = systems < N.MALL
    width = 10
    for y in u.tl.years_covered():
        rng = u.rng(f"orders:{y}")
        sel = np.flatnonzero(in_oms & (year == y))       # sorted by time, as the orders are
        if len(sel) == 0:
            continue
        n = len(sel)
        fmt_kind = rng.choice(3, size=n, p=[0.85, 0.10, 0.05])
        order_time, future, bad = _dirty_times(
            rng, o.time[sel], u.tl.end_s, 0.002, 0.002,
            ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S+08:00"], kind=fmt_kind)
        amount = o.amount_cents[sel] / 100.0
        negative = rng.random(n) < 0.003
        amount = np.where(negative, -amount, amount)
        order_ids = T.ids("O", o.number[sel], width)
        table = pa.table({
            "order_id": order_ids,
            "customer_system": T.lookup(N.ORDER_SYSTEMS, systems[sel]),
            "customer_ref": _record_refs(u.records, o.record[sel]),
            "order_time": order_time,
            "status": _status_strings(rng, o.status[sel]),
            "amount": pa.array(amount, pa.float64()),
            "channel": T.lookup(CHANNELS, o.channel[sel]),
            "store_id": T.lookup(store_ids.to_pylist(), o.store[sel]),
        })
        orders = ParquetExport(f"oms/orders/orders_{y}.parquet", table,
                               {"future_timestamp": future, "unparseable_timestamp": bad,
                                "negative_amount": negative}, dup_rate=0.005)
        position = np.full(len(o.time), -1, np.int64)
        position[sel] = np.arange(n)
        lines = np.flatnonzero(position[it.order] >= 0)    # items are sorted by order, then line
        items = pa.table({
            "order_id": order_ids.take(pa.array(position[it.order[lines]])),
            "line_no": pa.array(it.line_no[lines].astype(np.int32)),
            "sku": T.lookup(skus, it.sku[lines]),
            "category": T.lookup(cats, it.category[lines]),
            "qty": pa.array(it.qty[lines].astype(np.int32)),
            "unit_price": pa.array(it.unit_cents[lines] / 100.0, pa.float64()),
        })
        yield orders, ParquetExport(f"oms/order_items/order_items_{y}.parquet", items)


def _status_strings(rng: np.random.Generator, status: np.ndarray,
                    table: list[list[tuple[str, float]]] = N.STATUS_FORMS) -> pa.Array:
    """Status as the OMS writes it: mostly ``paid``/``refunded``/``cancelled``, some ``PAID``, ``已支付``."""
    pieces = []
    for s, forms in enumerate(table):
        idx = np.flatnonzero(status == s)
        pick = _pick(rng, forms, len(idx))
        pieces.append((idx, T.lookup([f for f, _ in forms], pick)))
    return T.assemble(len(status), pieces)
