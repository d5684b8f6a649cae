"""Rule tags that operators write in YAML, checked and compiled to parameterised SQL.

A rule file (`config/rule_tags/*.yml`) holds one tag, or a list under `tags:`:

    key: predicted_churn
    name_zh: 预测流失
    name_en: Predicted churn
    description: Viewed products more than 4 times 53-31 days ago, and not at all since.
    owner: 运营部
    layer: predictive                   # rule (default) | predictive
    value_type: boolean                 # boolean | enum | number
    rule:
      all:
        - event: {type: view, min_count: 5, from_days_ago: 53, to_days_ago: 31}
        - event: {type: view, max_count: 0, from_days_ago: 30, to_days_ago: 0}

Conditions: `{field, op, value}` over fact tags, model tags, other rule tags and golden-record
fields (ops =, !=, <, <=, >, >=, in, not_in, between, is_null, is_not_null, contains);
`{event: {type, min_count | max_count, from_days_ago, to_days_ago}}`; nested `all`, `any`,
`not`. An enum tag has `buckets: [{value, label, when}, ..., {value, label, else: true}]`; a
number tag has `points: [{when, points}, ...]` (plus an optional `base`), the sum of the points
of the conditions a customer meets (a lead score, say).

For data engineers, `sql:` replaces `rule` / `buckets` / `points`: a single SELECT over the
tables `customers` (one row per customer: every tag and golden-record field), `events` and
`orders` (only rows on or before the as-of date), with the as-of date as the parameter
`$as_of`. A boolean tag's SELECT returns `customer_id` (the customers for whom it is true); an
enum or number tag's returns `customer_id, value` (an enum also lists its `values`). The
statement is parsed (sqlglot) and refused unless it is one read-only query over those tables.

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

import sqlglot
import yaml
from sqlglot import exp

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE_TYPES = ("boolean", "enum", "number")
LAYERS = ("rule", "predictive")
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null", "contains")
ORDERED_OPS = ("<", "<=", ">", ">=", "between")
EVENT_TYPES = ("view", "search", "favourite", "add_to_cart", "login", "share", "referral", "store_visit")
MAX_WINDOW_DAYS = 3660
# the tables a `sql:` rule may read (names in the rule -> what the caller binds them to)
SQL_TABLES = ("customers", "events", "orders")
# functions that reach outside the warehouse (files, network, settings, catalogue) are refused
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_|glob$|getenv$|sniff_|parquet_|duckdb_|pragma_|query$|query_table$|current_setting$|"
    r"load$|install$|set_|iceberg|delta_|sqlite_|postgres_|mysql_|http|json_execute|to_file|"
    r"write_|copy|export|import|attach|detach|checkpoint|which_secret|make_timestamp_ns_unsafe|"
    # values of any size from a small expression: repeat('x', 1e9) held 2.3 GB
    r"repeat$|lpad$|rpad$|range$|generate_series$|list_resize$|array_resize$|bar$)")


@dataclass(frozen=True)
class FieldSpec:
    """A field a rule may name: its kind (number, text, date, boolean, enum) and, for enums,
    the allowed values."""

    name: str
    kind: str
    values: tuple[str, ...] = ()


class RuleError(ValueError):
    def __init__(self, path: Path | str, line: int | None, key: str | None, message: str, what: str = "tag"):
        self.path, self.line, self.key, self.message = str(path), line, key, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {what} {key!r}: {message}" if key else f"{where}: {message}")


class _Mapping(dict):
    line: int = 0
    value_lines: dict  # key -> line where its value starts


MAX_NESTING = 40
"""How deep a rule file's mappings and lists may nest: a real condition needs a handful of
levels; 300 made the parser exhaust Python's stack before any rule could be checked."""

