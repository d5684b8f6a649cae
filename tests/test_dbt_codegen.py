
from orchestration.dbt_codegen import is_in_sync, prepare_dbt_project, render_staging
from orchestration.sources_config import load_sources_config


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
