"""The pipeline on Spark (HUAXIANG_ENGINE=spark) gives DuckDB's tables, row for row (issue 21).

A small generated sample without its last day runs through the whole pipeline twice: on the
DuckDB engine, and on the Spark engine (dbt-spark in local session mode builds every dbt
model; ingestion and the Python steps work on the DuckDB file as on DuckDB, their tables
copied into Spark before each dbt step and dbt's copied back after it:
orchestration/warehouse/spark_copy.py). Then the last day arrives as new files, as a daily
delivery does, and both run again, incrementally (delete+insert, the hooks that delete rows).
Every table and view of both files is compared (compare.py: EXCEPT ALL both ways on canonical
text, doubles to 9 digits, run stamps left out), and the identity check's precision and recall.
Run by `make test-spark` (it installs pyspark and dbt-spark: the `spark` extra) and not by
`make test`; it needs Java 17. HUAXIANG_TEST_SPARK_ROUNDS=1 (CI: .ci/run) stops after the first
build: half the time, without the incremental round.

A table listed in KNOWN_DIFFERENCES does not yet give DuckDB's rows, for the reason given there."""

from __future__ import annotations

import os
import random
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from compare import compare_warehouses
from dbt_inline import dbt_show

from datagen import generate
from datagen.holdout import hold_out_last_days
from orchestration.runner import run_job
from orchestration.settings import Settings
from orchestration.warehouse.resource import SPARK_INPUTS, SPARK_OUTPUTS
from orchestration.warehouse.spark_copy import copy_tables, spark_table_files

CUSTOMERS = 300
SEED = 42
END = date(2026, 6, 30)

KNOWN_DIFFERENCES: dict[str, str] = {}
SCHEMAS = ("raw", "staging", "intermediate", "model_tags", "marts")
ROUNDS = (False, True) if os.environ.get("HUAXIANG_TEST_SPARK_ROUNDS", "2") != "1" else (False,)
"""The base build, then (unless one round is asked for) the delivery of the last day."""


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark_equality")
    generate(root / "data", customers=CUSTOMERS, seed=SEED, end_date=END, progress=False)
    landing = root / "data" / "landing"
    held = hold_out_last_days(landing, root / "delivery", END, days=1)
    assert held
    duck = Settings(landing_dir=landing, warehouse=root / "duckdb" / "w.duckdb")
    spark = Settings(landing_dir=landing, warehouse=root / "spark" / "w.duckdb", engine="spark")
    outcomes, files = [], []
    # the base, then the delivery: both engines build the first time, then incrementally
    for delivery in ROUNDS:
        if delivery:
            shutil.copytree(root / "delivery", landing, dirs_exist_ok=True)
        for settings in (duck, spark):
            outcome = run_job(settings, dbt_tests=False)
            assert outcome.success, outcome.render()
            outcomes.append(outcome)
        files.append(_spark_files(spark.work_dir / "dbt_profile_spark", APPENDED))
    return {"duckdb": duck.warehouse, "spark": spark.warehouse, "outcomes": outcomes,
            "profiles": spark.work_dir / "dbt_profile_spark", "files": files}


# incremental tables a daily delivery only adds rows to (its new files' rows, judged as new)
APPENDED = (("staging", "stg_oms__orders"), ("staging", "stg_app__events"))


def _spark_files(profiles, tables) -> dict[tuple[str, str], set[str]]:
    return {t: spark_table_files(profiles, *t) for t in tables}


@pytest.fixture(scope="module")
def diffs(spark_build) -> dict[str, object]:
    return {d.table: d for d in compare_warehouses(spark_build["duckdb"], spark_build["spark"], SCHEMAS)}


def test_every_table_equals_duckdbs(diffs):
    """Every table and view: the raw layer and the Python steps' tables (written to the DuckDB
    file on both engines), and what dbt built (on Spark, copied back to the file)."""
    assert len(diffs) >= 120, sorted(diffs)
    unexpected = [d.describe() for t, d in sorted(diffs.items()) if not d.equal and t not in KNOWN_DIFFERENCES]
    assert not unexpected, "\n".join(unexpected)


def test_identity_precision_and_recall_equal(spark_build):
    """The run's own identity check (against the generator's truth) on both engines."""
    outcomes = spark_build["outcomes"]
    for duck, spark in zip(outcomes[::2], outcomes[1::2], strict=True):
        assert duck.identity and spark.identity
        assert duck.identity == spark.identity


def test_known_differences_are_still_real(diffs):
    """A known difference that went away leaves the list (and the model is then compared)."""
    for table, reason in KNOWN_DIFFERENCES.items():
        assert table in diffs and not diffs[table].equal, f"{table} now equals DuckDB's: remove it ({reason})"


