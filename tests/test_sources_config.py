from pathlib import Path

import pytest

from orchestration.sources_config import SourcesConfigError, load_sources_config


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yml"
    p.write_text(text, encoding="utf-8")
    return p


def shop_orders(glob: str) -> str:
    """A sources file with one orders table of CSV files at `glob`."""
    return f"""
sources:
  shop:
    tables:
      orders:
        kind: orders
        path: '{glob}'
        format: csv
        columns: {{order_id: id, source_customer_ref: cust, ordered_at: date, amount: total}}
        constants: {{customer_source: shop}}
"""


def test_default_sources_file_parses(default_sources):
    cfg = load_sources_config(default_sources)
    assert {t.raw_table for t in cfg.tables} == {
        "crm__contacts", "app__members", "app__family_relations", "app__events",
        "store__members", "store__visits", "ent__accounts", "ent__contacts", "service__contacts", "mall__orders",
        "oms__orders", "oms__order_items"}
    crm = cfg.table("crm__contacts")
    assert crm.csv.encoding == "gb18030" and crm.columns["mobile"] == "手机"
    assert cfg.landing_dir == (default_sources.parent / "../data/landing").resolve()


def test_landing_dir_override(default_sources, tmp_path):
    cfg = load_sources_config(default_sources, tmp_path)
    assert cfg.landing_dir == tmp_path.resolve()


def test_minimal_orders_only_source_is_valid(tmp_path):
    cfg = load_sources_config(write(tmp_path, shop_orders("orders.csv")))
    assert cfg.tables[0].raw_columns[:3] == ["order_id", "customer_source", "source_customer_ref"]


@pytest.mark.parametrize("body, message", [
    ("kind: customers\n        path: a.csv\n        format: xml\n        columns: {source_record_id: id}",
     "format: 'xml' is not one of"),
    ("kind: people\n        path: a.csv\n        format: csv\n        columns: {source_record_id: id}",
     "kind: 'people' is not one of"),
    ("kind: customers\n        path: a.csv\n        format: csv\n        columns: {mobil: phone, source_record_id: id}",
     "columns.mobil: not a canonical field of kind customers"),
    ("kind: orders\n        path: a.csv\n        format: csv\n        columns: {order_id: id}",
     "a orders table must map ['customer_source', 'source_customer_ref', 'ordered_at', 'amount']"),
    ("kind: customers\n        path: a.csv\n        format: csv\n        csv: {encoding: klingon}\n        columns: {source_record_id: id}",
     "unknown encoding 'klingon'"),
])
def test_errors_name_the_place_and_the_problem(tmp_path, body, message):
    path = write(tmp_path, f"sources:\n  src:\n    tables:\n      t:\n        {body}\n")
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(path)
    assert message in str(err.value)
    assert str(path) in str(err.value) and "sources.src.tables.t" in str(err.value)


def test_not_yaml_is_a_clear_error(tmp_path):
    with pytest.raises(SourcesConfigError, match="not valid YAML"):
        load_sources_config(write(tmp_path, "sources: [unclosed"))


def test_fingerprint_changes_with_mapping(default_sources, tmp_path):
    text = default_sources.read_text(encoding="utf-8")
    a = load_sources_config(default_sources).table("store__members").fingerprint()
    changed = write(tmp_path, text.replace("mobile: phone", "phone: phone").replace(
        "pii: [family_name, given_name, mobile, birth_date, address]", "pii: [family_name, given_name, phone, birth_date, address]"))
    b = load_sources_config(changed).table("store__members").fingerprint()
    assert a != b


def test_a_field_may_be_mapped_from_several_columns(tmp_path):
    cfg = load_sources_config(write(tmp_path, """
sources:
  febrl:
    tables:
      people:
        kind: customers
        path: a.csv
        format: csv
        columns:
          source_record_id: rec_id
          address: [street_number, address_1, address_2]
          city: [suburb]
        value_maps: {address: {"n/a": ""}}
        pii: [address]
"""))
    t = cfg.tables[0]
    assert t.columns["address"] == ("street_number", "address_1", "address_2")
    assert t.source_columns("address") == ("street_number", "address_1", "address_2")
    assert t.columns["city"] == "suburb" and t.source_columns("city") == ("suburb",)  # a list of one is one
    assert t.raw_columns.count("address") == 1


