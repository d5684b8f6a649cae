"""Rule tags that operators write in YAML, checked and compiled to parameterised SQL.

A rule file (`config/rule_tags/*.yml`) holds one tag, or a list under `tags:`:

    key: predicted_churn
    name_zh: 预测流失
    name_en: Predicted churn
    description: Viewed products more than 4 times 53-31 days ago, and not at all since.
    owner: 运营部
    value_type: boolean                 # boolean | enum
    rule:
      all:
        - event: {type: view, min_count: 5, from_days_ago: 53, to_days_ago: 31}
        - event: {type: view, max_count: 0, from_days_ago: 30, to_days_ago: 0}

Conditions: `{field, op, value}` over fact tags, model tags, other rule tags and golden-record
fields (ops =, !=, <, <=, >, >=, in, not_in, between, is_null, is_not_null, contains);
`{event: {type, min_count | max_count, from_days_ago, to_days_ago}}`; nested `all`, `any`,
`not`. An enum tag has `buckets: [{value, label, when}, ..., {value, label, else: true}]`.

Safety: every field and operator is checked against a whitelist (the catalogue), identifiers
are quoted from that whitelist only, and every literal is a bound parameter: nothing an
operator writes is pasted into SQL text. Every problem is reported as `file:line: tag 'key':
problem`; a broken tag (or one that depends on a broken tag, or sits in a cycle) is left out
and the others still compile.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE_TYPES = ("boolean", "enum")
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null", "contains")
ORDERED_OPS = ("<", "<=", ">", ">=", "between")
EVENT_TYPES = ("view", "search", "favourite", "add_to_cart", "login", "share", "referral")
MAX_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class FieldSpec:
    """A field a rule may name: its kind (number, text, date, boolean, enum) and, for enums,
    the allowed values."""

    name: str
    kind: str
    values: tuple[str, ...] = ()


class RuleError(ValueError):
    def __init__(self, path: Path | str, line: int | None, key: str | None, message: str):
        self.path, self.line, self.key, self.message = str(path), line, key, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: tag {key!r}: {message}" if key else f"{where}: {message}")


class _Mapping(dict):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay text: the rule checker parses them and names the field (YAML would raise on 2026-13-01)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


# ----------------------------------------------------------------------------- condition tree
@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Event:
    type: str
    min_count: int | None
    max_count: int | None
    from_days_ago: int
    to_days_ago: int


@dataclass(frozen=True)
class Group:
    kind: str  # all | any | not
    items: tuple


@dataclass(frozen=True)
class Bucket:
    value: str
    label: str
    when: Any  # condition, or None for the else bucket


@dataclass(frozen=True)
class RuleTag:
    key: str
    name_zh: str
    name_en: str
    description: str
    owner: str
    value_type: str
    path: str
    line: int
    buckets: tuple[Bucket, ...]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    definition: str = ""  # canonical JSON of the YAML entry

    @property
    def rule_version(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]


class _Parser:
    def __init__(self, path: Path, key: str, fields: dict[str, FieldSpec], rule_keys: set[str]):
        self.path, self.key, self.fields, self.rule_keys = path, key, fields, rule_keys
        self.depends_on: set[str] = set()

    def fail(self, node: Any, message: str) -> RuleError:
        return RuleError(self.path, getattr(node, "line", None), self.key, message)

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
        if name in self.rule_keys:
            self.depends_on.add(name)
            spec = FieldSpec(name, "text")
        else:
            spec = self.fields[name]
        op = node.get("op")
        if op not in OPS:
            raise self.fail(node, f"unknown operator {op!r}; use one of {list(OPS)}")
        value = node.get("value")
        if name in self.rule_keys and isinstance(value, bool):
            value = "true" if value else "false"  # a boolean rule tag's values are 'true' / 'false'
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


def _entries(path: Path) -> list[Any]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(path, mark.line + 1 if mark else None, None,
                        f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except (ValueError, TypeError) as exc:  # a value YAML itself cannot build
        raise RuleError(path, None, None, f"not valid YAML: {exc}") from None
    if doc is None:
        return []
    if isinstance(doc, dict) and "tags" in doc:
        doc = doc["tags"]
    return doc if isinstance(doc, list) else [doc]


def _parse_tag(path: Path, raw: Any, fields: dict[str, FieldSpec], rule_keys: set[str]) -> RuleTag:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict):
        raise RuleError(path, line, None, "a rule tag must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RuleError(path, line, None, f"key {key!r} must be lower-case letters, digits and _")
    p = _Parser(path, key, fields, rule_keys - {key})
    for req in ("name_zh", "name_en", "description", "value_type"):
        if not raw.get(req):
            raise p.fail(raw, f"missing {req}")
    if raw["value_type"] not in VALUE_TYPES:
        raise p.fail(raw, f"value_type {raw['value_type']!r} is not one of {list(VALUE_TYPES)}")
    if raw["value_type"] == "boolean":
        if "rule" not in raw or "buckets" in raw:
            raise p.fail(raw, "a boolean tag needs a 'rule' (and no buckets)")
        buckets = (Bucket("true", "是", p.condition(raw["rule"])), Bucket("false", "否", None))
    else:
        if not isinstance(raw.get("buckets"), list) or "rule" in raw:
            raise p.fail(raw, "an enum tag needs 'buckets' (and no rule)")
        buckets_list = []
        for b in raw["buckets"]:
            if not isinstance(b, dict) or not isinstance(b.get("value"), str) or not KEY_PATTERN.match(b["value"]):
                raise p.fail(b, "a bucket needs a value of lower-case letters, digits and _")
            if b.get("else") is True:
                if "when" in b:
                    raise p.fail(b, "the else bucket has no 'when'")
                buckets_list.append(Bucket(b["value"], str(b.get("label", b["value"])), None))
            else:
                buckets_list.append(Bucket(b["value"], str(b.get("label", b["value"])), p.condition(b.get("when"))))
        if len({b.value for b in buckets_list}) != len(buckets_list):
            raise p.fail(raw, "bucket values must be distinct")
        if any(b.when is None for b in buckets_list[:-1]):
            raise p.fail(raw, "only the last bucket may be the else bucket")
        buckets = tuple(buckets_list)
    definition = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return RuleTag(key=key, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]),
                   description=str(raw["description"]).strip(), owner=str(raw.get("owner") or "运营"),
                   value_type=raw["value_type"], path=str(path), line=line or 0, buckets=buckets,
                   depends_on=frozenset(p.depends_on), definition=definition)


def load_rule_tags(folder: Path, fields: dict[str, FieldSpec], reserved: set[str] = frozenset()
                   ) -> tuple[list[RuleTag], list[RuleError]]:
    """Every rule tag of `folder` that is sound, in dependency order, and every problem.

    `fields`: what a rule may name (the catalogue's tags and golden-record fields);
    `reserved`: keys already taken (the catalogue's)."""
    raws: list[tuple[Path, Any]] = []
    errors: list[RuleError] = []
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        try:
            raws += [(path, raw) for raw in _entries(path)]
        except RuleError as err:
            errors.append(err)
    rule_keys = {raw.get("key") for _, raw in raws if isinstance(raw, dict) and isinstance(raw.get("key"), str)}
    tags: dict[str, RuleTag] = {}
    for path, raw in raws:
        try:
            tag = _parse_tag(path, raw, fields, rule_keys)
            if tag.key in reserved or tag.key in fields:
                raise RuleError(path, tag.line, tag.key, "key already names a catalogue tag or field")
            if tag.key in tags:
                raise RuleError(path, tag.line, tag.key, f"defined twice (also in {tags[tag.key].path})")
            tags[tag.key] = tag
        except RuleError as err:
            errors.append(err)
    return _in_dependency_order(tags, errors)


def _in_dependency_order(tags: dict[str, RuleTag], errors: list[RuleError]
                         ) -> tuple[list[RuleTag], list[RuleError]]:
    ordered: list[RuleTag] = []
    state: dict[str, str] = {}  # visiting | done | broken

    def visit(key: str, trail: list[str]) -> bool:
        if state.get(key) == "done":
            return True
        if state.get(key) == "broken" or key not in tags:
            return False
        if state.get(key) == "visiting":
            cycle = trail[trail.index(key):] + [key]
            for k in set(cycle):
                state[k] = "broken"
                t = tags[k]
                errors.append(RuleError(t.path, t.line, k, "cycle between rule tags: " + " -> ".join(cycle)))
            return False
        state[key] = "visiting"
        for dep in sorted(tags[key].depends_on):
            if not visit(dep, trail + [key]):
                if state.get(key) != "broken":
                    state[key] = "broken"
                    t = tags[key]
                    errors.append(RuleError(t.path, t.line, key, f"depends on rule tag {dep!r}, which is broken"))
                return False
        state[key] = "done"
        ordered.append(tags[key])
        return True

    for key in sorted(tags):
        visit(key, [])
    return ordered, errors


def fields_from_catalogue(config) -> dict[str, FieldSpec]:
    """The fields a rule may name: every tag of the catalogue (a TagConfig), typed."""
    return {t.key: FieldSpec(t.key, t.value_type, tuple(code for code, _ in t.values)) for t in config.tags}


# ----------------------------------------------------------------------------- SQL
def quote(name: str) -> str:
    """Quote an identifier that came from the whitelist (never from rule text)."""
    if not KEY_PATTERN.match(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return f'"{name}"'


@dataclass
class _SQL:
    facts: str
    events: str
    rule_values: str
    as_of: date
    params: list = field(default_factory=list)

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def condition(self, node: Any) -> str:
        if isinstance(node, Group):
            if node.kind == "not":
                return f"not coalesce({self.condition(node.items[0])}, false)"
            joiner = " and " if node.kind == "all" else " or "
            return "(" + joiner.join(f"coalesce({self.condition(i)}, false)" for i in node.items) + ")"
        if isinstance(node, Event):
            # placeholders are positional: bind in the order they appear in the text
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
        if op == "contains":  # the value comes first in the text
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

    def column(self, name: str) -> str:
        if name in self.rule_fields:
            return (f"(select rv.value from {self.rule_values} as rv where rv.customer_id = t.customer_id "
                    f"and rv.tag_key = {self.bind(name)})")
        return f"t.{quote(name)}"


def compile_rule_tag(tag: RuleTag, as_of: date, facts: str, events: str, rule_values: str
                     ) -> tuple[str, list]:
    """SELECT customer_id, value for every customer of `facts` on `as_of`, and its parameters.

    `facts`: one row per customer with the fields as columns; `events`: (customer_id,
    event_type, event_date); `rule_values`: (customer_id, tag_key, value) of the rule tags
    computed before this one. The three relation names come from the caller, not from rules."""
    sql = _SQL(facts=facts, events=events, rule_values=rule_values, as_of=as_of)
    sql.rule_fields = tag.depends_on
    whens = []
    else_value = None
    for b in tag.buckets:
        if b.when is None:
            else_value = b.value
        else:
            cond = sql.condition(b.when)
            whens.append(f"when coalesce({cond}, false) then {sql.bind(b.value)}")
    tail = f" else {sql.bind(else_value)}" if else_value is not None else ""
    text = (f"select t.customer_id, case {' '.join(whens)}{tail} end as value "
            f"from {facts} as t order by t.customer_id")
    return text, sql.params