def test_only_changed_tables_are_copied(spark_build, diffs):
    """A copy between the file and Spark moves a table only when it changed on either side
    since its last copy (spark_copy.py): nothing the Python steps wrote changed since the tag
    store's copy; a staging table whose rows were deleted from the file is copied back whole,
    beside the views (always copied)."""
    warehouse, profiles = spark_build["spark"], spark_build["profiles"]
    said = copy_tables("to", warehouse, profiles, SPARK_INPUTS)
    assert said.startswith("copied 0 tables") and int(re.search(r"\((\d+) unchanged", said)[1]) > 10, said
    views_sql = ("select count(*) from duckdb_views() where schema_name in "
                 "('staging', 'intermediate', 'marts')")
    with duckdb.connect(str(spark_build["duckdb"]), read_only=True) as con:
        views = con.execute(views_sql).fetchall()[0][0]
    with duckdb.connect(str(warehouse)) as con:
        # views marked portable (macros/spark/views.sql) are views in Spark's file too; the
        # other views come back as tables, copied every time
        portable = con.execute(views_sql).fetchall()[0][0]
        rows = con.execute("select count(*) from staging.stg_crm__contacts").fetchall()[0][0]
        con.execute("delete from staging.stg_crm__contacts where true")
    said = copy_tables("from", warehouse, profiles, SPARK_OUTPUTS)
    assert portable >= 2 and said.startswith(f"copied {views - portable + 1} tables"), said
    assert said.endswith(f"{portable} views defined over them"), said
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_crm__contacts").fetchall()[0][0] == rows > 0


@pytest.mark.skipif(len(ROUNDS) < 2, reason="the delivery round is not run")
def test_a_delivery_only_adds_files_where_no_row_goes(spark_build):
    """Spark's Parquet tables cannot delete rows in place, so a delete rewrites the table
    (macros/spark/incremental.sql); a delete that removes nothing, and a delete+insert whose
    new rows replace none, must not: the staging tables of the delivered kinds keep every file
    of the base build and gain the delivery's (and the copy back leaves unchanged tables alone)."""
    before, after = spark_build["files"]
    for table in APPENDED:
        assert before[table] and before[table] < after[table], (table, before[table], after[table])


@pytest.mark.skipif(len(ROUNDS) < 2, reason="the delivery round is not run")
def test_a_delivery_without_customer_files_leaves_the_customer_side_alone(spark_build):
    """As on DuckDB: the delivery brings orders and events only, so identity resolution and
    the customer tables are not built again on Spark (and still equal DuckDB's)."""
    for outcome in spark_build["outcomes"][2:]:
        log = Path(outcome.log_file).read_text(encoding="utf-8")
        assert "dbt: customer side unchanged" in log, (outcome.engine, log[-2000:])


@pytest.mark.skipif(len(ROUNDS) < 2, reason="the delivery round is not run")
def test_a_delivery_is_copied_by_its_new_rows_only(spark_build):
    """The copies between the file and Spark cost the delivery, not the history (spark_copy.py):
    into Spark, the raw tables of the delivered kinds append the new files' load batches; back,
    the staging tables Spark appended to get their new Parquet files' rows inserted (and the
    tables still equal DuckDB's: test_every_table_equals_duckdbs)."""
    log = Path(spark_build["outcomes"][3].log_file).read_text(encoding="utf-8")
    into = [int(n) for n in re.findall(r"to Spark \(\d+ unchanged since their last copy; (\d+) by their new load", log)]
    back = [int(n) for n in re.findall(r"from Spark \(\d+ unchanged since their last copy; (\d+) by their new files", log)]
    # orders, order lines, app events and store visits: the four kinds the delivery brings
    assert into and into[0] >= 4, log[-3000:]
    assert back and sum(back) >= len(APPENDED), log[-3000:]


