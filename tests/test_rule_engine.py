"""The rule engine on DuckDB: rule tags that fail in the warehouse are reported with file and
line, their dependants are left out, the others build; segments over the results."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DEFAULT_TAGS
from orchestration.tags.catalogue import load_tag_config
from orchestration.tags.rule_engine import (
    VALUES_TABLE,
    evaluate_rule_tags,
    membership_sql,
    prepare_relations,
    rule_fields,
)
from orchestration.tags.rules.loading import load_rule_tags, rule_tag_specs
from orchestration.tags.rules.segments import load_segments

AS_OF = date(2026, 6, 30)
FIELDS = rule_fields(load_tag_config(DEFAULT_TAGS))


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("create schema model_tags; create schema marts")
    c.execute("create table model_tags.tag_inputs (customer_id varchar, as_of_date date, paid_orders_total bigint, "
              "customer_state varchar, has_mobile boolean)")
    c.execute("insert into model_tags.tag_inputs values ('a', '2026-06-30', 3, 'active', true), "
              "('b', '2026-06-30', 0, 'prospect', false), ('c', '2026-06-30', 1, 'churned', true)")
    c.execute("create table marts.fct_customer_events (customer_id varchar, event_type varchar, event_date date, "
              "occurred_at timestamp, category varchar, sku varchar)")
    c.execute("insert into marts.fct_customer_events values ('a', 'view', '2026-06-29', null, null, null), "
              "('a', 'search', '2026-06-28', null, null, null), "
              "('a', 'view', '2026-07-05', null, null, null)")  # after the as-of date: never seen
    c.execute("create table marts.fct_orders (order_id varchar, line_no bigint, customer_id varchar, order_date date, "
              "ordered_at timestamp, status varchar, is_paid boolean, is_refunded boolean, channel varchar, "
              "store_id varchar, sku varchar, category varchar, quantity bigint, unit_price decimal(18,2), "
              "gross_amount decimal(18,2), net_amount decimal(18,2), refunded_amount decimal(18,2), "
              "order_amount decimal(18,2))")
    yield c
    c.close()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder / name


HEAD = "name_zh: x\nname_en: x\ndescription: x\n"


def test_failures_in_the_warehouse_name_file_and_line_and_spare_the_others(tmp_path, con):
    write(tmp_path, "a_ok.yml", f"key: buyer\n{HEAD}value_type: boolean\n"
                                "rule: {field: paid_orders_total, op: '>', value: 0}\n")
    bad_column = write(tmp_path, "b_bad_column.yml", f"key: bad_column\n{HEAD}value_type: boolean\n"
                                                     "sql: select customer_id from customers where no_such > 1\n")
    write(tmp_path, "c_dependant.yml", f"key: dependant\n{HEAD}value_type: boolean\n"
                                       "rule: {field: bad_column, op: '=', value: true}\n")
    twice = write(tmp_path, "d_twice.yml", f"key: twice\n{HEAD}value_type: number\n"
                                           "sql: select customer_id, 1 as value from events\n")
    undeclared = write(tmp_path, "e_enum.yml", f"key: undeclared\n{HEAD}value_type: enum\nvalues: {{x: X}}\n"
                                               "sql: select customer_id, 'y' as value from customers\n")
    write(tmp_path, "f_viewed.yml", f"key: viewed\n{HEAD}value_type: number\n"
                                    "sql: select customer_id, count(*) as value from events group by 1\n")
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == []
    prepare_relations(con, AS_OF)
    ev = evaluate_rule_tags(con, tags, AS_OF)
    assert sorted(t.key for t in ev.built) == ["buyer", "viewed"]
    messages = sorted(str(e) for e in ev.errors)
    assert messages[0].startswith(f"{bad_column}:6: tag 'bad_column': the rule failed in the warehouse: Binder Error")
    assert messages[1].endswith("tag 'dependant': depends on rule tag 'bad_column', which failed")
    assert messages[2] == (f"{twice}:6: tag 'twice': the rule gives 1 customer(s) more than one value; "
                           "a SELECT must return each customer once")
    assert messages[3] == f"{undeclared}:7: tag 'undeclared': the rule gives value(s) ['y'] outside the declared values ['x']"
    values = dict(((c, k), v) for c, k, v in con.execute(f"select customer_id, tag_key, value from {VALUES_TABLE}").fetchall())
    assert values[("a", "viewed")] == "2" and values[("b", "viewed")] is None  # the event after the as-of date is unseen
    assert {k for _, k in values} == {"buyer", "viewed"}


def test_segments_over_rule_tags_and_their_reasons(tmp_path, con):
    write(tmp_path / "rules", "buyer.yml", f"key: buyer\n{HEAD}value_type: boolean\n"
                                           "rule: {field: paid_orders_total, op: '>', value: 0}\n")
    write(tmp_path / "segments", "s.yml", f"key: reachable_buyers\n{HEAD}"
                                          "rule: {all: [{field: buyer, op: '=', value: true}, "
                                          "{field: has_mobile, op: '=', value: true}, "
                                          "{not: {field: customer_state, op: '=', value: churned}}]}\n")
    tags, _ = load_rule_tags(tmp_path / "rules", FIELDS)
    segments, errors = load_segments(tmp_path / "segments", FIELDS, rule_tag_specs(tags))
    assert errors == []
    prepare_relations(con, AS_OF)
    evaluate_rule_tags(con, tags, AS_OF)
    sql, params = membership_sql(segments[0], rule_values=VALUES_TABLE)
    assert con.execute(sql, params).fetchall() == [
        ("a", '{"buyer":"true","has_mobile":true,"customer_state":"active"}')]


def test_a_rule_that_runs_too_long_is_stopped_and_fails_alone(tmp_path, con):
    write(tmp_path, "a_ok.yml", f"key: buyer\n{HEAD}value_type: boolean\n"
                                "rule: {field: paid_orders_total, op: '>', value: 0}\n")
    # a cross join that would run for minutes (no recursion, no forbidden function)
    slow = write(tmp_path, "b_slow.yml", f"key: slow\n{HEAD}value_type: number\n"
                 "sql: select c.customer_id, count(*) as value from customers c, events a, events b, events d, "
                 "events e, events f, events g, events h, events i, events j, events k, events l, events m, "
                 "events n, events o, events p, events q, events r, events s, events t, events u "
                 "group by 1\n")
    con.execute("insert into marts.fct_customer_events select 'a', 'view', date '2026-06-01' + i::int, null, null, null "
                "from range(40) t(i)")
    tags, errors = load_rule_tags(tmp_path, FIELDS)
    assert errors == []
    prepare_relations(con, AS_OF)
    import time

    begin = time.monotonic()
    ev = evaluate_rule_tags(con, tags, AS_OF, time_limit=1.0)
    assert time.monotonic() - begin < 30
    assert [t.key for t in ev.built] == ["buyer"]
    assert [str(e) for e in ev.errors] == [
        f"{slow}:6: tag 'slow': the rule ran longer than 1s and was stopped (the limit is HUAXIANG_RULE_TIME_LIMIT_SECONDS)"]
    # the connection is still usable
    assert con.execute("select count(*) from model_tags.tag_inputs").fetchall() == [(3,)]
