from pathlib import Path

import pytest

from orchestration.sources_config import SourcesConfigError, load_sources_config


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_sources_file_parses(default_sources):
    cfg = load_sources_config(default_sources)
    assert {t.raw_table for t in cfg.tables} == {
        "crm__contacts", "app__members", "app__family_relations", "app__events",
        "store__members", "ent__accounts", "ent__contacts", "service__contacts", "mall__orders",
        "oms__orders", "oms__order_items"}
    crm = cfg.table("crm__contacts")
    assert crm.csv.encoding == "gb18030" and crm.columns["mobile"] == "手机"
    assert cfg.landing_dir == (default_sources.parent / "../data/landing").resolve()


def test_landing_dir_override(default_sources, tmp_path):
    cfg = load_sources_config(default_sources, tmp_path)
    assert cfg.landing_dir == tmp_path.resolve()


def test_minimal_orders_only_source_is_valid(tmp_path):
    cfg = load_sources_config(write(tmp_path, """
sources:
  shop:
    tables:
      orders:
        kind: orders
        path: orders.csv
        format: csv
        columns: {order_id: id, source_customer_ref: cust, ordered_at: date, amount: total}
        constants: {customer_source: shop}
"""))
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