MAX_RULE_FILE_BYTES = 1_000_000
MAX_SQL_CHARACTERS = 50_000
MAX_LIST_VALUES = 10_000
"""An `in` list longer than this belongs in a table, not a rule (200,000 values took 90 s)."""


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so errors can point at it. Refuses aliases (`*a`:
    nothing in a rule needs them, and nested aliases expand exponentially, the 'billion
    laughs') and nesting deeper than MAX_NESTING, each with the line."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed in rule files: write the value out",
                event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_NESTING} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.value_lines = {getattr(k, "value", None): v.start_mark.line + 1 for k, v in node.value}
    # a block scalar (| or >) starts on the line below its key
    mapping.value_lines.update({getattr(k, "value", None): v.start_mark.line + 2 for k, v in node.value
                                if getattr(v, "style", None) in ("|", ">")})
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
    numeric_deps: frozenset[str] = field(default_factory=frozenset)  # number rule tags it names
    layer: str = "rule"
    points: tuple[tuple[Any, float], ...] = ()  # number tags: (condition, points)
    base: float = 0.0
    sql: "SqlRule | None" = None
    values: tuple[tuple[str, str], ...] = ()  # enum values and their labels
    fields_used: tuple[str, ...] = ()  # the tags and fields its conditions name (events are not fields)

    @property
    def value_labels(self) -> tuple[tuple[str, str], ...]:
        if self.values:
            return self.values
        return tuple((b.value, b.label) for b in self.buckets) if self.value_type != "number" else ()

    @property
    def rule_version(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]


class _Parser:
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