@pytest.mark.parametrize("mapping, message", [
    ("address: []", "columns.address: a list of columns must name at least one column"),
    ("address: [a, '']", "columns.address: a list of columns must name at least one column"),
    ("address: [a, b, a]", "columns.address: lists column(s) ['a'] twice"),
    ("address: {a: b}", "columns.address: expected a column name or a list of column names"),
])
def test_a_bad_list_of_columns_is_named(tmp_path, mapping, message):
    path = write(tmp_path, "sources:\n  src:\n    tables:\n      t:\n        kind: customers\n        path: a.csv\n"
                           f"        format: csv\n        columns:\n          source_record_id: id\n          {mapping}\n")
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(path)
    assert message in str(err.value) and "sources.src.tables.t" in str(err.value)


def test_fingerprint_changes_with_the_columns_of_a_field(tmp_path):
    body = ("sources:\n  src:\n    tables:\n      t:\n        kind: customers\n        path: a.csv\n"
            "        format: csv\n        columns:\n          source_record_id: id\n          address: {}\n")
    a = load_sources_config(write(tmp_path, body.format("[a, b]"))).tables[0].fingerprint()
    b = load_sources_config(write(tmp_path, body.format("[a, b, c]"))).tables[0].fingerprint()
    c = load_sources_config(write(tmp_path, body.format("[b, a]"))).tables[0].fingerprint()
    assert len({a, b, c}) == 3


def test_country_is_the_sources_unless_the_table_says_otherwise(tmp_path, default_sources):
    cfg = load_sources_config(write(tmp_path, """
sources:
  au:
    country: au
    tables:
      people: {kind: customers, path: a.csv, format: csv, columns: {source_record_id: id}}
      nz_accounts: {kind: accounts, path: b.csv, format: csv, columns: {source_record_id: id}, country: NZ}
  other:
    tables:
      people: {kind: customers, path: c.csv, format: csv, columns: {source_record_id: id}}
"""))
    assert {t.raw_table: t.country for t in cfg.tables} == {
        "au__people": "AU", "au__nz_accounts": "NZ", "other__people": "CN"}
    assert cfg.sources[0].country == "AU"
    assert {t.country for t in load_sources_config(default_sources).tables} == {"CN"}


def test_birth_date_precision(tmp_path):
    cfg = load_sources_config(write(tmp_path, """
sources:
  src:
    tables:
      people:
        kind: customers
        path: a.csv
        format: csv
        columns: {source_record_id: id, birth_date: born}
        precision: {birth_date: year}
"""))
    assert cfg.tables[0].precision == {"birth_date": "year"}


@pytest.mark.parametrize("where, text, message", [
    ("source", "country: Australia", "sources.src.country: 'Australia' is not an ISO 3166-1 alpha-2 country code"),
    ("table", "country: A1", "sources.src.tables.t.country: 'A1' is not an ISO 3166-1 alpha-2"),
    ("source", "contry: AU", "sources.src: unknown key(s) ['contry']"),
    ("table", "precision: {birth_date: month}", "precision.birth_date: 'month' is not one of ['day', 'year']"),
    ("table", "precision: {created_at: year}", "precision.created_at: only a customers table can declare a precision"),
    ("table", "precision: {birth_date: year}\n        columns: {source_record_id: id}",
     "precision.birth_date: only a mapped field can have a precision"),
])
def test_bad_country_or_precision_is_named(tmp_path, where, text, message):
    table = "        kind: customers\n        path: a.csv\n        format: csv\n"
    columns = "        columns: {source_record_id: id, birth_date: born}\n"
    if "columns" in text:
        columns = ""
    if where == "source":
        body = f"sources:\n  src:\n    {text}\n    tables:\n      t:\n{table}{columns}"
    else:
        body = f"sources:\n  src:\n    tables:\n      t:\n{table}{columns}        {text}\n"
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(write(tmp_path, body))
    assert message in str(err.value)


