
import re

import yaml

from orchestration.dbt_codegen import (
    TAG_DOCS,
    is_in_sync,
    prepare_dbt_project,
    render_staging,
    render_tag_docs,
    write_staging,
)
from orchestration.settings import DEFAULT_TAGS
from orchestration.sources_config import load_sources_config
from orchestration.tags.catalogue import load_tag_config


def test_committed_staging_matches_the_default_sources_file(default_sources, repo):
    """The generated staging layer in the repository is what the sources file says (dbt-sync)."""
    assert is_in_sync(load_sources_config(default_sources), repo / "dbt_project"), \
        "dbt_project/models/staging is out of date: run `huaxiang dbt-sync`"


def test_landing_dir_does_not_change_the_generated_files(default_sources, repo, tmp_path):
    cfg = load_sources_config(default_sources, landing_dir=tmp_path)
    assert prepare_dbt_project(cfg, repo / "dbt_project", tmp_path / "work") == repo / "dbt_project"


def test_another_sources_file_gets_a_private_copy(repo, tmp_path):
    src = tmp_path / "sources.yml"
    src.write_text("""
sources:
  shop:
    tables:
      orders:
        kind: orders
        path: orders.csv
        format: csv
        columns: {order_id: id, source_customer_ref: cust, ordered_at: date, amount: total}
        constants: {customer_source: shop}
""", encoding="utf-8")
    cfg = load_sources_config(src)
    project = prepare_dbt_project(cfg, repo / "dbt_project", tmp_path / "work")
    assert project != repo / "dbt_project" and project.is_relative_to(tmp_path)
    assert (project / "models/staging/shop/stg_shop__orders.sql").exists()
    assert not (project / "models/staging/crm").exists()
    assert (project / "models/marts/fct_orders.sql").exists()
    inventory = (project / "macros/generated/huaxiang_inventory.sql").read_text()
    assert "'orders': [('shop', 'orders')]" in inventory
    # the repository's own project is untouched
    assert (repo / "dbt_project/models/staging/crm/stg_crm__contacts.sql").exists()


def test_generated_sources_point_dagster_at_the_raw_assets(default_sources):
    files = render_staging(load_sources_config(default_sources))
    text = files["models/staging/crm/_crm__sources.yml"]
    assert "identifier: crm__contacts" in text and "- raw\n" in text and "schema: raw" in text


def test_country_precision_and_several_columns_reach_the_generated_files(tmp_path):
    src = tmp_path / "sources.yml"
    src.write_text("""
sources:
  febrl:
    country: AU
    tables:
      people:
        kind: customers
        path: a.csv
        format: csv
        columns: {source_record_id: rec_id, address: [street_number, address_1], birth_date: dob}
        precision: {birth_date: year}
      accounts:
        kind: accounts
        path: b.csv
        format: csv
        columns: {source_record_id: id}
""", encoding="utf-8")
    files = render_staging(load_sources_config(src))
    model = files["models/staging/febrl/stg_febrl__people.sql"]
    assert "stage_customers('febrl', 'people', extra_columns=[], country='AU', precision={'birth_date': 'year'})" in model
    assert "stage_accounts('febrl', 'accounts', extra_columns=[])" in files["models/staging/febrl/stg_febrl__accounts.sql"]
    sources = files["models/staging/febrl/_febrl__sources.yml"]
    assert "Mapped from `street_number`, `address_1`: their values joined with a space" in sources
    inventory = files["macros/generated/huaxiang_inventory.sql"]
    assert "'customers': ['source_record_id', 'full_name'," in inventory  # the raw columns of each kind


def test_the_default_sources_stage_chinese_records(default_sources):
    files = render_staging(load_sources_config(default_sources))
    assert "country='CN')" in files["models/staging/crm/stg_crm__contacts.sql"]


def test_committed_tag_docs_match_the_tag_catalogue(repo):
    """_tag_docs.md is what config/tags.yml says (dbt-sync writes it)."""
    committed = (repo / "dbt_project" / TAG_DOCS).read_text(encoding="utf-8")
    assert committed == render_tag_docs(load_tag_config(DEFAULT_TAGS)), \
        f"dbt_project/{TAG_DOCS} is out of date: run `huaxiang dbt-sync`"


def test_tag_docs_hold_names_values_and_labels():
    text = render_tag_docs(load_tag_config(DEFAULT_TAGS))
    blocks = dict(re.findall(r"{% docs (\w+) %}(.*?){% enddocs %}", text))
    assert blocks["tag_age"].startswith("年龄 (Age). Fact tag, number, computed in intermediate.int_customer_fact_tags: ")
    assert "`important_value` 重要价值" in blocks["tag_rfm_segment"] and "model_tags.rfm" in blocks["tag_rfm_segment"]
    assert "`A` A类(贡献前80%收入)" in blocks["tag_value_class_name"]
    assert "tag_age_name" not in blocks  # only enumerated tags have a label column


def test_every_tag_column_is_described_from_the_catalogue(repo):
    """customer_360 and model_tags.tag_inputs list every catalogue tag, each described by its
    generated doc block (the end-to-end test checks the built columns; this one needs no run)."""
    keys = [t.key for t in load_tag_config(DEFAULT_TAGS).tags]
    marts = repo / "dbt_project" / "models" / "marts" / "tags"
    models = yaml.safe_load((marts / "_tags__models.yml").read_text(encoding="utf-8"))["models"]
    sources = yaml.safe_load((marts / "_model_tags__sources.yml").read_text(encoding="utf-8"))["sources"]
    c360 = next(m for m in models if m["name"] == "customer_360")["columns"]
    inputs = next(t for t in sources[0]["tables"] if t["name"] == "tag_inputs")["columns"]
    for relation, columns in (("customer_360", c360), ("tag_inputs", inputs)):
        described = {c["name"]: c.get("description", "") for c in columns}
        wrong = [k for k in keys if f'doc("tag_{k}")' not in described.get(k, "")]
        assert not wrong, f"{relation}: tag columns not described by their doc block: {wrong}"


def test_dbt_sync_writes_the_tag_docs_of_the_catalogue_it_is_given(default_sources, tmp_path):
    tags = tmp_path / "tags.yml"
    tags.write_text(DEFAULT_TAGS.read_text(encoding="utf-8").replace("name_zh: 年龄,", "name_zh: 周岁,"),
                    encoding="utf-8")
    config = load_sources_config(default_sources)
    project = tmp_path / "project"
    assert write_staging(config, project, tags_file=tags)
    assert "{% docs tag_age %}周岁 (Age)." in (project / TAG_DOCS).read_text(encoding="utf-8")
    assert is_in_sync(config, project, tags_file=tags) and not is_in_sync(config, project)
    assert is_in_sync(config, project, tags_file=None)  # the staging layer alone
    assert not write_staging(config, project, tags_file=tags)  # nothing left to change
