"""Ingestion loses nothing: every line is loaded (with its line number) or rejected with a reason,
and reloading is idempotent."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingest.loader import load_table, reconcile
from orchestration.ingest.readers import read_csv_chunks
from orchestration.sources_config import CsvOptions, TableConfig


def csv_table(path="c/*.csv", **kw) -> TableConfig:
    return TableConfig(source="src", name="people", kind="customers", path=path, format="csv",
                       columns={"source_record_id": "id", "full_name": "name", "mobile": "phone"},
                       csv=CsvOptions(**kw))


def rows(con, sql):
    return con.execute(sql).fetchall()


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_csv_lines_loaded_with_line_numbers_and_bad_lines_rejected(tmp_path, con):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.csv").write_text(
        "id,name,phone,extra\n"
        "1,Ann,138,x\n"                    # line 2
        '2,"Bo, Jr.",139,\n'               # line 3: quoted delimiter
        "3,Cy,140,a,b\n"                   # line 4: too many fields
        '4,"multi\nline",141,\n'           # lines 5-6: one record over two lines
        '5,"open quote,142,\n'             # line 7: unbalanced quote
        "6,Di,143,\n"                      # line 8: must survive the broken line 7
        "\n"                               # line 9: empty
        "7,Ed,144,z\n", encoding="utf-8")  # line 10
    report = load_table(con, csv_table(), tmp_path)
    assert report.totals()["rows_read"] == 8  # the two-line record is one row
    loaded = rows(con, "select source_record_id, full_name, _row_number, _unmapped "
                       "from raw.src__people order by _row_number")
    assert [(r[0], r[2]) for r in loaded] == [("1", 2), ("2", 3), ("4", 5), ("6", 8), ("7", 10)]
    assert loaded[1][1] == "Bo, Jr." and loaded[2][1] == "multi\nline"
    assert json.loads(loaded[0][3]) == {"extra": "x"}
    rejected = rows(con, "select row_number, raw_text, reason from raw.rejects order by 1")
    assert [r[0] for r in rejected] == [4, 7, 9]
    assert "5 field(s) where the header has 4" in rejected[0][2]
    assert "unbalanced quote" in rejected[1][2] and rejected[1][1] == '5,"open quote,142,'
    assert rejected[2][2] == "empty line"
    assert all(b["balanced"] for b in reconcile(con, csv_table()))


def test_wrong_encoding_line_is_rejected_not_fatal(tmp_path, con):
    (tmp_path / "c").mkdir()
    data = "id,name,phone\n1,王,138\n".encode("gb18030") + "2,李,139\n".encode("utf-8") + b"3,x,1\n"
    (tmp_path / "c" / "a.csv").write_bytes(data)
    load_table(con, csv_table(encoding="gb18030"), tmp_path)
    assert rows(con, "select full_name from raw.src__people order by _row_number") == [("王",), ("x",)]
    (reason,) = rows(con, "select reason from raw.rejects")[0]
    assert "not valid gb18030 text" in reason


def test_missing_mapped_column_rejects_every_row_with_the_reason(tmp_path, con):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.csv").write_text("id,nom,phone\n1,Ann,138\n2,Bo,139\n", encoding="utf-8")
    report = load_table(con, csv_table(), tmp_path)
    assert report.totals()["rows_rejected"] == 2
    reasons = rows(con, "select distinct reason from raw.rejects")
    assert len(reasons) == 1 and "no column(s) ['name']" in reasons[0][0]
    assert "['id', 'nom', 'phone']" in reasons[0][0]


def test_reload_is_idempotent_and_follows_file_changes(tmp_path, con):
    (tmp_path / "c").mkdir()
    f = tmp_path / "c" / "a.csv"
    f.write_text("id,name,phone\n1,Ann,138\n2,Bo,139\n", encoding="utf-8")
    load_table(con, csv_table(), tmp_path)
    first = rows(con, "select * from raw.src__people order by _row_number")
    again = load_table(con, csv_table(), tmp_path)
    assert [x.status for x in again.files] == ["unchanged"]
    assert rows(con, "select * from raw.src__people order by _row_number") == first

    (tmp_path / "c" / "b.csv").write_text("id,name,phone\n3,Cy,140\n", encoding="utf-8")
    f.write_text("id,name,phone\n1,Ann,138\n", encoding="utf-8")
    report = load_table(con, csv_table(), tmp_path)
    assert {x.source_file: x.status for x in report.files} == {"c/a.csv": "loaded", "c/b.csv": "loaded"}
    assert rows(con, "select source_record_id from raw.src__people order by 1") == [("1",), ("3",)]

    f.unlink()
    report = load_table(con, csv_table(), tmp_path)
    assert {x.source_file: x.status for x in report.files} == {"c/b.csv": "unchanged", "c/a.csv": "removed"}
    assert rows(con, "select source_record_id from raw.src__people") == [("3",)]
    assert rows(con, "select count(*) from raw.load_log") == [(1,)]


def test_mapping_change_reloads_the_table(tmp_path, con):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.csv").write_text("id,name,phone\n1,Ann,138\n", encoding="utf-8")
    load_table(con, csv_table(), tmp_path)
    changed = TableConfig(**{**csv_table().__dict__, "columns": {"source_record_id": "id", "email": "phone"}})
    load_table(con, changed, tmp_path)
    assert rows(con, "select email, mobile from raw.src__people") == [("138", None)]


def test_jsonl_bad_lines_and_mixed_types(tmp_path, con):
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "a.jsonl").write_text(
        '{"id": "M1", "t": 1704164645000, "n": {"a": 1}}\n'
        '{"id": "M2", "t": "2024-01-01\n'
        '[1, 2]\n'
        '{"id": "M3", "t": null, "other": true}\n', encoding="utf-8")
    table = TableConfig(source="app", name="m", kind="customers", path="j/*.jsonl", format="jsonl",
                        columns={"source_record_id": "id", "created_at": "t", "address": "n"})
    load_table(con, table, tmp_path)
    assert rows(con, "select source_record_id, created_at, address, _row_number, _unmapped "
                     "from raw.app__m order by _row_number") == [
        ("M1", "1704164645000", '{"a":1}', 1, None), ("M3", None, None, 4, '{"other":true}')]
    assert [r[0] for r in rows(con, "select reason from raw.rejects order by row_number")] == [
        "not valid JSON (Unterminated string starting at at column 19)",
        "a JSON array where an object was expected"]


JSONL = (
    '\ufeff{"id": "M1", "t": 1704164645000, "n": {"a": 1}, "x": "中"}\r\n'
    '{"id": "M2", "t": "2024-01-01\n'
    '\n'
    '"just a string"\n'
    '{"id": "M3", "t": null, "other": [1, 2], "n": 2.5}\n'
    '{"id": "M4"}'  # no newline at the end
)


def test_jsonl_fast_path_and_python_reader_agree(tmp_path, con, monkeypatch):
    """DuckDB splits and parses JSON Lines fast; the Python reader is the fallback. Same rows."""
    from orchestration.ingest import loader

    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "a.jsonl").write_text(JSONL, encoding="utf-8")
    table = TableConfig(source="app", name="m", kind="customers", path="j/*.jsonl", format="jsonl",
                        columns={"source_record_id": "id", "created_at": "t", "address": "n"},
                        value_maps={"source_record_id": {"M4": "M4-mapped"}})
    load_table(con, table, tmp_path)
    fast = (rows(con, "select * exclude (_loaded_at) from raw.app__m order by _row_number"),
            rows(con, "select row_number, raw_text, reason from raw.rejects order by 1"))
    other = duckdb.connect()
    monkeypatch.setattr(loader, "prepare_json_lines", lambda con, path: False)
    load_table(other, table, tmp_path)
    slow = (rows(other, "select * exclude (_loaded_at) from raw.app__m order by _row_number"),
            rows(other, "select row_number, raw_text, reason from raw.rejects order by 1"))
    assert fast == slow
    assert [r[-3] for r in fast[0]] == [1, 5, 6]  # line numbers
    assert fast[0][2][0] == "M4-mapped" and fast[0][1][-1] == '{"other":[1,2]}'
    assert [r[2] for r in fast[1]] == [
        "not valid JSON (Unterminated string starting at at column 19)", "empty line",
        "a JSON string where an object was expected"]


def test_jsonl_with_bad_bytes_falls_back_and_rejects_the_line(tmp_path, con):
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "a.jsonl").write_bytes(b'{"id": "M1"}\n{"id": "\xff\xfe"}\n{"id": "M3"}\n')
    table = TableConfig(source="app", name="m", kind="customers", path="j/*.jsonl", format="jsonl",
                        columns={"source_record_id": "id"})
    load_table(con, table, tmp_path)
    assert rows(con, "select source_record_id, _row_number from raw.app__m order by 2") == [("M1", 1), ("M3", 3)]
    assert "not valid utf-8 text" in rows(con, "select reason from raw.rejects")[0][0]


def test_parquet_rows_keep_their_row_numbers_and_value_maps_apply(tmp_path, con):
    (tmp_path / "p").mkdir()
    pq.write_table(pa.table({"oid": ["A", "B"], "sys": ["POS", "APP"], "ref": ["1", "2"],
                             "ts": ["2026-01-01 10:00:00", "x"], "amt": [1.5, -2.0]}),
                   tmp_path / "p" / "o.parquet")
    table = TableConfig(source="oms", name="o", kind="orders", path="p/*.parquet", format="parquet",
                        columns={"order_id": "oid", "customer_source": "sys",
                                 "source_customer_ref": "ref", "ordered_at": "ts", "amount": "amt"},
                        value_maps={"customer_source": {"POS": "store"}}, constants={"channel": "web"})
    report = load_table(con, table, tmp_path)
    assert report.totals()["rows_loaded"] == 2
    assert rows(con, "select order_id, customer_source, amount, channel, _row_number "
                     "from raw.oms__o order by 1") == [
        ("A", "store", "1.5", "web", 1), ("B", "APP", "-2.0", "web", 2)]


def test_parquet_missing_column_rejects_each_row(tmp_path, con):
    (tmp_path / "p").mkdir()
    pq.write_table(pa.table({"oid": ["A", "B"]}), tmp_path / "p" / "o.parquet")
    table = TableConfig(source="oms", name="o", kind="order_items", path="p/*.parquet",
                        format="parquet", columns={"order_id": "oid", "sku": "sku"})
    report = load_table(con, table, tmp_path)
    assert report.totals()["rows_read"] == 2 and report.totals()["rows_rejected"] == 2
    assert all(b["balanced"] for b in reconcile(con, table))


@pytest.mark.parametrize("content", [b"not parquet at all", b"", "truncated"])
def test_an_unreadable_parquet_file_is_rejected_with_rows_unknown(tmp_path, con, content):
    (tmp_path / "p").mkdir()
    pq.write_table(pa.table({"oid": [str(i) for i in range(1000)]}), tmp_path / "p" / "good.parquet")
    whole = (tmp_path / "p" / "good.parquet").read_bytes()
    (tmp_path / "p" / "o.parquet").write_bytes(whole[: len(whole) // 2] if content == "truncated" else content)
    table = TableConfig(source="oms", name="o", kind="order_items", path="p/*.parquet",
                        format="parquet", columns={"order_id": "oid"})
    report = load_table(con, table, tmp_path)
    bad = next(f for f in report.files if f.source_file == "p/o.parquet")
    assert bad.status == "rejected" and bad.rows_read is None and bad.rows_rejected == 0
    assert report.totals()["rows_loaded"] == 1000 and report.totals()["files_unreadable"] == 1
    # one reject without a row number names the file and says the rows are unknown
    assert rows(con, "select row_number, reason from raw.rejects") == [(None, bad.message)]
    assert bad.message.startswith("file rejected, rows unknown: not a readable Parquet file")
    assert rows(con, "select rows_read from raw.load_log where source_file = 'p/o.parquet'") == [(None,)]
    assert all(b["balanced"] for b in reconcile(con, table))


def test_a_parquet_file_with_damaged_pages_is_rejected_and_the_others_load(tmp_path, con):
    (tmp_path / "p").mkdir()
    for name in ("a", "b"):
        pq.write_table(pa.table({"oid": [f"{name}{i}" for i in range(5000)],
                                 "sku": [f"{i}.5" for i in range(5000)]}), tmp_path / "p" / f"{name}.parquet")
    damaged = bytearray((tmp_path / "p" / "a.parquet").read_bytes())
    damaged[4:4004] = bytes((i * 37) & 0xFF for i in range(4, 4004))  # the first pages; the footer is whole
    (tmp_path / "p" / "a.parquet").write_bytes(bytes(damaged))
    table = TableConfig(source="oms", name="o", kind="order_items", path="p/*.parquet",
                        format="parquet", columns={"order_id": "oid", "sku": "sku"})
    report = load_table(con, table, tmp_path)
    a = next(f for f in report.files if f.source_file == "p/a.parquet")
    assert a.status == "rejected" and a.rows_read == 5000 and a.rows_rejected == 5000
    assert a.message.startswith("file not loaded: damaged Parquet data (") and "footer counts 5000 rows" in a.message
    assert rows(con, "select count(*), count(distinct row_number), min(row_number), max(row_number) "
                     "from raw.rejects where source_file = 'p/a.parquet'") == [(5000, 5000, 1, 5000)]
    assert rows(con, "select count(*) from raw.oms__o where _source_file = 'p/b.parquet'") == [(5000,)]
    assert all(b["balanced"] for b in reconcile(con, table))
    # the next load skips it as unchanged, and a repaired file replaces the rejects
    assert {f.status for f in load_table(con, table, tmp_path).files} == {"unchanged"}
    pq.write_table(pa.table({"oid": ["a1"], "sku": ["x"]}), tmp_path / "p" / "a.parquet")
    load_table(con, table, tmp_path)
    assert rows(con, "select count(*) from raw.rejects") == [(0,)]
    assert all(b["balanced"] for b in reconcile(con, table))


def test_reader_stops_borrowing_lines_after_the_limit(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,name\n1,"never closed\n' + "".join(f"{i},n{i}\n" for i in range(2, 80)),
                    encoding="utf-8")
    chunks = list(read_csv_chunks(path, CsvOptions(), {"id": "id", "name": "name"}))
    loaded = sum(len(c) for c in chunks)
    rejected = sum(len(c.rejects) for c in chunks)
    assert (loaded, rejected) == (78, 1)


# ---------------------------------------------------------------- a field from several columns
FEBRL_COLUMNS = {"source_record_id": "rec_id", "given_name": "given_name",
                 "address": ("street_number", "address_1", "address_2"), "city": "suburb"}
# rec_id -> the address the three columns make: joined with one space, empty parts left out
FEBRL_ADDRESSES = {"r1": "8 stanley street miami", "r2": "salkauskas crescent", "r3": None, "r4": "12 kela"}


def febrl_rows() -> list[dict]:
    return [
        {"rec_id": "r1", "given_name": " michaela", "street_number": " 8", "address_1": " stanley street",
         "address_2": " miami", "suburb": " winston hills", "soc_sec_id": " 5304218"},
        {"rec_id": "r2", "given_name": " charles", "street_number": "", "address_1": " salkauskas crescent",
         "address_2": " ", "suburb": " dapto", "soc_sec_id": " 4365168"},
        {"rec_id": "r3", "given_name": " vanessa", "street_number": "", "address_1": "",
         "address_2": "", "suburb": "", "soc_sec_id": ""},
        {"rec_id": "r4", "given_name": " ann", "street_number": " 12", "address_1": "",
         "address_2": " kela", "suburb": " bega", "soc_sec_id": " 1"},
    ]


def write_febrl(tmp_path, fmt: str) -> TableConfig:
    (tmp_path / "f").mkdir()
    data = febrl_rows()
    if fmt == "csv":
        header = list(data[0])
        (tmp_path / "f" / "people.csv").write_text(
            ",".join(header) + "\n" + "".join(",".join(r[h] for h in header) + "\n" for r in data),
            encoding="utf-8")
    elif fmt == "jsonl":
        (tmp_path / "f" / "people.jsonl").write_text(
            "".join(json.dumps({k: (v if v != "" else None) for k, v in r.items()}) + "\n" for r in data),
            encoding="utf-8")
    else:
        pq.write_table(pa.table({k: [r[k] if r[k] != "" else None for r in data] for k in data[0]}),
                       tmp_path / "f" / "people.parquet")
    return TableConfig(source="febrl", name="people", kind="customers", path=f"f/people.{fmt}", format=fmt,
                       columns=dict(FEBRL_COLUMNS))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "jsonl-python", "parquet"])
def test_a_field_mapped_from_several_columns_joins_them(tmp_path, con, monkeypatch, fmt):
    from orchestration.ingest import loader

    if fmt == "jsonl-python":
        monkeypatch.setattr(loader, "prepare_json_lines", lambda con, path: False)
    table = write_febrl(tmp_path, fmt.split("-")[0])
    report = load_table(con, table, tmp_path)
    assert report.totals()["rows_loaded"] == 4 and report.totals()["rows_rejected"] == 0
    got = {r: a for r, a in rows(con, "select source_record_id, address from raw.febrl__people")}
    assert got == FEBRL_ADDRESSES
    # one canonical column, no part of it left behind; only the columns nobody mapped are unmapped
    columns = [c for (c,) in rows(con, "select column_name from information_schema.columns "
                                       "where table_name = 'febrl__people'")]
    assert columns == table.raw_columns + ["_source_file", "_row_number", "_loaded_at", "_row_hash", "_unmapped"]
    unmapped = [json.loads(u) for (u,) in rows(con, "select _unmapped from raw.febrl__people "
                                                    "where _unmapped is not null order by _row_number")]
    assert len(unmapped) >= 3 and all(set(u) == {"soc_sec_id"} for u in unmapped)
    # a mapped field stays as it was written
    assert rows(con, "select given_name from raw.febrl__people where source_record_id = 'r1'") == [(" michaela",)]


def test_a_missing_part_column_rejects_the_file_naming_it(tmp_path, con):
    table = write_febrl(tmp_path, "csv")
    table = TableConfig(**{**table.__dict__, "columns": {**FEBRL_COLUMNS,
                                                         "address": ("street_number", "address_3")}})
    report = load_table(con, table, tmp_path)
    assert report.totals()["rows_rejected"] == 4
    (reason,) = {r for (r,) in rows(con, "select reason from raw.rejects")}
    assert "['address_3']" in reason


def test_changing_the_parts_reloads_the_table(tmp_path, con):
    table = write_febrl(tmp_path, "csv")
    load_table(con, table, tmp_path)
    fewer = TableConfig(**{**table.__dict__, "columns": {**FEBRL_COLUMNS, "address": ("address_1", "address_2")}})
    assert fewer.fingerprint() != table.fingerprint()
    assert load_table(con, fewer, tmp_path).files[0].status == "loaded"
    assert rows(con, "select address from raw.febrl__people where source_record_id = 'r1'") == [
        ("stanley street miami",)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_value_longer_than_its_field_allows_rejects_its_row(tmp_path, con, fmt):
    (tmp_path / "c").mkdir()
    data = {"id": ["1", "2", "3"], "name": ["王伟", "李" * 3_500_000, "Lucy"], "city": ["杭州", "上海", "x" * 3000]}
    path = tmp_path / "c" / f"p.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table(data), path)
    elif fmt == "csv":
        path.write_text("id,name,city\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(*data.values())),
                        encoding="utf-8")
    else:
        path.write_text("".join(json.dumps({"id": a, "name": b, "city": c}, ensure_ascii=False) + "\n"
                                for a, b, c in zip(*data.values())), encoding="utf-8")
    table = TableConfig(source="crm", name="p", kind="customers", path=f"c/*.{fmt}", format=fmt,
                        columns={"source_record_id": "id", "full_name": "name", "city": "city"})
    report = load_table(con, table, tmp_path)
    assert report.totals()["rows_read"] == 3 and report.totals()["rows_loaded"] == 1
    assert rows(con, "select source_record_id from raw.crm__p") == [("1",)]
    got = rows(con, "select row_number, reason, length(raw_text) <= 2000 from raw.rejects order by 1")
    first = 2 if fmt == "csv" else 1  # a CSV row is numbered by its line, after the header
    assert got == [(first + 1, "field full_name too long: 3500000 characters (limit 200)", True),
                   (first + 2, "field city too long: 3000 characters (limit 200)", True)]
    assert all(b["balanced"] for b in reconcile(con, table))
