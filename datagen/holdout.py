"""Hold back the last days of orders, order lines and events as "the next delivery".

An incremental refresh is tested and benchmarked by loading a data set without its last day,
then adding that day as new landing files, the way a daily export arrives. This moves the
rows dated in the last `days` days (up to `end`) out of the generated landing files into
new files under `out`, in the same layout, with names that sort beside the old ones:
``oms/orders/orders_<end>.parquet``, ``oms/order_items/order_items_<end>.parquet`` and
``app/events/month=YYYY-MM/events_<end>.jsonl``, the marketplace shop's
``mall/orders/orders_<end>.csv`` and the stores' check-ins ``store/visits/visits_<end>.csv``.
Customer files are left whole: a day's delivery here holds only activity; identity resolution has something new to do only when a marketplace buyer's
first order falls in those days (a new buyer id is a new customer reference).

Deterministic: the same landing and arguments give the same bytes.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENT_DATE = re.compile(rb'"ts"\s*:\s*"(\d{4}-\d{2}-\d{2})')
MALL_ORDER_DATE = re.compile(rb",(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2},")
VISIT_DATE = re.compile(rb",(\d{4}/\d{2}/\d{2}) \d{2}:\d{2}:\d{2}\r?$")


def _order_dates(table: pa.Table) -> pa.Array:
    """The calendar date (YYYY-MM-DD text) of each order time, whatever its format."""
    text = pc.replace_substring(table.column("order_time").cast(pa.string()), "/", "-")
    return pc.utf8_slice_codeunits(text, 0, 10)


def hold_out_last_days(landing: Path, out: Path, end: date, days: int = 1) -> dict[str, int]:
    """Move the last `days` days of activity from `landing` to new files under `out`;
    returns {relative path of each new file: rows}."""
    first = (end - timedelta(days=days - 1)).isoformat()
    last = end.isoformat()
    written: dict[str, int] = {}

    held_orders: set[str] = set()
    for path in sorted((landing / "oms" / "orders").glob("*.parquet")):
        table = pq.read_table(path)
        day = _order_dates(table)
        held = pc.and_(pc.greater_equal(day, first), pc.less_equal(day, last))
        held = pc.fill_null(held, False)
        if not pc.any(held).as_py():
            continue
        moved = table.filter(held)
        held_orders.update(moved.column("order_id").to_pylist())
        pq.write_table(table.filter(pc.invert(held)), path, compression="zstd")
        rel = f"oms/orders/orders_{last}.parquet"
        _append_parquet(out / rel, moved)
        written[rel] = written.get(rel, 0) + moved.num_rows

    wanted = pa.array(sorted(held_orders), pa.string())
    for path in sorted((landing / "oms" / "order_items").glob("*.parquet")):
        table = pq.read_table(path)
        held = pc.is_in(table.column("order_id").cast(pa.string()), value_set=wanted)
        if not pc.any(held).as_py():
            continue
        pq.write_table(table.filter(pc.invert(held)), path, compression="zstd")
        rel = f"oms/order_items/order_items_{last}.parquet"
        _append_parquet(out / rel, table.filter(held))
        written[rel] = written.get(rel, 0) + int(pc.sum(held.cast(pa.int64())).as_py())

    for path in sorted((landing / "app" / "events").glob("month=*/*.jsonl")):
        month = path.parent.name.removeprefix("month=")
        if month < first[:7] or month > last[:7]:
            continue
        kept, moved = [], []
        with path.open("rb") as fh:
            for line in fh:
                m = EVENT_DATE.search(line)
                (moved if m and first <= m.group(1).decode() <= last else kept).append(line)
        if not moved:
            continue
        path.write_bytes(b"".join(kept))
        rel = f"app/events/{path.parent.name}/events_{last}.jsonl"
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab") as fh:
            fh.write(b"".join(moved))
        written[rel] = written.get(rel, 0) + len(moved)

    for folder, pattern, name in (("mall/orders", MALL_ORDER_DATE, "orders"), ("store/visits", VISIT_DATE, "visits")):
        rel = f"{folder}/{name}_{last}.csv"
        moved = _hold_out_csv_lines(sorted((landing / folder).glob(f"{name}_*.csv")), pattern, first, last, out / rel)
        if moved:
            written[rel] = written.get(rel, 0) + moved
    return written


def _hold_out_csv_lines(paths: list[Path], pattern: re.Pattern, first: str, last: str, target: Path) -> int:
    """Move the lines whose date (the pattern's group, `-` or `/` separated) falls in
    [first, last] from each CSV file to `target` (header once); returns how many moved."""
    total = 0
    for path in paths:
        header, *lines = path.read_bytes().splitlines(keepends=True)
        kept, moved = [header], []
        for line in lines:
            m = pattern.search(line.rstrip(b"\n"))
            day = m.group(1).decode().replace("/", "-") if m else None
            (moved if day and first <= day <= last else kept).append(line)
        if not moved:
            continue
        path.write_bytes(b"".join(kept))
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab") as fh:
            fh.write((header if target.stat().st_size == 0 else b"") + b"".join(moved))
        total += len(moved)
    return total


def _append_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        table = pa.concat_tables([pq.read_table(path), table])
    pq.write_table(table, path, compression="zstd")