@pytest.mark.parametrize("glob", ["../../../../../etc/pass*", "../ground_truth/*.csv", "crm/../../x.csv",
                                  "/etc/passwd", "~/x.csv", "C:/data/x.csv", "..\\x.csv"])
def test_a_path_outside_the_landing_folder_is_refused(tmp_path, glob):
    path = write(tmp_path, shop_orders(glob))
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(path)
    assert f"{path}:7: sources.shop.tables.orders.path:" in str(err.value)  # the line of the path
    assert "landing_dir" in str(err.value)


def test_a_link_out_of_the_landing_folder_is_refused(tmp_path):
    from orchestration.ingest.loader import list_files

    landing = tmp_path / "landing"
    (landing / "shop").mkdir(parents=True)
    secret = tmp_path / "secret.csv"
    secret.write_text("id,cust,date,total\n1,a,2025-01-01,1\n", encoding="utf-8")
    (landing / "shop" / "ok.csv").write_text(secret.read_text(encoding="utf-8"), encoding="utf-8")
    (landing / "shop" / "evil.csv").symlink_to(secret)
    cfg = load_sources_config(write(tmp_path, "landing_dir: landing\n" + shop_orders("shop/*.csv")))
    with pytest.raises(SourcesConfigError, match=r"shop/evil.csv links to .*secret.csv, outside the landing folder"):
        list_files(cfg.tables[0], cfg.landing_dir)


@pytest.mark.parametrize("table, line, message", [
    # missing, wrong type, unknown key, a value not in the list: keys and types (pydantic), with the line
    ("kind: customers\n        format: csv\n        columns: {source_record_id: id}", 6,
     "sources.src.tables.t: missing path"),
    ("kind: customers\n        path: [a.csv, b.csv]\n        format: csv\n        columns: {source_record_id: id}", 7,
     "sources.src.tables.t.path: must be text, not ['a.csv', 'b.csv']"),
    ("kind: customers\n        path: a.csv\n        format: csv\n        columns: {source_record_id: id}\n"
     "        colums: {mobile: m}", 6, "sources.src.tables.t: unknown key(s) ['colums']; allowed: ['columns', "),
    ("kind: customers\n        path: a.csv\n        format: xlsx\n        columns: {source_record_id: id}", 8,
     "sources.src.tables.t.format: 'xlsx' is not one of ['csv', 'jsonl', 'parquet']"),
    ("kind: customers\n        path: a.csv\n        format: csv\n        csv: {header: maybe}\n"
     "        columns: {source_record_id: id}", 9, "sources.src.tables.t.csv.header: must be true or false, not 'maybe'"),
    # a check in code (a required field of the kind), with the line of the table
    ("kind: orders\n        path: a.csv\n        format: csv\n        columns: {order_id: id}", 6,
     "sources.src.tables.t: a orders table must map"),
])
def test_problems_name_the_file_and_line(tmp_path, table, line, message):
    path = write(tmp_path, f"sources:\n  src:\n    priority: 1\n    tables:\n      t:\n        {table}\n")
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(path)
    assert str(err.value).startswith(f"{path}:{line}: {message}"), str(err.value)


def test_a_wrongly_typed_source_key_names_its_line(tmp_path):
    path = write(tmp_path, "sources:\n  src:\n    priority: high\n    tables:\n      t: {kind: customers, path: a.csv, "
                           "format: csv, columns: {source_record_id: id}}\n")
    with pytest.raises(SourcesConfigError) as err:
        load_sources_config(path)
    assert str(err.value) == f"{path}:3: sources.src.priority: must be a whole number, not 'high'"
