"""Rule tags in YAML: parsing, the whitelist, bound literals, clear errors naming file and
line, cycles, and the compiled SQL run on DuckDB against hand-written SQL."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DEFAULT_TAGS
from orchestration.tags.catalogue import load_tag_config
from orchestration.tags.rules.compiling import compile_rule_tag
from orchestration.tags.rules.loading import fields_from_catalogue, load_rule_tags

FIELDS = fields_from_catalogue(load_tag_config(DEFAULT_TAGS))
AS_OF = date(2026, 6, 30)

PREDICTED_CHURN = """\
key: predicted_churn
name_zh: 预测流失
name_en: Predicted churn
description: Viewed products more than 4 times 53 to 31 days ago, and not at all in the last 30 days.
owner: 运营部
value_type: boolean
rule:
  all:
    - event: {type: view, min_count: 5, from_days_ago: 53, to_days_ago: 31}
    - event: {type: view, max_count: 0, from_days_ago: 30, to_days_ago: 0}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("create table facts (customer_id varchar, paid_orders_total bigint, net_amount_365d decimal(18,2), "
              "customer_state varchar, city varchar, last_order_date date)")
    c.execute("""insert into facts values
        ('c1', 5, 6000, 'active', '杭州', '2026-06-20'), ('c2', 0, 0, 'prospect', null, null),
        ('c3', 2, 800, 'silent', '上海', '2026-04-01'), ('c4', 1, 50, 'churned', '杭州', '2025-01-01')""")
    c.execute("create table events (customer_id varchar, event_type varchar, event_date date)")
    rows = []
    for cid, n_early, n_late in (("c1", 6, 0), ("c2", 5, 1), ("c3", 4, 0), ("c4", 9, 0)):
        rows += [(cid, "view", date(2026, 5, 20)) for _ in range(n_early)]   # 41 days before
        rows += [(cid, "view", date(2026, 6, 25)) for _ in range(n_late)]    # 5 days before
    rows.append(("c4", "view", date(2026, 5, 7)))  # 54 days before: outside the window
    c.executemany("insert into events values (?, ?, ?)", rows)
    c.execute("create table rule_values (customer_id varchar, tag_key varchar, value varchar)")
    yield c
    c.close()


def run(con, tag, **extra) -> dict[str, str]:
    sql, params = compile_rule_tag(tag, AS_OF, "facts", "events", "rule_values")
    return {c: v for c, v, _ in con.execute(sql, params).fetchall()}


def test_the_predicted_churn_rule_matches_hand_written_sql(tmp_path, con):
    write(tmp_path, "churn.yml", PREDICTED_CHURN)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == [] and [t.key for t in tags] == ["predicted_churn"]
    got = {c for c, v in run(con, tags[0]).items() if v == "true"}
    expected = {c for (c,) in con.execute("""
        select customer_id from facts f
        where (select count(*) from events e where e.customer_id = f.customer_id and e.event_type = 'view'
               and e.event_date between date '2026-06-30' - 53 and date '2026-06-30' - 31) > 4
          and (select count(*) from events e where e.customer_id = f.customer_id and e.event_type = 'view'
               and e.event_date between date '2026-06-30' - 30 and date '2026-06-30') = 0""").fetchall()}
    assert got == expected == {"c1", "c4"}


