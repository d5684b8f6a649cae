"""Reading the YAML config files with the line of every node, and turning a pydantic
validation error into `file:line` and a plain sentence.

The config files (`config/sources.yml`, `config/tags.yml`, `config/rule_tags/*.yml`,
`config/segments/*.yml`) are described by pydantic models (the structure: keys, types,
allowed values; also the JSON Schema editors read, see orchestration/config_schema.py). The
files are read with `LineLoader`, whose mappings and lists remember their lines, so an error
pydantic reports at a `loc` (`('sources', 'crm', 'tables', 'contacts', 'format')`) is
reported at the line of that node in the file. Checks pydantic cannot express (a field that
must be mapped, a reference to another tag, safe SQL) stay in each loader, with the same lines.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError


class LineMapping(dict):
    """A YAML mapping that knows its line and the line where each of its values starts."""

    line: int = 0
    value_lines: dict  # key -> line (1-based)


class LineList(list):
    """A YAML list that knows its line and the line of each item."""

    line: int = 0
    item_lines: list


class LineLoader(yaml.SafeLoader):
    """yaml.safe_load, with LineMapping and LineList in place of dict and list."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineMapping:
    mapping = LineMapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.value_lines = {getattr(k, "value", None): v.start_mark.line + 1 for k, v in node.value}
    # a block scalar (| or >) starts on the line below its key
    mapping.value_lines.update({getattr(k, "value", None): v.start_mark.line + 2 for k, v in node.value
                                if getattr(v, "style", None) in ("|", ">")})
    return mapping


def _construct_list(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_sequence(node, deep=True))
    items.line = node.start_mark.line + 1
    items.item_lines = [v.start_mark.line + 1 for v in node.value]
    return items


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


def load_yaml(text: str, loader: type[yaml.SafeLoader] = LineLoader) -> Any:
    return yaml.load(text, Loader=loader)


def line_at(doc: Any, loc: tuple) -> int | None:
    """The line of the node at `loc` in `doc`, or of the nearest node above it that exists
    (a missing key: the mapping that lacks it)."""
    line = getattr(doc, "line", None) or None
    node = doc
    for part in loc:
        if isinstance(node, LineMapping) and part in node:
            line = node.value_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


# ----------------------------------------------------------------------------- pydantic errors
@dataclass(frozen=True)
class Problem:
    """One problem pydantic found, ready to print: where (loc), at which line, and what."""

    loc: tuple
    line: int | None
    message: str
    kind: str = "other"  # missing | unknown | choice | type | other
    detail: str = ""  # the message without the key's name: "'xml' is not one of [...]"
    keys: tuple[str, ...] = ()  # unknown: the unknown keys of the mapping at loc
    allowed: tuple[str, ...] = ()  # unknown: the keys it may have


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _annotation_at(model: type[BaseModel], loc: tuple) -> Any:
    """The type the model declares at `loc` (None when the path leaves what it declares)."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
            if part not in fields:
                return None
            annotation = fields[part].annotation
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
        elif origin in (list, tuple):
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    return _unwrap(annotation)


def allowed_values(model: type[BaseModel], loc: tuple) -> list | None:
    annotation = _annotation_at(model, loc)
    return list(typing.get_args(annotation)) if typing.get_origin(annotation) is Literal else None


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the mapping at `loc` may have."""
    annotation = _annotation_at(model, loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return sorted(f.alias or name for name, f in annotation.model_fields.items())
    return []


_TYPE_WORDS = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "dict_type": "a mapping",
    "list_type": "a list", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "tuple_type": "a list",
}


def describe(error: dict, model: type[BaseModel]) -> tuple[str, str, str]:
    """(kind, sentence, detail) for one pydantic error: kind is missing, unknown, choice, type
    or other; the sentence names the key ("layer 'x' is not one of [...]"), the detail does not."""
    kind, value, field = error["type"], error.get("input"), error["loc"][-1] if error["loc"] else ""
    if kind == "missing" or (kind in _TYPE_WORDS and value is None) or kind == "string_too_short":
        return "missing", f"missing {field}", "missing"  # absent, `name_zh:` with nothing after it, or ""
    if kind == "extra_forbidden":
        return "unknown", f"unknown key {field!r}", "unknown key"
    if kind in ("literal_error", "enum"):
        allowed = allowed_values(model, error["loc"])
        detail = f"{value!r} is not one of {allowed}" if allowed else f"{value!r}: {error['msg']}"
        return "choice", f"{field} {detail}", detail
    if kind in _TYPE_WORDS:
        detail = f"must be {_TYPE_WORDS[kind]}, not {value!r}"
        return "type", f"{field} {detail}", detail
    detail = f"{error['msg'][0].lower()}{error['msg'][1:]} (got {value!r})"
    return "other", f"{field}: {detail}", detail


def problems(exc: ValidationError, doc: Any, model: type[BaseModel], loc_prefix: tuple = ()
             ) -> list[Problem]:
    """Every error of `exc` (a validation of `doc` by `model`) with the line of its node.

    Unknown keys of one mapping are reported together; missing keys first, then unknown keys,
    then the rest, each group in document order (the order pydantic reports fields)."""
    out: list[tuple[int, Problem]] = []
    unknown: dict[tuple, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        kind, text, detail = describe(error, model)
        if kind == "unknown":
            if loc[:-1] not in unknown:
                unknown[loc[:-1]] = []
                out.append((1, Problem(loc[:-1], line_at(doc, loc[:-1]), "")))
            unknown[loc[:-1]].append(str(loc[-1]))
            continue
        line = line_at(doc, loc)
        out.append((0 if kind == "missing" else 2, Problem(loc_prefix + loc, line, text, kind, detail)))
    result = []
    for rank, p in sorted(out, key=lambda pair: pair[0]):
        if rank == 1:
            keys, allowed = sorted(unknown[p.loc]), allowed_keys(model, p.loc)
            p = Problem(loc_prefix + p.loc, p.line, f"unknown key(s) {keys}; allowed: {allowed}", "unknown",
                        f"unknown key(s) {keys}; allowed: {allowed}", tuple(keys), tuple(allowed))
        result.append(p)
    return result


def first_problem(model: type[BaseModel], doc: Any) -> Problem | None:
    """The first problem of `doc` for `model` (see `problems`), or None when it is sound."""
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return problems(exc, doc, model)[0]
    return None


def dotted(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)
