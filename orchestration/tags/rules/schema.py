"""What a rule file becomes: the condition tree, RuleTag and Segment (frozen dataclasses that
the compiler and the engine read), the limits and the names a rule may use."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, SkipValidation

if TYPE_CHECKING:
    from orchestration.tags.rules.sql_form import SqlRule

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE_TYPES = ("boolean", "enum", "number")
LAYERS = ("rule", "predictive")
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null", "contains")
ORDERED_OPS = ("<", "<=", ">", ">=", "between")
EVENT_TYPES = ("view", "search", "favourite", "add_to_cart", "login", "share", "referral", "store_visit")
MAX_WINDOW_DAYS = 3660


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


MAX_NESTING = 40
"""How deep a rule file's mappings and lists may nest: a real condition needs a handful of
levels; 300 made the parser exhaust Python's stack before any rule could be checked."""

MAX_RULE_FILE_BYTES = 1_000_000
MAX_SQL_CHARACTERS = 50_000
MAX_LIST_VALUES = 10_000
"""An `in` list longer than this belongs in a table, not a rule (200,000 values took 90 s)."""

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


# ----------------------------------------------------------------------------- the files (pydantic)
# What a rule file or a segment file may hold, for the checks of keys and types (missing,
# unknown, the wrong type, a value not in a list) and for the JSON Schema editors read
# (config/schema/). Conditions, buckets and points are described here for the schema but
# checked by conditions.ConditionParser, whose messages say more than a union of models could.
Key = Annotated[str, Field(pattern=KEY_PATTERN.pattern, description="lower-case letters, digits and _")]
Text = Annotated[str, Field(min_length=1)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=True)


class CompareCondition(_Closed):
    """A field (a catalogue tag, a rule tag or a golden-record field) compared with a value."""

    field_: str = Field(alias="field", description="the tag or field compared")
    op: Literal[OPS]  # type: ignore[valid-type]
    value: Any = Field(None, description="a value; a list for in / not_in; [low, high] for between; "
                                         "none for is_null / is_not_null")


class EventWindow(_Closed):
    """How many events of a type a customer had in a window of days before the as-of date."""

    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    min_count: Annotated[int, Field(ge=0)] | None = None
    max_count: Annotated[int, Field(ge=0)] | None = None
    from_days_ago: Annotated[int, Field(ge=0, le=MAX_WINDOW_DAYS)]
    to_days_ago: Annotated[int, Field(ge=0, le=MAX_WINDOW_DAYS)]


class EventCondition(_Closed):
    event: EventWindow


class AllCondition(_Closed):
    all_: list["Condition"] = Field(alias="all", min_length=1)


class AnyCondition(_Closed):
    any_: list["Condition"] = Field(alias="any", min_length=1)


class NotCondition(_Closed):
    not_: "Condition" = Field(alias="not")


Condition = Union[CompareCondition, EventCondition, AllCondition, AnyCondition, NotCondition]
for _model in (AllCondition, AnyCondition, NotCondition):
    _model.model_rebuild()


class BucketEntry(_Closed):
    """An enum tag's value, given to the customers its `when` holds for (in order), or to the
    rest (`else: true`, the last bucket)."""

    value: Key
    label: str | None = None
    when: SkipValidation[Condition] | None = None
    else_: Literal[True] | None = Field(None, alias="else")


class PointsEntry(_Closed):
    """Points a number tag adds when `when` holds."""

    when: SkipValidation[Condition]
    points: SkipValidation[float]


class RuleTagEntry(_Closed):
    """One rule tag: a boolean (rule), an enum (buckets) or a number (points), or any of them in sql."""

    key: Key
    name_zh: Text
    name_en: Text
    description: Text
    owner: str | None = None
    value_type: Literal[VALUE_TYPES]  # type: ignore[valid-type]
    layer: Literal[LAYERS] = "rule"  # type: ignore[valid-type]
    rule: SkipValidation[Condition] | None = None
    buckets: SkipValidation[list[BucketEntry]] | None = None
    points: SkipValidation[list[PointsEntry]] | None = None
    base: SkipValidation[float] | None = None
    sql: str | None = Field(None, description="one SELECT over customers, events, orders; $as_of is the as-of date")
    values: dict[str, str] | None = Field(None, description="an enum tag in sql: its values, {value: label}")


class RuleTagList(_Closed):
    tags: list[RuleTagEntry]


class RuleTagFile(RootModel[Union[RuleTagEntry, RuleTagList, list[RuleTagEntry]]]):
    """A rule file (config/rule_tags/*.yml): one tag, a list of tags, or a list under `tags:`."""


class SegmentEntry(_Closed):
    """One segment: an expression over tags (no event conditions)."""

    key: Key
    name_zh: Text
    name_en: Text
    description: Text
    owner: str | None = None
    rule: SkipValidation[Condition]


class SegmentList(_Closed):
    segments: list[SegmentEntry]


class SegmentFile(RootModel[Union[SegmentEntry, SegmentList, list[SegmentEntry]]]):
    """A segment file (config/segments/*.yml): one segment, a list, or a list under `segments:`."""