CRASHED_APPEND = """
import sys
from pathlib import Path
from pyspark.sql import functions as F
from orchestration.warehouse.spark_copy import spark_session

spark = spark_session(Path(sys.argv[1]))
t = "staging.stg_oms__orders"
f = spark.sql(f"select _source_file from {t} group by 1 order by count(*) desc, 1 limit 1").first()[0]
rows = spark.table(t).where(F.col("_source_file") == f)
rows.write.format("parquet").saveAsTable(t + "__huaxiang_new")
spark.sql(f"alter table {t}__huaxiang_new set tblproperties ('huaxiang.appending' = 'true')")
half = spark.table(t).where((F.col("_source_file") != f) | (F.col("_row_number") % 2 == 0))
half.write.format("parquet").saveAsTable(t + "__huaxiang_crash")
spark.sql(f"insert overwrite table {t} select * from {t}__huaxiang_crash")
spark.sql(f"drop table {t}__huaxiang_crash")
print(rows.count(), spark.table(t).count())
# dbt-spark's append strategy: the last run's events stored and marked, half of them in the table
t = "marts.fct_customer_events"
stamp = spark.sql(f"select max(_built_at) from {t}").first()[0]
rows = spark.table(t).where(F.col("_built_at") == stamp)
rows.write.format("parquet").saveAsTable(t + "__huaxiang_new")
spark.sql(f"alter table {t}__huaxiang_new set tblproperties ('huaxiang.appending' = 'true')")
half = spark.table(t).where((F.col("_built_at") != stamp) | (F.xxhash64(*spark.table(t).columns) % 2 == 0))
half.write.format("parquet").saveAsTable(t + "__huaxiang_crash")
spark.sql(f"insert overwrite table {t} select * from {t}__huaxiang_crash")
spark.sql(f"drop table {t}__huaxiang_crash")
print(rows.count(), spark.table(t).count())
spark.stop()
"""


@pytest.mark.skipif(len(ROUNDS) < 2, reason="make test-spark's full run only (CI's time)")
def test_an_append_a_crash_cut_short_is_finished_by_the_next_run(spark_build, tmp_path):
    """A delete+insert that only adds rows appends them, and so does the append strategy
    (macros/spark/incremental.sql); Spark's append is not atomic: killed while committing, it
    may have added some of its files and not others. The stored new rows stay marked until it
    ended, and the next dbt command first makes the table what that append meant, before any
    model reads it. Here crashes are staged on two of Spark's tables: a staging table (the new
    rows of a landing file) and a fact table (the last run's rows), the rows stored and marked,
    half of them in the table; one dbt run later both equal DuckDB's again."""
    import subprocess
    import sys

    profiles = spark_build["profiles"]
    staged = subprocess.run([sys.executable, "-c", CRASHED_APPEND, str(profiles)], capture_output=True,
                            text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert staged.returncode == 0, staged.stderr[-3000:]
    dbt = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "-s", "stg_oms__orders", "fct_customer_events",
         "--profiles-dir", str(profiles),
         "--target-path", str(tmp_path / "target")],
        cwd=Path(__file__).resolve().parents[2] / "dbt_project", capture_output=True, text=True, timeout=900)
    assert dbt.returncode == 0, dbt.stdout[-3000:]
    said = [line for line in dbt.stdout.splitlines() if "an interrupted run was adding the rows of" in line]
    for table in ("stg_oms__orders", "fct_customer_events"):
        assert any(f"{table}__huaxiang_new" in line for line in said), dbt.stdout[-3000:]
    said = copy_tables("from", spark_build["spark"], profiles, SPARK_OUTPUTS)
    assert "copied 0 tables" not in said, said
    diff = {d.table: d for d in compare_warehouses(spark_build["duckdb"], spark_build["spark"], ("staging", "marts"))}
    for table in ("staging.stg_oms__orders", "marts.fct_customer_events"):
        assert diff[table].equal, diff[table].describe()


def _pairs(n: int = 1500) -> list[tuple[str, str]]:
    """Name-like strings and their near misses: swaps, typos, insertions, hanzi, accents, empty."""
    rng = random.Random(7)
    alphabet = "abcdeghijklmnoprstuwxyz áéü陈娜纳王伟"
    words = ["zhang", "zhangwei", "wang wei", "martha", "marhta", "dwayne", "duane", "wáng", "wang",
             "陈娜", "陈纳", "1985-03-12", "1985-12-03", "1985-03-21", "", "a", "ab", "ba"]
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10))) for _ in range(300)]
    pairs = [(a, b) for a in words[:18] for b in words[:18]]
    while len(pairs) < n:
        a = rng.choice(words)
        b = list(a)
        if b and rng.random() < 0.7:
            i = rng.randrange(len(b))
            op = rng.random()
            if op < 0.3 and len(b) > 1:
                j = min(i + 1, len(b) - 1)
                b[i], b[j] = b[j], b[i]
            elif op < 0.6:
                b[i] = rng.choice(alphabet)
            elif op < 0.8:
                del b[i]
            else:
                b.insert(i, rng.choice(alphabet))
            pairs.append((a, "".join(b)))
        else:
            pairs.append((a, rng.choice(words)))
    return pairs


def _on_both_engines(sql: str, tmp_path, spark_build, spark_vars: dict | None = None) -> tuple[dict, dict]:
    """The rows of `sql` (a query with the project's macros, a column `id`) on DuckDB and on
    Spark, by id."""
    duck = dbt_show(sql, tmp_path / "duckdb" / "w.duckdb")
    spark = dbt_show(sql, tmp_path / "spark" / "unused", spark_build["profiles"], spark_vars)
    return {r["id"]: r for r in duck}, {r["id"]: r for r in spark}