def _entries(path: Path, list_key: str = "tags") -> list[Any]:
    size = path.stat().st_size
    if size > MAX_RULE_FILE_BYTES:
        raise RuleError(path, None, None, f"the file is {size:,} bytes; a rule file holds at most "
                                          f"{MAX_RULE_FILE_BYTES:,} (long value lists belong in a table)")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(path, mark.line + 1 if mark else None, None,
                        f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except (ValueError, TypeError) as exc:  # a value YAML itself cannot build
        raise RuleError(path, None, None, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise RuleError(path, None, None, "nested too deep to read") from None
    if doc is None:
        return []
    if isinstance(doc, dict) and list_key in doc:
        doc = doc[list_key]
    return doc if isinstance(doc, list) else [doc]


@dataclass(frozen=True)
class SqlRule:
    """A `sql:` rule, parsed and checked: `expression` has the rule's table names, rewritten
    to the caller's relations by `render`."""

    text: str
    expression: exp.Expression
    line: int

    def render(self, tables: dict[str, str]) -> tuple[str, int]:
        """The query with the tables bound and `$as_of` as positional parameters, and how many."""
        tree = self.expression.copy()
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name not in ctes:
                table.replace(exp.to_table(tables[table.name]).as_(table.alias_or_name))
        n = 0
        for ph in list(tree.find_all(exp.Placeholder)):
            ph.replace(exp.Placeholder())
            n += 1
        return tree.sql(dialect="duckdb"), n


def parse_sql_rule(text: Any, line: int, outputs: tuple[str, ...], fail) -> SqlRule:
    """Refuse anything but one read-only SELECT over SQL_TABLES returning `outputs`.

    `fail(line, message)` builds the error: the parser's line is mapped onto the file's."""
    if not isinstance(text, str) or not text.strip():
        raise fail(line, "sql: must be the text of a SELECT")
    if len(text) > MAX_SQL_CHARACTERS:
        raise fail(line, f"sql: {len(text):,} characters; a rule's SQL has at most {MAX_SQL_CHARACTERS:,}")
    body_line = line
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = body_line + max(0, int(first.get("line") or 1) - 1)
        raise fail(where, f"sql: cannot be parsed: {first.get('description', exc)}") from None
    if len(statements) != 1:
        raise fail(body_line, f"sql: must be a single SELECT, found {len(statements)} statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise fail(body_line, f"sql: must be a SELECT, not {tree.key.upper()}")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise fail(body_line, "sql: WITH RECURSIVE is not allowed in a rule: it can run without end")
        if isinstance(node, (exp.DDL, exp.DML, exp.Command, exp.Copy, exp.Attach, exp.Detach,
                             exp.Pragma, exp.Set, exp.Use, exp.Transaction, exp.Into)):
            raise fail(body_line, f"sql: {node.key.upper()} is not allowed: only a SELECT")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier) or node.args.get("db") or node.args.get("catalog"):
                raise fail(body_line, f"sql: '{node.sql('duckdb')}' is not a table a rule may read; "
                                      f"use {list(SQL_TABLES)}")
            if node.name not in SQL_TABLES and node.name not in ctes:
                raise fail(body_line, f"sql: unknown table {node.name!r}; a rule reads {list(SQL_TABLES)}")
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if _FORBIDDEN_FUNCTION.match(name):
                raise fail(body_line, f"sql: function {name}() is not allowed in a rule")
        elif isinstance(node, exp.Placeholder):
            if node.name != "as_of":
                raise fail(body_line, f"sql: the only parameter is $as_of, not {node.sql('duckdb')!r}")
        elif isinstance(node, exp.Parameter):
            raise fail(body_line, f"sql: the only parameter is $as_of, not {node.sql('duckdb')!r}")
    selects = tuple(tree.named_selects)
    if selects != outputs:
        raise fail(body_line, f"sql: must return the columns {list(outputs)}, returns {list(selects)}")
    return SqlRule(text.strip(), tree, body_line)


def _number(p: "_Parser", node: Any, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise p.fail(node, f"{what} must be a number, not {value!r}")
    return value


def rule_field_spec(key: str, value_type: str, values: tuple[str, ...]) -> FieldSpec:
    """How another rule or a segment may compare a rule tag: booleans as 'true' / 'false'."""
    if value_type == "boolean":
        return FieldSpec(key, "enum", ("true", "false"))
    return FieldSpec(key, value_type, values)


def _raw_spec(raw: dict) -> FieldSpec:
    """A rule tag's field spec from its raw entry, before it is parsed (rules may name each other)."""
    values: tuple[str, ...] = ()
    if isinstance(raw.get("buckets"), list):
        values = tuple(str(b.get("value")) for b in raw["buckets"] if isinstance(b, dict))
    elif isinstance(raw.get("values"), dict):
        values = tuple(str(v) for v in raw["values"])
    kind = raw.get("value_type") if raw.get("value_type") in VALUE_TYPES else "text"
    return rule_field_spec(raw["key"], kind, values)


def _parse_tag(path: Path, raw: Any, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]) -> RuleTag:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict):
        raise RuleError(path, line, None, "a rule tag must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RuleError(path, line, None, f"key {key!r} must be lower-case letters, digits and _")
    p = _Parser(path, key, fields, {k: v for k, v in rule_keys.items() if k != key})
    for req in ("name_zh", "name_en", "description", "value_type"):
        if not raw.get(req):
            raise p.fail(raw, f"missing {req}")
    unknown = set(raw) - {"key", "name_zh", "name_en", "description", "owner", "value_type", "layer",
                          "rule", "buckets", "points", "base", "sql", "values"}
    if unknown:
        raise p.fail(raw, f"unknown option(s) {sorted(unknown)}")
    value_type = raw["value_type"]
    if value_type not in VALUE_TYPES:
        raise p.fail(raw, f"value_type {value_type!r} is not one of {list(VALUE_TYPES)}")
    layer = raw.get("layer", "rule")
    if layer not in LAYERS:
        raise p.fail(raw, f"layer {layer!r} is not one of {list(LAYERS)}")
    forms = [f for f in ("rule", "buckets", "points", "sql") if f in raw]
    expected = {"boolean": "rule", "enum": "buckets", "number": "points"}[value_type]
    if len(forms) != 1 or forms[0] not in (expected, "sql"):
        raise p.fail(raw, f"a {value_type} tag needs exactly one of '{expected}' or 'sql', found {forms or 'none'}")
    buckets: tuple[Bucket, ...] = ()
    points: tuple[tuple[Any, float], ...] = ()
    values: tuple[tuple[str, str], ...] = ()
    sql_rule = None
    if "values" in raw and not (value_type == "enum" and forms == ["sql"]):
        raise p.fail(raw, "'values' is for an enum tag written in sql")
    if forms == ["sql"]:
        def fail(at: int, message: str) -> RuleError:
            return RuleError(path, at, key, message)
        outputs = ("customer_id",) if value_type == "boolean" else ("customer_id", "value")
        sql_rule = parse_sql_rule(raw["sql"], raw.value_lines.get("sql", line or 0), outputs, fail)
        if value_type == "boolean":
            buckets = (Bucket("true", "是", None), Bucket("false", "否", None))
        if value_type == "enum":
            if not isinstance(raw.get("values"), dict) or not raw["values"]:
                raise p.fail(raw, "an enum tag written in sql lists its 'values' as {value: label}")
            for code in raw["values"]:
                if not isinstance(code, str) or not KEY_PATTERN.match(code):
                    raise p.fail(raw, f"value {code!r} must be lower-case letters, digits and _")
            values = tuple((str(c), str(label)) for c, label in raw["values"].items())
    elif value_type == "boolean":
        buckets = (Bucket("true", "是", p.condition(raw["rule"])), Bucket("false", "否", None))
    elif value_type == "number":
        if not isinstance(raw["points"], list) or not raw["points"]:
            raise p.fail(raw, "'points' needs a list of {when, points}")
        items = []
        for item in raw["points"]:
            if not isinstance(item, dict) or set(item) != {"when", "points"}:
                raise p.fail(item, "each entry of 'points' is {when: <condition>, points: <number>}")
            items.append((p.condition(item["when"]), _number(p, item, item["points"], "points")))
        points = tuple(items)
    else:
        if not isinstance(raw.get("buckets"), list):
            raise p.fail(raw, "an enum tag needs a list of 'buckets'")
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
    base = _number(p, raw, raw.get("base", 0), "base") if value_type == "number" else 0.0
    definition = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return RuleTag(key=key, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]),
                   description=str(raw["description"]).strip(), owner=str(raw.get("owner") or "运营"),
                   value_type=value_type, path=str(path), line=line or 0, buckets=buckets,
                   depends_on=frozenset(p.depends_on), definition=definition, layer=layer,
                   numeric_deps=frozenset(p.numeric_deps), fields_used=tuple(p.fields_used),
                   points=points, base=base, sql=sql_rule, values=values)


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
    rule_keys = {raw["key"]: _raw_spec(raw) for _, raw in raws
                 if isinstance(raw, dict) and isinstance(raw.get("key"), str)}
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
    numeric_fields: frozenset = frozenset()

    def column(self, name: str) -> str:
        if name in self.rule_fields:
            value = "rv.numeric_value" if name in self.numeric_fields else "rv.value"
            return (f"(select {value} from {self.rule_values} as rv where rv.customer_id = t.customer_id "
                    f"and rv.tag_key = {self.bind(name)})")
        return f"t.{quote(name)}"


