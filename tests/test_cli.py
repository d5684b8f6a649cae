"""The command line: clear messages and exit codes scripts can rely on."""

from click.testing import CliRunner

from orchestration.cli import main


def test_bad_sources_file_exits_2_naming_the_problem(tmp_path):
    bad = tmp_path / "sources.yml"
    bad.write_text("sources:\n  shop:\n    tables:\n      o:\n        kind: orders\n"
                   "        path: o.csv\n        format: csv\n        columns: {order_id: id}\n")
    result = CliRunner().invoke(main, ["run", "--sources", str(bad), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "sources.shop.tables.o" in result.output and "must map" in result.output
    assert "Traceback" not in result.output


def test_sources_validate_lists_tables_and_files(tmp_path, default_sources):
    from mini_landing import write_mini_landing

    write_mini_landing(tmp_path / "landing")
    result = CliRunner().invoke(main, ["sources", "validate", "--sources", str(default_sources),
                                       "--landing", str(tmp_path / "landing")])
    assert result.exit_code == 0, result.output
    assert "crm__contacts" in result.output and "(1 files)" in result.output


def test_dbt_sync_check_passes_on_the_repository():
    result = CliRunner().invoke(main, ["dbt-sync", "--check"])
    assert result.exit_code == 0 and "in sync" in result.output


def test_generate_writes_a_sample(tmp_path):
    result = CliRunner().invoke(main, ["generate", "--customers", "50", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ground_truth" / "records.csv").exists()
    assert (tmp_path / "landing" / "DATASET.json").exists()


def test_sources_validate_shows_joined_columns_and_files_missing_one(tmp_path):
    from sources_landing import write_customers_only_landing

    sources = write_customers_only_landing(tmp_path, with_dates=False)
    (tmp_path / "landing" / "au" / "people_old.csv").write_text("rec_id, given_name, surname\nr9, a, b\n",
                                                                 encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "validate", "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    assert "address = street_number + address_1 + address_2 (joined with a space)" in result.output
    assert "birth_date: precision year" in result.output
    assert "au__people                   customers    csv      AU" in result.output
    assert "nz__people                   customers    jsonl    NZ" in result.output
    missing = [line for line in result.output.splitlines() if line.strip().startswith("!")]
    assert len(missing) == 1 and "au/people_old.csv has no column(s) ['street_number'" in missing[0]


def test_a_memory_budget_that_is_not_a_size_exits_2_naming_the_setting(tmp_path):
    """In a process of its own: the Dagster definitions are built from the environment when
    the runner is first imported, which this test process has done already."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HUAXIANG_MEMORY_BUDGET": "eight gigs"}
    done = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--warehouse", str(tmp_path / "w.duckdb")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "HUAXIANG_MEMORY_BUDGET='eight gigs' is not a size" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_engine_exits_2_naming_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("HUAXIANG_ENGINE", "presto")
    result = CliRunner().invoke(main, ["run", "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "HUAXIANG_ENGINE='presto'" in result.output and "duckdb, spark" in result.output
    assert "Traceback" not in result.output