def _string_comparisons(pairs: list[tuple[str, str]]) -> str:
    values = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(pairs))
    return ("select id, {{ string_similarity('a', 'b') }} as similarity, "
            "{{ transposition_distance('a', 'b') }} as distance "
            f"from (values {values}) as t(id, a, b)")


def _doubles(n: int = 600) -> list[float]:
    """Doubles around every place where one engine's text form changes: 1e-4, 1e-3, 1e7, 1e16."""
    rng = random.Random(11)
    values = [0.0, -0.0, 1.0, -1.0, 3.0, 0.1, 0.5, 1e-4, 1e-3, 9.999e-5, 1e7, 1e16, 1e15, 123.456,
              12345678.9, 0.000372, -0.00042, 1.5e16, 2.5e-7, 1e-300, 1.7976931348623157e308, 100.0]
    while len(values) < n:
        values.append(rng.choice([1, -1]) * round(rng.uniform(1, 10), rng.randint(0, 8)) * 10.0 ** rng.randint(-9, 19))
    return values


PAIRS, DOUBLES = _pairs(3000), _doubles()


@pytest.fixture(scope="module")
def portable_functions(spark_build, tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """The compiled string functions on PAIRS and value_text() on DOUBLES, in one query (one
    dbt process, one Spark session per engine): {'pair' | 'double': (DuckDB's rows, Spark's)}."""
    text = "cast(null as {{ type_text() }})"
    pairs = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(PAIRS))
    doubles = ", ".join(f"({i}, cast({v!r} as double), '{i}')" for i, v in enumerate(DOUBLES))
    sql = ("select 'pair' as kind, id, {{ string_similarity('a', 'b') }} as similarity, "
           f"{{{{ transposition_distance('a', 'b') }}}} as distance, {text} as x_text, {text} as label_text, "
           f"{text} as inputs from (values {pairs}) as t(id, a, b) "
           "union all select 'double' as kind, id, cast(null as double), cast(null as bigint), "
           "{{ value_text('x') }}, {{ value_text('label') }}, "
           "{{ json_object_text([['x', 'x'], ['label', 'label'], ['none', 'cast(null as double)']]) }} "
           f"from (values {doubles}) as t(id, x, label)")
    root = tmp_path_factory.mktemp("portable_functions")
    duck = dbt_show(sql, root / "duckdb" / "w.duckdb")
    spark = dbt_show(sql, root / "spark" / "unused", spark_build["profiles"])
    return {kind: ({r["id"]: r for r in duck if r["kind"] == kind}, {r["id"]: r for r in spark if r["kind"] == kind})
            for kind in ("pair", "double")}


def test_string_similarity_and_transpositions_equal_duckdbs(portable_functions):
    """Spark's Jaro-Winkler and Damerau-Levenshtein, the project's compiled functions
    (orchestration/warehouse/spark_jar_src), against DuckDB's built-ins: the same doubles and
    distances, to the last bit, over UTF-8 bytes as DuckDB counts them."""
    duck, spark = portable_functions["pair"]
    assert len(duck) == len(spark) == len(PAIRS)
    off = [(PAIRS[i], duck[i], spark[i]) for i in duck if duck[i] != spark[i]]
    assert not off, off[:10]


def test_value_text_equals_duckdbs(portable_functions):
    """value_text() (a tag value, the inputs of a model tag) writes a double in DuckDB's digits
    on Spark too, where a cast would write Java's exponent form ('3.72E-4')."""
    duck, spark = portable_functions["double"]
    assert len(duck) == len(spark) == len(DOUBLES)
    off = [(DOUBLES[i], duck[i], spark[i]) for i in duck if duck[i] != spark[i]]
    assert not off, off[:10]


def test_string_comparisons_in_sql_near_duckdbs(spark_build, tmp_path):
    """The SQL-only forms, for a cluster that cannot take the jar (spark_jar_functions: false):
    Jaro-Winkler to 1e-9 (DuckDB fuses a multiply-add SQL cannot), Damerau-Levenshtein exact
    up to 1, all the project asks of it."""
    pairs = _pairs()
    duck, spark = _on_both_engines(_string_comparisons(pairs), tmp_path, spark_build,
                                   {"spark_jar_functions": False})
    assert len(duck) == len(spark) == len(pairs)
    off = [(pairs[i], duck[i], spark[i]) for i in duck
           if abs(duck[i]["similarity"] - spark[i]["similarity"]) > 1e-9
           or (duck[i]["distance"] <= 1) != (spark[i]["distance"] <= 1)]
    assert not off, off[:10]