def compile_rule_tag(tag: RuleTag, as_of: date, facts: str, events: str, rule_values: str,
                     orders: str = "orders") -> tuple[str, list]:
    """SELECT customer_id, value, numeric_value for every customer of `facts` on `as_of`, and
    its parameters.

    `facts`: one row per customer with the fields as columns; `events`: (customer_id,
    event_type, event_date, ...) and `orders` (fct_orders' columns), both already cut at the
    as-of date; `rule_values`: (customer_id, tag_key, value) of the rule tags computed before
    this one. The relation names come from the caller, never from rules."""
    if tag.sql is not None:
        return _compile_sql_form(tag, as_of, facts, events, orders)
    sql = _SQL(facts=facts, events=events, rule_values=rule_values, as_of=as_of)
    sql.rule_fields = tag.depends_on
    sql.numeric_fields = tag.numeric_deps
    if tag.value_type == "number":
        base = sql.bind(tag.base)  # bound first: it comes first in the text
        terms = []
        for cond, pts in tag.points:
            condition = sql.condition(cond)  # the condition's literals come before the points
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


def _compile_sql_form(tag: RuleTag, as_of: date, facts: str, events: str, orders: str) -> tuple[str, list]:
    query, n = tag.sql.render({"customers": facts, "events": events, "orders": orders})
    params = [as_of] * n  # $as_of is the only parameter, so the order of the ? does not matter
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


