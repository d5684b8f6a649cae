"""The condition tree of a rule or a segment, checked node by node against the fields a rule
may name; every problem names the file and the line of its node."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from orchestration.tags.rules.schema import (
    EVENT_TYPES,
    MAX_LIST_VALUES,
    MAX_WINDOW_DAYS,
    OPS,
    ORDERED_OPS,
    Compare,
    Event,
    FieldSpec,
    Group,
    RuleError,
)


class ConditionParser:
    def __init__(self, path: Path, key: str, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec],
                 allow_events: bool = True, what: str = "tag"):
        self.path, self.key, self.fields, self.rule_keys = path, key, fields, rule_keys
        self.allow_events, self.what = allow_events, what
        self.depends_on: set[str] = set()
        self.fields_used: list[str] = []
        self.numeric_deps: set[str] = set()

    def fail(self, node: Any, message: str) -> RuleError:
        return RuleError(self.path, getattr(node, "line", None), self.key, message, self.what)

    def condition(self, node: Any) -> Any:
        if not isinstance(node, dict) or len(node) == 0:
            raise self.fail(node, f"a condition must be a mapping, not {node!r}")
        if set(node) & {"all", "any", "not"}:
            if len(node) != 1:
                raise self.fail(node, f"'all', 'any' and 'not' stand alone, found {sorted(node)}")
            kind, body = next(iter(node.items()))
            if kind == "not":
                return Group("not", (self.condition(body),))
            if not isinstance(body, list) or not body:
                raise self.fail(node, f"'{kind}' needs a non-empty list of conditions")
            return Group(kind, tuple(self.condition(item) for item in body))
        if "event" in node:
            if not self.allow_events:
                raise self.fail(node, f"a {self.what} is an expression over tags: no event conditions "
                                      "(put the event rule in a rule tag and name that tag)")
            return self.event(node["event"] if isinstance(node["event"], dict) else node)
        if "field" in node:
            return self.compare(node)
        raise self.fail(node, f"unknown condition {sorted(node)}: expected field, event, all, any or not")

    def event(self, node: dict) -> Event:
        unknown = set(node) - {"type", "min_count", "max_count", "from_days_ago", "to_days_ago"}
        if unknown:
            raise self.fail(node, f"event: unknown option(s) {sorted(unknown)}")
        if node.get("type") not in EVENT_TYPES:
            raise self.fail(node, f"event type {node.get('type')!r} is not one of {list(EVENT_TYPES)}")
        counts = {k: node.get(k) for k in ("min_count", "max_count")}
        if all(v is None for v in counts.values()):
            raise self.fail(node, "event: give min_count or max_count")
        for k, v in counts.items():
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise self.fail(node, f"event: {k} must be a whole number >= 0, not {v!r}")
        window = {k: node.get(k) for k in ("from_days_ago", "to_days_ago")}
        for k, v in window.items():
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_WINDOW_DAYS:
                raise self.fail(node, f"event: {k} must be a whole number of days 0..{MAX_WINDOW_DAYS}, not {v!r}")
        if window["from_days_ago"] < window["to_days_ago"]:
            raise self.fail(node, f"event: bad window: from_days_ago ({window['from_days_ago']}) is more "
                                  f"recent than to_days_ago ({window['to_days_ago']})")
        return Event(node["type"], counts["min_count"], counts["max_count"],
                     window["from_days_ago"], window["to_days_ago"])

    def compare(self, node: dict) -> Compare:
        unknown = set(node) - {"field", "op", "value"}
        if unknown:
            raise self.fail(node, f"unknown option(s) {sorted(unknown)}")
        name = node["field"]
        if not isinstance(name, str) or (name not in self.fields and name not in self.rule_keys):
            raise self.fail(node, f"unknown field {name!r}")
        if name not in self.fields_used:
            self.fields_used.append(name)
        if name in self.rule_keys:
            self.depends_on.add(name)
            spec = self.rule_keys[name]
            if spec.kind == "number":
                self.numeric_deps.add(name)
        else:
            spec = self.fields[name]
        op = node.get("op")
        if op not in OPS:
            raise self.fail(node, f"unknown operator {op!r}; use one of {list(OPS)}")
        value = node.get("value")
        if name in self.rule_keys and isinstance(value, bool):
            value = "true" if value else "false"  # a boolean rule tag's values are 'true' / 'false'
        if name in self.rule_keys and isinstance(value, list):
            value = [("true" if v else "false") if isinstance(v, bool) else v for v in value]
        if op in ("is_null", "is_not_null"):
            if value is not None:
                raise self.fail(node, f"{op} takes no value")
            return Compare(name, op)
        if op in ORDERED_OPS and spec.kind not in ("number", "date"):
            raise self.fail(node, f"operator {op!r} needs a number or date field; {name!r} is {spec.kind}")
        if op == "contains" and spec.kind not in ("text", "enum"):
            raise self.fail(node, f"'contains' needs a text field; {name!r} is {spec.kind}")
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise self.fail(node, f"{op} needs a non-empty list of values")
            if len(value) > MAX_LIST_VALUES:
                raise self.fail(node, f"{op} lists {len(value):,} values; at most {MAX_LIST_VALUES:,} "
                                      "(keep long lists in a table and a sql: rule)")
            values = tuple(self.literal(node, spec, v) for v in value)
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise self.fail(node, "between needs [low, high]")
            values = tuple(self.literal(node, spec, v) for v in value)
            if values[0] > values[1]:
                raise self.fail(node, f"between: low {values[0]} is above high {values[1]}")
        else:
            values = self.literal(node, spec, value)
        return Compare(name, op, values)

    def literal(self, node: Any, spec: FieldSpec, value: Any) -> Any:
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(node, f"{spec.name!r} is a number; {value!r} is not")
            return value
        if spec.kind == "date":
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                raise self.fail(node, f"{spec.name!r} is a date; {value!r} is not YYYY-MM-DD") from None
        if spec.kind == "boolean":
            if not isinstance(value, bool):
                raise self.fail(node, f"{spec.name!r} is true or false; {value!r} is not")
            return value
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.fail(node, f"{spec.name!r} is text; {value!r} is not")
        if spec.kind == "enum" and spec.values and str(value) not in spec.values:
            raise self.fail(node, f"{value!r} is not a value of {spec.name!r}: {list(spec.values)}")
        return str(value)


def number(p: "ConditionParser", node: Any, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise p.fail(node, f"{what} must be a number, not {value!r}")
    return value
