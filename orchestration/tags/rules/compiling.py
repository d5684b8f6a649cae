"""Rule tags compiled to SQL: identifiers quoted from the whitelist, every literal a bound
parameter.

Parameters are named (`$p1`, `$p2`, ... in the order they are bound, which is the order of
the text; `$as_of` in the `sql:` form), returned as a dict: a caller adds its own
(`$tag_key`, ...) without counting placeholders. The same rule always compiles to the same
text and names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from orchestration.tags.rules.schema import KEY_PATTERN, Compare, Event, Group, RuleTag


def quote(name: str) -> str:
    """Quote an identifier that came from the whitelist (never from rule text)."""
    if not KEY_PATTERN.match(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return f'"{name}"'


@dataclass
class ConditionSql:
    facts: str
    events: str
    rule_values: str
    as_of: date
    prefix: str = "p"  # parameter names: prefix + a number from 1
    params: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        """A new named parameter for `value`; its placeholder for the text."""
        name = f"{self.prefix}{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}"

    def condition(self, node: Any) -> str:
        if isinstance(node, Group):
            if node.kind == "not":
                return f"not coalesce({self.condition(node.items[0])}, false)"
            joiner = " and " if node.kind == "all" else " or "
            return "(" + joiner.join(f"coalesce({self.condition(i)}, false)" for i in node.items) + ")"
        if isinstance(node, Event):
            parts = []
            for bound, op in ((node.min_count, ">="), (node.max_count, "<=")):
                if bound is None:
                    continue
                etype = self.bind(node.type)
                start = self.bind(self.as_of - timedelta(days=node.from_days_ago))
                end = self.bind(self.as_of - timedelta(days=node.to_days_ago))
                count = (f"(select count(*) from {self.events} as e where e.customer_id = t.customer_id "
                         f"and e.event_type = {etype} and e.event_date between {start} and {end})")
                parts.append(f"{count} {op} {self.bind(bound)}")
            return "(" + " and ".join(parts) + ")"
        assert isinstance(node, Compare)
        op, v = node.op, node.value
        if op == "contains":
            needle = self.bind(v)
            return f"(position({needle} in {self.column(node.field)}) > 0)"
        column = self.column(node.field)
        if op == "is_null":
            return f"({column} is null)"
        if op == "is_not_null":
            return f"({column} is not null)"
        if op in ("in", "not_in"):
            listed = ", ".join(self.bind(x) for x in v)
            return f"({column} {'in' if op == 'in' else 'not in'} ({listed}))"
        if op == "between":
            return f"({column} between {self.bind(v[0])} and {self.bind(v[1])})"
        return f"({column} {'<>' if op == '!=' else op} {self.bind(v)})"

    rule_fields: frozenset = frozenset()
    numeric_fields: frozenset = frozenset()

    def column(self, name: str) -> str:
        if name in self.rule_fields:
            value = "rv.numeric_value" if name in self.numeric_fields else "rv.value"
            return (f"(select {value} from {self.rule_values} as rv where rv.customer_id = t.customer_id "
                    f"and rv.tag_key = {self.bind(name)})")
        return f"t.{quote(name)}"


def compile_rule_tag(tag: RuleTag, as_of: date, facts: str, events: str, rule_values: str,
                     orders: str = "orders") -> tuple[str, dict[str, Any]]:
    """SELECT customer_id, value, numeric_value for every customer of `facts` on `as_of`, and
    its parameters.

    `facts`: one row per customer with the fields as columns; `events`: (customer_id,
    event_type, event_date, ...) and `orders` (fct_orders' columns), both already cut at the
    as-of date; `rule_values`: (customer_id, tag_key, value) of the rule tags computed before
    this one. The relation names come from the caller, never from rules."""
    if tag.sql is not None:
        return _compile_sql_form(tag, as_of, facts, events, orders)
    sql = ConditionSql(facts=facts, events=events, rule_values=rule_values, as_of=as_of)
    sql.rule_fields = tag.depends_on
    sql.numeric_fields = tag.numeric_deps
    if tag.value_type == "number":
        base = sql.bind(tag.base)
        terms = []
        for cond, pts in tag.points:
            condition = sql.condition(cond)
            terms.append(f"case when coalesce({condition}, false) then {sql.bind(pts)} else 0 end")
        total = f"cast({base} as double) + " + " + ".join(terms)
        text = (f"select t.customer_id, {_number_text('v')} as value, v as numeric_value "
                f"from (select t.customer_id, {total} as v from {facts} as t) as t order by t.customer_id")
        return text, sql.params
    whens = []
    else_value = None
    for b in tag.buckets:
        if b.when is None:
            else_value = b.value
        else:
            cond = sql.condition(b.when)
            whens.append(f"when coalesce({cond}, false) then {sql.bind(b.value)}")
    tail = f" else {sql.bind(else_value)}" if else_value is not None else ""
    text = (f"select t.customer_id, case {' '.join(whens)}{tail} end as value, "
            f"cast(null as double) as numeric_value from {facts} as t order by t.customer_id")
    return text, sql.params


def _number_text(expr: str) -> str:
    """A number as text the way people write it: 25, not 25.0; 12.5 stays 12.5."""
    return (f"case when {expr} = floor({expr}) and abs({expr}) < 1e15 then cast(cast({expr} as bigint) as varchar) "
            f"else cast({expr} as varchar) end")


def _compile_sql_form(tag: RuleTag, as_of: date, facts: str, events: str, orders: str) -> tuple[str, dict[str, Any]]:
    query, n = tag.sql.render({"customers": facts, "events": events, "orders": orders})
    params = {"as_of": as_of} if n else {}  # DuckDB refuses a parameter the text does not name
    if tag.value_type == "boolean":
        text = (f"select t.customer_id, case when t.customer_id in (select q.customer_id from ({query}) as q) "
                f"then 'true' else 'false' end as value, cast(null as double) as numeric_value "
                f"from {facts} as t order by t.customer_id")
    elif tag.value_type == "enum":
        text = (f"select t.customer_id, cast(q.value as varchar) as value, cast(null as double) as numeric_value "
                f"from {facts} as t left join ({query}) as q on q.customer_id = t.customer_id "
                f"order by t.customer_id")
    else:
        text = (f"select t.customer_id, {_number_text('cast(q.value as double)')} as value, "
                f"cast(q.value as double) as numeric_value "
                f"from {facts} as t left join ({query}) as q on q.customer_id = t.customer_id "
                f"order by t.customer_id")
    return text, params