def test_buckets_nesting_and_null_handling(tmp_path, con):
    write(tmp_path, "bands.yml", """\
        tags:
          - key: spend_band
            name_zh: 消费档位
            name_en: Spend band
            description: By net amount over 365 days.
            value_type: enum
            buckets:
              - {value: high, label: 高, when: {field: net_amount_365d, op: ">=", value: 5000}}
              - value: mid
                label: 中
                when:
                  all:
                    - {field: net_amount_365d, op: between, value: [100, 4999.99]}
                    - not: {field: customer_state, op: in, value: [churned]}
              - {value: low, label: 低, else: true}
          - key: hangzhou_buyer
            name_zh: 杭州买家
            name_en: Hangzhou buyer
            description: Bought, and lives in Hangzhou (a missing city is not Hangzhou).
            value_type: boolean
            rule:
              any:
                - all: [{field: city, op: contains, value: 杭州}, {field: paid_orders_total, op: ">", value: 0}]
                - {field: spend_band, op: "=", value: high}
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == [] and [t.key for t in tags] == ["spend_band", "hangzhou_buyer"]  # dependency order
    bands = run(con, tags[0])
    assert bands == {"c1": "high", "c2": "low", "c3": "mid", "c4": "low"}
    con.executemany("insert into rule_values values (?, 'spend_band', ?)", list(bands.items()))
    assert run(con, tags[1]) == {"c1": "true", "c2": "false", "c3": "false", "c4": "true"}


def test_an_injection_in_a_value_is_bound_not_executed(tmp_path, con):
    write(tmp_path, "evil.yml", """\
        key: evil_value
        name_zh: x
        name_en: x
        description: x
        value_type: boolean
        rule: {field: city, op: "=", value: "杭州'); drop table facts; --"}
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == []
    sql, params = compile_rule_tag(tags[0], AS_OF, "facts", "events", "rule_values")
    assert "drop table" not in sql and "杭州'); drop table facts; --" in params.values()
    assert set(run(con, tags[0]).values()) == {"false"}
    assert con.execute("select count(*) from facts").fetchall() == [(4,)]


def test_an_injection_in_a_field_name_is_refused(tmp_path):
    path = write(tmp_path, "evil.yml", """\
        key: evil_field
        name_zh: x
        name_en: x
        description: x
        value_type: boolean
        rule:
          field: "city = city; drop table facts; --"
          op: "="
          value: x
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert tags == [] and len(errors) == 1
    assert str(errors[0]) == f"{path}:7: tag 'evil_field': unknown field 'city = city; drop table facts; --'"


@pytest.mark.parametrize("rule, message", [
    ("{field: no_such_tag, op: '=', value: 1}", "unknown field 'no_such_tag'"),
    ("{field: paid_orders_total, op: '>', value: many}", "'paid_orders_total' is a number; 'many' is not"),
    ("{field: city, op: '>', value: a}", "operator '>' needs a number or date field; 'city' is text"),
    ("{field: customer_state, op: '=', value: asleep}", "'asleep' is not a value of 'customer_state'"),
    ("{field: city, op: like, value: a}", "unknown operator 'like'"),
    ("{event: {type: view, min_count: 1, from_days_ago: 10, to_days_ago: 30}}", "bad window"),
    ("{event: {type: teleport, min_count: 1, from_days_ago: 30, to_days_ago: 0}}", "event type 'teleport'"),
    ("{event: {type: view, from_days_ago: 30, to_days_ago: 0}}", "give min_count or max_count"),
    ("{all: []}", "'all' needs a non-empty list"),
    ("{field: last_order_date, op: '>', value: 2026-13-01}", "is a date"),
])
def test_a_broken_rule_names_file_line_and_problem_and_the_others_still_build(tmp_path, rule, message):
    write(tmp_path, "a_good.yml", PREDICTED_CHURN)
    path = write(tmp_path, "b_bad.yml", f"""\
        key: broken
        name_zh: x
        name_en: x
        description: x
        value_type: boolean
        rule: {rule}
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert [t.key for t in tags] == ["predicted_churn"]
    assert len(errors) == 1 and str(errors[0]).startswith(f"{path}:") and message in str(errors[0])
    assert "tag 'broken'" in str(errors[0])


def test_yaml_syntax_errors_give_the_line(tmp_path):
    path = write(tmp_path, "bad.yml", "key: x\nrule: {field: a\n")
    _, errors = load_rule_tags(tmp_path, FIELDS)
    assert len(errors) == 1 and str(errors[0]).startswith(f"{path}:3: not valid YAML")


def test_cycles_and_their_dependants_are_refused(tmp_path):
    def tag(key, dep):
        return (f"  - {{key: {key}, name_zh: x, name_en: x, description: x, value_type: boolean, "
                f"rule: {{field: {dep}, op: '=', value: true}}}}\n")
    write(tmp_path, "cycle.yml", "tags:\n" + tag("a", "b") + tag("b", "a") + tag("c", "a")
          + "  - {key: d, name_zh: x, name_en: x, description: x, value_type: boolean, "
            "rule: {field: paid_orders_total, op: '>', value: 0}}\n")
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert [t.key for t in tags] == ["d"]
    text = sorted(str(e).split(": ", 1)[1] for e in errors)
    assert text == ["tag 'a': cycle between rule tags: a -> b -> a",
                    "tag 'b': cycle between rule tags: a -> b -> a",
                    "tag 'c': depends on rule tag 'a', which is broken"]


def test_keys_must_not_shadow_the_catalogue_or_repeat(tmp_path):
    write(tmp_path, "a.yml", "{key: gender, name_zh: x, name_en: x, description: x, value_type: boolean, "
                             "rule: {field: age, op: '>', value: 1}}\n")
    write(tmp_path, "b.yml", PREDICTED_CHURN)
    write(tmp_path, "c.yml", PREDICTED_CHURN)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert [t.key for t in tags] == ["predicted_churn"]
    messages = sorted(e.message for e in errors)
    assert messages[0] == "defined twice (also in " + str(tmp_path / "b.yml") + ")"
    assert messages[1] == "key already names a catalogue tag or field"


def test_rule_version_changes_with_the_rule(tmp_path):
    write(tmp_path / "v1", "r.yml", PREDICTED_CHURN)
    write(tmp_path / "v2", "r.yml", PREDICTED_CHURN.replace("min_count: 5", "min_count: 6"))
    v1 = load_rule_tags(tmp_path / "v1", FIELDS)[0][0].rule_version
    v2 = load_rule_tags(tmp_path / "v2", FIELDS)[0][0].rule_version
    assert v1 != v2 and len(v1) == 12


# ----------------------------------------------------------------------------- number tags, sql form
def test_a_number_tag_sums_its_points_with_named_literals(tmp_path, con):
    write(tmp_path, "score.yml", """\
        key: buyer_score
        name_zh: 购买评分
        name_en: Buyer score
        description: Points per condition.
        value_type: number
        base: 1
        points:
          - {when: {field: paid_orders_total, op: ">=", value: 2}, points: 10}
          - {when: {field: city, op: "=", value: 杭州}, points: 5.5}
          - {when: {field: net_amount_365d, op: between, value: [100, 1000]}, points: 20}
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == []
    sql, params = compile_rule_tag(tags[0], AS_OF, "facts", "events", "rule_values")
    got = {c: (v, n) for c, v, n in con.execute(sql, params).fetchall()}
    assert got == {"c1": ("16.5", 16.5), "c2": ("1", 1.0), "c3": ("31", 31.0), "c4": ("6.5", 6.5)}
    # named in the order of the text, the same names and text every time
    assert params == {"p1": 1, "p2": 2, "p3": 10, "p4": "杭州", "p5": 5.5, "p6": 100, "p7": 1000, "p8": 20}
    assert sql.index("$p1") < sql.index("$p2") < sql.index("$p8") and "?" not in sql
    assert compile_rule_tag(load_rule_tags(tmp_path, FIELDS)[0][0], AS_OF, "facts", "events", "rule_values") \
        == (sql, params)


SQL_TAG = """\
key: big_viewer
name_zh: 浏览多
name_en: Big viewer
description: Views in the 60 days before the as-of date.
value_type: {value_type}
{extra}sql: |
  {sql}
"""


def test_the_sql_form_binds_the_as_of_date_and_its_tables(tmp_path, con):
    write(tmp_path, "a.yml", SQL_TAG.format(value_type="boolean", extra="", sql=(
        "select customer_id from events where event_type = 'view' and event_date > $as_of - interval 60 day\n"
        "  group by customer_id having count(*) >= 6")))
    write(tmp_path, "b.yml", SQL_TAG.replace("big_viewer", "view_band").format(
        value_type="enum", extra="values: {many: 多, few: 少}\n", sql=(
            "with v as (select customer_id, count(*) as n from events where event_date <= :as_of group by 1)\n"
            "  select customer_id, case when n >= 6 then 'many' else 'few' end as value from v")))
    write(tmp_path, "c.yml", SQL_TAG.replace("big_viewer", "view_count").format(
        value_type="number", extra="", sql="select customer_id, count(*) as value from events group by 1"))
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == [] and sorted(t.key for t in tags) == ["big_viewer", "view_band", "view_count"]
    by_key = {t.key: t for t in tags}
    # views in the 60 days: c1 6, c2 5 + 1, c3 4, c4 9 + 1
    assert {c for c, v in run(con, by_key["big_viewer"]).items() if v == "true"} == {"c1", "c2", "c4"}
    assert run(con, by_key["view_band"]) == {"c1": "many", "c2": "many", "c3": "few", "c4": "many"}
    assert run(con, by_key["view_count"]) == {"c1": "6", "c2": "6", "c3": "4", "c4": "10"}


@pytest.mark.parametrize("sql, message", [
    ("select customer_id from customers; drop table facts", "single SELECT, found 2 statements"),
    ("drop table facts", "must be a SELECT, not DROP"),
    ("insert into customers select * from customers", "must be a SELECT, not INSERT"),
    ("select customer_id from read_csv('/etc/passwd')", "is not a table a rule may read"),
    ("select customer_id from main.customers", "is not a table a rule may read"),
    ("select customer_id from marts.dim_customer", "is not a table a rule may read"),
    ("select customer_id from secrets", "unknown table 'secrets'"),
    ("select getenv('HOME') as customer_id from customers", "function getenv() is not allowed"),
    ("select customer_id from customers where city = ?", "the only parameter is $as_of"),
    ("select customer_id, city from customers", "must return the columns ['customer_id']"),
    ("select customer_id from where", "cannot be parsed"),
])
def test_the_sql_form_refuses_anything_but_one_select_over_the_rule_tables(tmp_path, con, sql, message):
    path = write(tmp_path, "bad.yml", SQL_TAG.format(value_type="boolean", extra="", sql=sql))
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert tags == [] and len(errors) == 1
    assert str(errors[0]).startswith(f"{path}:7: tag 'big_viewer': sql: ") and message in str(errors[0]), errors[0]
    assert con.execute("select count(*) from facts").fetchall() == [(4,)]  # nothing ran


def test_a_parse_error_in_a_multi_line_sql_names_the_line_in_the_file(tmp_path):
    path = write(tmp_path, "bad.yml", SQL_TAG.format(value_type="boolean", extra="", sql=(
        "select customer_id\n  from customers\n  where (city = 'x'")))
    _, errors = load_rule_tags(tmp_path, FIELDS)
    assert len(errors) == 1 and str(errors[0]).startswith(f"{path}:9: tag 'big_viewer': sql: cannot be parsed")


def test_rule_tags_may_compare_other_rule_tags_by_their_type(tmp_path, con):
    write(tmp_path, "tags.yml", """\
        tags:
          - key: score
            name_zh: 分
            name_en: Score
            description: x
            value_type: number
            points: [{when: {field: paid_orders_total, op: ">", value: 0}, points: 50}]
          - key: scored_high
            name_zh: 高分
            name_en: High score
            description: x
            value_type: boolean
            rule: {field: score, op: ">=", value: 50}
          - key: bad_compare
            name_zh: x
            name_en: x
            description: x
            value_type: boolean
            rule: {field: scored_high, op: ">", value: 1}
        """)
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert [t.key for t in tags] == ["score", "scored_high"]
    assert len(errors) == 1 and "operator '>' needs a number or date field; 'scored_high' is enum" in str(errors[0])
    values = {c: (v, n) for c, v, n in con.execute(*compile_rule_tag(tags[0], AS_OF, "facts", "events",
                                                                     "rule_values")).fetchall()}
    con.executemany("insert into rule_values values (?, 'score', ?)", [(c, v) for c, (v, _) in values.items()])
    con.execute("alter table rule_values add column numeric_value double")
    con.execute("update rule_values set numeric_value = cast(value as double)")
    assert run(con, tags[1]) == {"c1": "true", "c2": "false", "c3": "true", "c4": "true"}


# ----------------------------------------------------------------------------- segments
def test_segments_are_tag_expressions_without_events(tmp_path):
    from orchestration.tags.rules.loading import rule_field_spec
    from orchestration.tags.rules.segments import load_segments

    rule_specs = {"predicted_churn": rule_field_spec("predicted_churn", "boolean", ("true", "false"))}
    path = write(tmp_path, "segs.yml", """\
        segments:
          - key: at_risk
            name_zh: 风险
            name_en: At risk
            description: x
            rule:
              all:
                - {field: rfm_segment, op: in, value: [important_value, important_keep]}
                - {field: predicted_churn, op: "=", value: true}
          - key: with_events
            name_zh: x
            name_en: x
            description: x
            rule: {event: {type: view, min_count: 1, from_days_ago: 30, to_days_ago: 0}}
          - key: unknown
            name_zh: x
            name_en: x
            description: x
            rule: {field: no_such_tag, op: "=", value: 1}
        """)
    segments, errors = load_segments(tmp_path, FIELDS, rule_specs)
    assert [s.key for s in segments] == ["at_risk"]
    assert segments[0].fields_used == ("rfm_segment", "predicted_churn")
    assert segments[0].depends_on == {"predicted_churn"}
    assert sorted(str(e) for e in errors) == [
        f"{path}:14: segment 'with_events': a segment is an expression over tags: no event conditions "
        "(put the event rule in a rule tag and name that tag)",
        f"{path}:19: segment 'unknown': unknown field 'no_such_tag'"]


def test_the_repository_rule_tags_and_segments_are_sound():
    from orchestration.settings import DEFAULT_RULE_TAGS, DEFAULT_SEGMENTS
    from orchestration.tags.rule_engine import rule_fields
    from orchestration.tags.rules.loading import rule_tag_specs
    from orchestration.tags.rules.segments import load_segments

    config = load_tag_config(DEFAULT_TAGS)
    tags, errors = load_rule_tags(DEFAULT_RULE_TAGS, rule_fields(config), {t.key for t in config.tags})
    assert errors == [] and {t.key for t in tags} >= {"predicted_churn", "spend_band", "engagement_score"}
    segments, seg_errors = load_segments(DEFAULT_SEGMENTS, rule_fields(config), rule_tag_specs(tags))
    assert seg_errors == [] and len(segments) >= 3


def test_hostile_rule_files_are_refused_with_the_file_and_line_and_the_others_build(tmp_path):
    """Aliases (the 'billion laughs'), nesting 300 deep, recursive SQL, functions that make
    values of any size, a list too long: each refused before anything runs, the good file builds."""
    write(tmp_path, "a_good.yml", PREDICTED_CHURN)
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(9)]
    aliases = tmp_path / "b_laughs.yml"
    aliases.write_text("\n".join(laughs) + "\nkey: laughs\n", encoding="utf-8")
    deep = tmp_path / "c_deep.yml"
    deep.write_text("key: deep\nname_zh: x\nname_en: x\ndescription: x\nvalue_type: boolean\nrule: "
                    + "{not: " * 300 + "{field: city, op: '=', value: x}" + "}" * 300 + "\n", encoding="utf-8")
    recursive = write(tmp_path, "d_recursive.yml", SQL_TAG.format(
        value_type="boolean", extra="",
        sql="with recursive r(n) as (select 1 union all select n + 1 from r) select customer_id from customers, r"))
    repeat = write(tmp_path, "e_repeat.yml", SQL_TAG.format(
        value_type="boolean", extra="", sql="select customer_id from customers where repeat('x', 1000000000) <> ''"
    ).replace("big_viewer", "repeat_tag"))
    long_list = tmp_path / "f_list.yml"
    long_list.write_text("key: long_list\nname_zh: x\nname_en: x\ndescription: x\nvalue_type: boolean\n"
                         "rule: {field: city, op: in, value: [" + ", ".join(f"c{i}" for i in range(20_000)) + "]}\n",
                         encoding="utf-8")
    huge = tmp_path / "g_huge.yml"
    huge.write_text(long_list.read_text(encoding="utf-8").replace("long_list", "huge")
                    .replace("]}", ", " + ", ".join(f"d{i}" for i in range(200_000)) + "]}"), encoding="utf-8")
    import time

    begin = time.monotonic()
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert time.monotonic() - begin < 20
    assert [t.key for t in tags] == ["predicted_churn"]
    messages = sorted(str(e) for e in errors)
    assert len(messages) == 6, messages
    assert any(m.startswith(f"{aliases}:2: not valid YAML: aliases (*a) are not allowed") for m in messages), messages
    assert any(m.startswith(f"{deep}:6: not valid YAML: nested more than 40 levels deep") for m in messages), messages
    assert any(m.startswith(f"{recursive}:7: tag 'big_viewer': sql: WITH RECURSIVE is not allowed") for m in messages)
    assert any(m.startswith(f"{repeat}:7: tag 'repeat_tag': sql: function repeat() is not allowed") for m in messages)
    assert any(m.startswith(f"{long_list}:6: tag 'long_list': in lists 20,000 values; at most 10,000")
               for m in messages), messages
    assert any(m.startswith(f"{huge}: the file is ") and "a rule file holds at most 1,000,000" in m
               for m in messages), messages


# ----------------------------------------------------------------------------- keys and types (pydantic)
@pytest.mark.parametrize("change, line, message", [
    (("name_en: x\n", ""), 1, "tag 'typed': missing name_en"),
    (("name_en: x\n", "name_en:\n"), 3, "tag 'typed': missing name_en"),
    (("name_en: x\n", "name_en: [x, y]\n"), 3, "tag 'typed': name_en must be text, not ['x', 'y']"),
    (("owner: x\n", "owner: x\ncolour: red\nshape: round\n"), 1, "tag 'typed': unknown option(s) ['colour', 'shape']"),
    (("value_type: boolean\n", "value_type: flag\n"), 6,
     "tag 'typed': value_type 'flag' is not one of ['boolean', 'enum', 'number']"),
    (("owner: x\n", "owner: x\nlayer: model\n"), 6, "tag 'typed': layer 'model' is not one of ['rule', 'predictive']"),
])
def test_keys_and_types_of_a_rule_tag_are_checked_with_file_and_line(tmp_path, change, line, message):
    text = ("key: typed\nname_zh: x\nname_en: x\ndescription: x\nowner: x\nvalue_type: boolean\n"
            "rule: {field: paid_orders_total, op: '>', value: 0}\n")
    assert change[0] in text
    path = write(tmp_path, "typed.yml", text.replace(change[0], change[1]))
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert tags == [] and [str(e) for e in errors] == [f"{path}:{line}: {message}"]


@pytest.mark.parametrize("change, line, message", [
    (("    description: x\n", ""), 2, "segment 'typed': missing description"),
    (("name_zh: x\n", "name_zh: {a: b}\n"), 3, "segment 'typed': name_zh must be text, not {'a': 'b'}"),
    (("owner: x\n", "owners: x\n"), 2, "segment 'typed': unknown option(s) ['owners']"),
    (("op: '>'", "op: '>>'"), 8, "segment 'typed': unknown operator '>>'"),
])
def test_keys_and_types_of_a_segment_are_checked_with_file_and_line(tmp_path, change, line, message):
    from orchestration.tags.rules.segments import load_segments

    text = ("segments:\n  - key: typed\n    name_zh: x\n    name_en: x\n    description: x\n    owner: x\n"
            "    rule:\n      {field: paid_orders_total, op: '>', value: 0}\n")
    assert change[0] in text
    path = write(tmp_path, "typed.yml", text.replace(change[0], change[1]))
    segments, errors = load_segments(tmp_path, FIELDS, {})
    assert segments == [] and len(errors) == 1 and str(errors[0]).startswith(f"{path}:{line}: {message}")
