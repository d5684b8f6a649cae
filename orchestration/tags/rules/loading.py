"""Reading rule files: YAML with the line of every node, each tag checked and built, the tags
in dependency order (cycles and the tags that depend on a broken one left out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pydantic import BaseModel

from orchestration.config_files import LineLoader, first_problem, load_yaml
from orchestration.tags.rules.conditions import ConditionParser, number
from orchestration.tags.rules.schema import (
    KEY_PATTERN,
    MAX_NESTING,
    MAX_RULE_FILE_BYTES,
    VALUE_TYPES,
    Bucket,
    FieldSpec,
    RuleError,
    RuleTag,
    RuleTagEntry,
)
from orchestration.tags.rules.sql_form import parse_sql_rule


class RuleFileLoader(LineLoader):
    """Remembers the line of every mapping and list, so errors can point at it. Refuses aliases
    (`*a`: nothing in a rule needs them, and nested aliases expand exponentially, the 'billion
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


# dates stay text: the rule checker parses them and names the field (YAML would raise on 2026-13-01)
RuleFileLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def file_entries(path: Path, list_key: str = "tags") -> list[Any]:
    size = path.stat().st_size
    if size > MAX_RULE_FILE_BYTES:
        raise RuleError(path, None, None, f"the file is {size:,} bytes; a rule file holds at most "
                                          f"{MAX_RULE_FILE_BYTES:,} (long value lists belong in a table)")
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"), RuleFileLoader)
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


def check_entry(model: type[BaseModel], path: Path, raw: dict, key: str, what: str = "tag") -> None:
    """The keys and types of a rule or segment entry (`model`): the first problem as a RuleError
    at the line of its node."""
    problem = first_problem(model, raw)
    if problem is not None:
        message = f"unknown option(s) {list(problem.keys)}" if problem.kind == "unknown" else problem.message
        raise RuleError(path, problem.line, key, message, what)


def _parse_tag(path: Path, raw: Any, fields: dict[str, FieldSpec], rule_keys: dict[str, FieldSpec]) -> RuleTag:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict):
        raise RuleError(path, line, None, "a rule tag must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RuleError(path, line, None, f"key {key!r} must be lower-case letters, digits and _")
    p = ConditionParser(path, key, fields, {k: v for k, v in rule_keys.items() if k != key})
    check_entry(RuleTagEntry, path, raw, key)
    value_type = raw["value_type"]
    layer = raw.get("layer", "rule")
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
            items.append((p.condition(item["when"]), number(p, item, item["points"], "points")))
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
    base = number(p, raw, raw.get("base", 0), "base") if value_type == "number" else 0.0
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
            raws += [(path, raw) for raw in file_entries(path)]
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


def rule_tag_specs(tags: list[RuleTag]) -> dict[str, FieldSpec]:
    return {t.key: rule_field_spec(t.key, t.value_type, tuple(c for c, _ in t.value_labels)) for t in tags}