# ----------------------------------------------------------------------------- segments
@dataclass(frozen=True)
class Segment:
    """A segment: an expression over tags (all / any / not), evaluated per as-of date."""

    key: str
    name_zh: str
    name_en: str
    description: str
    owner: str
    path: str
    line: int
    condition: Any
    fields_used: tuple[str, ...]  # the tags that put a customer in: exported with each member
    depends_on: frozenset[str] = field(default_factory=frozenset)
    definition: str = ""
    numeric_deps: frozenset[str] = field(default_factory=frozenset)

    @property
    def rule_version(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]

    def as_rule_tag(self) -> RuleTag:
        """The same expression as a boolean rule tag, so it compiles with the same code."""
        return RuleTag(key=self.key, name_zh=self.name_zh, name_en=self.name_en, description=self.description,
                       owner=self.owner, value_type="boolean", path=self.path, line=self.line,
                       buckets=(Bucket("true", "是", self.condition), Bucket("false", "否", None)),
                       depends_on=self.depends_on, definition=self.definition, numeric_deps=self.numeric_deps)


def load_segments(folder: Path, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]
                  ) -> tuple[list[Segment], list[RuleError]]:
    """Every sound segment of `folder` (sorted by key) and every problem, as file:line messages.

    `fields`: the catalogue's tags and golden fields; `rule_keys`: the rule tags that built
    (see `rule_tag_specs`)."""
    segments: dict[str, Segment] = {}
    errors: list[RuleError] = []
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        try:
            entries = _entries(path, "segments")
        except RuleError as err:
            errors.append(err)
            continue
        for raw in entries:
            try:
                seg = _parse_segment(path, raw, fields, rule_keys)
                if seg.key in segments:
                    raise RuleError(path, seg.line, seg.key, f"defined twice (also in {segments[seg.key].path})",
                                    "segment")
                segments[seg.key] = seg
            except RuleError as err:
                errors.append(err)
    return [segments[k] for k in sorted(segments)], errors


def rule_tag_specs(tags: list[RuleTag]) -> dict[str, FieldSpec]:
    return {t.key: rule_field_spec(t.key, t.value_type, tuple(c for c, _ in t.value_labels)) for t in tags}


def _parse_segment(path: Path, raw: Any, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]) -> Segment:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict):
        raise RuleError(path, line, None, "a segment must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RuleError(path, line, None, f"key {key!r} must be lower-case letters, digits and _")
    p = _Parser(path, key, fields, dict(rule_keys), allow_events=False, what="segment")
    for req in ("name_zh", "name_en", "description", "rule"):
        if not raw.get(req):
            raise p.fail(raw, f"missing {req}")
    unknown = set(raw) - {"key", "name_zh", "name_en", "description", "owner", "rule"}
    if unknown:
        raise p.fail(raw, f"unknown option(s) {sorted(unknown)}")
    condition = p.condition(raw["rule"])
    return Segment(key=key, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]),
                   description=str(raw["description"]).strip(), owner=str(raw.get("owner") or "运营"),
                   path=str(path), line=line or 0, condition=condition, fields_used=tuple(p.fields_used),
                   depends_on=frozenset(p.depends_on), numeric_deps=frozenset(p.numeric_deps),
                   definition=json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str))


def reasons_sql(segment: Segment, facts: str, rule_values: str) -> tuple[str, list]:
    """A JSON object (text) of the values of the fields a segment names, for the customer of
    `facts` aliased t: the tags that put the customer in the segment."""
    sql = _SQL(facts=facts, events="", rule_values=rule_values, as_of=date.min)
    sql.rule_fields, sql.numeric_fields = segment.depends_on, segment.numeric_deps
    fields_used = segment.fields_used
    pairs = ", ".join(f"{sql.bind(name)}, {sql.column(name)}" for name in fields_used)
    return f"cast(json_object({pairs}) as varchar)", sql.params
